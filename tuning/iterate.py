"""The next study from an earlier one: continue, refine, expand or seed, with the space change in words.

A person runs a search, reads the diagnosis, changes the space and searches again. :func:`propose` turns
one stored study into the request for the next (a :class:`Proposal`: the child's ``StudyConfig``, the space
diff against the parent, the parent trials carried over and those left out, with why). Nothing runs until
the caller starts ``proposal.config`` the one way studies start (``tuning.runner.start``): the Results page
shows the diff first, the CLI prints it.

- ``continue``: the same space; the sampler is told every complete parent trial first (a warm start), so a
  change of strategy (random -> TPE) or of pruner keeps what was learned.
- ``refine``: the box spanned by the top quarter of complete trials (TPE's own "good" share, hyperopt's
  ``gamma = 0.25``), padded by a tenth of its width (in log space for log parameters), never wider than the
  old range; parameters the search found negligible are fixed at the best trial's value. Parent trials
  inside the box warm the sampler.
- ``expand``: a range whose best trial sits at an edge (the diagnosis's 5 %) is widened past it by half its
  width (log space for log parameters), never past the parameter's hard bound; every parent trial fits.
- ``seed``: the first candidates are the best configurations of this study and of the most similar earlier
  studies in the store (same model and task, nearest table shape), plus FLAML's zero-shot configuration for
  the table where ``flaml`` is installed (tuning/zeroshot.py). The sampler starts cold otherwise, so seed
  also starts a study on another dataset.

The child records where it came from in ``config.extra["parent"]`` (study id, mode, the diff and what was
left out); ``show --json`` carries it and the Compare page shows parent and child together.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tuning.analysis import HARD_BOUNDS
from tuning.config import StudyConfig
from tuning.errors import ConfigError
from tuning.protocol import TrialState
from tuning.space import CategoricalParam, FixedParam, FloatParam, IntParam, Param, SearchSpace, centre_value
from tuning.store import Store, TrialRecord
from tuning.strategies.base import params_key
from tuning.study import Study, open_study

#: The top share of complete trials whose box ``refine`` keeps (TPE's "good" share, hyperopt's gamma).
REFINE_TOP = 0.25
#: Fewest trials the refined box is spanned by (fewer: the box of one or two points is too narrow to trust).
REFINE_MIN_TOP = 5
#: The refined box grows by this fraction of its width on each side (the optimum may sit just outside).
REFINE_PAD = 0.10
#: Complete trials needed before a parameter is called negligible and fixed.
FIX_MIN_TRIALS = 30
#: A parameter whose rank correlation with the score reaches this is never called negligible.
FIX_MAX_RHO = 0.2
#: A parameter whose forest importance is below this share of an equal split is negligible.
FIX_SHARE = 0.25
#: The diagnosis's edge: a best value within this fraction of the range's end sits at the edge.
EDGE = 0.05
#: ``expand`` widens a range at its edge by this fraction of its width (log space for log parameters).
WIDEN = 0.5
#: At most this many parent trials warm the child's sampler (the best ones), and seed candidates at most.
MAX_WARM = 500
MAX_SEEDS = 8
#: Seeds from each earlier study, and how many similar studies are asked.
SEEDS_PER_STUDY = 3
SIMILAR_STUDIES = 3
#: At most this many left-out trials are listed by number in the provenance (the count is always kept).
MAX_LISTED = 50
MAX_NAME = 120


class Mode(str, Enum):
    CONTINUE = "continue"
    REFINE = "refine"
    EXPAND = "expand"
    SEED = "seed"

    @property
    def label(self) -> str:
        return MODE_HELP[self][0]

    @property
    def help(self) -> str:
        return MODE_HELP[self][1]


MODE_HELP = {
    Mode.CONTINUE: ("Continue", "Same space; the sampler starts from every complete trial of this study."),
    Mode.REFINE: (
        "Refine",
        "Narrow each range to the box of the best quarter of trials (padded); fix parameters that barely matter.",
    ),
    Mode.EXPAND: ("Expand", "Widen the ranges whose best value sits at an edge; keep every trial learned."),
    Mode.SEED: (
        "Seed",
        "Start from the best settings of this and the most similar earlier studies (and FLAML's zero-shot guess).",
    ),
}


@dataclass(frozen=True)
class SpaceChange:
    """One line of the diff: a parameter's range before and after, and why it changed."""

    param: str
    before: str
    after: str
    why: str

    def line(self) -> str:
        return f"{self.param}: {self.before} -> {self.after} ({self.why})"


