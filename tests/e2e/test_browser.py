"""Browser end-to-end tests: a real ``streamlit run app.py`` driven by headless Chromium through Playwright.

One walk through the workbench, as ordered steps sharing one page (see ``conftest.py``):

1. Data: upload ``sample_data/breast_cancer.csv`` and read its profile.
2. Search: start a TPE study, watch the live progress grow, stop it.
3. Reload: the URL (``?study=N``) finds the stopped study and its trials again.
4. Results: the study table and the charts render.
5. A second quick study, then Compare renders both side by side.
6. The Learn pages render.
7. A narrow window renders the Data page.

Every page visited is checked for a Streamlit exception box and for the app's "internal error" message.
Screenshots go to ``artifacts/screenshots/``. Run: ``pytest tests/e2e -m browser``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import ROOT

pytestmark = pytest.mark.browser

SAMPLE = ROOT / "sample_data" / "breast_cancer.csv"
FIRST_LOAD_MS = 120_000  # the first script run imports pandas, sklearn, xgboost, plotly: slow on 2 cores
RUN_MS = 60_000
STUDY_MS = 150_000  # a whole (small) study on a slow machine
LESSON_MS = 30_000  # how long a Learn page may compute before its screenshot

TRIALS = 40
CV = 3


# -- helpers ----------------------------------------------------------------------------------------------


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def wait_idle(page: Page, timeout: float = RUN_MS) -> None:
    """Wait until the script run (or fragment run) in progress has finished."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def assert_clean(page: Page) -> None:
    """No Streamlit exception box and no "Something went wrong inside the app" error on the page."""
    wait_idle(page)
    boxes = page.get_by_test_id("stException")
    if boxes.count():
        pytest.fail(f"Streamlit exception on {page.url}:\n" + "\n---\n".join(boxes.all_inner_texts()), pytrace=False)
    internal = page.get_by_text("Something went wrong inside the app")
    if internal.count():
        pytest.fail(f"internal error on {page.url}: " + " | ".join(internal.all_inner_texts()), pytrace=False)


def title(page: Page, text: str | re.Pattern) -> Locator:
    return main(page).get_by_role("heading", level=1, name=text)


def go(page: Page, link: str, path: str, heading: str | re.Pattern | None = None) -> None:
    """Follow a sidebar navigation link; wait for the page's URL and its run; check it is clean and titled."""
    url = re.compile(rf"^[^?]*/{path}(\?.*)?$")
    # A click that lands while the page is rerunning can be dropped by the browser: click again, up to 3 times.
    for attempt in range(3):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True).click()
        try:
            expect(page).to_have_url(url, timeout=RUN_MS // 3)
            break
        except AssertionError:
            if attempt == 2:
                raise
    # the page's first element (its title, or the exception that stopped it) replaces the previous page's
    first = main(page).locator('[data-testid="stHeading"] h1, [data-testid="stException"]').first
    expect(first).to_be_visible(timeout=RUN_MS)
    assert_clean(page)
    if heading is not None:
        expect(title(page, heading)).to_be_visible(timeout=RUN_MS)
    else:
        expect(main(page).get_by_role("heading", level=1).first).to_be_visible(timeout=RUN_MS)


def metric_value(page: Page, label: str) -> Locator:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue")


def set_number(page: Page, label: str, value: int, key: str | None = None) -> None:
    """Type into a number input found by its label (inside the widget with Streamlit ``key``, when given:
    widgets whose key changes with another choice, like Trials per strategy, only exist after the rerun)."""
    scope = main(page).locator(f".st-key-{key}") if key else main(page)
    field = scope.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))
    wait_idle(page)


def pick_radio(page: Page, group: str, option: str) -> None:
    wait_idle(page)  # a click during a rerun can land on the widget the rerun is replacing, and be lost
    radio = main(page).get_by_role("radiogroup", name=group)
    radio.get_by_test_id("stRadioOption").filter(has_text=re.compile(rf"^{re.escape(option)}$")).click()
    expect(radio.get_by_role("radio", name=option, exact=True)).to_be_checked()
    wait_idle(page)  # the rerun may swap widgets (e.g. Trials has one key per strategy)


