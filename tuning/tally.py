"""A study's running count: trials finished and failed, the best score, patience, and why to stop.

The runner adds each final outcome; the tally answers whether a budget, the clock, the target, patience or
the plateau rule says the study is done, and what its final state is. It never sees threads or stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tuning.config import ResolvedConfig
from tuning.protocol import StopReason, StudyState, TrialOutcome, TrialState

#: A trial budget that no search reaches (a study bounded by its timeout alone).
UNBOUNDED = 10**9


@dataclass
class Tally:
    config: ResolvedConfig
    budget: int
    n_done: int = 0
    n_failed: int = 0
    best: float | None = None
    since_best: int = 0
    first_error: str | None = None
    #: (score, fold scores of the study's metric) of each final trial, in order: what the plateau rule reads
    scores: list[tuple[float | None, tuple[float, ...]]] = field(default_factory=list)
    note: str | None = None  # why the plateau rule stopped the study, in words

    @classmethod
    def of(cls, config: ResolvedConfig, history: Sequence[TrialOutcome], *, total: int | None) -> Tally:
        """A tally of the trials a study already finished (resume), its budget from the config or the strategy."""
        budget = config.n_trials if config.n_trials is not None else (total or UNBOUNDED)
        tally = cls(config, budget)
        for t in history:
            if t.state.finished:
                tally.add(t)
        return tally

    def add(self, out: TrialOutcome) -> None:
        self.n_done += 1
        complete = out.state is TrialState.COMPLETE and out.score is not None
        self.scores.append(
            (out.score if complete else None, tuple(out.fold_scores.get(self.config.metric, ())) if complete else ())
        )
        if out.state is TrialState.FAILED:
            self.n_failed += 1
            self.first_error = self.first_error or out.error
        if complete and (self.best is None or out.score >= self.best):  # type: ignore[operator]
            self.best, self.since_best = out.score, 0
        else:
            self.since_best += 1

    def stop_reason(self, *, elapsed: float, stop_requested: bool) -> StopReason | None:
        cfg = self.config
        if stop_requested:
            return StopReason.USER
        if self.n_done >= self.budget:
            return StopReason.TRIALS
        if cfg.timeout is not None and elapsed >= cfg.timeout:
            return StopReason.TIMEOUT
        if cfg.target_score is not None and self.best is not None and self.best >= cfg.target_score:
            return StopReason.TARGET
        if cfg.patience is not None and self.since_best >= cfg.patience:
            return StopReason.PATIENCE
        if cfg.plateau:
            from tuning.stoprule import plateau_reason

            self.note = plateau_reason(self.scores)
            if self.note is not None:
                return StopReason.PLATEAU
        return None

    def final(self, reason: StopReason | None, *, stop_requested: bool) -> tuple[StudyState, StopReason, str | None]:
        """The study's end: (state, why, error)."""
        if stop_requested:
            return StudyState.STOPPED, StopReason.USER, None
        if self.n_done and self.n_failed == self.n_done:
            return StudyState.FAILED, StopReason.FAILED, f"Every trial failed; the first error was: {self.first_error}"
        return StudyState.COMPLETE, reason or StopReason.TRIALS, None
