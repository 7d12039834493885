"""What both kinds of arm share: the row parts of a comparison, the clock fits are timed with, and the
interface an arm engine (:mod:`booster_arms` for XGBoost boosters, :mod:`estimator_arms` for scikit-learn
pipelines) offers :func:`tuning.finetune.arms.finetune`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from tuning.finetune._common import ArmKind, Steps
    from tuning.finetune.base import BaseModel
    from tuning.finetune.results import ArmResult, FinetuneSettings
    from tuning.finetune.table import Table


@dataclass(frozen=True)
class Parts:
    """Row positions of each part: new rows to fit on, to watch early stopping on, held out; old rows."""

    fit: np.ndarray
    es: np.ndarray
    hold: np.ndarray
    old_train: np.ndarray | None = None
    old_hold: np.ndarray | None = None

    @property
    def adapt(self) -> np.ndarray:
        return np.sort(np.concatenate([self.fit, self.es]))


def threads(settings: FinetuneSettings) -> int:
    """The threads a fit may use (0: all cores)."""
    return settings.n_jobs if settings.n_jobs > 0 else max(1, os.cpu_count() or 1)


def fit_clock(settings: FinetuneSettings) -> Callable[[], float]:
    """What fit times are measured with. One XGBoost thread runs in the calling thread, so its CPU time is the
    fit's cost whatever else the machine runs (on a shared machine, wall time swings tenfold); with more
    threads, wall time."""
    return time.thread_time if threads(settings) == 1 else time.perf_counter


@dataclass(frozen=True)
class Comparison:
    """One fine-tune run as an arm engine takes it: the base model, the checked tables, the row parts, the
    arms asked for, the metric, the settings and the step reporter."""

    base: BaseModel
    new: Table
    old: Table | None
    parts: Parts
    arms: Sequence[ArmKind]
    metric: str
    settings: FinetuneSettings
    say: Steps

    @property
    def has_old(self) -> bool:
        return self.old is not None and self.parts.old_hold is not None


class ArmEngine(Protocol):
    """How one kind of model is adapted: the steps it announces, the arms it runs, what it notes."""

    def steps(self, base: BaseModel, settings: FinetuneSettings, arms: Sequence[ArmKind]) -> int:
        """Progress steps for ``arms`` (retrain on old + new aside: :func:`planned_steps` adds it)."""
        ...

    def run(self, job: Comparison) -> tuple[list[ArmResult], dict[str, bytes]]:
        """Each requested arm scored on the held-out new (and old) rows, and the kept models' bytes."""
        ...

    def notes(self, base: BaseModel) -> list[str]:
        """What the reader must know about this base model's arms."""
        ...

    def time_kind(self, settings: FinetuneSettings) -> str:
        """ "cpu" when fit times are the fitting thread's CPU time, "wall" otherwise."""
        ...
