"""What a fine-tuning run is asked (settings) and what it gives (arms, curves, splits)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tuning.finetune._common import ArmKind, _finite


@dataclass(frozen=True)
class FinetuneSettings:
    """What to compare and how; all defaults are sensible for a few thousand rows."""

    holdout: float = 0.3  # fraction of the new (and old) rows held out for scoring
    seed: int = 0
    learning_rates: tuple[float, ...] | None = None  # continue's; None: 0.1x, 0.3x and 1x the base's
    max_rounds: int = 200  # rounds the continue / stack / retrain arms may add
    patience: int = 20  # early-stopping patience in rounds
    stack_params: dict[str, Any] = field(default_factory=lambda: {"eta": 0.1, "max_depth": 3})
    tpe_trials: int = 0  # a short TPE search over continue's learning rate and rounds (0: none)
    metric: str | None = None
    arms: tuple[ArmKind, ...] | None = None  # None: every arm the model can take
    n_jobs: int = 1  # XGBoost threads: one is fastest on a few thousand rows on a shared machine
    base_learning_rate: float | None = None  # an uploaded file does not record its learning rate (0.3 assumed)

    def rates(self, base_lr: float) -> tuple[float, ...]:
        if self.learning_rates:
            return tuple(float(r) for r in self.learning_rates)
        return tuple(round(base_lr * f, 6) for f in (0.1, 0.3, 1.0))


@dataclass(frozen=True)
class Curve:
    """Scores against trees (rounds) added: on new held-out rows and, when given, old held-out rows."""

    rounds: tuple[int, ...]
    new: tuple[float, ...]
    old: tuple[float, ...] | None
    best_round: int | None  # rounds added at the early-stopping point


@dataclass(frozen=True)
class ArmResult:
    kind: ArmKind
    label: str
    new_score: float
    old_score: float | None
    fit_time_s: float  # seconds of CPU or wall time: FinetuneResult.time_kind says which
    rounds_added: int
    trees: int  # trees in the final model (base + added, for continue / stack)
    leaves: int
    params: dict[str, Any] = field(default_factory=dict)
    curve: Curve | None = None
    note: str = ""

    def to_summary(self) -> dict[str, Any]:
        return {
            "arm": self.kind.value,
            "label": self.label,
            "new_score": _finite(self.new_score),
            "old_score": _finite(self.old_score),
            "trees_added": self.rounds_added,
            "trees": self.trees,
            "leaves": self.leaves,
            "fit_time_s": round(self.fit_time_s, 4),
            "params": self.params,
        }


@dataclass(frozen=True)
class SplitInfo:
    seed: int
    holdout: float
    stratified: bool
    n_adapt: int
    n_early_stop: int
    n_new_holdout: int
    n_old_train: int = 0
    n_old_holdout: int = 0


@dataclass(frozen=True)
class FinetuneResult:
    base_source: str
    family: str
    task: str
    metric: str
    split: SplitInfo
    arms: tuple[ArmResult, ...]
    verdict: str
    models: dict[str, bytes] = field(default_factory=dict, repr=False)  # arm label -> XGBoost JSON
    base_margin_label: str | None = None  # the stack arm's label: its JSON needs the base model's margin
    notes: tuple[str, ...] = ()
    time_kind: str = "wall"  # "cpu": the fitting thread's CPU seconds (one XGBoost thread); "wall": elapsed

    def arm(self, kind: ArmKind) -> ArmResult | None:
        return next((a for a in self.arms if a.kind == kind), None)

    def to_record(self) -> dict[str, Any]:
        """Everything the page shows, as JSON values (the adapted models are not in it: they are kept on request)."""
        return {
            "version": 1,
            **{k: getattr(self, k) for k in ("base_source", "family", "task", "metric", "verdict", "time_kind")},
            "base_margin_label": self.base_margin_label,
            "split": asdict(self.split),
            "notes": list(self.notes),
            "arms": [{**asdict(a), "kind": a.kind.value} for a in self.arms],
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> FinetuneResult:
        """The result :meth:`to_record` wrote (models empty); a malformed record raises ``ValueError``."""
        try:
            arms = tuple(
                ArmResult(
                    **{
                        **a,
                        "kind": ArmKind(a["kind"]),
                        "params": dict(a.get("params") or {}),
                        "curve": None if a.get("curve") is None else _curve(a["curve"]),
                    }
                )
                for a in rec["arms"]
            )
            return cls(
                base_source=str(rec["base_source"]),
                family=str(rec["family"]),
                task=str(rec["task"]),
                metric=str(rec["metric"]),
                verdict=str(rec["verdict"]),
                time_kind=str(rec["time_kind"]),
                split=SplitInfo(**rec["split"]),
                arms=arms,
                base_margin_label=rec.get("base_margin_label"),
                notes=tuple(str(n) for n in rec.get("notes", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a fine-tune result: {type(exc).__name__}") from None

    def to_summary(self) -> dict[str, Any]:
        return {
            "base": self.base_source,
            "family": self.family,
            "task": self.task,
            "metric": self.metric,
            "split": self.split.__dict__,
            "arms": [a.to_summary() for a in self.arms],
            "verdict": self.verdict,
            "notes": list(self.notes),
            "time_kind": self.time_kind,
        }


def _curve(c: dict[str, Any]) -> Curve:
    return Curve(
        rounds=tuple(int(r) for r in c["rounds"]),
        new=tuple(float(v) for v in c["new"]),
        old=None if c.get("old") is None else tuple(float(v) for v in c["old"]),
        best_round=None if c.get("best_round") is None else int(c["best_round"]),
    )
