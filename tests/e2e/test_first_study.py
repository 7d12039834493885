"""The first-study walk of issue 19 in a browser, at 1280 and at 800 px wide: the bundled real table (6,000
hotel bookings), a 20-trial TPE study with early cut, Results with held-out rows and something in every
section, and the next study planned from it. Screenshots: ``artifacts/screenshots/fs_<size>_*.png``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .test_browser import (
    FIRST_LOAD_MS,
    RUN_MS,
    STUDY_MS,
    assert_clean,
    go,
    main,
    metric_value,
    open_new_search,
    plotly_chart,
    set_number,
    start_search,
    study_heading,
    title,
    wait_idle,
)

pytestmark = pytest.mark.browser

SIZES = {"1280x800": {"width": 1280, "height": 800}, "800x900": {"width": 800, "height": 900}}


def choose(page: Page, box_label: str, option: re.Pattern | str) -> None:
    """Pick an option of a selectbox, again if a click landed during a rerun and opened nothing."""
    box = main(page).get_by_test_id("stSelectbox").filter(has_text=box_label).first
    name = option if isinstance(option, re.Pattern) else re.compile(rf"^{re.escape(option)}")
    for _ in range(3):
        box.click()
        try:
            page.get_by_role("option", name=name).first.click(timeout=10_000)
            break
        except PlaywrightTimeout:
            wait_idle(page)
    wait_idle(page)


@pytest.mark.parametrize("size", list(SIZES))
def test_first_study_walk(page: Page, shot, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    page.goto("/")
    expect(title(page, "Data")).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page, FIRST_LOAD_MS)
    main(page).get_by_role("radio", name="Bundled sample", exact=True).check(force=True)
    wait_idle(page)
    choose(page, "Sample", re.compile(r"^Hotel room rates"))
    main(page).get_by_role("button", name="Use this sample").click()
    expect(metric_value(page, "Rows × columns")).to_have_text("6,000 × 20", timeout=RUN_MS)
    expect(main(page).get_by_text(re.compile(r"Ready: predict avg_price_per_room \(regression\)"))).to_be_visible()
    assert_clean(page)
    shot(page, f"fs_{size}_data")

    go(page, "Search", "search", "Search")
    open_new_search(page)
    set_number(page, "Trials", 20, key="search_trials_tpe")
    set_number(page, "CV folds", 3)
    choose(page, "Early cut", "ASHA")
    expect(main(page).get_by_text(re.compile(r"Early cut: at least 8 of the 20 trials"))).to_be_visible(timeout=RUN_MS)
    shot(page, f"fs_{size}_search")
    before = re.search(r"[?&]study=(\d+)", page.url)
    study_id = start_search(page, previous=int(before.group(1)) if before else None)
    expect(study_heading(page, study_id)).to_contain_text("complete", timeout=STUDY_MS)
    complete = int(metric_value(page, "Complete").inner_text())
    assert complete >= 8, complete
    wait_idle(page)  # the panel's last run redraws the whole page; until it ends the running chart stands beside
    expect(plotly_chart(page, "Optimization history")).to_have_count(1, timeout=RUN_MS)
    expect(plotly_chart(page, "Optimization history")).to_be_visible(timeout=RUN_MS)
    assert_clean(page)
    shot(page, f"fs_{size}_live")

    go(page, "Results", "results", "Results")
    expect(main(page).get_by_role("heading", level=3).filter(has_text=f"Study {study_id}:")).to_be_visible()
    expect(metric_value(page, "Held-out test")).not_to_have_text("-", timeout=RUN_MS)
    expect(plotly_chart(page, "Optimization history")).to_be_visible(timeout=RUN_MS)
    expect(main(page).get_by_text("Importance needs at least")).to_have_count(0)
    main(page).get_by_text("Plan the next study from this one").click()
    wait_idle(page)
    main(page).get_by_role("radiogroup", name="Mode").get_by_text("Refine", exact=True).click()
    wait_idle(page)
    expect(main(page).get_by_text("The space, before and after")).to_be_visible(timeout=RUN_MS)
    expect(main(page).get_by_role("button", name="Start the next study")).to_be_enabled()
    assert_clean(page)
    shot(page, f"fs_{size}_results")