@dataclass(frozen=True)
class LeftOut:
    """A parent trial that does not warm the child, and why."""

    number: int
    why: str


@dataclass(frozen=True)
class Proposal:
    """The next study, before it starts: its request, the space diff, the trials carried over and left out."""

    parent_id: int
    mode: Mode
    config: StudyConfig
    changes: tuple[SpaceChange, ...]
    warm: tuple[dict[str, Any], ...] = ()  # {"params", "score"} the sampler is told first
    seeds: tuple[dict[str, Any], ...] = ()  # the first candidates, in order
    seed_sources: tuple[str, ...] = ()  # where each seed came from, in words
    left_out: tuple[LeftOut, ...] = ()
    clipped: tuple[LeftOut, ...] = ()  # carried over with a value moved onto the new range
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        """The proposal in words: the diff, then what was carried over and what was not."""
        out = [f"{self.mode.label} study #{self.parent_id}: {self.mode.help}"]
        out += [f"  {c.line()}" for c in self.changes] or ["  the space is unchanged"]
        if self.warm:
            out.append(f"{len(self.warm)} trial(s) of study #{self.parent_id} warm the sampler.")
        if self.clipped:
            out.append(f"{len(self.clipped)} of them with a value moved onto the new range: {_numbers(self.clipped)}.")
        if self.left_out:
            out.append(f"{len(self.left_out)} trial(s) left out: {_why_counts(self.left_out)}.")
        out += [f"Seed: {s}" for s in self.seed_sources]
        out += list(self.notes)
        return out

    def provenance(self) -> dict[str, Any]:
        """What the child keeps of where it came from (``config.extra["parent"]``; JSON, bounded)."""
        return {
            "study_id": self.parent_id,
            "mode": self.mode.value,
            "changes": [c.line() for c in self.changes],
            "n_warm": len(self.warm),
            "n_seeds": len(self.seeds),
            "seed_sources": list(self.seed_sources),
            "n_left_out": len(self.left_out),
            "left_out": [{"number": t.number, "why": t.why} for t in self.left_out[:MAX_LISTED]],
            "n_clipped": len(self.clipped),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.provenance(),
            "space": self.config.space,
            "strategy": self.config.strategy,
            "pruner": self.config.pruner,
            "n_trials": self.config.n_trials,
            "seeds": list(self.seeds),
            "notes": list(self.notes),
        }


def _numbers(items: Sequence[LeftOut]) -> str:
    shown = ", ".join(f"#{t.number}" for t in items[:10])
    return shown + (f" and {len(items) - 10} more" if len(items) > 10 else "")


def _why_counts(items: Sequence[LeftOut]) -> str:
    counts: dict[str, int] = {}
    for t in items:
        counts[t.why] = counts.get(t.why, 0) + 1
    return "; ".join(f"{n} {why}" for why, n in counts.items())


# ----------------------------------------------------------------------------------------------
# The modes


