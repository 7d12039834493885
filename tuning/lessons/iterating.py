"""Why iterate, and when to stop: the winner's curse of a search, and cold vs refined vs seeded searches.

Two lessons on one small table, computed for real:

* :func:`winners_curse`: N random configurations scored by K-fold CV on a training part and on held-out
  rows. The best CV score of N candidates overstates what that candidate scores on fresh rows, and the
  more candidates (and the fewer rows), the larger the overstatement: picking the best partly picks luck.
* :func:`iterate_search`: a cold random search, a refined one (the box the cold search's top quarter spans,
  the engine's own :func:`tuning.iterate.refined_space`) and a seeded one (the cold search's best
  configurations first), each with its best-so-far curve, its CV noise, its fitting time and where the
  project's plateau rule (:func:`tuning.stoprule.plateau_reason`) would stop it.

Candidates are scored directly on preprocessed fold matrices (each fold's preprocessing fitted on that
fold's training rows, once), not through the engine's trainers: a lesson fits hundreds of tiny models and
this keeps it to a few seconds. Sampling goes through the project's :class:`~tuning.space.SearchSpace`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split

from tuning.analysis import display_metric_name, display_score
from tuning.context import make_folds
from tuning.data import build_preprocessor
from tuning.errors import ConfigError
from tuning.iterate import SpaceChange, refined_space
from tuning.lessons._common import Progress, as_frame, encode_target, quiet, split_columns, standard_error, tick
from tuning.metrics import check_metric, default_metric
from tuning.models import get_model, make_estimator
from tuning.space import SearchSpace
from tuning.stoprule import MIN_TRIALS, plateau_reason

MIN_HELD_OUT = 30  # fewer held-out rows than this would make the "fresh rows" score itself too noisy to teach with


# ----------------------------------------------------------------------------------------------
# One split of a table, preprocessed once


@dataclass(frozen=True)
class _Bench:
    """K folds of the training rows as ready matrices (each with the held-out rows as that fold's
    preprocessing sees them), and the held-out rows' target."""

    model: str
    task: str
    metric: str
    seed: int
    folds: tuple[tuple[Any, np.ndarray, Any, np.ndarray, Any], ...]
    held_y: np.ndarray

    def score(self, params: Mapping[str, Any], *, held: bool = False) -> tuple[np.ndarray, float]:
        """Each fold's validation score (NaN where a fit or a score failed) and, with ``held``, the mean score
        of the same K fold models on the held-out rows: fresh rows, but models trained on as many rows as
        the CV score's, so the two differ by the luck of the folds and not by the training size."""
        scorer = get_scorer(self.metric)
        cv, ho = [], []
        with quiet():
            for Xtr, ytr, Xva, yva, Xho in self.folds:
                try:
                    est = make_estimator(self.model, self.task, dict(params), seed=self.seed).fit(Xtr, ytr)
                    cv.append(float(scorer(est, Xva, yva)))
                    if held:
                        ho.append(float(scorer(est, Xho, self.held_y)))
                except ValueError:
                    cv.append(float("nan"))
                    ho.append(float("nan"))
        return np.asarray(cv), (_mean(np.asarray(ho)) if held else float("nan"))


def _bench(
    X: Any, y: Any, *, model: str, task: str, n_rows: int, metric: str | None, cv: int, seed: int
) -> tuple[_Bench, SearchSpace]:
    frame, numeric, categorical = split_columns(as_frame(X))
    yy, classes = encode_target(y, task)
    n = len(yy)
    if n_rows < 2 * cv or n - n_rows < MIN_HELD_OUT:
        raise ConfigError(
            f"The table has {n} rows: {n_rows} for the search leaves {n - n_rows} held out.",
            fix=f"Use between {2 * cv} and {n - MIN_HELD_OUT} rows for the search.",
        )
    n_classes = len(classes) if classes else None
    metric = metric or default_metric(task, n_classes)
    check_metric(metric, task=task, n_classes=n_classes, model=model)
    strat = yy if task == "classification" else None
    try:
        tr, te = train_test_split(np.arange(n), train_size=n_rows, random_state=seed, stratify=strat)
    except ValueError as exc:  # a class too small to appear on both sides
        raise ConfigError(f"Cannot split {n_rows} rows off this table: {exc}", fix="Use more rows.") from None
    ytr = yy[tr]
    if task == "classification" and int(np.bincount(ytr, minlength=n_classes or 0).min()) < cv:
        raise ConfigError(
            f"A class has fewer than {cv} of the {n_rows} rows, so {cv}-fold CV cannot stratify.",
            fix="Use more rows for the search.",
        )
    family = get_model(model)

    folds = []
    for ftr, fva in make_folds(ytr, task=task, cv=cv, seed=seed):
        p = build_preprocessor(numeric, categorical, scale=family.scale, impute=family.impute)
        p.fit(frame.iloc[tr[ftr]])
        a, b, c = (p.transform(frame.iloc[rows]) for rows in (tr[ftr], tr[fva], te))
        folds.append((a, ytr[ftr], b, ytr[fva], c))
    space = SearchSpace.from_dict(family.default_space_for(n_rows, frame.shape[1]))
    bench = _Bench(model, task, metric, seed, tuple(folds), yy[te])
    return bench, space


