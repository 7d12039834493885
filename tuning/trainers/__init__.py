"""How each model family fits a candidate: a default scikit-learn trainer and XGBoost's own."""

from __future__ import annotations

from tuning.trainers.base import FoldCache, Predictions, Scorer, Trainer, TrialStopped
from tuning.trainers.sklearn import SklearnTrainer
from tuning.trainers.xgboost import XGBoostTrainer

_TRAINERS: dict[str, Trainer] = {"xgboost": XGBoostTrainer()}
_DEFAULT = SklearnTrainer()


def trainer_for(model: str) -> Trainer:
    """The trainer of a model family (stateless: per-study state lives on the EvalContext)."""
    from tuning.models import get_model

    return _TRAINERS.get(get_model(model).trainer, _DEFAULT)


__all__ = ["FoldCache", "Predictions", "Scorer", "Trainer", "TrialStopped", "trainer_for"]