def propose(
    store: Store,
    study_id: int,
    mode: Mode | str,
    *,
    strategy: str | None = None,
    pruner: str | None = None,
    n_trials: int | None = None,
    dataset_id: str | None = None,
    name: str | None = None,
    zero_shot: bool = True,
) -> Proposal:
    """The next study from ``study_id`` in ``mode``; ``strategy``, ``pruner``, ``n_trials`` override the
    parent's. ``dataset_id`` (seed mode only) starts on another stored table with the same target."""
    try:
        mode = Mode(mode)
    except ValueError:
        raise ConfigError(f"Unknown mode {mode!r}.", fix=f"Use one of: {', '.join(m.value for m in Mode)}.") from None
    parent = open_study(store, study_id)
    if dataset_id is not None and dataset_id != parent.config.dataset_id and mode is not Mode.SEED:
        raise ConfigError(
            f"{mode.label} compares scores with study #{study_id}'s, so it needs the same dataset.",
            fix="Use the seed mode to start on another dataset.",
        )
    trials = parent.trials()
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.score is not None]
    if not complete:
        raise ConfigError(
            f"Study #{study_id} has no complete trial to learn from.", fix="Run it further, or start a new study."
        )
    space = parent.config.space
    changes: list[SpaceChange] = []
    notes: list[str] = []
    if mode is Mode.REFINE:
        space, changes = _refined(parent, complete)
    elif mode is Mode.EXPAND:
        space, changes, notes = _expanded(space, complete)
        if not changes:
            notes.append("No range can widen: the space is kept as it was.")
    seeds: list[dict[str, Any]] = []
    sources: list[str] = []
    warm: list[dict[str, Any]] = []
    left: list[LeftOut] = []
    clipped: list[LeftOut] = []
    if mode is Mode.SEED:
        seeds, sources = _seeds(store, parent, space, complete, dataset_id=dataset_id, zero_shot=zero_shot)
    else:
        warm, left, clipped = _carried(space, trials)
    request = parent.config.request()
    label = name or f"{mode.value} of #{study_id}: {parent.name}"
    config = request.replace(
        dataset_id=dataset_id or request.dataset_id,
        space=space.to_dict(),
        strategy=strategy or request.strategy,
        pruner=pruner or request.pruner,
        n_trials=n_trials if n_trials is not None else request.n_trials,
        name=label[:MAX_NAME],
        extra={},
    )
    proposal = Proposal(
        parent_id=parent.id,
        mode=mode,
        config=config,
        changes=tuple(changes),
        warm=tuple(warm),
        seeds=tuple(seeds),
        seed_sources=tuple(sources),
        left_out=tuple(left),
        clipped=tuple(clipped),
        notes=tuple(notes),
    )
    extra: dict[str, Any] = {"parent": proposal.provenance()}
    if warm:
        extra["warm_start"] = warm
    if seeds:
        extra["seed"] = seeds
    return _with_config(proposal, config.replace(extra=extra))


def _with_config(p: Proposal, config: StudyConfig) -> Proposal:
    return dataclasses.replace(p, config=config)


def refined_space(
    space: SearchSpace,
    scored: Sequence[tuple[dict[str, Any], float]],
    *,
    fix: dict[str, str] | None = None,
) -> tuple[SearchSpace, list[SpaceChange]]:
    """The box the top quarter of ``scored`` (params, score; higher is better) spans, padded, inside
    ``space``; the parameters in ``fix`` (name: why) fixed at the best one's value. Pure: the Learn page's
    refined search uses it as the engine does."""
    ranked = sorted(scored, key=lambda t: t[1], reverse=True)
    top = ranked[: max(REFINE_MIN_TOP, math.ceil(REFINE_TOP * len(ranked)))]
    if not top:
        return space, []
    best = top[0][0]
    fix = fix or {}
    params: list[Param] = []
    changes: list[SpaceChange] = []
    share = f"top {len(top)} of {len(ranked)} complete trials"
    for p in space.params:
        if isinstance(p, FixedParam):
            params.append(p)
            continue
        if p.name in fix and p.name in best and not p.when:
            value = best[p.name]
            fixed = FixedParam(p.name, value=_round(value) if isinstance(value, float) else value)
            params.append(fixed)
            changes.append(SpaceChange(p.name, _range(p), _range(fixed), fix[p.name]))
            continue
        values = [t[p.name] for t, _ in top if p.name in t]
        new = _box(p, values) if values else p
        params.append(new)
        if new != p:
            changes.append(SpaceChange(p.name, _range(p), _range(new), f"the range of the {share}, padded"))
    return SearchSpace(tuple(params), grid_points=space.grid_points), changes


