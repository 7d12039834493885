"""Pruners: how much budget a candidate gets (samplers choose parameters; pruners cut the weak early).

A pruner never sees threads, stores or models. The runner tells it each rung result of a candidate
(the fold-mean validation score, higher is better) and asks whether to promote it to the next rung
of its budget ladder; the ladder itself (boosting rounds or training rows per rung) comes from the
model family's trainer.

- ``asha``: asynchronous successive halving. A candidate that finishes a rung goes on at once when
  it is in the top 1/eta of the scores seen at that rung so far, else it is pruned; nobody waits for
  a rung to fill (the rule of Optuna's SuccessiveHalvingPruner: with fewer than eta results at a
  rung, only a candidate as good as the best so far goes on).
- ``hyperband``: several ASHA brackets that start at different rungs (bracket b skips the first b
  rungs), candidates dealt to brackets in turn. Its ladder reaches ``n_brackets - 1`` rungs below the
  trainer's usual first rung (``Pruner.rungs_below``), so the last bracket judges where ASHA does (the
  rung that keeps the final winners) and the first cuts as early as Hyperband's most aggressive bracket:
  a hedge between cutting early (cheap candidates) and cutting where the ranking holds.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from tuning.errors import ConfigError

PRUNERS = ("none", "asha", "hyperband")
HYPERBAND_BRACKETS = 3
PRUNER_HELP = {
    "none": "Every candidate gets its full budget.",
    "asha": "Stops unpromising candidates early and gives their budget to the best: boosting rounds for "
    "XGBoost, training rows for other models (asynchronous successive halving).",
    "hyperband": "Like asha, in three brackets that judge candidates after different amounts of training: "
    "one cuts very early (cheap), one where asha does (keeps the settings that end best), one between.",
}


@dataclass(frozen=True)
class Decision:
    promote: bool
    rank: int  # 1-based rank of the score among those seen at this rung
    seen: int  # how many scores this rung has seen
    note: str


class Pruner(ABC):
    """Decides, rung by rung, which candidates go on. Thread-safe."""

    name = ""
    #: How many rungs below the trainer's usual first rung this pruner's ladder starts.
    rungs_below = 0

    def __init__(self, *, eta: int = 3) -> None:
        if eta < 2:
            raise ConfigError(f"The reduction factor must be at least 2, got {eta}.")
        self.eta = int(eta)
        self._lock = threading.Lock()
        self._rungs: dict[tuple[int, int], list[float]] = {}  # (bracket, rung) -> scores seen

    @abstractmethod
    def bracket(self, number: int) -> int:
        """The bracket of candidate ``number``."""

    def start_rung(self, number: int, n_rungs: int) -> int:
        """The first rung a candidate is evaluated at (hyperband brackets skip early rungs)."""
        return min(self.bracket(number), max(0, n_rungs - 1))

    def report(self, number: int, rung: int, score: float, *, budget: int, unit: str) -> Decision:
        """Record ``score`` at ``rung`` and decide whether the candidate goes on."""
        key = (self.bracket(number), rung)
        with self._lock:
            scores = self._rungs.setdefault(key, [])
            scores.append(float(score))
            ordered = sorted(scores, reverse=True)
        seen = len(ordered)
        rank = 1 + sum(s > score for s in ordered)
        k = max(1, seen // self.eta)
        promote = score >= ordered[k - 1]
        where = f"rung {rung} ({budget} {unit})"
        note = (
            f"promoted at {where}: {_ordinal(rank)} of {seen}"
            if promote
            else f"cut at {where}: {_ordinal(rank)} of {seen}, only the top {k} go on"
        )
        return Decision(promote, rank, seen, note)

    def replay(self, number: int, rung_scores: list[tuple[int, float]]) -> None:
        """Rebuild the rung records from stored results (resume)."""
        b = self.bracket(number)
        with self._lock:
            for rung, score in rung_scores:
                self._rungs.setdefault((b, rung), []).append(float(score))


class ASHAPruner(Pruner):
    name = "asha"

    def bracket(self, number: int) -> int:
        return 0


class HyperbandPruner(Pruner):
    name = "hyperband"

    def __init__(self, *, eta: int = 3, n_brackets: int = HYPERBAND_BRACKETS) -> None:
        super().__init__(eta=eta)
        self.n_brackets = max(1, int(n_brackets))
        self.rungs_below = self.n_brackets - 1

    def bracket(self, number: int) -> int:
        return number % self.n_brackets


def rungs_below(name: str | None) -> int:
    """How many rungs below the trainer's usual first rung the named pruner's ladder starts."""
    pruner = make_pruner(name)
    return pruner.rungs_below if pruner is not None else 0


def make_pruner(name: str | None, *, eta: int = 3) -> Pruner | None:
    if name in (None, "", "none"):
        return None
    if name == "asha":
        return ASHAPruner(eta=eta)
    if name == "hyperband":
        return HyperbandPruner(eta=eta)
    raise ConfigError(f"Unknown pruner {name!r}.", fix=f"Choose one of {', '.join(PRUNERS)}.")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
