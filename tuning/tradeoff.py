"""Score against cost: the Pareto front, the one-standard-error pick, and the sentence on what simplicity costs.

Works on results frames (``tuning.analysis.results_frame``: ``mean_test_score``, ``std_test_score``,
``mean_fit_time``, ``model_size``, ``model_size_unit``), one study or several concatenated with a ``study``
column. Scores are stored higher-is-better; costs are lower-is-better. Everything is vectorized, so a front
over 100,000 trials is one sort.

The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman, *ESL* 7.10): take the best
mean cross-validation score, its standard error from the fold spread (``sd / sqrt(K)``, with the sample
standard deviation over the K folds), and choose the simplest model whose score is within one standard error
of the best: its difference from the best cannot be told from fold-to-fold noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from tuning.analysis import display_metric_name, display_score
from tuning.protocol import TrialState

#: ``simpler_model_note`` speaks when the one-SE pick is at least this many times smaller (or faster) than the best.
MUCH_SIMPLER = 2.0


class Cost(str, Enum):
    """What a trial costs, each a column of the results frame (lower is better)."""

    FIT_TIME = "mean_fit_time"
    MODEL_SIZE = "model_size"

    @property
    def label(self) -> str:
        return "mean fit time per fold (s)" if self is Cost.FIT_TIME else "model size"


def pareto_front(score: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Positions of the non-dominated points, by increasing cost.

    A point is dominated when another costs no more and scores no less, one of the two strictly. Of several
    identical points only the first is kept. NaN scores or costs are never on the front.
    """
    score = np.asarray(score, dtype=float)
    cost = np.asarray(cost, dtype=float)
    ok = np.flatnonzero(np.isfinite(score) & np.isfinite(cost))
    if ok.size == 0:
        return ok
    # by cost ascending, then score descending, then position (stable): a sweep keeps each new best score
    order = ok[np.lexsort((ok, -score[ok], cost[ok]))]
    s = score[order]
    prev_best = np.maximum.accumulate(np.r_[-np.inf, s[:-1]])
    return order[s > prev_best]


def standard_error(std: float, n_folds: int | None) -> float:
    """Standard error of a fold mean from scikit-learn's ``std_test_score`` (population sd over the folds)."""
    if n_folds is None or n_folds < 2 or not math.isfinite(std):
        return float("nan")
    return float(std) / math.sqrt(n_folds - 1)  # = sample sd / sqrt(K)


@dataclass(frozen=True)
class TradeoffTrial:
    """One trial as the trade-off view quotes it."""

    study: str
    number: int
    score: float  # stored (higher is better)
    std: float
    fit_time: float  # mean per fold, seconds (NaN when unknown)
    size: float  # NaN when unknown
    unit: str | None


@dataclass(frozen=True)
class OneSEChoice:
    """The best trial, the simplest within one standard error of it, and by which cost "simplest" was judged."""

    best: TradeoffTrial
    simplest: TradeoffTrial
    se: float
    by: Cost
    n_within: int  # trials within one standard error of the best (the best included)

    @property
    def same(self) -> bool:
        return self.best.study == self.simplest.study and self.best.number == self.simplest.number


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """Complete trials with a finite score, with the cost columns present (NaN where the frame has none)."""
    if frame is None or frame.empty or "mean_test_score" not in frame.columns:
        return pd.DataFrame(columns=["number", "state", "mean_test_score", "std_test_score", *[c.value for c in Cost]])
    score = pd.to_numeric(frame["mean_test_score"], errors="coerce").to_numpy(dtype=float)
    mask = np.isfinite(score)
    if "state" in frame.columns:
        mask &= (frame["state"] == TrialState.COMPLETE.value).to_numpy(dtype=bool)
    out = frame.loc[mask]
    missing = [c for c in ("std_test_score", Cost.FIT_TIME.value, Cost.MODEL_SIZE.value) if c not in out.columns]
    if missing:
        out = out.assign(**{c: np.nan for c in missing})
    if "model_size_unit" not in out.columns:
        out = out.assign(model_size_unit=None)
    return out


def size_unit(frame: pd.DataFrame) -> str | None:
    """The model-size unit of the frame's trials (the most common one), None when no trial has a size."""
    if "model_size_unit" not in frame.columns:
        return None
    units = frame["model_size_unit"].dropna()
    return None if units.empty else str(units.mode().iloc[0])


def default_cost(frame: pd.DataFrame) -> Cost:
    """Model size when the trials have one (in one unit), else fit time."""
    ok = complete(frame)
    sizes = pd.to_numeric(ok[Cost.MODEL_SIZE.value], errors="coerce")
    units = ok["model_size_unit"].dropna().unique() if "model_size_unit" in ok.columns else []
    return Cost.MODEL_SIZE if sizes.notna().any() and len(units) <= 1 else Cost.FIT_TIME


def _trial(row: pd.Series) -> TradeoffTrial:
    def f(key: str) -> float:
        v = row.get(key)
        try:
            return float(v)
        except (TypeError, ValueError):
            return float("nan")

    unit = row.get("model_size_unit")
    return TradeoffTrial(
        study=str(row.get("study", "")),
        number=int(row["number"]),
        score=f("mean_test_score"),
        std=f("std_test_score"),
        fit_time=f(Cost.FIT_TIME.value),
        size=f(Cost.MODEL_SIZE.value),
        unit=unit if isinstance(unit, str) else None,
    )


