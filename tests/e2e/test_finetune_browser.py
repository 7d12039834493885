"""Browser walk of fine-tuning: upload an XGBoost model, run the arms, see the charts; then the lesson.

Ordered steps sharing one page (see ``conftest.py``). Screenshots: ``artifacts/screenshots/ft_*.png``.
Run: ``pytest tests/e2e/test_finetune_browser.py -m browser``.
"""

from __future__ import annotations

import json
import pickle
import re

import pandas as pd
import pytest
import xgboost as xgb
from playwright.sync_api import Page, expect

from .conftest import ROOT
from .test_browser import (
    FIRST_LOAD_MS,
    RUN_MS,
    assert_clean,
    go,
    main,
    pick_radio,
    set_number,
    wait_idle,
    wait_plotly_count,
)

pytestmark = pytest.mark.browser

ARMS_MS = 120_000  # every arm on the drift sample, on a loaded 2-core machine


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> str:
    before = pd.read_csv(ROOT / "sample_data" / "drift_before.csv")
    b = xgb.train(
        {"objective": "binary:logistic", "eta": 0.1, "max_depth": 4, "nthread": 1},
        xgb.DMatrix(before.drop(columns="label"), label=before["label"]),
        100,
    )
    path = tmp_path_factory.mktemp("model") / "drift_base.json"
    b.save_model(str(path))
    return str(path)


class TestFinetuneWalk:
    def test_upload_a_model(self, page: Page, shot, model_file):
        page.goto("/")
        expect(main(page).get_by_role("heading", level=1).first).to_be_visible(timeout=FIRST_LOAD_MS)
        go(page, "Fine-tune", "finetune", "Fine-tune")
        pick_radio(page, "Base model", "An XGBoost model file (.json / .ubj)")
        uploader = main(page).get_by_test_id("stFileUploader").first
        pickled = {"name": "model.json", "mimeType": "application/json", "buffer": pickle.dumps({"not": "a model"})}
        uploader.locator('input[type="file"]').set_input_files(pickled)
        expect(main(page).get_by_text(re.compile("not a model XGBoost can read"))).to_be_visible(timeout=RUN_MS)
        assert_clean(page)
        shot(page, "ft_00_bad_file", full_page=False)
        # the file that crashed the server (SIGSEGV in get_dump): a child pointing back at its parent
        doc = json.loads(open(model_file).read())
        t = doc["learner"]["gradient_booster"]["model"]["trees"][0]
        first = next(i for i, c in enumerate(t["left_children"]) if c != -1)
        t["left_children"][t["left_children"][first]] = first
        t["right_children"][t["left_children"][first]] = first
        cyclic = {"name": "cycle.json", "mimeType": "application/json", "buffer": json.dumps(doc).encode()}
        uploader.locator('input[type="file"]').set_input_files(cyclic)
        expect(main(page).get_by_text(re.compile("points to node|reached twice|one child"))).to_be_visible(
            timeout=RUN_MS
        )
        assert_clean(page)
        shot(page, "ft_00b_hostile_file", full_page=False)
        uploader.locator('input[type="file"]').set_input_files(model_file)  # the server is still up
        expect(main(page).get_by_text("drift_base.json · classification")).to_be_visible(timeout=RUN_MS)
        assert_clean(page)

    def test_run_the_arms(self, page: Page, shot):
        main(page).get_by_test_id("stExpander").filter(has_text="Settings").locator("summary").first.click()
        lr = main(page).get_by_label("The file's learning rate (not recorded in it)", exact=True)
        lr.fill("0.1")
        lr.press("Enter")
        expect(lr).to_have_value("0.10")
        wait_idle(page)
        set_number(page, "Most rounds an arm may add", 120)
        main(page).get_by_role("button", name="Run the arms").click()
        expect(main(page).get_by_text(re.compile("of the gap to retraining"))).to_be_visible(timeout=ARMS_MS)
        wait_idle(page, ARMS_MS)
        assert wait_plotly_count(page, 2) >= 2
        expect(main(page).locator(".js-plotly-plot").filter(has_text="Learning the new data")).to_be_visible()
        expect(main(page).locator(".js-plotly-plot").filter(has_text="The arms compared")).to_be_visible()
        expect(main(page).get_by_role("button", name="Model (XGBoost JSON)")).to_be_visible()
        assert_clean(page)
        shot(page, "ft_01_arms")

    def test_the_lesson(self, page: Page, shot):
        go(page, "Fine-tuning and forgetting", "learn_finetuning", "Fine-tuning and forgetting")
        expect(main(page).locator(".js-plotly-plot").filter(has_text="Learning against forgetting")).to_be_visible(
            timeout=ARMS_MS
        )
        assert wait_plotly_count(page, 3) >= 3
        assert_clean(page)
        shot(page, "ft_02_lesson")
        assert not page.console_errors  # type: ignore[attr-defined]
