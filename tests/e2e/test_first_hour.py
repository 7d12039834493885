"""Browser tests of what a newcomer tripped over in the first hour (issue 9), on a freshly started server.

The store is prepared before the server starts (three finished studies, one with pruned trials), so the
very first request the server sees is a deep link, as after a restart followed by a bookmark or a reload.

1. A deep link on a fresh server gets the app's own navigation (Tune / Learn) and the wide layout.
2. A second visitor's deep link too.
3. Two export clicks close together both download.
4. Switching samples and uploading a table reset the task (no carried-over "classification").
5. The grid's trial count follows the model; a huge grid asks for a confirmation.
6. Compare defaults to studies that share a dataset and a metric.
7. Every page at 1280x800 and 800x900, as screenshots.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ..app_studies import make_studies
from .conftest import VIEWPORT, serve
from .test_browser import FIRST_LOAD_MS, RUN_MS, assert_clean, go, main, metric_value, settle_lesson, title, wait_idle

pytestmark = pytest.mark.browser

STATE: dict[str, int] = {}
NARROW = {"width": 800, "height": 900}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh ``streamlit run app.py`` over a store that already holds studies (overrides conftest's)."""
    tmp = tmp_path_factory.mktemp("first_hour")
    db = tmp / "e2e.db"
    made = make_studies(db)
    STATE.update(a=made.a, b=made.b, c=made.c)
    with serve(db, tmp) as base:
        yield base


def assert_app_navigation(page: Page) -> None:
    """The sidebar shows the app's sections and page titles, not Streamlit's list of page files."""
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible(timeout=FIRST_LOAD_MS)
    for section in ("Tune", "Learn"):
        expect(nav.get_by_text(section, exact=True)).to_be_visible()
    for link in ("Data", "Search", "Results", "Compare", "Regularization", "Overfitting lab"):
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
    for file_name in ("app", "compare", "learn_overfitting"):
        expect(nav.get_by_role("link", name=file_name, exact=True)).to_have_count(0)


def settled(page: Page) -> None:
    """Wait for the run to end and for Streamlit's loading placeholders (skeletons) to be replaced."""
    wait_idle(page)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stSkeleton\"], .stSkeleton').length === 0",
        timeout=RUN_MS,
    )
    page.wait_for_timeout(500)


def ensure_open(page: Page) -> None:
    """Open the app when a step runs on its own (the steps before it usually did)."""
    if not page.url.startswith("http"):
        page.goto("/")
        expect(title(page, "Data")).to_be_visible(timeout=FIRST_LOAD_MS)
        wait_idle(page, FIRST_LOAD_MS)


def assert_wide(page: Page) -> None:
    """``layout="wide"``: the main block uses the window, not Streamlit's 736 px centred column."""
    box = page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert box is not None and box["width"] > 800, box


