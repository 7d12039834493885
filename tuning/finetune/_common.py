"""Constants and the arm kinds every part of fine-tuning shares."""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum
from typing import Any

from tuning.errors import TuningError
from tuning.evaluate import (
    CLASSIFICATION_BINARY,
    CLASSIFICATION_MULTI,
    REGRESSION,
)

MODEL_KIND = "model"  # the artifacts' kind for a refit model kept with its preprocessing
MODEL_FORMAT = "xgboost-json"
MAX_CURVE_POINTS = 60
#: Rows of the new (and of the old) table a fine-tune takes: past this, sample it. A comparison needs a few
#: thousand rows; 20k rows already take about 16 s before any TPE trial on two cores.
MAX_ROWS = 200_000
RESULT_KIND = "finetune_result"  # the artifacts' kind for a comparison's result (JSON, no models)
SUPPORTED_METRICS = tuple(dict.fromkeys(CLASSIFICATION_BINARY + CLASSIFICATION_MULTI + REGRESSION))
_MODEL_SUFFIXES = (".json", ".ubj")


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


class Stopped(TuningError):
    """A fine-tune was asked to stop (Stop on the page): nothing of it is kept."""


class Steps:
    """The progress of a fine-tune (one step per arm, learning rate and TPE trial) and its Stop: ``progress``
    hears each step's name as it starts; once ``stop()`` is true the run ends at the next step or boosting
    round with :class:`Stopped`."""

    def __init__(self, progress: Callable[[str], None] | None = None, stop: Callable[[], bool] | None = None) -> None:
        self._progress = progress or (lambda _msg: None)
        self._stop = stop or (lambda: False)

    def __call__(self, message: str) -> None:
        self.check()
        self._progress(message)

    def check(self) -> None:
        if self._stop():
            raise Stopped("The fine-tune was stopped; nothing of it is kept.", fix="Run the arms again.")

    def xgb_callback(self) -> Any:
        """An XGBoost callback that ends boosting at the next round once Stop is asked."""
        import xgboost as xgb

        stop = self._stop

        class _Stop(xgb.callback.TrainingCallback):
            def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                return bool(stop())

        return _Stop()
