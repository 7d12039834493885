"""What a study is: the request a page, the CLI or a script makes (``StudyConfig``), and the frozen
``ResolvedConfig`` that resolving it against the dataset's profile gives (task, metric, ``SearchSpace``,
strategy, pruner, executor and device as enums). Only the store turns a resolved config into JSON; a study
read back is parsed once (``ResolvedConfig.from_stored``), and old stores' dicts keep opening.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from tuning.errors import ConfigError
from tuning.metrics import check_metric, default_metric
from tuning.models import get_model
from tuning.profile import DatasetProfile
from tuning.protocol import DEFAULT_TRIAL_TIMEOUT
from tuning.space import SearchSpace
from tuning.strategies import STRATEGIES


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


class StrategyName(StrEnum):
    GRID = "grid"
    RANDOM = "random"
    TPE = "tpe"
    ANNEAL = "anneal"


class PrunerName(StrEnum):
    NONE = "none"
    ASHA = "asha"
    HYPERBAND = "hyperband"


class ExecutorName(StrEnum):
    THREADS = "threads"
    PROCESSES = "processes"
    DASK = "dask"


class Device(StrEnum):
    CPU = "cpu"
    CUDA = "cuda"


DEVICES = tuple(d.value for d in Device)
#: Held-out test rows a study keeps aside when the request does not say (``test_size=None``): a fifth of the
#: rows from AUTO_TEST_MIN_ROWS rows up, none below (small tables need every row for the folds).
AUTO_TEST_SIZE = 0.2
AUTO_TEST_MIN_ROWS = 1000


def _enum(kind: type[Enum], value: Any, what: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(
            f"Unknown {what} {value!r}.",
            fix=f"Choose one of {', '.join(str(m.value) for m in kind)}.",  # type: ignore[attr-defined]
        ) from None


@dataclass(frozen=True)
class StudyConfig:
    dataset_id: str
    target: str
    model: str
    task: str | None = None
    strategy: str = "tpe"
    n_trials: int | None = 50
    timeout: float | None = None
    trial_timeout: float | None = DEFAULT_TRIAL_TIMEOUT
    target_score: float | None = None
    patience: int | None = None
    cv: int = 5
    test_size: float | None = None  # None: AUTO_TEST_SIZE from AUTO_TEST_MIN_ROWS rows up, else 0
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
    plateau: bool = False  # also stop when the search has no more to give (tuning/stoprule.py)
    # the first candidate at the cheapest corner (fewest rounds, shallowest trees): a first score in about a
    # second. None: on for a sampling search (random, TPE, annealing) without seed configurations, off for grid
    cheap_start: bool | None = None
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


@dataclass(frozen=True)
class ResolvedConfig:
    """A study's settings once resolved against its data: what every engine module reads.

    Made by ``resolve_config`` (a new study) or ``from_stored`` (a study read back); turned into JSON only
    by the store (``to_dict``). ``task`` is None only for studies imported without their data.
    """

    dataset_id: str
    target: str
    model: str
    task: Task | None
    metric: str
    space: SearchSpace
    strategy: StrategyName = StrategyName.TPE
    n_trials: int | None = 50
    timeout: float | None = None
    trial_timeout: float | None = DEFAULT_TRIAL_TIMEOUT
    target_score: float | None = None
    patience: int | None = None
    cv: int = 5
    test_size: float = 0.0
    grid_points: int = 5
    workers: int = 1
    seed: int = 0
    device: Device = Device.CPU
    early_stopping_rounds: int | None = None
    record_curves: bool = True
    pruner: PrunerName = PrunerName.NONE
    executor: ExecutorName = ExecutorName.THREADS
    scheduler: str | None = None
    plateau: bool = False
    cheap_start: bool = False
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def search_space(self) -> SearchSpace:
        return self.space

    def replace(self, **changes: Any) -> ResolvedConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The stored form: plain JSON values, the space as its file format."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, SearchSpace) else v.value if isinstance(v, Enum) else v
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def request(self) -> StudyConfig:
        """The request that resolves to this config again (a study started anew from a stored one)."""
        d = self.to_dict()
        known = {f.name for f in dataclasses.fields(StudyConfig)}
        return StudyConfig(**{k: v for k, v in d.items() if k in known})

    @classmethod
    def from_stored(cls, d: dict[str, Any]) -> ResolvedConfig:
        """Parse a stored config (any release's: missing keys take their defaults, unknown keys are ignored)."""
        defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}

        def get(key: str) -> Any:
            return d.get(key) if d.get(key) is not None else defaults.get(key)

        model = str(d.get("model") or "")
        space = d.get("space")
        grid_points = int(get("grid_points"))
        if space is None:
            parsed = get_model(model).space() if model else SearchSpace.from_dict({}, grid_points=grid_points)
        else:
            parsed = SearchSpace.from_dict(space, grid_points=grid_points)
        test_size = d.get("test_size")
        return cls(
            dataset_id=str(d.get("dataset_id") or ""),
            target=str(d.get("target") or ""),
            model=model,
            task=Task(d["task"]) if d.get("task") else None,
            metric=str(d.get("metric") or ""),
            space=parsed,
            strategy=_enum(StrategyName, get("strategy"), "strategy"),
            n_trials=d.get("n_trials") if "n_trials" in d else defaults["n_trials"],
            timeout=d.get("timeout"),
            trial_timeout=d.get("trial_timeout", DEFAULT_TRIAL_TIMEOUT),
            target_score=d.get("target_score"),
            patience=d.get("patience"),
            cv=int(get("cv")),
            test_size=float(test_size or 0.0),
            grid_points=grid_points,
            workers=int(get("workers")),
            seed=int(get("seed")),
            device=_enum(Device, get("device"), "device"),
            early_stopping_rounds=d.get("early_stopping_rounds"),
            record_curves=bool(get("record_curves")),
            pruner=_enum(PrunerName, get("pruner"), "pruner"),
            executor=_enum(ExecutorName, get("executor"), "executor"),
            scheduler=d.get("scheduler"),
            plateau=bool(d.get("plateau", False)),
            cheap_start=bool(d.get("cheap_start", False)),
            name=str(d.get("name") or ""),
            extra=dict(d.get("extra") or {}),
        )


