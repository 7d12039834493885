"""The frozen, JSON-able description of a study: with its dataset id, all that a resume needs."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from tuning.data import DatasetProfile
from tuning.errors import ConfigError
from tuning.evaluate import check_metric, default_metric
from tuning.models import get_model
from tuning.space import SearchSpace
from tuning.strategies import STRATEGIES

DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class StudyConfig:
    dataset_id: str
    target: str
    model: str
    task: str | None = None
    strategy: str = "tpe"
    n_trials: int | None = 50
    timeout: float | None = None
    target_score: float | None = None
    patience: int | None = None
    cv: int = 5
    test_size: float = 0.0
    metric: str | None = None
    space: dict[str, Any] | None = None
    grid_points: int = 5
    workers: int = 1
    seed: int = 0
    device: str = "cpu"
    early_stopping_rounds: int | None = None
    record_curves: bool = True
    pruner: str = "none"  # "none" | "asha" | "hyperband": multi-fidelity early cutting (tuning/strategies/pruners.py)
    executor: str = "threads"  # "threads" | "processes" | "dask": where trials run (tuning/executors.py)
    scheduler: str | None = None  # a Dask scheduler address (tcp://HOST:8786); None starts a LocalCluster
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudyConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def search_space(self) -> SearchSpace:
        if self.space is None:
            return get_model(self.model).space()
        return SearchSpace.from_dict(self.space, grid_points=self.grid_points)

    def replace(self, **changes: Any) -> StudyConfig:
        return dataclasses.replace(self, **changes)


def resolve_config(config: StudyConfig, profile: DatasetProfile) -> StudyConfig:
    """Fill in task, metric and space from the data and the model; raise ConfigError on nonsense."""
    family = get_model(config.model)
    task = config.task or profile.task
    if task is None:
        raise ConfigError("The task is unknown.", fix="Choose classification or regression.")
    family.factory(task)  # raises when the family has no estimator for the task
    n_classes = len(profile.class_counts) if profile.class_counts else None
    metric = config.metric or default_metric(task, n_classes)
    check_metric(metric, task=task, n_classes=n_classes, model=config.model)
    if config.strategy not in STRATEGIES:
        raise ConfigError(f"Unknown strategy {config.strategy!r}.", fix=f"Choose one of {', '.join(STRATEGIES)}.")
    space_dict = config.space if config.space is not None else family.default_space
    space = SearchSpace.from_dict(space_dict, grid_points=config.grid_points)
    space.validate_against(family.allowed_params(task), model=family.label)
    if config.strategy == "grid":
        space.check_grid()  # refuse an oversized grid before the study exists
    if config.n_trials is not None and config.n_trials < 1:
        raise ConfigError(f"The number of trials must be at least 1, got {config.n_trials}.")
    if config.n_trials is None and config.timeout is None and config.strategy != "grid":
        raise ConfigError("A search needs a budget.", fix="Give a number of trials or a timeout.")
    if config.timeout is not None and not config.timeout > 0:
        raise ConfigError(f"The timeout must be positive, got {config.timeout}.")
    if config.patience is not None and config.patience < 1:
        raise ConfigError(f"Patience must be at least 1 trial, got {config.patience}.")
    if config.target_score is not None and not math.isfinite(config.target_score):
        raise ConfigError("The target score must be a finite number.")
    if config.cv < 2:
        raise ConfigError(
            f"Cross-validation needs at least 2 folds, got {config.cv}.",
            fix="Use --cv 2 or more.",
            app_fix='Set "CV folds" on the Search page to 2 or more.',
        )
    if not 0.0 <= config.test_size < 0.9:
        raise ConfigError(f"The held-out test size must be between 0 and 0.9, got {config.test_size}.")
    if config.workers < 1:
        raise ConfigError(f"Workers must be at least 1, got {config.workers}.")
    if config.device not in DEVICES:
        raise ConfigError(f"Unknown device {config.device!r}.", fix="Use cpu or cuda.")
    if config.device == "cuda" and not family.gpu:
        raise ConfigError(
            f"{family.label} runs on the CPU only.",
            fix="Use --device cpu, or the xgboost model for the GPU.",
            app_fix='Choose Device "cpu" on the Search page (the GPU needs the xgboost model).',
        )
    if config.early_stopping_rounds is not None and not family.early_stopping:
        raise ConfigError(f"{family.label} has no early stopping here.", fix="Remove early stopping or use xgboost.")
    if config.early_stopping_rounds is not None and config.early_stopping_rounds < 1:
        raise ConfigError("Early stopping needs at least 1 round of patience.")
    return config.replace(task=task, metric=metric, space=space.to_dict())
