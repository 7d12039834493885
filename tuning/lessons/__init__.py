"""The computations behind the Learn pages: regularization and overfitting made measurable.

Pure computation (never imports streamlit): each function returns a frozen dataclass of plain
numpy/pandas data that a chart draws. CV scores come from :func:`tuning.evaluate.evaluate`, so the
lessons use the same folds, preprocessing and scorers as a tuning study. Slow functions take an
optional ``progress(done, total)`` callback so a page can run them in the background.

Note: the modules ``validation_curve``, ``learning_curve`` and ``bias_variance`` share their
names with the functions re-exported here, so ``tuning.lessons.validation_curve`` is the function;
import dataclasses with ``from tuning.lessons.validation_curve import ValidationCurve``.
"""

from __future__ import annotations

from tuning.lessons._common import dummy_score, make_context
from tuning.lessons.bias_variance import BiasVariance, bias_variance
from tuning.lessons.boosting import BoostingRounds, BoostingRun, boosting_rounds, early_stop
from tuning.lessons.boundary import POLY_RIDGE, DecisionBoundary, Fit1D, decision_boundary, fit_1d, make_1d_model
from tuning.lessons.learning_curve import LearningCurve, learning_curve, verdict
from tuning.lessons.regularization import (
    DEFAULT_KNOBS,
    Attributions,
    KnobCurve,
    LinearPaths,
    Sparsity,
    XGBoostKnobs,
    linear_paths,
    sparsity,
    tree_size,
    xgboost_attributions,
    xgboost_knobs,
)
from tuning.lessons.synthetic import (
    DATASETS_2D,
    Dataset2D,
    Sine1D,
    circles,
    make_2d,
    moons,
    noisy_sine,
    spiral,
    truth,
    xor,
)
from tuning.lessons.validation_curve import ValidationCurve, classify_regimes, validation_curve
from tuning.lessons.validation_overfit import ValidationOverfit, validation_overfitting

__all__ = [
    "DATASETS_2D",
    "DEFAULT_KNOBS",
    "POLY_RIDGE",
    "Attributions",
    "BiasVariance",
    "BoostingRounds",
    "BoostingRun",
    "Dataset2D",
    "DecisionBoundary",
    "Fit1D",
    "KnobCurve",
    "LearningCurve",
    "LinearPaths",
    "Sine1D",
    "Sparsity",
    "ValidationCurve",
    "ValidationOverfit",
    "XGBoostKnobs",
    "bias_variance",
    "boosting_rounds",
    "circles",
    "classify_regimes",
    "decision_boundary",
    "dummy_score",
    "early_stop",
    "fit_1d",
    "learning_curve",
    "linear_paths",
    "make_1d_model",
    "make_2d",
    "make_context",
    "moons",
    "noisy_sine",
    "sparsity",
    "spiral",
    "tree_size",
    "truth",
    "validation_curve",
    "validation_overfitting",
    "verdict",
    "xgboost_attributions",
    "xgboost_knobs",
    "xor",
]
