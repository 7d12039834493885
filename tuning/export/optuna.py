"""Optuna interop, the one module that imports ``optuna``: frozen trials, importance, export and import.

- ``frozen_trials`` turns a results frame into Optuna ``FrozenTrial`` objects (searched parameters only,
  inactive conditional parameters left out, as Optuna itself records them).
- ``param_importances`` runs Optuna's own PED-ANOVA or fANOVA evaluator on them.
- ``export_study`` writes a study into an Optuna RDB storage (``sqlite:///study.db``) that
  ``optuna.load_study`` and ``optuna-dashboard`` open: distributions, states (pruned too), values,
  per-round intermediate values, and everything else in user attributes so that ``import_study`` gives
  the same trials back.
- ``import_study`` brings an Optuna study (ours or anyone's) into the store. It has no dataset: it is
  attached to a placeholder table, so the charts that need the data say what is missing.

Scores stay in the workbench's convention in an export (direction ``maximize``, the scorer's own sign). An
imported study that minimizes gets negated scores and a ``neg_`` metric name, which the pages show as a
positive loss.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError, StoreError
from tuning.export._optional import require
from tuning.protocol import Rung, StudyState, TrialState
from tuning.space import CategoricalParam, FloatParam, IntParam, Param, SearchSpace
from tuning.store import Store, TrialRecord, dumps, now_iso

PURPOSE = "Optuna import, export and importance"
#: user attribute under which an export keeps what Optuna has no place for (config, metric, study name)
STUDY_ATTR = "workbench"
PLACEHOLDER_NAME = "no data (imported from Optuna).csv"
PLACEHOLDER = b"note\nThis study was imported from Optuna: its data was not part of it.\n"
_PRIMITIVE = (type(None), bool, int, float, str)


def _optuna() -> Any:
    return require("optuna", purpose=PURPOSE)


# -- distributions and frozen trials ---------------------------------------------------------------------


def _choice(v: Any) -> Any:
    """A value Optuna accepts as a categorical choice (None, bool, int, float, str): lists become JSON text."""
    return v if isinstance(v, _PRIMITIVE) else json.dumps(v)


def distributions(space: SearchSpace, observed: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Optuna distributions of the searched parameters, widened to hold every ``observed`` value."""
    optuna = _optuna()
    d = optuna.distributions
    out: dict[str, Any] = {}
    for p in space.searched:
        seen = [o[p.name] for o in observed if o.get(p.name) is not None]
        if isinstance(p, CategoricalParam):
            choices = list(dict.fromkeys([_choice(v) for v in p.values] + [_choice(v) for v in seen]))
            out[p.name] = d.CategoricalDistribution(choices)
        elif isinstance(p, (IntParam, FloatParam)):
            nums = [float(v) for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)]
            low, high = min([p.low, *nums]), max([p.high, *nums])
            if isinstance(p, IntParam):
                out[p.name] = d.IntDistribution(int(math.floor(low)), int(math.ceil(high)), log=p.log and low >= 1)
            else:
                out[p.name] = d.FloatDistribution(float(low), float(high), log=p.log and low > 0)
    return out


def _frame_params(frame: pd.DataFrame, params: list[Param]) -> list[dict[str, Any]]:
    """Each row's active searched parameters, in Optuna's form (NaN/None = inactive, left out)."""
    from tuning.charts._common import category_codes

    cols: dict[str, list[Any]] = {}
    for p in params:
        col = frame[f"param_{p.name}"]
        if isinstance(p, CategoricalParam):
            codes = category_codes(col, p)
            choices = [_choice(v) for v in p.values]
            cols[p.name] = [None if np.isnan(c) else choices[int(c)] for c in codes]
        else:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            conv = int if isinstance(p, IntParam) else float
            cols[p.name] = [None if np.isnan(v) else conv(round(v) if conv is int else v) for v in x]
    n = len(frame)
    return [{k: v[i] for k, v in cols.items() if v[i] is not None} for i in range(n)]