def _mean(folds: np.ndarray) -> float:
    """The mean CV score; NaN when any fold failed (a failed fold is a failed trial, as in a study)."""
    return float(np.mean(folds)) if folds.size and np.all(np.isfinite(folds)) else float("nan")


# ----------------------------------------------------------------------------------------------
# 1. The winner's curse


def best_of(cv_score: np.ndarray, held_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For n = 1..M (columns), the expected best CV score of n candidates drawn at random from a pool of M,
    and the expected held-out score of that winner. Rows are independent pools.

    Exact, not sampled: the candidate ranked j-th by CV (best first) is the best of a random n-subset with
    probability C(M - j, n - 1) / C(M, n). At n = 1 that is the pool's mean, at n = M the pool's winner.
    A candidate whose CV failed (NaN) is left out of its pool.
    """
    cv_score, held_score = np.atleast_2d(cv_score), np.atleast_2d(held_score)
    R, M = cv_score.shape
    best = np.full((R, M), np.nan)
    winner = np.full((R, M), np.nan)
    for r in range(R):
        ok = np.isfinite(cv_score[r])
        order = np.argsort(-cv_score[r][ok], kind="stable")
        cv, held = cv_score[r][ok][order], held_score[r][ok][order]
        m = cv.size
        for n in range(1, m + 1):
            p = np.array([math.comb(m - j, n - 1) for j in range(1, m + 1)], dtype=float) / math.comb(m, n)
            best[r, n - 1] = float(p @ cv)
            winner[r, n - 1] = float(p @ np.nan_to_num(held, nan=float(np.nanmean(held))))
    return best, winner


@dataclass(frozen=True)
class WinnersCurse:
    """``repeats`` independent splits, each with a pool of ``n_candidates`` random configurations.

    ``cv_score``/``held_score`` are (repeats, candidates): mean K-fold CV score on the ``n_rows`` training rows
    and the mean score of the same K fold models on the ``n_held`` held-out rows.
    ``best_cv[r, n-1]`` is the expected best CV score of n candidates drawn from repeat r's pool (see
    :func:`best_of`), ``winner_held`` the expected held-out score of that winner; ``optimism = best_cv -
    winner_held`` (positive when CV flatters, losses too: scores are in the higher-is-better convention).
    """

    model: str
    task: str
    metric: str
    n_rows: int
    n_held: int
    cv: int
    params: tuple[tuple[dict[str, Any], ...], ...]
    cv_score: np.ndarray
    held_score: np.ndarray
    best_cv: np.ndarray
    winner_held: np.ndarray

    @property
    def n_candidates(self) -> int:
        return int(self.cv_score.shape[1])

    @property
    def repeats(self) -> int:
        return int(self.cv_score.shape[0])

    @property
    def optimism(self) -> np.ndarray:
        return self.best_cv - self.winner_held

    def optimism_at(self, n: int) -> float:
        """Mean optimism over the repeats when the best of the first ``n`` candidates is picked."""
        return float(np.nanmean(self.optimism[:, self._n(n) - 1]))

    def top(self, n: int, k: int) -> np.ndarray:
        """(repeats, k) indices of the k best CV scores among the first n candidates, best first."""
        n = self._n(n)
        k = max(1, min(int(k), n))
        cv = np.where(np.isfinite(self.cv_score[:, :n]), self.cv_score[:, :n], -np.inf)
        return np.argsort(-cv, axis=1, kind="stable")[:, :k]

    def _n(self, n: int) -> int:
        return max(1, min(int(n), self.n_candidates))


def winners_curse(
    X: Any,
    y: Any,
    *,
    task: str,
    model: str = "decision_tree",
    n_rows: int = 100,
    n_candidates: int = 50,
    repeats: int = 4,
    metric: str | None = None,
    cv: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> WinnersCurse:
    """Score ``n_candidates`` random configurations by CV and on held-out rows, over ``repeats`` splits.

    Each repeat draws its own training rows (``n_rows`` of them; the rest are held out), folds and
    candidates, so the band over repeats shows how much the curse itself varies.
    """
    if n_candidates < 1 or repeats < 1:
        raise ConfigError("The winner's curse needs at least one candidate and one repeat.")
    cvs = np.full((repeats, n_candidates), np.nan)
    held = np.full((repeats, n_candidates), np.nan)
    params: list[tuple[dict[str, Any], ...]] = []
    n_held = 0
    bench = None
    for r in range(repeats):
        bench, space = _bench(X, y, model=model, task=task, n_rows=n_rows, metric=metric, cv=cv, seed=seed + r)
        n_held = len(bench.held_y)
        rng = np.random.default_rng(seed + 1000 * (r + 1))
        cands = tuple(space.sample(rng) for _ in range(n_candidates))
        params.append(cands)
        for i, p in enumerate(cands):
            folds, held[r, i] = bench.score(p, held=True)
            cvs[r, i] = _mean(folds)
            tick(progress, r * n_candidates + i + 1, repeats * n_candidates)
    assert bench is not None
    best, winner = best_of(cvs, held)
    return WinnersCurse(
        model=model,
        task=task,
        metric=bench.metric,
        n_rows=int(n_rows),
        n_held=int(n_held),
        cv=int(cv),
        params=tuple(params),
        cv_score=cvs,
        held_score=held,
        best_cv=best,
        winner_held=winner,
    )


# ----------------------------------------------------------------------------------------------
# 2. Cold vs refined vs seeded search, and when to stop


#: A decision tree's space with more room to be wrong than its default: few features per split
#: (``max_features``) and a strong pruning penalty (``ccp_alpha``) both ruin a tree, on a log scale so a
#: random search spends real trials there. A cold search keeps finding better trees for a while, every
#: configuration is a different tree, and the refined box has something to cut away.
TREE_SPACE: dict[str, dict[str, Any]] = {
    "max_depth": {"type": "int", "low": 1, "high": 30},
    "min_samples_leaf": {"type": "int", "low": 1, "high": 100, "log": True},
    "ccp_alpha": {"type": "float", "low": 1e-4, "high": 0.1, "log": True},
    "max_features": {"type": "float", "low": 0.02, "high": 1.0, "log": True},
}


def plateau_stop(
    scores: Sequence[float], folds: Sequence[Sequence[float]], *, min_trials: int = MIN_TRIALS
) -> tuple[int | None, str | None]:
    """The first trial (1-based) after which the project's plateau rule would stop the search, and its reason."""
    trials = [(None if not math.isfinite(float(s)) else float(s), list(f)) for s, f in zip(scores, folds)]
    for i in range(1, len(trials) + 1):
        reason = plateau_reason(trials[:i], min_trials=min_trials)
        if reason is not None:
            return i, reason
    return None, None


