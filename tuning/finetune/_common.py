"""Constants and the arm kinds every part of fine-tuning shares."""

from __future__ import annotations

import math
from enum import Enum

from tuning.evaluate import (
    CLASSIFICATION_BINARY,
    CLASSIFICATION_MULTI,
    REGRESSION,
)

MODEL_KIND = "model"  # the artifacts' kind for a refit model kept with its preprocessing
MODEL_FORMAT = "xgboost-json"
MAX_CURVE_POINTS = 60
SUPPORTED_METRICS = tuple(dict.fromkeys(CLASSIFICATION_BINARY + CLASSIFICATION_MULTI + REGRESSION))
_MODEL_SUFFIXES = (".json", ".ubj")

# What "continue" means for the scikit-learn families that can warm-start; the others retrain only. The linear
# models' warm_start (logistic regression, lasso, elastic net) only seeds the solver, which then converges to
# the new data's optimum: a faster retrain, not a continuation, so they are offered retrain.
SKLEARN_CONTINUE = {
    "random_forest": "Adds trees fitted on the new rows only (warm_start); the old trees stay as they were. "
    "scikit-learn's warm start means 'the same data, more capacity': here the extra capacity sees new data.",
    "mlp": "More epochs on the new rows (partial_fit), starting from the learned weights. scikit-learn's warm "
    "start means 'the same data, more training': on new data it slowly moves the weights, and forgets.",
}


class ArmKind(str, Enum):
    """The ways to adapt a model, plus the base model as it is."""

    BASE = "base"
    CONTINUE = "continue"
    REFRESH = "refresh"
    STACK = "stack"
    RETRAIN_NEW = "retrain_new"
    RETRAIN_ALL = "retrain_all"
    TUNED = "continue_tuned"


ARM_HELP = {
    ArmKind.BASE: "The base model as it is, untouched.",
    ArmKind.CONTINUE: "Adds trees on the new data (xgb_model=), early stopping on rows carved from the adaptation part.",
    ArmKind.REFRESH: "Keeps every split, recomputes the leaf values on the new data (updater=refresh): one pass "
    "per tree and no split search, but it cannot add a split the base model never made.",
    ArmKind.STACK: "New trees fitted on the base model's margin (base_margin): base + correction.",
    ArmKind.RETRAIN_NEW: "A new model from scratch on the new data only, with the base model's parameters.",
    ArmKind.RETRAIN_ALL: "A new model from scratch on the old and the new data together.",
    ArmKind.TUNED: "Continue, with its learning rate and rounds chosen by a short TPE search.",
}


# ----------------------------------------------------------------------------------------------
# The base model


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 6)