def _refined(parent: Study, complete: Sequence[TrialRecord]) -> tuple[SearchSpace, list[SpaceChange]]:
    scored = [(t.params, float(t.score)) for t in complete if t.score is not None]
    return refined_space(parent.config.space, scored, fix=_negligible(parent, complete))


def _box(p: Param, values: list[Any]) -> Param:
    """The padded box of ``values`` inside ``p``'s range (categorical: the values seen, in the old order)."""
    if isinstance(p, CategoricalParam):
        seen = [v for v in p.values if any(v == x for x in values)]
        return CategoricalParam(p.name, values=tuple(seen), when=p.when) if len(seen) >= 1 else p
    if not isinstance(p, (IntParam, FloatParam)):
        return p
    nums = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        return p
    to, back = _scale(p)
    lo, hi = to(min(nums)), to(max(nums))
    pad = REFINE_PAD * (hi - lo) if hi > lo else REFINE_PAD * (to(p.high) - to(p.low))
    new_lo, new_hi = max(to(p.low), lo - pad), min(to(p.high), hi + pad)
    if isinstance(p, IntParam):
        low, high = max(p.low, math.floor(back(new_lo))), min(p.high, math.ceil(back(new_hi)))
        return IntParam(p.name, low=int(low), high=int(max(low, high)), log=p.log, when=p.when)
    return FloatParam(p.name, low=_round(back(new_lo)), high=_round(back(new_hi)), log=p.log, when=p.when)


def _round(v: float) -> float:
    return float(f"{v:.6g}")


def _scale(p: IntParam | FloatParam) -> tuple[Any, Any]:
    if p.log and p.low > 0:
        return math.log, math.exp
    return float, float


def _negligible(parent: Study, complete: Sequence[TrialRecord]) -> dict[str, str]:
    """Parameters that barely move the score, with why: forest importance below a quarter of an equal share
    and no rank correlation with the score (|rho| < 0.2), at most half the searched parameters (the least
    important first), and only once the study has ``FIX_MIN_TRIALS`` complete trials."""
    if len(complete) < FIX_MIN_TRIALS:
        return {}
    from tuning.analysis import param_importance

    space = parent.config.space
    table = param_importance(parent.frame(), space, seed=0)
    if table.empty or len(table) < 2:
        return {}
    limit = FIX_SHARE / len(table)
    out: dict[str, str] = {}
    for row in table.sort_values("importance").itertuples():
        rho = float(row.correlation)
        if len(out) >= len(table) // 2 or float(row.importance) >= limit:
            break
        if math.isfinite(rho) and abs(rho) >= FIX_MAX_RHO:
            continue
        out[str(row.param)] = (
            f"negligible: importance {float(row.importance):.3f} < {limit:.3f} and no trend with the score; "
            "fixed at the best trial's value"
        )
    return out


def _expanded(space: SearchSpace, complete: Sequence[TrialRecord]) -> tuple[SearchSpace, list[SpaceChange], list[str]]:
    best = max(complete, key=lambda t: t.score if t.score is not None else -math.inf)
    params: list[Param] = []
    changes: list[SpaceChange] = []
    notes: list[str] = []
    for p in space.params:
        new, why = _widen(p, best.params.get(p.name))
        params.append(new)
        if why and new != p:
            changes.append(SpaceChange(p.name, _range(p), _range(new), why))
        elif why:
            notes.append(f"{p.name}: {why}.")
    return SearchSpace(tuple(params), grid_points=space.grid_points), changes, notes