@dataclass(frozen=True)
class SearchRun:
    """One search in trial order: ``scores`` (mean CV), ``folds`` (trials x K), the best so far and the
    standard error of the folds of the trial holding it, and ``seconds`` each trial took to fit and score
    its K folds. :meth:`stop` says where the plateau rule stops it."""

    name: str
    params: tuple[dict[str, Any], ...]
    scores: np.ndarray
    folds: np.ndarray
    best: np.ndarray
    best_se: np.ndarray
    best_trial: np.ndarray  # 1-based
    seconds: np.ndarray
    n_seeded: int = 0

    @property
    def final_best(self) -> float:
        return float(self.best[-1]) if self.best.size else float("nan")

    @property
    def elapsed(self) -> np.ndarray:
        """Seconds spent by the end of each trial."""
        return np.cumsum(self.seconds)

    def best_at(self, trial: int) -> float:
        return float(self.best[max(1, min(int(trial), self.best.size)) - 1])

    def reached(self, target: float) -> int | None:
        """The first trial (1-based) whose best so far is at least ``target``; None if none is."""
        hit = np.flatnonzero(np.nan_to_num(self.best, nan=-np.inf) >= target)
        return int(hit[0]) + 1 if hit.size else None

    def stop(self, min_trials: int = MIN_TRIALS) -> tuple[int | None, str | None]:
        """The trial after which the plateau rule (waiting for ``min_trials`` first) stops this search."""
        return plateau_stop(self.scores.tolist(), self.folds.tolist(), min_trials=min_trials)


