"""Rung promotion: where a candidate starts, and what happens to it after each rung it finishes.

The ladder joins the pruner (who goes on) with the trainer's rung budgets (how much each rung gets) and
decides, as a pure function of the candidate, its outcome and the pruner's records, whether the outcome
is final (complete, pruned or failed), a promotion to the next rung, or a pause (promoted while the study
is ending: resume continues it). Without a pruner, ``NoLadder`` makes every outcome final.

Early cut keeps a floor of complete trials (``min_complete``): when cutting a candidate would leave fewer
candidates able to finish than the floor, it goes on instead, so a small budget still ends with trials
the analysis pages can read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tuning.protocol import Candidate, Rung, TrialOutcome, TrialState
from tuning.store import TrialRecord
from tuning.strategies.pruners import Pruner

#: Complete trials an early-cut study ends with, at least (fewer only when its trial budget is smaller).
MIN_COMPLETE = 8

BudgetsFn = Callable[[dict[str, Any]], list[int]]


@dataclass(frozen=True)
class Job:
    """A candidate in flight: its rung ladder (None without one), the rungs it finished, when it started."""

    candidate: Candidate
    started: str
    ladder: tuple[int, ...] | None = None
    rungs: tuple[Rung, ...] = ()


class Move(str, Enum):
    FINAL = "final"  # store the outcome, tell the strategy
    PROMOTE = "promote"  # store the rung, submit ``next``
    PAUSE = "pause"  # store the rung as running; the study's end keeps it paused


@dataclass(frozen=True)
class Step:
    move: Move
    outcome: TrialOutcome
    next: Job | None = None


class NoLadder:
    """Every candidate at its full budget; every outcome final."""

    def first(self, number: int, params: dict[str, Any], *, started: str) -> Job:
        return Job(Candidate(number, params), started)

    def resume(self, trial: TrialRecord, *, started: str) -> Job:
        return Job(Candidate(trial.number, trial.params), started)

    def step(self, job: Job, out: TrialOutcome, *, ending: bool, undecided: int) -> Step:
        return Step(Move.FINAL, out)


@dataclass
class Ladder(NoLadder):
    """Rungs of budget for each candidate, promotion by ``pruner``, a floor of ``min_complete`` finishers."""

    pruner: Pruner
    budgets: BudgetsFn
    unit: str
    min_complete: int = MIN_COMPLETE
    n_complete: int = 0
    climbing: set[int] = field(default_factory=set)  # promoted past their first rung, not finished

    @classmethod
    def replay(
        cls, pruner: Pruner, budgets: BudgetsFn, *, unit: str, history: Sequence[TrialRecord], min_complete: int
    ) -> Ladder:
        """The ladder of a resumed study: the pruner's rung records and the counts rebuilt from its trials."""
        for t in history:
            if t.rungs:
                pruner.replay(t.number, [(r.rung, r.score) for r in t.rungs])
        return cls(
            pruner,
            budgets,
            unit,
            min_complete=min_complete,
            n_complete=sum(t.state is TrialState.COMPLETE for t in history),
            climbing={t.number for t in history if t.state is TrialState.PAUSED},
        )

    def first(self, number: int, params: dict[str, Any], *, started: str) -> Job:
        ladder = self.budgets(params)
        if len(ladder) < 2:
            return Job(Candidate(number, params), started)
        r0 = self.pruner.start_rung(number, len(ladder))
        return Job(Candidate(number, params, budget=ladder[r0], rung=r0), started, tuple(ladder))

    def resume(self, trial: TrialRecord, *, started: str) -> Job:
        """A paused trial continues at the rung after its last finished one."""
        ladder = self.budgets(trial.params)
        nxt = trial.rungs[-1].rung + 1 if trial.rungs else 0
        if len(ladder) < 2 or nxt >= len(ladder):
            return Job(Candidate(trial.number, trial.params), started, rungs=trial.rungs)
        cand = Candidate(trial.number, trial.params, budget=ladder[nxt], rung=nxt)
        return Job(cand, started, tuple(ladder), trial.rungs)

    def step(self, job: Job, out: TrialOutcome, *, ending: bool, undecided: int) -> Step:
        """What follows ``out``. ``undecided``: candidates not yet judged besides this one (in flight at
        their first rung, or not yet asked), which the floor of finishers may still count on."""
        cand, ladder = job.candidate, job.ladder
        number = cand.number
        if ladder is None or out.state is not TrialState.COMPLETE or out.score is None:
            self._finish(number, complete=out.state is TrialState.COMPLETE)
            return Step(Move.FINAL, out)
        rung, reached = int(cand.rung or 0), int(out.budget or 0)
        rungs = (*job.rungs, Rung(rung, reached, float(out.score)))
        last = rung >= len(ladder) - 1 or reached < (cand.budget or 0)  # early stopping ended it below its budget
        decision = self.pruner.report(number, rung, out.score, budget=reached, unit=self.unit)
        promote, note = decision.promote, decision.note
        if not last and not promote and self._floor_needs(number, undecided):
            promote, note = True, f"{note}; kept on so that at least {self.min_complete} trials finish"
        if last or not promote:
            self._finish(number, complete=last)
            state = TrialState.COMPLETE if last else TrialState.PRUNED
            return Step(Move.FINAL, out.with_(state=state, rungs=rungs, note=None if last else note))
        running = out.with_(state=TrialState.RUNNING, rungs=rungs, note=note)
        if ending:
            return Step(Move.PAUSE, running)
        self.climbing.add(number)
        up = Candidate(number, cand.params, budget=ladder[rung + 1], rung=rung + 1)
        return Step(Move.PROMOTE, running, Job(up, job.started, ladder, rungs))

    def _floor_needs(self, number: int, undecided: int) -> bool:
        secured = self.n_complete + len(self.climbing - {number})
        return secured + undecided + 1 <= self.min_complete

    def _finish(self, number: int, *, complete: bool) -> None:
        self.climbing.discard(number)
        self.n_complete += int(complete)


def make_ladder(
    pruner: Pruner | None,
    budgets: BudgetsFn,
    *,
    unit: str,
    history: Sequence[TrialRecord] = (),
    n_trials: int | None = None,
) -> NoLadder:
    """The ladder a study runs on: ``NoLadder`` without a pruner."""
    if pruner is None:
        return NoLadder()
    floor = min(MIN_COMPLETE, n_trials) if n_trials is not None else MIN_COMPLETE
    return Ladder.replay(pruner, budgets, unit=unit, history=history, min_complete=floor)