def frozen_trials(
    frame: pd.DataFrame, space: SearchSpace, *, max_trials: int | None = None, seed: int = 0
) -> list[Any]:
    """Complete trials of a results frame as Optuna ``FrozenTrial`` objects (value = stored score).

    Past ``max_trials`` a fixed-seed sample is taken (importance on 100,000 trials needs no more).
    """
    optuna = _optuna()
    ok = frame[(frame["state"] == TrialState.COMPLETE.value) & frame["mean_test_score"].notna()]
    if max_trials is not None and len(ok) > max_trials:
        ok = ok.sample(n=max_trials, random_state=seed).sort_values("number")
    params = [p for p in space.searched if f"param_{p.name}" in ok.columns]
    rows = _frame_params(ok, params)
    dists = distributions(space, rows)
    now = datetime.now(UTC)
    out = []
    for i, (number, score, values) in enumerate(zip(ok["number"], ok["mean_test_score"], rows, strict=True)):
        out.append(
            optuna.trial.FrozenTrial(
                number=int(number),
                state=optuna.trial.TrialState.COMPLETE,
                value=float(score),
                datetime_start=now,
                datetime_complete=now,
                params=values,
                distributions={k: dists[k] for k in values},
                user_attrs={},
                system_attrs={},
                intermediate_values={},
                trial_id=i,
            )
        )
    return out