def _run(name: str, bench: _Bench, params: Sequence[dict[str, Any]], *, n_seeded: int, on_trial: Any) -> SearchRun:
    rows, seconds = [], []
    for p in params:
        t0 = time.perf_counter()
        rows.append(bench.score(p)[0])
        seconds.append(time.perf_counter() - t0)
        on_trial()
    folds = np.array(rows)
    scores = np.array([_mean(f) for f in folds])
    safe = np.where(np.isfinite(scores), scores, -np.inf)
    best = np.maximum.accumulate(safe)
    holder = np.zeros(len(scores), dtype=int)
    for i in range(1, len(scores)):
        holder[i] = i if safe[i] > safe[holder[i - 1]] else holder[i - 1]
    se = np.array([standard_error(folds[h]) for h in holder])
    return SearchRun(
        name=name,
        params=tuple(params),
        scores=scores,
        folds=folds,
        best=np.where(np.isfinite(best), best, np.nan),
        best_se=se,
        best_trial=holder + 1,
        seconds=np.asarray(seconds, dtype=float),
        n_seeded=n_seeded,
    )


@dataclass(frozen=True)
class IterateLesson:
    """A cold search, a refined one and a seeded one on the same folds (``runs`` in that order); ``changes``
    are the engine's lines for how the refined box differs from ``space``."""

    model: str
    task: str
    metric: str
    n_rows: int
    cv: int
    space: SearchSpace
    refined_space: SearchSpace
    runs: tuple[SearchRun, ...]
    changes: tuple[SpaceChange, ...] = ()

    def run(self, name: str) -> SearchRun:
        return next(r for r in self.runs if r.name == name)