def resolve_config(config: StudyConfig, profile: DatasetProfile) -> ResolvedConfig:
    """Fill in task, metric and space from the data and the model; raise ConfigError on nonsense."""
    family = get_model(config.model)
    task = config.task or profile.task
    if task is None:
        raise ConfigError("The task is unknown.", fix="Choose classification or regression.")
    family.factory(task)  # raises when the family has no estimator for the task
    n_classes = len(profile.class_counts) if profile.class_counts else None
    metric = config.metric or default_metric(task, n_classes)
    check_metric(metric, task=task, n_classes=n_classes, model=config.model)
    strategy = _enum(StrategyName, config.strategy, "strategy")
    assert set(STRATEGIES) == {s.value for s in StrategyName}
    n_features = len(profile.features)
    space_dict = config.space if config.space is not None else family.default_space_for(profile.n_rows, n_features)
    space = SearchSpace.from_dict(space_dict, grid_points=config.grid_points)
    space.validate_against(family.allowed_params(task), model=family.label)
    if strategy is StrategyName.GRID:
        space.check_grid()  # refuse an oversized grid before the study exists
    if config.cheap_start and strategy is StrategyName.GRID:
        raise ConfigError(
            "A grid search runs exactly its grid: it has no cheap first trial.",
            fix="Leave out --cheap-start, or use random, tpe or anneal.",
        )
    if config.n_trials is not None and config.n_trials < 1:
        raise ConfigError(f"The number of trials must be at least 1, got {config.n_trials}.")
    if config.n_trials is None and config.timeout is None and config.strategy != "grid":
        raise ConfigError("A search needs a budget.", fix="Give a number of trials or a timeout.")
    if config.timeout is not None and not config.timeout > 0:
        raise ConfigError(f"The timeout must be positive, got {config.timeout}.")
    if config.trial_timeout is not None and not (math.isfinite(config.trial_timeout) and config.trial_timeout > 0):
        raise ConfigError(
            f"The trial time cap must be a positive number of seconds, got {config.trial_timeout}.",
            fix="Use --trial-timeout 600 (seconds), or leave it out.",
        )
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
    test_size = config.test_size
    if test_size is None:
        test_size = AUTO_TEST_SIZE if profile.n_rows >= AUTO_TEST_MIN_ROWS else 0.0
    if not 0.0 <= test_size < 0.9:
        raise ConfigError(f"The held-out test size must be between 0 and 0.9, got {test_size}.")
    if config.workers < 1:
        raise ConfigError(f"Workers must be at least 1, got {config.workers}.")
    device = _enum(Device, config.device, "device")
    if device is Device.CUDA and not family.gpu:
        raise ConfigError(
            f"{family.label} runs on the CPU only.",
            fix="Use --device cpu, or the xgboost model for the GPU.",
            app_fix='Choose Device "cpu" on the Search page (the GPU needs the xgboost model).',
        )
    if config.early_stopping_rounds is not None and not family.early_stopping:
        raise ConfigError(f"{family.label} has no early stopping here.", fix="Remove early stopping or use xgboost.")
    if config.early_stopping_rounds is not None and config.early_stopping_rounds < 1:
        raise ConfigError("Early stopping needs at least 1 round of patience.")
    return ResolvedConfig(
        dataset_id=config.dataset_id,
        target=config.target,
        model=config.model,
        task=Task(task),
        metric=metric,
        space=space,
        strategy=strategy,
        n_trials=config.n_trials,
        timeout=config.timeout,
        trial_timeout=config.trial_timeout,
        target_score=config.target_score,
        patience=config.patience,
        cv=config.cv,
        test_size=float(test_size),
        grid_points=config.grid_points,
        workers=config.workers,
        seed=config.seed,
        device=device,
        early_stopping_rounds=config.early_stopping_rounds,
        record_curves=config.record_curves,
        pruner=_enum(PrunerName, config.pruner or "none", "pruner"),
        executor=_enum(ExecutorName, config.executor, "executor"),
        scheduler=config.scheduler,
        plateau=config.plateau,
        cheap_start=(
            config.cheap_start
            if config.cheap_start is not None
            else strategy is not StrategyName.GRID and not config.extra.get("seed")
        ),
        name=config.name,
        extra=dict(config.extra),
    )