class TestFirstHour:
    def test_01_deep_link_on_a_fresh_server(self, page: Page, shot) -> None:
        b = STATE["b"]
        page.goto(f"/results?study={b}")  # the server's very first page view
        expect(title(page, "Results")).to_be_visible(timeout=FIRST_LOAD_MS)
        wait_idle(page, FIRST_LOAD_MS)
        assert_app_navigation(page)
        assert_wide(page)
        expect(main(page).get_by_role("heading", level=3).filter(has_text=f"Study {b}:")).to_be_visible()
        assert_clean(page)

    def test_02_a_second_visitor_deep_link(self, browser, app_url, shot) -> None:
        context = browser.new_context(viewport=VIEWPORT, base_url=app_url)
        try:
            other = context.new_page()
            other.goto("/compare")
            expect(title(other, "Compare")).to_be_visible(timeout=FIRST_LOAD_MS)
            wait_idle(other, FIRST_LOAD_MS)
            assert_app_navigation(other)
            assert_wide(other)
        finally:
            context.close()

    def test_03_two_quick_export_clicks_both_download(self, page: Page) -> None:
        export = main(page).get_by_role("button", name="Trials (CSV)")
        export.scroll_into_view_if_needed()
        expect(export).to_be_visible(timeout=RUN_MS)
        wait_idle(page)
        best = main(page).get_by_role("button", name="Best params (JSON)")
        with page.expect_download(timeout=20_000) as first:
            export.click()
        with page.expect_download(timeout=20_000) as second:
            best.click()
        with page.expect_download(timeout=20_000) as third:
            export.click()
        for d in (first.value, second.value, third.value):
            assert d.failure() is None, d.failure()
            assert os.path.getsize(d.path()) > 0
        assert first.value.suggested_filename.endswith("_trials.csv")
        assert second.value.suggested_filename.endswith("_best.json")
        assert_clean(page)

    def test_04_switching_datasets_resets_the_task(self, page: Page, tmp_path) -> None:
        ensure_open(page)
        go(page, "Data", "", "Data")
        expect(main(page).get_by_text(re.compile(r"Ready: predict"))).to_be_visible(timeout=RUN_MS)
        task = main(page).get_by_role("radiogroup", name="Task")
        # the bundled breast-cancer sample is classification; diabetes is regression
        main(page).get_by_role("radio", name="Bundled sample", exact=True).check(force=True)
        wait_idle(page)
        sample = main(page).get_by_test_id("stSelectbox").filter(has_text="Sample")
        option = page.get_by_role("option", name=re.compile(r"^Diabetes progression"))
        for _ in range(3):  # a click that lands during the radio's rerun opens nothing: open the list again
            sample.click()
            try:
                option.wait_for(timeout=10_000)
                break
            except PlaywrightTimeout:
                wait_idle(page)
        option.click()
        wait_idle(page)
        main(page).get_by_role("button", name="Use this sample").click()
        wait_idle(page)
        expect(main(page).get_by_text(re.compile(r"Ready: predict progression \(regression\)"))).to_be_visible(
            timeout=RUN_MS
        )
        expect(task.get_by_role("radio", name="regression", exact=True)).to_be_checked()

        # an uploaded table whose numeric target has ~100 distinct values: "auto" guesses regression
        rng = np.random.default_rng(0)
        x = rng.normal(size=(400, 3))
        y = np.round(50 + 20 * x[:, 0] + rng.normal(size=400) * 5).astype(int)
        path = tmp_path / "scores.csv"
        lines = ["a,b,c,score"] + [f"{r[0]:.3f},{r[1]:.3f},{r[2]:.3f},{v}" for r, v in zip(x, y, strict=True)]
        path.write_text("\n".join(lines) + "\n")
        assert len(set(y)) > 60
        main(page).get_by_role("radio", name="Upload a file", exact=True).check(force=True)
        wait_idle(page)
        main(page).get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(path)
        expect(main(page).get_by_text(re.compile(r"Ready: predict score \(regression\)"))).to_be_visible(timeout=RUN_MS)
        expect(task.get_by_role("radio", name="auto (regression)", exact=True)).to_be_checked()
        assert_clean(page)

    def test_05_grid_trials_follow_the_model(self, page: Page) -> None:
        ensure_open(page)
        go(page, "Search", "search", "Search")
        details = main(page).get_by_test_id("stExpander").filter(has_text="New search").locator("details").first
        if details.get_attribute("open") is None:
            details.locator("summary").first.click()
            wait_idle(page)
        main(page).get_by_role("radiogroup", name="Strategy").get_by_text("Grid", exact=True).click()
        wait_idle(page)
        model = main(page).get_by_test_id("stSelectbox").filter(has_text="Model")

        def pick_model(label: str) -> None:
            option = page.get_by_role("option", name=label, exact=True)
            for _ in range(3):  # a click that lands during a rerun opens nothing, or is dropped: again
                model.click()
                try:
                    option.click(timeout=10_000)
                except PlaywrightTimeout:
                    wait_idle(page)
                    continue
                wait_idle(page)
                if model.get_by_role("combobox").input_value() == label:
                    break
            expect(model.get_by_role("combobox")).to_have_value(label)
            wait_idle(page)

        pick_model("XGBoost")
        cost = main(page).get_by_text(re.compile(r"trials × \d+ folds"))
        expect(cost).to_contain_text("grid of", timeout=RUN_MS)
        big = int(re.search(r"grid of ([\d,]+)", cost.inner_text()).group(1).replace(",", ""))
        trials = main(page).locator(".st-key-search_trials_grid").get_by_label("Trials", exact=True)
        expect(trials).to_have_value(str(min(big, 100_000)))
        expect(main(page).get_by_text(re.compile(r"This grid needs [\d,]+ fits"))).to_be_visible()
        expect(main(page).get_by_role("button", name="Start search")).to_be_disabled()

        pick_model("Decision tree")
        expect(cost).not_to_contain_text(f"grid of {big:,}", timeout=RUN_MS)
        small = int(re.search(r"grid of ([\d,]+)", cost.inner_text()).group(1).replace(",", ""))
        assert small < big
        expect(trials).to_have_value(str(small))
        expect(cost).to_contain_text(f"{small:,} trials ×")
        expect(main(page).get_by_text(re.compile(r"This grid needs"))).to_have_count(0)
        expect(main(page).get_by_role("button", name="Start search")).to_be_enabled()
        assert_clean(page)

    def test_06_compare_defaults_to_one_dataset_and_metric(self, page: Page) -> None:
        ensure_open(page)
        go(page, "Compare", "compare", "Compare")
        picked = main(page).get_by_test_id("stMultiSelect")
        expect(picked).to_contain_text(f"#{STATE['a']}")
        expect(picked).to_contain_text(f"#{STATE['b']}")
        expect(picked).not_to_contain_text(f"#{STATE['c']}")
        expect(main(page).get_by_text("another metric")).to_have_count(0)
        assert_clean(page)