def _widen(p: Param, v: Any) -> tuple[Param, str | None]:
    """``p`` widened past the edge its best value ``v`` sits at (half the width, log space for log ranges),
    never past the parameter's hard bound; the reason in words (None when ``v`` is not at an edge)."""
    if not isinstance(p, (IntParam, FloatParam)) or not isinstance(v, (int, float)) or isinstance(v, bool):
        return p, None
    to, back = _scale(p)
    lo, hi = to(p.low), to(p.high)
    if hi <= lo:
        return p, None
    pos = (to(v) - lo) / (hi - lo)
    hard_lo, hard_hi = HARD_BOUNDS.get(p.name, (None, None))
    step = WIDEN * (hi - lo)
    new_lo, new_hi = float(p.low), float(p.high)
    if pos <= EDGE:
        side = "low"
        new_lo = back(lo - step)
        if hard_lo is not None:
            new_lo = max(new_lo, hard_lo)
        elif not p.log and p.low >= 0:
            new_lo = max(new_lo, 0.0)  # a non-negative range stays non-negative
    elif pos >= 1 - EDGE:
        side = "high"
        new_hi = back(hi + step)
        if hard_hi is not None:
            new_hi = min(new_hi, hard_hi)
    else:
        return p, None
    if isinstance(p, IntParam):
        low = max(1 if p.log else -(2**62), math.floor(new_lo))
        new: Param = IntParam(p.name, low=int(low), high=int(math.ceil(new_hi)), log=p.log, when=p.when)
    else:
        new = FloatParam(p.name, low=_round(new_lo), high=_round(new_hi), log=p.log, when=p.when)
    if new == p:
        return p, f"the best value {v:.4g} sits at the {side} edge, but that edge is the parameter's hard bound"
    return new, f"the best value {v:.4g} sits at the {side} edge ({pos:.0%} of the range): widened by half its width"


def _range(p: Param) -> str:
    if isinstance(p, FixedParam):
        return f"fixed {p.value!r}"
    if isinstance(p, CategoricalParam):
        return "{" + ", ".join(repr(v) for v in p.values) + "}"
    if isinstance(p, (IntParam, FloatParam)):
        return f"[{p.low:g}, {p.high:g}]" + (" log" if p.log else "")
    return str(p)


# ----------------------------------------------------------------------------------------------
# What the child carries over


def fit(
    space: SearchSpace, params: dict[str, Any], *, clip: bool = False
) -> tuple[dict[str, Any] | None, str | None, bool]:
    """``params`` onto ``space``: (the fitted params, why not, whether a value was moved onto a range).

    A value outside a numeric range by at most the refine padding is moved onto the bound (the padding's own
    rounding); further out the trial does not fit, unless ``clip`` (a seed is a starting point: any value is
    moved onto the range, a missing one takes the range's centre). A fixed parameter takes its value: the
    search found that the score barely depends on it."""
    out: dict[str, Any] = {}
    moved = False
    for p in space.params:
        if not p.is_active(out):
            continue
        if isinstance(p, FixedParam):
            out[p.name] = p.value
            continue
        if p.name not in params:
            if not clip:
                return None, f"has no value for {p.name}", False
            out[p.name] = centre_value(p)
            continue
        v = params[p.name]
        if isinstance(p, CategoricalParam):
            if not any(v == x for x in p.values):
                if not clip:
                    return None, f"{p.name} outside the new choices", False
                v, moved = p.values[0], True
            out[p.name] = v
            continue
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            return None, f"{p.name} is not a number", False
        if p.low <= v <= p.high:
            out[p.name] = v
            continue
        if not clip:
            if p.log and v <= 0:
                return None, f"{p.name} outside the new range", False
            to, _ = _scale(p)
            width = max(to(p.high) - to(p.low), 1e-12)
            gap = to(p.low) - to(v) if v < p.low else to(v) - to(p.high)
            if gap > REFINE_PAD * width:
                return None, f"{p.name} outside the new range", False
        out[p.name] = p.clip(v)
        moved = True
    return out, None, moved


