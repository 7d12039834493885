"""Fine-tuning's one entry: check the settings and tables, split the rows, run the base model's arm engine
(:class:`~tuning.finetune.booster_arms.BoosterArms` or :class:`~tuning.finetune.estimator_arms.EstimatorArms`)
and give the comparison with its verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from tuning.errors import ConfigError, DataError
from tuning.evaluate import (
    early_stopping_split,
    holdout_split,
)
from tuning.finetune._common import ArmKind, Steps
from tuning.finetune.base import BaseModel
from tuning.finetune.booster_arms import BoosterArms
from tuning.finetune.estimator_arms import EstimatorArms
from tuning.finetune.parts import ArmEngine, Comparison, Parts, fit_clock
from tuning.finetune.report import verdict
from tuning.finetune.results import FinetuneResult, FinetuneSettings, SplitInfo
from tuning.finetune.table import check_table, resolve_metric

__all__ = ["engine_for", "finetune", "fit_clock", "planned_steps"]


def engine_for(base: BaseModel) -> ArmEngine:
    """The arm engine for this base model: a native booster's, or a scikit-learn pipeline's."""
    return BoosterArms() if base.is_xgboost else EstimatorArms()


def planned_steps(base: BaseModel, settings: FinetuneSettings, *, has_old: bool) -> int:
    """How many steps (progress messages) :func:`finetune` will announce: a progress bar's total."""
    arms = settings.arms or base.arms()
    n = engine_for(base).steps(base, settings, arms)
    return n + int(ArmKind.RETRAIN_ALL in arms and has_old)


def _stratifiable(task: str, y: np.ndarray) -> bool:
    """Stratify a classification split when every class has a few rows (3: held-out, early-stop, fit)."""
    if task != "classification":
        return False
    counts = np.bincount(y)
    return bool(counts[counts > 0].min() >= 3)


def _held_out(task: str, y: np.ndarray, settings: FinetuneSettings) -> tuple[np.ndarray, np.ndarray]:
    """(rows to adapt on, held-out rows) of one table, stratified where its classes allow."""
    split_task = task if _stratifiable(task, y) else "regression"
    return holdout_split(len(y), y, task=split_task, test_size=settings.holdout, seed=settings.seed)


def finetune(
    base: BaseModel,
    new: pd.DataFrame,
    *,
    target: str,
    old: pd.DataFrame | None = None,
    settings: FinetuneSettings | None = None,
    progress: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> FinetuneResult:
    """Run every requested arm on ``new`` (and score forgetting on ``old``); raises DataError/ConfigError.

    ``progress`` hears each step (:func:`planned_steps` counts them); ``stop()`` true ends the run with
    :class:`Stopped` at the next step or boosting round."""
    settings = settings or FinetuneSettings()
    say = Steps(progress, stop)
    if settings.base_learning_rate is not None:
        if not 0 < settings.base_learning_rate <= 1:
            raise ConfigError(f"The base learning rate must be in (0, 1], got {settings.base_learning_rate}.")
        base = replace(base, params={**base.params, "eta": float(settings.base_learning_rate)}, params_known=True)
    if not 0.05 <= settings.holdout <= 0.8:
        raise ConfigError(f"The held-out fraction must be between 0.05 and 0.8, got {settings.holdout}.")
    if settings.max_rounds < 1 or settings.patience < 1:
        raise ConfigError("Rounds and early-stopping patience must be at least 1.")
    if any(not (0 < r <= 1) for r in settings.rates(base.learning_rate)):
        raise ConfigError("Learning rates must be in (0, 1].", fix="Use e.g. 0.01, 0.03, 0.1.")
    if settings.tpe_trials < 0 or settings.tpe_trials > 200:
        raise ConfigError("The TPE search takes between 0 and 200 trials.")
    metric = resolve_metric(base, settings.metric)
    new_t = check_table(base, new, target, role="new")
    old_t = check_table(base, old, target, role="old") if old is not None else None
    arms = settings.arms or base.arms()
    unknown = [a for a in arms if a not in base.arms()]
    if unknown:
        raise ConfigError(
            f"A {base.family} model cannot take the arm(s) {', '.join(a.value for a in unknown)}.",
            fix=f"Choose among {', '.join(a.value for a in base.arms())}.",
        )
    n_min = 20
    if len(new_t.y) < n_min:
        raise DataError(f"The new data has only {len(new_t.y)} rows with a target.", fix=f"Give at least {n_min}.")
    strat_ok = _stratifiable(base.task, new_t.y)
    adapt_idx, hold_idx = _held_out(base.task, new_t.y, settings)
    fit_rel, es_rel = early_stopping_split(
        new_t.y[adapt_idx], task=base.task if strat_ok else "regression", seed=settings.seed
    )
    fit_idx, es_idx = adapt_idx[fit_rel], adapt_idx[es_rel]
    old_train_idx, old_hold_idx = _held_out(base.task, old_t.y, settings) if old_t is not None else (None, None)
    split = SplitInfo(
        seed=settings.seed,
        holdout=settings.holdout,
        stratified=strat_ok,
        n_adapt=len(fit_idx),
        n_early_stop=len(es_idx),
        n_new_holdout=len(hold_idx),
        n_old_train=0 if old_train_idx is None else len(old_train_idx),
        n_old_holdout=0 if old_hold_idx is None else len(old_hold_idx),
    )
    parts = Parts(fit_idx, es_idx, hold_idx, old_train_idx, old_hold_idx)
    engine = engine_for(base)
    results, models = engine.run(Comparison(base, new_t, old_t, parts, arms, metric, settings, say))
    stack = next((a for a in results if a.kind == ArmKind.STACK), None)
    notes = engine.notes(base)
    if base.study_id is not None and old_t is not None:
        notes.append(
            "The base model was refit on all its study's training rows: if the old data is that table, the base "
            "model's old-data score is partly a training score."
        )
    return FinetuneResult(
        base_source=base.source,
        family=base.family,
        task=base.task,
        metric=metric,
        split=split,
        arms=tuple(results),
        verdict=verdict(results, metric),
        models=models,
        base_margin_label=stack.label if stack else None,
        notes=tuple(notes),
        time_kind=engine.time_kind(settings),
    )
