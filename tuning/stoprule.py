"""Stop when the search has no more to give: the best score stopped moving by more than its own noise.

The rule (the idea of Optuna's Terminator, in its simplest defensible form): once ``min_trials`` trials have
finished, look at the last ``window`` of them. If they raised the best score by less than the standard error
of the best trial's own fold scores (its cross-validation noise), further trials are improving it by less
than the folds can tell apart, and the study stops with that evidence in words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MIN_TRIALS = 20


def plateau_reason(
    trials: Sequence[tuple[float | None, Sequence[float]]], *, min_trials: int = MIN_TRIALS
) -> str | None:
    """``trials``: (score, fold scores) of each finished trial in order (score None: not a complete trial)."""
    if len(trials) < max(min_trials, 4):
        return None
    window = max(10, len(trials) // 3)
    before, recent = trials[:-window], trials[-window:]
    scores_before = [s for s, _ in before if s is not None]
    complete = [(s, f) for s, f in trials if s is not None]
    if not scores_before or not complete:
        return None
    best, folds = max(complete, key=lambda t: t[0])
    if len(folds) < 2:
        return None
    mean = sum(folds) / len(folds)
    se = math.sqrt(sum((f - mean) ** 2 for f in folds) / (len(folds) - 1)) / math.sqrt(len(folds))
    gain = best - max(scores_before)
    if gain >= se:
        return None
    return (
        f"the best score's fold-to-fold noise (standard error) is {se:.4g}; the last {len(recent)} trials improved "
        f"it by {max(gain, 0.0):.4g}"
    )