PAGES = [
    ("Data", "", "data"),
    ("Search", "search", "search"),
    ("Results", "results", "results"),
    ("Compare", "compare", "compare"),
    ("Fine-tune", "finetune", "finetune"),
    ("Regularization", "learn_regularization", "regularization"),
    ("Overfitting lab", "learn_overfitting", "overfitting"),
    ("Fine-tuning and forgetting", "learn_finetuning", "learn_finetuning"),
]


@pytest.mark.parametrize("size", ["1280x800", "800x900"])
def test_07_every_page_screenshot(page: Page, shot, size: str) -> None:
    page.set_viewport_size(VIEWPORT if size == "1280x800" else NARROW)
    try:
        for link, path, name in PAGES:
            # a URL per page (each a fresh session), with the study that has pruned trials selected
            page.goto(f"/{path}?study={STATE['b']}")
            expect(title(page, "Data" if path == "" else link)).to_be_visible(timeout=FIRST_LOAD_MS)
            if path.startswith("learn") or path == "finetune":
                settle_lesson(page)
            if path == "search":  # the form too, not only the study on screen
                main(page).get_by_test_id("stExpander").filter(has_text="New search").locator("summary").first.click()
            settled(page)
            assert_clean(page)
            shot(page, f"fh_{size}_{name}", full_page=False)
            shot(page, f"fh_{size}_{name}_full")
        page.goto(f"/learn_regularization?study={STATE['b']}")
        expect(title(page, "Regularization")).to_be_visible(timeout=FIRST_LOAD_MS)
        settled(page)
        main(page).get_by_text("Sparsity (digits)", exact=True).click()
        expect(main(page).get_by_role("heading", level=3, name="Sparsity (digits)")).to_be_visible(timeout=RUN_MS)
        page.wait_for_timeout(1500)  # the view waits up to 1 s for its job before drawing a progress bar
        wait_idle(page)
        settle_lesson(page, timeout=90_000)
        settled(page)
        assert_clean(page)
        shot(page, f"fh_{size}_sparsity_full")
        main(page).get_by_text("XGBoost knobs", exact=True).click()
        expect(main(page).get_by_role("heading", level=3, name="XGBoost knobs")).to_be_visible(timeout=RUN_MS)
        page.wait_for_timeout(1500)
        wait_idle(page)
        settle_lesson(page, timeout=180_000)
        settled(page)
        assert_clean(page)
        shot(page, f"fh_{size}_knobs_full")
    finally:
        page.set_viewport_size(VIEWPORT)


def test_08_pruned_trials_on_results(page: Page) -> None:
    page.goto(f"/results?study={STATE['b']}")
    expect(title(page, "Results")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page)
    expect(metric_value(page, "Pruned / failed")).to_have_text("3 / 0")
    expect(main(page).get_by_text(re.compile(r"Show pruned trials \(3 cut early\)"))).to_be_visible()
    expect(main(page).locator(".js-plotly-plot").filter(has_text="pruned (cut early)")).to_be_visible()
    assert_clean(page)


def test_09_hostile_file_name_renders_as_typed(page: Page, tmp_path) -> None:
    """Markdown injection (issue 8 item 11): a file name with a link, emphasis, a colour directive and an emoji
    shortcode is shown exactly as typed, with no link in the page."""
    name = ":smile: [x](http://evil.example) **b** :red[r] $m$.csv"
    path = tmp_path / "hostile.csv"
    path.write_text("a,b,[t](http://evil.example)\n" + "\n".join(f"{i % 5},{i % 3},{i % 2}" for i in range(60)))
    page.set_viewport_size(VIEWPORT)
    page.goto("/")
    expect(title(page, "Data")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page, FIRST_LOAD_MS)
    main(page).get_by_role("radio", name="Upload a file", exact=True).check(force=True)
    wait_idle(page)
    main(page).get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": path.read_bytes()}
    )
    heading = main(page).get_by_role("heading", level=3).filter(has_text="evil.example").first
    expect(heading).to_be_visible(timeout=RUN_MS)
    assert heading.inner_text().replace("\u2060", "") == name  # invisible word joiners keep URLs unlinked
    links = main(page).locator('a[href*="evil.example"]')
    page.wait_for_timeout(1000)
    assert links.count() == 0, [links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())]
    expect(main(page).get_by_text(re.compile(r"Ready: predict \[t\]\(http://\u2060?evil\.example\)"))).to_be_visible()
    assert_clean(page)