def one_standard_error(frame: pd.DataFrame, *, n_folds: int | None, by: Cost | None = None) -> OneSEChoice | None:
    """The best complete trial and the cheapest (by ``by``, default ``default_cost``) within one SE of it.

    Ties in cost go to the higher score, then the lower trial number. With a ``n_folds`` column (studies
    with different fold counts side by side) the best trial's own fold count is used. Without a usable
    fold spread (one fold, a single trial), the pick is the best trial itself.
    """
    ok = complete(frame)
    if ok.empty:
        return None
    by = by or default_cost(ok)
    if by is Cost.MODEL_SIZE and "model_size_unit" in ok.columns:
        unit = size_unit(ok)
        ok_units = ok[ok["model_size_unit"] == unit] if unit is not None else ok.iloc[0:0]
        if not ok_units.empty:
            ok = ok_units
    score = ok["mean_test_score"].to_numpy(dtype=float)
    ib = int(np.argmax(score))  # first of equals: the lowest position, i.e. the earliest trial
    best = ok.iloc[ib]
    k = int(best["n_folds"]) if "n_folds" in ok.columns and pd.notna(best.get("n_folds")) else n_folds
    se = standard_error(float(best["std_test_score"]), k)
    if not math.isfinite(se):
        b = _trial(best)
        return OneSEChoice(b, b, se, by, 1)
    within = ok[score >= score[ib] - se - 1e-12]
    cost = pd.to_numeric(within[by.value], errors="coerce").to_numpy(dtype=float)
    cost = np.where(np.isfinite(cost), cost, np.inf)
    numbers = within["number"].to_numpy(dtype=np.int64)
    order = np.lexsort((numbers, -within["mean_test_score"].to_numpy(dtype=float), cost))
    pick = within.iloc[int(order[0])] if np.isfinite(cost[order[0]]) else best
    return OneSEChoice(_trial(best), _trial(pick), se, by, len(within))


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else float("nan")


def _fmt_size(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:.3g}"


def _fmt_time(v: float) -> str:
    return f"{v:.3g} s"


def _label(t: TradeoffTrial) -> str:
    return f"#{t.number}" + (f" of {t.study}" if t.study else "")


def describe(choice: OneSEChoice, *, metric: str) -> str:
    """One sentence: what the simpler choice costs in score and saves in fit time and size."""
    name = display_metric_name(metric)
    b, s = choice.best, choice.simplest
    bscore, sscore = display_score(metric, b.score), display_score(metric, s.score)
    if choice.same:
        if not math.isfinite(choice.se):
            return f"The best trial {_label(b)} scores {bscore:.4g} {name}; with no fold spread there is no standard error to judge simpler trials by."
        return (
            f"The best trial {_label(b)} ({bscore:.4g} {name}) is also the simplest of the {choice.n_within} trial(s) "
            f"within one standard error ({choice.se:.2g}) of it: no simpler model scores as well."
        )
    diff = abs(b.score - s.score)
    parts = [
        f"The simplest trial within one standard error ({choice.se:.2g}) of the best is {_label(s)}: {sscore:.4g} {name} "
        f"against {bscore:.4g} for the best {_label(b)}, {diff:.2g} {'worse' if diff > 0 else 'apart'}"
    ]
    saves = []
    if math.isfinite(s.size) and math.isfinite(b.size) and s.unit:
        r = _ratio(b.size, s.size)
        how = f" ({r:.3g}x smaller)" if math.isfinite(r) and r > 1 else ""
        saves.append(f"has {_fmt_size(s.size)} {s.unit} instead of {_fmt_size(b.size)}{how}")
    if math.isfinite(s.fit_time) and math.isfinite(b.fit_time):
        r = _ratio(b.fit_time, s.fit_time)
        how = f" ({r:.3g}x faster)" if r >= 1 else f" ({1 / r:.3g}x slower)" if r > 0 else ""
        saves.append(f"fits in {_fmt_time(s.fit_time)} per fold instead of {_fmt_time(b.fit_time)}{how}")
    if saves:
        parts.append("; it " + " and ".join(saves))
    return "".join(parts) + "."


def simpler_model_note(
    frame: pd.DataFrame, *, n_folds: int | None, metric: str, factor: float = MUCH_SIMPLER
) -> str | None:
    """For the diagnosis: a sentence when a much simpler (``factor`` times smaller, or faster) model is within
    one standard error of the best; None otherwise."""
    choice = one_standard_error(frame, n_folds=n_folds)
    if choice is None or choice.same:
        return None
    b, s = choice.best, choice.simplest
    smaller = _ratio(b.size, s.size) if choice.by is Cost.MODEL_SIZE else float("nan")
    faster = _ratio(b.fit_time, s.fit_time)
    if not (smaller >= factor or faster >= factor):
        return None
    what = f"{smaller:.3g}x smaller" if smaller >= factor else f"{faster:.3g}x faster to fit"
    return (
        f"A much simpler model is within noise of the best: trial #{s.number} is {what} and scores "
        f"{display_score(metric, s.score):.4g} against {display_score(metric, b.score):.4g}, within one standard "
        f"error ({choice.se:.2g}). Prefer it unless the difference matters."
    )


__all__ = [
    "Cost",
    "OneSEChoice",
    "TradeoffTrial",
    "complete",
    "default_cost",
    "describe",
    "one_standard_error",
    "pareto_front",
    "simpler_model_note",
    "size_unit",
    "standard_error",
]
