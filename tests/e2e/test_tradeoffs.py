"""Browser walk through the trade-off view, importance three ways, Optuna export + upload, Compare, paging.

The store is filled before the server starts (``tuning.demo.fill_study``: synthetic XGBoost-like trials
with fit times, model sizes and DART's conditional ``rate_drop``), so the walk needs no search to run.
Screenshots: ``artifacts/screenshots/2x_*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import serve
from .test_browser import FIRST_LOAD_MS, RUN_MS, assert_clean, go, main, plotly_chart, wait_idle

pytestmark = pytest.mark.browser

BIG = 5000  # above the paging threshold; the 100,000-trial case is measured by benchmarks/bench_results_page.py


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's server: a store with two small studies and one large one, filled before it starts."""
    from tuning.demo import fill_study
    from tuning.store import Store

    tmp = tmp_path_factory.mktemp("e2e_tradeoffs")
    db = tmp / "e2e.db"
    store = Store(db)
    fill_study(store, 150, seed=1, name="xgb search A", curves=True)
    fill_study(store, 150, seed=2, name="xgb search B")
    fill_study(store, BIG, seed=3, name="large")
    with serve(db, tmp) as base:
        yield base


def open_results(page: Page, study: int) -> None:
    """Open the Results page on one study through its deep link (``/results?study=N``)."""
    page.goto(f"/results?study={study}")
    expect(main(page).get_by_role("heading", level=1).first).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page, FIRST_LOAD_MS)
    expect(main(page).get_by_role("heading", name=re.compile(rf"Study {study}:"))).to_be_visible(timeout=RUN_MS)
    assert_clean(page)


def section(page: Page):
    return main(page).get_by_role("heading", name="Trade-offs and importance")


class TestTradeoffWalk:
    def test_21_tradeoff_chart_front_and_one_se_pick(self, page: Page, shot) -> None:
        open_results(page, 1)
        section(page).scroll_into_view_if_needed()
        for t in ("Score against fit time", "Score against model size"):
            chart = plotly_chart(page, t)
            expect(chart).to_be_visible(timeout=RUN_MS)
            expect(chart).to_contain_text("Pareto front")
            expect(chart).to_contain_text("simplest within 1 SE")
        sentence = main(page).get_by_text(re.compile(r"The simplest trial within one standard error|also the simplest"))
        expect(sentence).to_be_visible()
        expect(main(page).get_by_text(re.compile(r"Pareto front by model size \(\d+ trials"))).to_be_visible()
        plotly_chart(page, "Score against fit time").scroll_into_view_if_needed()
        shot(page, "21_tradeoff_view", full_page=False)
        sentence.scroll_into_view_if_needed()
        shot(page, "21_tradeoff_sentence_and_front", full_page=False)

    def test_22_importance_three_ways(self, page: Page, shot) -> None:
        main(page).get_by_role("tab", name="Importance, three ways").click()
        radio = main(page).get_by_role("radiogroup", name="Importance method")
        for option, words in (
            ("Random forest", "in which direction"),
            ("PED-ANOVA (Optuna's default)", "best trials from the rest"),
            ("fANOVA", "variance"),
        ):
            radio.get_by_test_id("stRadioOption").filter(has_text=option).click()
            wait_idle(page)
            expect(main(page).get_by_text(re.compile(words)).first).to_be_visible(timeout=RUN_MS)
            chart = plotly_chart(page, "Parameter importance")
            expect(chart.first).to_contain_text("learning_rate", timeout=RUN_MS)
            assert_clean(page)
        expect(main(page).get_by_text(re.compile(r"rate_drop are left out"))).to_be_visible()
        radio.scroll_into_view_if_needed()
        shot(page, "22_importance_fanova", full_page=False)

    def test_23_export_to_optuna_then_upload_it(self, page: Page, shot, tmp_path) -> None:
        main(page).get_by_role("button", name="Export to Optuna").click()
        wait_idle(page, FIRST_LOAD_MS)
        dl_button = main(page).get_by_role("button", name="Download study_1_optuna.db")
        expect(dl_button).to_be_visible(timeout=RUN_MS)
        expect(main(page).get_by_role("button", name="Export to MLflow")).to_be_visible()
        expect(main(page).get_by_role("button", name="W&B sweep (YAML)")).to_be_visible()
        dl_button.scroll_into_view_if_needed()
        shot(page, "23_export_buttons", full_page=False)
        with page.expect_download() as d:
            dl_button.click()
        path = tmp_path / "study_1_optuna.db"
        d.value.save_as(path)
        assert path.read_bytes()[:15] == b"SQLite format 3"
        main(page).get_by_text("Import an Optuna study").click()
        main(page).locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        wait_idle(page, RUN_MS)
        main(page).get_by_role("button", name="Import", exact=True).click()
        wait_idle(page, FIRST_LOAD_MS)
        expect(main(page).get_by_text(re.compile(r"Imported as study 4"))).to_be_visible(timeout=RUN_MS)
        expect(main(page).get_by_role("heading", name=re.compile(r"Study 4: .*\(from Optuna\)"))).to_be_visible(
            timeout=RUN_MS
        )
        assert_clean(page)
        expect(plotly_chart(page, "Score against model size")).to_contain_text("Pareto front")
        shot(page, "23_imported_study", full_page=False)

    def test_24_compare_one_front_across_studies(self, page: Page, shot) -> None:
        go(page, "Compare", "compare", "Compare")  # by default the last three studies: 2, 3 and the imported 4
        heading = main(page).get_by_role("heading", name="Trade-offs across studies")
        expect(heading).to_be_visible(timeout=RUN_MS)
        chart = plotly_chart(page, "Score against model size")
        expect(chart).to_contain_text("Pareto front")
        expect(chart).to_contain_text("#2 xgb search B")
        assert_clean(page)
        heading.scroll_into_view_if_needed()
        shot(page, "24_compare_tradeoff", full_page=False)

    def test_25_large_study_pages_and_samples(self, page: Page, shot) -> None:
        go(page, "Results", "results", "Results")
        open_results(page, 3)
        expect(main(page).get_by_text(re.compile(r"trials match; showing 100"))).to_be_visible(timeout=RUN_MS)
        expect(main(page).get_by_label(re.compile(r"Page \(of \d+\)"))).to_be_visible()
        expect(plotly_chart(page, "Score against fit time")).to_contain_text("trials drawn", timeout=RUN_MS)
        main(page).get_by_text(re.compile(r"trials match")).scroll_into_view_if_needed()
        shot(page, "25_large_study_paged", full_page=False)