def study_in_url(page: Page) -> int:
    expect(page).to_have_url(re.compile(r"[?&]study=\d+"), timeout=RUN_MS)
    return int(parse_qs(urlparse(page.url).query)["study"][0])


def study_heading(page: Page, study_id: int) -> Locator:
    """The live panel's "#### Study N: name — `state`" heading."""
    return main(page).get_by_role("heading", level=4).filter(has_text=f"Study {study_id}:")


def progress_done(page: Page) -> int:
    text = main(page).get_by_test_id("stProgress").inner_text()
    m = re.search(r"(\d+)\s*/\s*\S+\s+trials", text)
    assert m, f"no 'N / M trials' in the progress bar: {text!r}"
    return int(m.group(1))


def plotly_chart(page: Page, chart_title: str) -> Locator:
    return main(page).locator(".js-plotly-plot").filter(has_text=chart_title)


def wait_plotly_count(page: Page, at_least: int) -> int:
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot').length >= n",
        arg=at_least,
        timeout=RUN_MS,
    )
    return main(page).locator(".js-plotly-plot").count()


def open_new_search(page: Page) -> None:
    """The "New search" form is collapsed while a study is on screen: open it."""
    details = main(page).get_by_test_id("stExpander").filter(has_text="New search").locator("details").first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    wait_idle(page)


def start_search(page: Page, previous: int | None) -> int:
    """Click Start search; return the new study's id once the URL names it and its live panel shows."""
    main(page).get_by_role("button", name="Start search").click()
    expect(page).to_have_url(re.compile(r"[?&]study=\d+"), timeout=RUN_MS)
    if previous is not None:
        expect(page).not_to_have_url(re.compile(rf"[?&]study={previous}(&|$)"), timeout=RUN_MS)
    study_id = study_in_url(page)
    expect(study_heading(page, study_id)).to_be_visible(timeout=RUN_MS)
    return study_id


def settle_lesson(page: Page, timeout: float = LESSON_MS) -> None:
    """Give a Learn page's background computation (shown as a progress bar) a bounded time to finish, so the
    screenshot shows the lesson rather than its progress bar; a slower lesson is not a failure here."""
    try:
        expect(main(page).get_by_test_id("stProgress")).to_have_count(0, timeout=timeout)
    except AssertionError:
        print(f"{page.url}: the lesson was still computing after {timeout / 1000:.0f} s")
    wait_idle(page)


# -- the walk ---------------------------------------------------------------------------------------------