def param_importances(
    frame: pd.DataFrame, space: SearchSpace, *, method: str, seed: int = 0, max_trials: int | None = 10_000
) -> dict[str, float]:
    """Optuna's PED-ANOVA (``method="ped_anova"``) or fANOVA (``"fanova"``) importance of each searched
    parameter for the validation score, most important first; ``{}`` below two complete trials.

    fANOVA needs every parameter in every trial, so Optuna leaves conditional parameters out of it (they
    are absent from the result); PED-ANOVA treats the inactive trials as a regime of their own.
    """
    optuna = _optuna()
    trials = frozen_trials(frame, space, max_trials=max_trials, seed=seed)
    if len(trials) < 2:
        return {}
    imp = optuna.importance
    if method == "ped_anova":
        evaluator = imp.PedAnovaImportanceEvaluator()
    elif method == "fanova":
        evaluator = imp.FanovaImportanceEvaluator(seed=seed)
    else:
        raise ValueError(f"unknown importance method {method!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few trials, experimental API: the page says so in words
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(direction="maximize")
        study.add_trials(trials)
        result = optuna.importance.get_param_importances(study, evaluator=evaluator, normalize=True)
    return {k: float(v) for k, v in result.items()}


# -- export -------------------------------------------------------------------------------------------


def _dt(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_STATES_OUT = {
    TrialState.COMPLETE: "COMPLETE",
    TrialState.PRUNED: "PRUNED",
    TrialState.FAILED: "FAIL",
}


def _intermediate(curves: dict[str, Any] | None) -> dict[int, float]:
    vals = (curves or {}).get("val_mean") or []
    return {i: float(v) for i, v in enumerate(vals) if v is not None and math.isfinite(float(v))}


def _trial_attrs(t: TrialRecord) -> dict[str, Any]:
    attrs = {
        "number": t.number,
        "params": t.params,
        "score": t.score,
        "train_score": t.train_score,
        "fold_scores": t.fold_scores,
        "fold_train_scores": t.fold_train_scores,
        "fit_time": t.fit_time,
        "score_time": t.score_time,
        "duration_s": t.duration_s,
        "worker": t.worker,
        "error": t.error,
        "budget": t.budget,
        "rung": t.rung,
        "model_size": t.model_size,
        "model_size_unit": t.model_size_unit,
        "note": t.note,
        "rungs": [list(r) for r in t.rungs],
    }
    if t.curves:
        attrs["curves"] = {k: v for k, v in t.curves.items() if k != "val_mean"}  # val_mean: intermediate values
    return {k: v for k, v in attrs.items() if v not in (None, [], {})}


def export_study(store: Store, study_id: int, url: str, *, study_name: str | None = None) -> str:
    """Write the study into the Optuna storage at ``url`` (e.g. ``sqlite:///study.db``); returns its name there.

    Running trials are left out (Optuna's storage would show them running forever).
    """
    optuna = _optuna()
    from tuning.study import open_study

    study = open_study(store, study_id).record
    cfg = study.config
    space = cfg.space
    trials = [t for t in store.get_trials(study_id, with_curves=True) if t.state in _STATES_OUT]
    dists = distributions(space, [t.params for t in trials])
    name = study_name or f"workbench-{study_id}-{study.name or cfg.model}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        ostudy = optuna.create_study(storage=url, study_name=name, direction="maximize")
    except optuna.exceptions.DuplicatedStudyError:
        raise StoreError(
            f"The Optuna storage {url} already holds a study named {name!r}.",
            fix="Choose another output file, or delete that study first.",
        ) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # set_metric_names is "experimental" since Optuna 3.2
        ostudy.set_metric_names([cfg.metric or "score"])
    ostudy.set_user_attr(
        STUDY_ATTR,
        json.loads(
            dumps(
                {
                    "study_id": study.id,
                    "name": study.name,
                    "config": study.raw_config,
                    "state": study.state.value,
                    "created": study.created,
                    "elapsed_s": study.elapsed_s,
                    "test_score": study.test_score,
                    "stop_reason": study.stop_reason.value if study.stop_reason else None,
                }
            )
        ),
    )
    now = datetime.now(UTC)
    frozen = []
    for t in trials:
        values = {k: _choice(v) for k, v in t.params.items() if k in dists}
        complete = t.state is TrialState.COMPLETE and t.score is not None
        start = _dt(t.started) or now
        frozen.append(
            optuna.trial.FrozenTrial(
                number=t.number,
                state=optuna.trial.TrialState[
                    _STATES_OUT[t.state] if t.state is not TrialState.COMPLETE or complete else "FAIL"
                ],
                value=float(t.score) if complete and t.score is not None else None,
                datetime_start=start,
                datetime_complete=max(_dt(t.finished) or start, start),
                params=values,
                distributions={k: dists[k] for k in values},
                user_attrs=json.loads(dumps(_trial_attrs(t))),
                system_attrs={},
                intermediate_values=_intermediate(t.curves),
                trial_id=0,
            )
        )
    if not _bulk_sqlite(url, ostudy, frozen):
        ostudy.add_trials(frozen)
    return name


#: the Optuna RDB schema version the SQLite fast path writes (Optuna 4.x-5.x); any other goes through the API
_FAST_SCHEMA = 12


def _bulk_sqlite(url: str, ostudy: Any, frozen: list[Any]) -> bool:
    """Insert the trials into an SQLite Optuna storage in one transaction; False where it cannot (then the
    caller uses ``Study.add_trials``).

    Optuna's own path runs several ORM queries per intermediate value (35 s for 200 trials of 50 rounds
    here); rows written directly take well under a second and ``optuna.load_study`` reads them the same
    (the export test loads them back through Optuna).
    """
    import sqlite3

    optuna = _optuna()
    if not url.startswith("sqlite:///"):
        return False
    path = url[len("sqlite:///") :]
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT schema_version FROM version_info").fetchone()
        if row is None or int(row[0]) != _FAST_SCHEMA:
            return False
        (study_id,) = conn.execute("SELECT study_id FROM studies WHERE study_name=?", (ostudy.study_name,)).fetchone()
        to_json = optuna.distributions.distribution_to_json

        def kind(v: float) -> tuple[float | None, str]:
            if math.isnan(v):
                return None, "NAN"
            if math.isinf(v):
                return None, "INF_POS" if v > 0 else "INF_NEG"
            return v, "FINITE"

        def when(dt: datetime | None) -> str | None:
            # Optuna keeps naive local times (datetime.now()); ours are UTC
            return None if dt is None else dt.astimezone().replace(tzinfo=None).isoformat(sep=" ")

        with conn:
            (start_id,) = conn.execute("SELECT COALESCE(MAX(trial_id), 0) FROM trials").fetchone()
            trials: list[tuple] = []
            values: list[tuple] = []
            inter: list[tuple] = []
            params: list[tuple] = []
            attrs: list[tuple] = []
            for pos, t in enumerate(frozen):
                tid = start_id + 1 + pos
                trials.append((tid, pos, study_id, t.state.name, when(t.datetime_start), when(t.datetime_complete)))
                if t.value is not None:
                    values.append((tid, 0, *kind(float(t.value))))
                inter.extend((tid, step, *kind(float(v))) for step, v in t.intermediate_values.items())
                for k, v in t.params.items():
                    dist = t.distributions[k]
                    params.append((tid, k, float(dist.to_internal_repr(v)), to_json(dist)))
                attrs.extend((tid, k, json.dumps(v)) for k, v in t.user_attrs.items())
            conn.executemany(
                "INSERT INTO trials(trial_id, number, study_id, state, datetime_start, datetime_complete) "
                "VALUES (?,?,?,?,?,?)",
                trials,
            )
            conn.executemany(
                "INSERT INTO trial_values(trial_id, objective, value, value_type) VALUES (?,?,?,?)", values
            )
            conn.executemany(
                "INSERT INTO trial_intermediate_values(trial_id, step, intermediate_value, intermediate_value_type) "
                "VALUES (?,?,?,?)",
                inter,
            )
            conn.executemany(
                "INSERT INTO trial_params(trial_id, param_name, param_value, distribution_json) VALUES (?,?,?,?)",
                params,
            )
            conn.executemany("INSERT INTO trial_user_attributes(trial_id, key, value_json) VALUES (?,?,?)", attrs)
        return True
    finally:
        conn.close()


# -- import -------------------------------------------------------------------------------------------


def study_names(url: str) -> list[str]:
    """The studies an Optuna storage holds."""
    optuna = _optuna()
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        raise StoreError(f"There is no SQLite file at {url[len('sqlite:///') :]}.", fix="Check the path.")
    try:
        return [s.study_name for s in optuna.study.get_all_study_summaries(storage=url)]
    except Exception as exc:  # a bad URL or file: SQLAlchemy's errors are many
        raise StoreError(
            f"Cannot open the Optuna storage {url}: {type(exc).__name__}.",
            fix="Give an RDB URL such as sqlite:///path/to/study.db.",
        ) from None


def _guess_model(names: set[str]) -> str:
    """The model family whose parameters overlap most with an Optuna study's (xgboost when none do)."""
    from tuning.models import MODELS

    best, score = "xgboost", 0
    for m in MODELS.values():
        n = len(names & (set(m.params) | set(m.default_space)))
        if n > score:
            best, score = m.name, n
    return best


def _space_from(dists: dict[str, Any]) -> dict[str, Any]:
    optuna = _optuna()
    d = optuna.distributions
    out: dict[str, Any] = {}
    for name, dist in dists.items():
        if isinstance(dist, d.CategoricalDistribution):
            out[name] = {"values": list(dist.choices)}
        elif isinstance(dist, d.IntDistribution):
            out[name] = {"type": "int", "low": dist.low, "high": dist.high, **({"log": True} if dist.log else {})}
        elif isinstance(dist, d.FloatDistribution):
            out[name] = {"type": "float", "low": dist.low, "high": dist.high, **({"log": True} if dist.log else {})}
    return out


def import_study(store: Store, url: str, *, study_name: str | None = None) -> int:
    """Copy an Optuna study into the store as a finished study; returns its new id."""
    optuna = _optuna()
    names = study_names(url)
    if study_name is None:
        if len(names) != 1:
            raise ConfigError(
                f"The Optuna storage {url} holds {len(names)} studies.",
                fix="Name one with --study: " + ", ".join(names[:10]) if names else "Export a study into it first.",
            )
        study_name = names[0]
    if study_name not in names:
        raise StoreError(
            f"The Optuna storage {url} has no study named {study_name!r}.",
            fix=("Its studies: " + ", ".join(names[:10]) + ".") if names else "It holds no study.",
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ostudy = optuna.load_study(study_name=study_name, storage=url)
    if len(ostudy.directions) != 1:
        raise ConfigError(
            f"The Optuna study {study_name!r} has {len(ostudy.directions)} objectives; the workbench keeps one score.",
            fix="Import a single-objective study.",
        )
    ours = ostudy.user_attrs.get(STUDY_ATTR)
    minimize = ostudy.direction == optuna.study.StudyDirection.MINIMIZE
    otrials = [
        t
        for t in ostudy.get_trials(deepcopy=False)
        if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
    ]
    if ours:
        # where and how a foreign study ran is not ours to repeat: a stored scheduler would be contacted on resume
        config = {k: v for k, v in dict(ours["config"]).items() if k not in FOREIGN_RUN_KEYS}
        metric = config.get("metric") or "score"
        name = ours.get("name") or study_name
    else:
        metric_name = (ostudy.metric_names or [None])[0] or "objective"
        metric = f"neg_{metric_name}" if minimize else metric_name
        dists: dict[str, Any] = {}
        for t in otrials:
            dists.update(t.distributions)
        config = {
            "target": "",
            "model": _guess_model(set(dists)),
            "task": None,
            "strategy": "tpe",
            "n_trials": len(otrials),
            "metric": metric,
            "space": _space_from(dists) or {"objective": {"value": 0}},
            "name": study_name,
        }
        name = study_name
    ds = store.add_dataset(PLACEHOLDER_NAME, PLACEHOLDER, n_rows=1, n_cols=1)
    config = {
        **config,
        "dataset_id": ds,
        "extra": {**(config.get("extra") or {}), "imported_from": {"optuna": url, "study": study_name}},
    }
    sid = store.create_study(name=f"{name} (from Optuna)", dataset_id=ds, config=config)
    rows = []
    for t in sorted(otrials, key=lambda t: t.number):
        rows.append(_trial_row(sid, t, ours is not None, minimize, metric))
    store.add_trials(rows)
    elapsed = (
        float(ours.get("elapsed_s") or 0.0)
        if ours
        else sum((t.duration.total_seconds() for t in otrials if t.duration is not None), 0.0)
    )
    store.finish_study(sid, StudyState.COMPLETE, elapsed_s=elapsed, test_score=(ours or {}).get("test_score"))
    return sid


#: Config keys an import drops: they say where trials ran (a scheduler a resume would contact) and on what.
FOREIGN_RUN_KEYS = ("executor", "scheduler", "workers", "device")

_STATES_IN = {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED, "FAIL": TrialState.FAILED}


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _trial_row(sid: int, t: Any, ours: bool, minimize: bool, metric: str) -> TrialRecord:
    a = t.user_attrs if ours else {}
    state = _STATES_IN[t.state.name]
    if ours:
        params = a.get("params", dict(t.params))
        score = t.value if t.value is not None else a.get("score")
        number = int(a.get("number", t.number))
    else:
        params = {k: v for k, v in t.params.items()}
        score = None if t.value is None else (-t.value if minimize else t.value)
        number = t.number
    fold_scores = a.get("fold_scores") or ({metric: [score]} if score is not None else {})
    curves = None
    if t.intermediate_values:
        steps = sorted(t.intermediate_values)
        val = [t.intermediate_values[s] for s in steps]
        curves = {**(a.get("curves") or {"metric": metric}), "val_mean": val}
    started, finished = _iso(t.datetime_start), _iso(t.datetime_complete)
    duration = a.get("duration_s")
    if duration is None and t.duration is not None:
        duration = t.duration.total_seconds()
    error = a.get("error") or (None if state is not TrialState.FAILED else t.system_attrs.get("fail_reason"))
    return TrialRecord(
        study_id=sid,
        number=number,
        state=state,
        params=params,
        score=score if state is not TrialState.FAILED else None,
        train_score=a.get("train_score"),
        fold_scores=fold_scores,
        fold_train_scores=a.get("fold_train_scores") or {},
        fit_time=tuple(a.get("fit_time") or ()),
        score_time=tuple(a.get("score_time") or ()),
        curves=curves,
        error=error,
        started=started or now_iso(),
        finished=finished or started or now_iso(),
        duration_s=duration or 0.0,
        worker=a.get("worker"),
        budget=a.get("budget"),
        rung=a.get("rung"),
        model_size=a.get("model_size"),
        model_size_unit=a.get("model_size_unit"),
        note=a.get("note"),
        rungs=tuple(Rung(*r) for r in a.get("rungs") or ()),
    )


__all__ = [
    "distributions",
    "export_study",
    "frozen_trials",
    "import_study",
    "param_importances",
    "study_names",
]
