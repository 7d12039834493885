"""Parameter importance three ways, each labelled with the question it answers.

- ``forest``: today's random forest on parameters -> score (``tuning.analysis.param_importance``), with the
  sign of the rank correlation.
- ``ped_anova``: Optuna's default evaluator (PED-ANOVA): what separates the top 10 % of trials from the rest.
- ``fanova``: Optuna's fANOVA: how much of the score's variance over the whole space each parameter causes.

The two Optuna methods run Optuna's own implementations on frozen trials built from the results frame
(``tuning.export.optuna``, the one module that imports optuna). Every method tolerates conditional
parameters: the forest gives inactive values a group of their own, PED-ANOVA treats them as a regime, and
fANOVA, which needs every parameter in every trial, leaves them out and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd

from tuning.analysis import param_importance
from tuning.protocol import TrialState
from tuning.space import CategoricalParam, SearchSpace

#: below this many complete trials every importance is a rough guess, and the result says so
MIN_TRIALS = 50
#: Complete trials below which no importance is computed at all
MIN_COMPUTE = 4
#: above this many complete trials the UI computes fANOVA in the background (it fits a forest of 64 trees)
FANOVA_BACKGROUND_ABOVE = 300
#: importance looks at a fixed-seed sample of at most this many complete trials
MAX_TRIALS = 10_000


class Method(str, Enum):
    FOREST = "forest"
    PED_ANOVA = "ped_anova"
    FANOVA = "fanova"

    @property
    def label(self) -> str:
        return {"forest": "Random forest", "ped_anova": "PED-ANOVA (Optuna's default)", "fanova": "fANOVA"}[self.value]

    @property
    def question(self) -> str:
        """The question this importance answers, in a sentence for the page."""
        return QUESTIONS[self]


QUESTIONS = {
    Method.FOREST: (
        "How much does each parameter help predict the score across all trials, and in which direction? "
        "(A random forest fitted on parameters -> score; impurity importance; the colour is the sign of the "
        "rank correlation.)"
    ),
    Method.PED_ANOVA: (
        "What separates the best trials from the rest? (PED-ANOVA: how differently each parameter is "
        "distributed in the top 10 % of trials than in all of them. Optuna's default; fast.)"
    ),
    Method.FANOVA: (
        "How much of the score's variance over the whole search space does each parameter cause? (fANOVA: "
        "a random forest's functional ANOVA decomposition, main effects only; slower.)"
    ),
}


@dataclass(frozen=True)
class ImportanceResult:
    """A table (``param``, ``importance``, ``correlation``), the trials it used, and what to tell the reader."""

    method: Method
    table: pd.DataFrame
    n_trials: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def question(self) -> str:
        return self.method.question


def _complete(frame: pd.DataFrame) -> pd.DataFrame:
    if frame is None or frame.empty or "state" not in frame.columns:
        return pd.DataFrame(columns=["state", "mean_test_score"])
    return frame[(frame["state"] == TrialState.COMPLETE.value) & frame["mean_test_score"].notna()]


def n_complete(frame: pd.DataFrame) -> int:
    """The cache key of every importance: results change only when this does."""
    return len(_complete(frame))


def rank_correlations(frame: pd.DataFrame, space: SearchSpace) -> dict[str, float]:
    """Spearman correlation of each numeric searched parameter with the score, over the trials where it is
    active (NaN for categorical or constant parameters)."""
    ok = _complete(frame)
    out: dict[str, float] = {}
    y = ok["mean_test_score"].to_numpy(dtype=float)
    for p in space.searched:
        col = f"param_{p.name}"
        if isinstance(p, CategoricalParam) or col not in ok.columns:
            out[p.name] = float("nan")
            continue
        x = pd.to_numeric(ok[col], errors="coerce").to_numpy(dtype=float)
        m = np.isfinite(x)
        if m.sum() < 3 or np.nanstd(x[m]) == 0:
            out[p.name] = float("nan")
            continue
        out[p.name] = float(pd.Series(x[m]).rank().corr(pd.Series(y[m]).rank()))
    return out


def compute_importance(
    frame: pd.DataFrame, space: SearchSpace, method: Method | str, *, seed: int = 0
) -> ImportanceResult:
    """The importance of each searched parameter by ``method``; never raises for a small or odd study (an
    empty table and a warning instead)."""
    method = Method(method)
    ok = _complete(frame)
    n = len(ok)
    notes: list[str] = []
    if n < MIN_COMPUTE:  # one message: what it needs and how far the study is from it
        notes.append(
            f"Importance needs at least {MIN_COMPUTE} complete trials; this study has {n} "
            f"({MIN_COMPUTE - n} more). Under early cut, raise Trials or use fewer rungs."
        )
    elif n < MIN_TRIALS:
        notes.append(
            f"Only {n} complete trial(s): importance is a rough guess below about {MIN_TRIALS}; run more trials "
            "before trusting the order."
        )
    if n > MAX_TRIALS:
        notes.append(f"Computed on a fixed sample of {MAX_TRIALS:,} of the {n:,} complete trials.")
        ok = ok.sample(n=MAX_TRIALS, random_state=seed)
    empty = pd.DataFrame(columns=["param", "importance", "correlation"])
    if method is Method.FOREST:
        table = param_importance(ok, space, seed=seed)
        return ImportanceResult(method, table if not table.empty else empty, n, tuple(notes))
    if n < MIN_COMPUTE:
        return ImportanceResult(method, empty, n, tuple(notes))
    from tuning.export.optuna import param_importances

    scores = param_importances(ok, space, method=method.value, seed=seed, max_trials=None)
    conditional = [p.name for p in space.searched if p.when]
    if method is Method.FANOVA:
        left_out = [c for c in conditional if c not in scores]
        if left_out:
            notes.append(
                f"fANOVA needs every parameter in every trial, so the conditional parameter(s) {', '.join(left_out)} "
                "are left out; PED-ANOVA and the forest include them."
            )
    corr = rank_correlations(ok, space)
    table = pd.DataFrame(
        {
            "param": list(scores),
            "importance": list(scores.values()),
            "correlation": [corr.get(k, np.nan) for k in scores],
        }
    )
    table = table.sort_values("importance", ascending=False, ignore_index=True)
    return ImportanceResult(method, table, n, tuple(notes))


__all__ = [
    "FANOVA_BACKGROUND_ABOVE",
    "MIN_TRIALS",
    "ImportanceResult",
    "Method",
    "compute_importance",
    "n_complete",
    "rank_correlations",
]
