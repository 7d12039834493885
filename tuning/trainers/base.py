"""What every trainer shares: fold data prepared once per study, scoring from one prediction per split.

A trainer knows how one model family fits a candidate on the study's folds and what its resource is
(boosting rounds, training rows). Generic code (the runner, pruners) asks it; it never branches on
the model's name.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import get_scorer

from tuning.metrics import classification_metrics, regression_metrics
from tuning.protocol import Candidate, TrialOutcome, TrialState

if TYPE_CHECKING:
    from tuning.evaluate import EvalContext
    from tuning.executors import StopFlag


class TrialStopped(Exception):
    """Raised inside a fit when the study is asked to stop."""


@dataclass(frozen=True)
class FoldData:
    """One fold's rows after the family's preprocessing (fitted on the fold's training rows only)."""

    X_tr: Any
    y_tr: np.ndarray
    X_va: Any
    y_va: np.ndarray
    prep: Any
    train_idx: np.ndarray
    val_idx: np.ndarray


class Predictions:
    """A model's outputs on one split, each computed at most once and shared by every metric.

    Built from callables (``pred``, ``proba``, ``decision``); only the responses the model really has
    are given, so scikit-learn's scorer picks the same response it would pick on the estimator itself.
    """

    def __init__(
        self,
        *,
        pred: Callable[[], Any] | None = None,
        proba: Callable[[], Any] | None = None,
        decision: Callable[[], Any] | None = None,
        classes: np.ndarray | None = None,
    ) -> None:
        self._fns = {"pred": pred, "proba": proba, "decision": decision}
        self._vals: dict[str, np.ndarray] = {}
        self.classes = classes

    def has(self, kind: str) -> bool:
        return self._fns.get(kind) is not None

    def computed(self, kind: str) -> bool:
        return kind in self._vals

    def get(self, kind: str) -> np.ndarray:
        if kind not in self._vals:
            fn = self._fns[kind]
            if fn is None:
                raise AttributeError(kind)
            self._vals[kind] = np.asarray(fn())
        return self._vals[kind]

    @classmethod
    def of(cls, est: Any, X: Any, *, classifier: bool) -> Predictions:
        """Lazy responses of a fitted scikit-learn estimator on X."""
        if not classifier:
            return cls(pred=lambda: est.predict(X))
        return cls(
            pred=lambda: est.predict(X),
            proba=(lambda: est.predict_proba(X)) if hasattr(est, "predict_proba") else None,
            decision=(lambda: est.decision_function(X)) if hasattr(est, "decision_function") else None,
            classes=np.asarray(est.classes_),
        )


def _responder(p: Predictions, kind: str, name: str) -> Callable[[Any], np.ndarray]:
    def respond(X: Any) -> np.ndarray:
        return p.get(kind)

    respond.__name__ = respond.__qualname__ = name
    return respond


class _Frozen:
    """Stands in for a fitted estimator: hands out the shared predictions, so a scikit-learn scorer
    computes exactly what it would on the estimator without predicting again."""

    def __init__(self, p: Predictions, tags: Any) -> None:
        self._tags = tags
        if p.classes is not None:
            self.classes_ = p.classes
        # scikit-learn reads the response method's __name__, so each is a function of that name
        for kind, name in (("pred", "predict"), ("proba", "predict_proba"), ("decision", "decision_function")):
            if p.has(kind):
                setattr(self, name, _responder(p, kind, name))

    def __sklearn_tags__(self) -> Any:
        return self._tags


class Scorer:
    """The study's metric through scikit-learn's own scorer (so scores equal GridSearchCV's), and the
    secondary metrics with numpy (tuning.metrics), all from one ``Predictions`` per split."""

    def __init__(self, metric: str, secondary: tuple[str, ...], *, task: str, n_classes: int, tags: Any) -> None:
        self.metric = metric
        self.task = task
        self.n_classes = n_classes
        self._primary = get_scorer(metric)
        self._tags = tags
        self.secondary = tuple(n for n in dict.fromkeys(secondary) if n != metric)

    def usable(self, p: Predictions) -> tuple[str, ...]:
        """Secondary metrics this model can give (no log loss without probabilities)."""
        if self.task == "regression":
            return self.secondary
        return tuple(n for n in self.secondary if n != "neg_log_loss" or p.has("proba"))

    def __call__(self, p: Predictions, y: np.ndarray) -> dict[str, float]:
        out = {self.metric: float(self._primary(_Frozen(p, self._tags), None, y))}
        names = self.usable(p)
        if not names:
            return out
        if self.task == "regression":
            out.update(regression_metrics(y, p.get("pred"), names=names))
            return out
        scores = p.get("proba") if p.has("proba") else p.get("decision") if p.has("decision") else None
        # labels: predict's when the scorer already asked for them, else the arg-max of the probabilities
        if p.computed("pred") or not p.has("proba"):
            pred = p.get("pred")
            labels = np.searchsorted(p.classes, pred) if p.classes is not None else pred
        else:
            labels = np.argmax(p.get("proba"), axis=1)
        out.update(
            classification_metrics(
                y,
                np.asarray(labels).astype(np.int64),
                None if scores is None else np.asarray(scores, dtype=float),
                n_classes=self.n_classes,
                names=names,
            )
        )
        return out


class FoldCache:
    """Per-study data prepared once and reused by every trial: the fitted preprocessing's output per
    fold (shared, read-only) and trainer-specific objects per worker thread (XGBoost's matrices)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[Any, Any] = {}
        self._local = threading.local()
        self._building: dict[Any, threading.Lock] = {}

    def shared(self, key: Any, build: Callable[[], Any]) -> Any:
        """Build once across threads (others wait for the first builder)."""
        with self._lock:
            if key in self._shared:
                return self._shared[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._shared:
                    return self._shared[key]
            value = build()
            with self._lock:
                self._shared[key] = value
            return value

    def local(self, key: Any, build: Callable[[], Any]) -> Any:
        """Build once per worker thread."""
        d = getattr(self._local, "d", None)
        if d is None:
            d = self._local.d = {}
        if key not in d:
            d[key] = build()
        return d[key]


def fold_data(ctx: EvalContext, i: int, *, scale: bool, impute: bool, sparse: bool = False) -> FoldData:
    """Fold ``i`` preprocessed for a family with these needs (cached on the context); ``sparse``: the
    one-hot block may stay sparse (families that read sparse input)."""

    def build() -> FoldData:
        from tuning.data import build_preprocessor

        tr, va = ctx.folds[i]
        prep = build_preprocessor(ctx.numeric, ctx.categorical, scale=scale, impute=impute, sparse=sparse)
        X_tr = prep.fit_transform(ctx.X.iloc[tr], ctx.y[tr])
        X_va = prep.transform(ctx.X.iloc[va])
        return FoldData(X_tr, ctx.y[tr], X_va, ctx.y[va], prep, tr, va)

    return ctx.cache.shared(("fold", i, scale, impute, sparse), build)


@dataclass
class FoldScores:
    """Accumulates per-fold results into a TrialOutcome."""

    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.val: dict[str, list[float]] = {}
        self.train: dict[str, list[float]] = {}
        self.fit_time: list[float] = []
        self.score_time: list[float] = []

    def add(self, sv: dict[str, float], st: dict[str, float], *, fit_s: float, score_s: float) -> None:
        for n, v in sv.items():
            self.val.setdefault(n, []).append(_to_float(v))
        for n, v in st.items():
            self.train.setdefault(n, []).append(_to_float(v))
        self.fit_time.append(fit_s)
        self.score_time.append(score_s)

    def outcome(self, params: dict[str, Any], metric: str, **extra: Any) -> TrialOutcome:
        scores = self.val.get(metric, [])
        if not scores or not all(math.isfinite(s) for s in scores):
            raise ValueError(f"the {metric} score is not a number in some folds (the model may have diverged)")
        return TrialOutcome(
            state=TrialState.COMPLETE,
            params=params,
            score=float(np.mean(scores)),
            train_score=float(np.nanmean(self.train[metric])),
            fold_scores=self.val,
            fold_train_scores=self.train,
            fit_time=tuple(self.fit_time),
            score_time=tuple(self.score_time),
            **extra,
        )


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


class Trainer(ABC):
    """How one model family evaluates a candidate on the study's folds."""

    #: what a pruner's budget counts for this family: "rounds" (boosting) or "rows" (training rows)
    resource: str = "rows"

    @abstractmethod
    def evaluate(self, ctx: EvalContext, candidate: Candidate, stop: StopFlag) -> TrialOutcome:
        """Fit and score every fold; raise TrialStopped when ``stop`` is set; other errors fail the trial."""

    def full_budget(self, ctx: EvalContext, params: dict[str, Any]) -> int:
        """The budget of a full fit of ``params``, in ``resource`` units."""
        return min(len(tr) for tr, _ in ctx.folds)

    def rung_budgets(
        self, ctx: EvalContext, params: dict[str, Any], *, eta: int, min_budget: int | None, below: int = 0
    ) -> list[int]:
        """Budgets at which a pruner may compare this candidate with others, ascending, the full one last.
        ``below``: start that many rungs under the usual first one (a Hyperband study's early brackets).

        Rows: ``min_budget`` (default: 1/27 of a fold, at least 40 rows, 10 per class) times eta**k."""
        full = self.full_budget(ctx, params)
        n_classes = int(ctx.y.max()) + 1 if ctx.task == "classification" and len(ctx.y) else 1
        low = min_budget or max(full // eta ** (3 + below), 40, 10 * n_classes)
        out: list[int] = []
        b = low
        while b < full:
            out.append(int(b))
            b *= eta
        return [*out, full]

    def hints(self, space: Any, *, strategy: str, pruner: str | None = None) -> dict[str, Any]:
        """Plain facts about the study this trainer can use (stored on the EvalContext)."""
        return {}

    def release(self, ctx: EvalContext, number: int) -> None:
        """Forget what was kept to continue candidate ``number`` (it was pruned or completed)."""

    def continue_fit(self, model: Any, X: Any, y: np.ndarray, *, task: str, n_classes: int) -> tuple[int, str]:
        """Go on training a fitted final estimator on new rows, in place (fine-tune's "continue" arm, for the
        families whose ``ModelFamily.continues`` says how); returns (how much was added, its unit)."""
        raise NotImplementedError(f"{type(self).__name__} does not continue a fitted model")

    def cheap_start(self, space: Any) -> dict[str, Any] | None:
        """A first candidate that costs little (FLAML's low-cost start), or None when the family has no cost
        parameter in ``space``."""
        return None


def check_stop(stop: StopFlag | None) -> None:
    if stop is not None and stop.is_set():
        raise TrialStopped


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t