class TestWalk:
    """Upload, search, stop, reload, results, a second study, compare: one session, step by step."""

    state: dict[str, int] = {}

    def test_01_data_upload_and_profile(self, page: Page, shot) -> None:
        page.goto("/")
        expect(title(page, "Data")).to_be_visible(timeout=FIRST_LOAD_MS)
        wait_idle(page, FIRST_LOAD_MS)

        pick_radio(page, "Source", "Upload a file")
        uploader = main(page).get_by_test_id("stFileUploader")
        expect(uploader).to_be_visible()
        uploader.locator('input[type="file"]').set_input_files(SAMPLE)
        uploaded = uploader.locator(
            '[data-testid="stFileChip"], [data-testid="stFileUploaderFile"]'
        )  # 1.67 / older releases
        expect(uploaded).to_contain_text("breast_cancer.csv", timeout=RUN_MS)

        expect(metric_value(page, "Rows × columns")).to_have_text("569 × 31", timeout=RUN_MS)
        expect(metric_value(page, "Missing cells")).to_have_text("0.0%")
        expect(main(page).get_by_text(re.compile(r"Ready: predict")).first).to_be_visible()
        expect(main(page).get_by_text("diagnosis", exact=True).first).to_be_visible()
        expect(page).to_have_url(re.compile(r"[?&]dataset=\w+.*"))
        assert_clean(page)
        shot(page, "01_data")

    def test_02_search_live_progress_and_stop(self, page: Page, shot) -> None:
        go(page, "Search", "search", "Search")
        expect(main(page).get_by_text(re.compile(r"Predicting diagnosis \(classification, 569 rows"))).to_be_visible()

        # defaults: Bayesian (TPE) and XGBoost
        expect(main(page).get_by_role("radio", name="Bayesian (TPE)", exact=True)).to_be_checked()
        pick_radio(page, "Strategy", "Bayesian (TPE)")
        expect(main(page).get_by_role("combobox", name="Model", exact=True)).to_have_value("XGBoost")

        set_number(page, "Trials", TRIALS, key="search_trials_tpe")
        set_number(page, "CV folds", CV)
        expect(main(page).get_by_text(f"{TRIALS} trials × {CV} folds")).to_be_visible(timeout=RUN_MS)
        wait_idle(page)

        study_id = start_search(page, previous=None)
        self.state["first"] = study_id

        # live: the progress bar and the history chart appear, the count grows without any user action
        progress = main(page).get_by_test_id("stProgress")
        expect(progress).to_contain_text(re.compile(rf"\d+ / {TRIALS} trials"), timeout=RUN_MS)
        expect(plotly_chart(page, "Optimization history")).to_be_visible(timeout=RUN_MS)
        expect(metric_value(page, "Complete")).to_have_text(re.compile(r"^([2-9]|[1-9]\d+)$"), timeout=STUDY_MS)
        first = progress_done(page)
        assert first < TRIALS, f"the study finished ({first} trials) before the test could watch it run"
        page.wait_for_function(
            """n => {
                const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
                const m = bar && bar.innerText.match(/(\\d+)\\s*\\/\\s*\\d+\\s+trials/);
                return m && Number(m[1]) > n;
            }""",
            arg=first,
            timeout=RUN_MS,
        )
        assert progress_done(page) > first
        expect(study_heading(page, study_id)).to_contain_text("running")
        expect(main(page).get_by_text("Best parameters so far")).to_be_visible()
        shot(page, "02_search_running")

        main(page).get_by_role("button", name="Stop", exact=True).click()
        expect(study_heading(page, study_id)).to_contain_text("stopped", timeout=STUDY_MS)
        expect(main(page).get_by_role("button", name="Resume")).to_be_visible(timeout=RUN_MS)
        stopped_at = progress_done(page)
        assert 2 <= stopped_at < TRIALS
        assert_clean(page)
        shot(page, "03_stopped")

    def test_03_reload_finds_the_study(self, page: Page, shot) -> None:
        study_id = self.state["first"]
        assert f"study={study_id}" in page.url
        page.reload()
        expect(title(page, "Search")).to_be_visible(timeout=FIRST_LOAD_MS)
        expect(study_heading(page, study_id)).to_contain_text("stopped", timeout=RUN_MS)
        expect(metric_value(page, "Complete")).to_have_text(re.compile(r"^[1-9]\d*$"))
        expect(plotly_chart(page, "Optimization history")).to_be_visible(timeout=RUN_MS)
        expect(main(page).get_by_role("button", name="Resume")).to_be_visible()
        assert study_in_url(page) == study_id
        assert_clean(page)
        shot(page, "04_after_reload")

    def test_04_results(self, page: Page, shot) -> None:
        study_id = self.state["first"]
        go(page, "Results", "results", "Results")
        expect(main(page).get_by_role("heading", level=3).filter(has_text=f"Study {study_id}:")).to_be_visible()
        expect(metric_value(page, "State")).to_have_text("stopped")
        studies = main(page).get_by_test_id("stDataFrame").first
        expect(studies).to_be_visible()
        expect(plotly_chart(page, "Optimization history")).to_be_visible(timeout=RUN_MS)

        main(page).get_by_role("tab", name="Parameters").click()
        expect(plotly_chart(page, "Parallel coordinates")).to_be_visible(timeout=RUN_MS)
        n_charts = wait_plotly_count(page, 4)
        assert n_charts > 3, n_charts
        expect(main(page).get_by_role("heading", name="Trials", level=3)).to_be_visible()
        expect(main(page).get_by_role("heading", name="Export", level=3)).to_be_visible()
        expect(main(page).get_by_role("button", name="Trials (CSV)")).to_be_visible()
        assert_clean(page)
        shot(page, "05_results")

    def test_05_second_study_and_compare(self, page: Page, shot) -> None:
        first = self.state["first"]
        go(page, "Search", "search", "Search")
        open_new_search(page)
        pick_radio(page, "Strategy", "Random")
        set_number(page, "Trials", 5, key="search_trials_random")
        set_number(page, "CV folds", CV)
        expect(main(page).get_by_text(f"5 trials × {CV} folds")).to_be_visible(timeout=RUN_MS)
        wait_idle(page)

        second = start_search(page, previous=first)
        self.state["second"] = second
        expect(study_heading(page, second)).to_contain_text("complete", timeout=STUDY_MS)
        expect(main(page).get_by_test_id("stProgress")).to_contain_text("5 / 5 trials", timeout=RUN_MS)
        assert_clean(page)

        go(page, "Compare", "compare", "Compare")
        picked = main(page).get_by_test_id("stMultiSelect")
        expect(picked).to_contain_text(f"#{first}")
        expect(picked).to_contain_text(f"#{second}")
        expect(plotly_chart(page, "Best so far by study")).to_be_visible(timeout=RUN_MS)
        expect(plotly_chart(page, "Scores by study")).to_be_visible(timeout=RUN_MS)
        expect(main(page).get_by_text("Best parameters", exact=True)).to_be_visible()
        expect(main(page).get_by_test_id("stDataFrame").last).to_be_visible()  # the best-parameters table
        assert_clean(page)
        shot(page, "06_compare")