def iterate_search(
    X: Any,
    y: Any,
    *,
    task: str,
    model: str = "decision_tree",
    space: Mapping[str, Mapping[str, Any]] | None = None,
    n_rows: int = 150,
    trials: int = 40,
    n_seeds: int = 3,
    metric: str | None = None,
    cv: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> IterateLesson:
    """``trials`` cold random trials over ``space`` (the model's default space when None); then ``trials`` in
    the box the engine's :func:`tuning.iterate.refined_space` draws around the cold search's best quarter;
    then ``trials`` seeded with the cold search's ``n_seeds`` best configurations followed by random ones
    from ``space``. All on the same folds."""
    if trials < 2:
        raise ConfigError("Each search needs at least 2 trials.")
    bench, default = _bench(X, y, model=model, task=task, n_rows=n_rows, metric=metric, cv=cv, seed=seed)
    space_ = SearchSpace.from_dict({k: dict(v) for k, v in space.items()}) if space is not None else default
    done = [0]
    total = 3 * trials

    def on_trial() -> None:
        done[0] += 1
        tick(progress, done[0], total)

    rng = np.random.default_rng(seed)
    cold_params = [space_.sample(rng) for _ in range(trials)]
    cold = _run("cold", bench, cold_params, n_seeded=0, on_trial=on_trial)
    scored = [(p, float(s)) for p, s in zip(cold_params, cold.scores) if math.isfinite(float(s))]
    refined, changes = refined_space(space_, scored)
    rng = np.random.default_rng(seed + 1)
    ref = _run("refined", bench, [refined.sample(rng) for _ in range(trials)], n_seeded=0, on_trial=on_trial)
    k = min(n_seeds, trials)
    order = sorted(range(trials), key=lambda i: -(cold.scores[i] if math.isfinite(cold.scores[i]) else -math.inf))
    seeds = [cold_params[i] for i in order[:k]]
    rng = np.random.default_rng(seed + 2)
    seeded = _run(
        "seeded",
        bench,
        seeds + [space_.sample(rng) for _ in range(trials - k)],
        n_seeded=k,
        on_trial=on_trial,
    )
    return IterateLesson(
        model=model,
        task=task,
        metric=bench.metric,
        n_rows=int(n_rows),
        cv=int(cv),
        space=space_,
        refined_space=refined,
        runs=(cold, ref, seeded),
        changes=tuple(changes),
    )


# ----------------------------------------------------------------------------------------------
# The lessons in words (plain text, computed from the numbers)


def _show(metric: str, score: float) -> str:
    v = display_score(metric, score)
    return "n/a" if v is None else f"{v:.4g}"


def curse_sentence(w: WinnersCurse, n: int) -> str:
    """How much the winner's CV score overstates its held-out score when the best of ``n`` is picked."""
    n = w._n(n)
    opt = w.optimism_at(n)
    cv, held = float(np.nanmean(w.best_cv[:, n - 1])), float(np.nanmean(w.winner_held[:, n - 1]))
    name = display_metric_name(w.metric)
    if not math.isfinite(opt):
        return f"No held-out score could be computed for the best of {n}."
    head = f"Picking the best of {n} by CV"
    if opt > 0:
        what = f"added {opt:.3g} of optimism"
    else:
        what = f"added no optimism ({-opt:.3g} the other way)"
    return (
        f"{head} {what}: the winner's CV {name} said {_show(w.metric, cv)}; the same models scored "
        f"{_show(w.metric, held)} on {w.n_held} held-out rows (mean of {w.repeats} splits, {w.n_rows} rows searched)."
    )


def compare_searches(lesson: IterateLesson, min_trials: int = MIN_TRIALS) -> list[str]:
    """One sentence per search (its best, its noise, where the plateau rule stops it and what the trials after
    the stop still added), then what refining and seeding bought over the cold search: the final gap against
    the cold best's noise, and how soon each came within that noise of the cold search's final best."""
    m = lesson.metric
    out = []
    for r in lesson.runs:
        stop, _ = r.stop(min_trials)
        last = int(r.best_trial[-1]) if r.best.size else 0
        if stop is None:
            where = f"the plateau rule would not stop it within {r.scores.size} trials"
        else:
            where = f"the plateau rule stops it after trial {stop} (best then {_show(m, r.best_at(stop))}"
            later = r.final_best - r.best_at(stop)
            noise = float(r.best_se[stop - 1])
            if stop < r.scores.size and math.isfinite(later):
                size = "within" if later < noise else "beyond"
                where += (
                    f"; the {r.scores.size - stop} trials after it added {later:.2g}, {size} its noise (± {noise:.2g})"
                )
            where += ")"
        seeded = f" (its first {r.n_seeded} trials are the cold search's best)" if r.n_seeded else ""
        out.append(
            f"{r.name.capitalize()}{seeded}: best {_show(m, r.final_best)} ± {r.best_se[-1]:.2g} at trial {last}; "
            f"{where}."
        )
    cold = lesson.run("cold")
    noise = float(cold.best_se[-1])
    target = cold.final_best - noise
    cold_at = cold.reached(target)
    for name in ("refined", "seeded"):
        run = lesson.run(name)
        gain = run.final_best - cold.final_best
        if not math.isfinite(gain):
            continue
        size = "within" if abs(gain) < noise else "beyond"
        sign = "above" if gain > 0 else "below" if gain < 0 else "level with"
        amount = f"{abs(gain):.2g} " if gain else ""
        at = run.reached(target)
        if at is None:
            soon = "it never came within that noise of the cold search's final best"
        else:
            spent = float(run.elapsed[at - 1])
            soon = (
                f"it came within that noise of the cold search's final best at trial {at} ({spent:.2g} s of "
                f"fitting; the cold search needed {cold_at} trials, {float(cold.elapsed[(cold_at or 1) - 1]):.2g} s)"
            )
        out.append(
            f"The {name} search ended {amount}{sign} the cold one, {size} the cold best's noise (± {noise:.2g}); "
            f"{soon}."
        )
    return out