def _carried(
    space: SearchSpace, trials: Sequence[TrialRecord]
) -> tuple[list[dict[str, Any]], list[LeftOut], list[LeftOut]]:
    """Parent trials that warm the child (complete ones that fit the space), those left out and those moved."""
    warm: list[dict[str, Any]] = []
    left: list[LeftOut] = []
    clipped: list[LeftOut] = []
    ranked = sorted(trials, key=lambda t: (t.score is None, -(t.score or 0.0)))
    for t in ranked:
        if t.state is TrialState.PRUNED:
            left.append(LeftOut(t.number, "cut early (its score is at a partial budget)"))
            continue
        if t.state is TrialState.FAILED:
            left.append(LeftOut(t.number, "failed"))
            continue
        if t.state is not TrialState.COMPLETE or t.score is None:
            left.append(LeftOut(t.number, "not finished"))
            continue
        fitted, why, moved = fit(space, t.params)
        if fitted is None:
            left.append(LeftOut(t.number, why or "does not fit the new space"))
            continue
        if len(warm) >= MAX_WARM:
            left.append(LeftOut(t.number, f"past the {MAX_WARM} best"))
            continue
        warm.append({"params": fitted, "score": float(t.score)})
        if moved:
            clipped.append(LeftOut(t.number, "a value moved onto the new range"))
    left.sort(key=lambda t: t.number)
    return warm, left, clipped


def _seeds(
    store: Store,
    parent: Study,
    space: SearchSpace,
    complete: Sequence[TrialRecord],
    *,
    dataset_id: str | None,
    zero_shot: bool,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The best configurations of the parent and of the most similar earlier studies, then FLAML's."""
    seeds: list[dict[str, Any]] = []
    sources: list[str] = []
    seen: set[str] = set()

    def add(params: dict[str, Any], source: str) -> bool:
        fitted, _, _ = fit(space, params, clip=True)
        if fitted is None or len(seeds) >= MAX_SEEDS:
            return False
        key = params_key(fitted)
        if key in seen:
            return False
        seen.add(key)
        seeds.append(fitted)
        sources.append(source)
        return True

    ranked = sorted(complete, key=lambda t: t.score or 0.0, reverse=True)
    for t in ranked[:SEEDS_PER_STUDY]:
        add(t.params, f"trial #{t.number} of study #{parent.id} (score {t.score:.4g})")
    target_ds = dataset_id or parent.config.dataset_id
    for other, distance in similar_studies(store, parent, dataset_id=target_ds)[:SIMILAR_STUDIES]:
        best = sorted(
            (t for t in other.trials() if t.state is TrialState.COMPLETE and t.score is not None),
            key=lambda t: t.score or 0.0,
            reverse=True,
        )
        for t in best[:SEEDS_PER_STUDY]:
            add(t.params, f"trial #{t.number} of study #{other.id}, a similar table (distance {distance:.2f})")
    if zero_shot:
        from tuning import zeroshot

        table = parent.table if target_ds == parent.config.dataset_id else None
        guess, why = zeroshot.suggest(store, parent.config, dataset_id=target_ds, table=table)
        if guess is not None:
            if not add(guess, "FLAML's zero-shot configuration for this table (moved onto the space's ranges)"):
                sources.append("FLAML's zero-shot configuration was already among the seeds")
        elif why:
            sources.append(why)
    return seeds, sources


def similar_studies(store: Store, parent: Study, *, dataset_id: str) -> list[tuple[Study, float]]:
    """Earlier studies of the same model and task, nearest table first (log rows and log columns apart)."""
    shapes = {d["id"]: (d["n_rows"] or 1, d["n_cols"] or 1) for d in store.list_datasets()}
    here = shapes.get(dataset_id)
    if here is None:
        return []
    out: list[tuple[Study, float]] = []
    for record in store.list_studies():
        if record.id == parent.id:
            continue
        cfg = record.config
        if cfg.model != parent.config.model or cfg.task != parent.config.task:
            continue
        shape = shapes.get(record.dataset_id)
        if shape is None:
            continue
        distance = abs(math.log(shape[0] / here[0])) + abs(math.log(shape[1] / here[1]))
        out.append((Study(store, record.id), distance))
    return sorted(out, key=lambda s: (s[1], -s[0].id))