@pytest.mark.parametrize(
    ("link", "path", "name"),
    [
        ("Regularization", "learn_regularization", "07_learn_regularization"),
        ("Overfitting lab", "learn_overfitting", "08_learn_overfitting"),
    ],
)
def test_06_learn_pages(page: Page, shot, link: str, path: str, name: str) -> None:
    go(page, link, path)
    settle_lesson(page)
    assert_clean(page)
    shot(page, name)


def test_07_narrow_window(page: Page, shot) -> None:
    go(page, "Data", "", "Data")
    page.set_viewport_size({"width": 420, "height": 800})
    try:
        expect(title(page, "Data")).to_be_visible()
        expect(metric_value(page, "Rows × columns")).to_have_text("569 × 31", timeout=RUN_MS)
        assert_clean(page)
        shot(page, "09_narrow")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_08_dask_connects_only_on_a_click_and_only_to_allowed_schedulers(page: Page, shot) -> None:
    """The Run-on box lists only the operator's schedulers (no free text), connects on Connect only, and an
    unreachable one is a plain message in seconds."""
    from .conftest import CLOSED_SCHEDULER

    go(page, "Search", "search", "Search")
    if not main(page).get_by_role("radiogroup", name="Run on").is_visible():  # a study is on screen: open the form
        main(page).get_by_test_id("stExpander").filter(has_text="New search").locator("summary").first.click()
    pick_radio(page, "Run on", "Dask cluster")
    box = main(page).get_by_test_id("stSelectbox").filter(has_text="Dask scheduler")
    expect(box).to_be_visible(timeout=RUN_MS)
    wait_idle(page)
    option = page.get_by_role("option", name=CLOSED_SCHEDULER)
    for _ in range(3):  # a click that lands during the radio's rerun can close the list again
        box.click()
        try:
            option.click(timeout=5_000)
            break
        except Exception:
            wait_idle(page)
    wait_idle(page)
    expect(main(page).get_by_text("Press Connect to check the cluster")).to_be_visible(timeout=RUN_MS)
    expect(main(page).get_by_text(re.compile("trusts it with running code"))).to_be_visible()
    assert not main(page).get_by_test_id("stTextInput").filter(has_text="Dask").count()  # nothing to type
    shot(page, "10_dask_before_connect", full_page=False)
    main(page).get_by_role("button", name="Connect").click()
    expect(main(page).get_by_text(re.compile("Cannot reach|Cannot connect|No Dask scheduler"))).to_be_visible(
        timeout=30_000
    )
    assert_clean(page)
    shot(page, "11_dask_unreachable", full_page=False)
    pick_radio(page, "Run on", "this process")
