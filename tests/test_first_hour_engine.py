"""Engine-side fixes from the first-hour walk (issue 9): messages, the diagnosis baseline, the digits grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tuning.analysis import diagnose
from tuning.data import check_folds
from tuning.errors import DataError, TuningError
from tuning.lessons.regularization import image_shape, pixel_grid, sparsity
from tuning.space import SearchSpace

from .conftest import SAMPLES

# -- item 6: the rare-class message -----------------------------------------------------------------------


def test_rare_class_message_never_says_use_at_most_1_folds():
    y = np.array([0] * 10 + [1])
    with pytest.raises(DataError) as e:
        check_folds(y, task="classification", cv=5, classes=("a", "b"))
    text = str(e.value)
    assert "Class 'b' has only 1 row" in text
    assert "at most 1" not in text and "--cv 1" not in text and "1 folds" not in text


def test_rare_class_message_names_flags_on_the_cli_and_controls_in_the_app():
    y = np.array([0] * 10 + [1] * 3)
    with pytest.raises(DataError) as e:
        check_folds(y, task="classification", cv=5, classes=("a", "b"))
    assert "--cv 3" in str(e.value)
    app = e.value.for_app()
    assert "--" not in app and '"CV folds"' in app and "3" in app


def test_a_numeric_target_with_many_values_suggests_regression():
    counts = [1] * 10 + [6] * 119  # 129 "classes", as an upload of a numeric score gave
    y = np.repeat(np.arange(129), counts)
    with pytest.raises(DataError) as e:
        check_folds(y, task="classification", cv=5, classes=tuple(str(50 + i) for i in range(129)))
    assert "10 of 129 classes" in str(e.value)
    assert "--task regression" in str(e.value)
    assert 'choose Task "regression"' in e.value.for_app() and "--" not in e.value.for_app()


def test_for_app_falls_back_to_the_fix_and_str_is_the_cli_line():
    err = TuningError("Bad.", fix="Use --x 2.", app_fix='Set "X" to 2.')
    assert str(err) == "Bad. Use --x 2." and err.for_app() == 'Bad. Set "X" to 2.'
    assert TuningError("Bad.", fix="Do this.").for_app() == "Bad. Do this."


# -- item 10: a "low" verdict quotes the baseline -----------------------------------------------------------


def _frame(train: float, test: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": [0, 1],
            "state": ["complete", "complete"],
            "param_C": [1.0, 2.0],
            "mean_test_score": [test, test - 0.1],
            "std_test_score": [0.001, 0.001],
            "mean_train_score": [train, train - 0.1],
            "error": [None, None],
        }
    )


def test_underfitting_verdict_quotes_the_baseline():
    space = SearchSpace.from_dict({"C": {"type": "float", "low": 0.01, "high": 100, "log": True}})
    findings = diagnose(
        _frame(0.755, 0.75),
        space,
        metric="accuracy",
        baseline=0.62,
        baseline_label="always predicting the most frequent class",
    )
    low = [f for f in findings if f.kind == "underfitting"]
    assert low and "always predicting the most frequent class scores 0.62" in low[0].message
    without = [f for f in diagnose(_frame(0.755, 0.75), space, metric="accuracy") if f.kind == "underfitting"]
    assert without and "For reference" not in without[0].message


def test_study_baseline_is_the_majority_class_accuracy(store, add_sample):
    from tuning.baseline import study_baseline
    from tuning.config import StudyConfig

    ds = add_sample("breast_cancer.csv")
    cfg = StudyConfig(
        dataset_id=ds, target="diagnosis", model="decision_tree", task="classification", cv=3, metric="accuracy"
    )
    base = study_baseline(store, cfg)
    assert base == pytest.approx(357 / 569, abs=0.01)  # 357 benign of 569


# -- item 3: the digits keep their 8x8 layout --------------------------------------------------------------


def test_pixel_grid_puts_dropped_constant_pixels_back_as_zero_weights():
    names = [f"pixel_{r}_{c}" for r in range(3) for c in range(3) if (r, c) != (0, 0)]
    grid = pixel_grid(names)
    assert grid is not None and grid.shape == (3, 3) and grid.names[0] == "pixel_0_0"
    coefs = np.arange(1, 9, dtype=float).reshape(1, 1, 8)
    full = grid.expand(coefs)
    assert full.shape == (1, 1, 9) and full[0, 0, 0] == 0.0 and list(full[0, 0, 1:]) == list(range(1, 9))
    assert image_shape(grid.names) == (3, 3)
    assert pixel_grid([f"pixel_{r}_{c}" for r in range(2) for c in range(2)]) is None  # already whole
    assert pixel_grid(["a", "pixel_0_1"]) is None


def test_sparsity_on_profiled_digits_is_an_8x8_image():
    from tuning.data import parse_table, prepare_xy
    from tuning.profile import profile_table

    df = parse_table((SAMPLES / "digits.csv").read_bytes(), name="digits.csv")
    prepared = prepare_xy(df, profile_table(df, target="digit"))
    assert prepared.X.shape[1] < 64  # the profile drops constant pixels
    res = sparsity(prepared.X.iloc[:200], prepared.y[:200], task="classification", strengths=(1.0,))
    assert res.image_shape == (8, 8)
    assert res.l1_coefs.shape[-1] == 64 and len(res.feature_names) == 64
    assert res.l1_coefs[..., 0].tolist() == [[0.0] * res.l1_coefs.shape[1]]  # pixel_0_0 is constant: zero
