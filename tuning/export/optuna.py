"""Optuna interop, the one module that imports ``optuna``: frozen trials, importance, export and import.

- ``frozen_trials`` turns a results frame into Optuna ``FrozenTrial`` objects (searched parameters only,
  inactive conditional parameters left out, as Optuna itself records them).
- ``param_importances`` runs Optuna's own PED-ANOVA or fANOVA evaluator on them.
- ``export_study`` writes a study into an Optuna RDB storage (``sqlite:///study.db``) that
  ``optuna.load_study`` and ``optuna-dashboard`` open: distributions, states (pruned too), values,
  per-round intermediate values, and everything else in user attributes so that ``import_study`` gives
  the same trials back.
- ``import_study`` / ``import_optuna`` bring an Optuna study (ours or anyone's) into the store. It has no
  dataset: it is attached to a placeholder table, so the charts that need the data say what is missing. The
  file is untrusted: an SQLite storage is read read-only by sqlite3 (never by Optuna, which writes on open),
  checked before any query, every query bounded; each trial is checked and left out (counted) when it fails.

Scores stay in the workbench's convention in an export (direction ``maximize``, the scorer's own sign). An
imported study that minimizes gets negated scores and a ``neg_`` metric name, which the pages show as a
positive loss.

Untrusted storages are read by ``optuna_storage`` (bounded, read-only) and checked by ``optuna_read``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError, DataError, StoreError
from tuning.export._optional import require
from tuning.export.optuna_read import (
    OptunaImport,
    _checked_config,
    _Checker,
    _json,
    _merged_space,
    _plain_text,
)
from tuning.export.optuna_storage import (
    _FRESH_FIX,
    _OUR_TRIAL_KEYS,
    MAX_ATTR_JSON,
    MAX_DIST_JSON,
    MAX_NAME,
    STUDY_ATTR,
    _label_of,
    _RawStudy,
    _RawTrial,
    _sqlite_path,
    _Storage,
)
from tuning.protocol import Curves, StudyState, TrialState
from tuning.space import CategoricalParam, FloatParam, IntParam, Param, SearchSpace
from tuning.store import Store, TrialRecord, dumps

PURPOSE = "Optuna import, export and importance"
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
    """Optuna's intermediate values: the validation curve, each point at its boosting round (the step)."""
    c = Curves.from_dict(curves)
    if c is None:
        return {}
    return {int(r): float(v) for r, v in zip(c.rounds, c.val_mean, strict=True) if math.isfinite(v)}


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


def _read_api(url: str, study_name: str | None, label: str) -> tuple[list[str], _RawStudy | None]:
    """Another RDB storage (PostgreSQL, MySQL: a server the user names on the command line), read through
    Optuna into the same raw form, so that the same checks apply."""
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        names = [s.study_name for s in optuna.study.get_all_study_summaries(storage=url)]
    except Exception as exc:  # a bad URL or server: SQLAlchemy's errors are many
        raise StoreError(
            f"Cannot open the Optuna storage {label}: {type(exc).__name__}.",
            fix="Give an RDB URL such as sqlite:///path/to/study.db.",
        ) from None
    if study_name is None or study_name not in names:
        return names, None
    ostudy = optuna.load_study(study_name=study_name, storage=url)
    to_json = optuna.distributions.distribution_to_json

    def kind(v: float) -> tuple[float | None, str]:
        return (v, "FINITE") if math.isfinite(v) else (None, "NAN" if math.isnan(v) else "INF")

    trials = []
    for t in ostudy.get_trials(deepcopy=False):
        raw = _RawTrial(t.number, t.number, t.state.name, t.datetime_start, t.datetime_complete)
        raw.values = [(i, *kind(float(v))) for i, v in enumerate(t.values or [])]
        raw.params = [
            (k, t.distributions[k].to_internal_repr(v), to_json(t.distributions[k])) for k, v in t.params.items()
        ]
        raw.steps = [(s, *kind(float(v))) for s, v in t.intermediate_values.items()]
        raw.attrs = {k: json.dumps(v) for k, v in t.user_attrs.items() if k in _OUR_TRIAL_KEYS}
        raw.fail_reason = json.dumps(t.system_attrs["fail_reason"]) if "fail_reason" in t.system_attrs else None
        trials.append(raw)
    ours = ostudy.user_attrs.get(STUDY_ATTR)
    metric_names = ostudy.metric_names
    return names, _RawStudy(
        study_name,
        [(i, d.name) for i, d in enumerate(ostudy.directions)],
        None if ours is None else json.dumps(ours),
        None if metric_names is None else json.dumps(metric_names),
        trials,
    )


def study_names(url: str, *, label: str | None = None) -> list[str]:
    """The studies an Optuna storage holds (an SQLite file is checked first, and read only)."""
    label = label or _label_of(url)
    path = _sqlite_path(url)
    if path is None:
        return _read_api(url, None, label)[0]
    with _Storage(path, label) as s:
        return [name for _, name in s.studies()]


def _read(url: str, study_name: str | None, label: str) -> _RawStudy:
    """The chosen study, read; ``study_name`` may be None where the storage holds one study only."""
    path = _sqlite_path(url)
    if path is not None:
        with _Storage(path, label) as s:
            studies = s.studies()
            names = [n for _, n in studies]
            chosen = _choose(names, study_name, label)
            return s.read_study(dict((n, i) for i, n in studies)[chosen], chosen)
    names, raw = _read_api(url, study_name, label)
    chosen = _choose(names, study_name, label)
    if raw is None:
        names, raw = _read_api(url, chosen, label)
    assert raw is not None
    return raw


def _choose(names: list[str], study_name: str | None, label: str) -> str:
    if study_name is None:
        if len(names) != 1:
            raise ConfigError(
                f"The Optuna storage {label} holds {len(names)} studies.",
                fix="Name one with --study: " + ", ".join(names[:10]) if names else "Export a study into it first.",
                app_fix="Choose one in the list." if names else "Export a study into it first.",
            )
        return names[0]
    if study_name not in names:
        raise StoreError(
            f"The Optuna storage {label} has no study named {study_name!r}.",
            fix=("Its studies: " + ", ".join(names[:10]) + ".") if names else "It holds no study.",
        )
    return study_name


def _guess_model(names: set[str]) -> str:
    """The model family whose parameters overlap most with an Optuna study's (xgboost when none do)."""
    from tuning.models import MODELS

    best, score = "xgboost", 0
    for m in MODELS.values():
        n = len(names & (set(m.params) | set(m.default_space)))
        if n > score:
            best, score = m.name, n
    return best


def import_optuna(store: Store, url: str, *, study_name: str | None = None, label: str | None = None) -> OptunaImport:
    """Copy an Optuna study into the store as a finished study, checking every trial on the way.

    ``label`` names the storage in messages and in the new study's settings (an upload's display name; by
    default an SQLite file's name, never its path). Trials that fail a check are left out and counted in
    the result; a storage with no trial that passes is refused. Nothing is written to the store before
    every check has passed.
    """
    label = label or _label_of(url)
    raw = _read(url, study_name, label)
    if len(raw.directions) != 1:
        raise ConfigError(
            f"The Optuna study {raw.name!r} has {len(raw.directions)} objectives; the workbench keeps one score.",
            fix="Import a single-objective study.",
        )
    direction = raw.directions[0][1]
    if direction not in ("MINIMIZE", "MAXIMIZE", "NOT_SET"):
        raise DataError(f"The Optuna study {raw.name!r} in {label} has an unknown direction.", fix=_FRESH_FIX)
    minimize = direction == "MINIMIZE"
    ours: dict[str, Any] | None = None
    if raw.workbench is not None:
        try:
            ours = _json(raw.workbench, MAX_ATTR_JSON)
        except ValueError:
            ours = None
        if not isinstance(ours, dict) or not isinstance(ours.get("config"), dict):
            raise ConfigError(
                f"The workbench settings kept in the Optuna study {raw.name!r} ({label}) are malformed.",
                fix=_FRESH_FIX,
            )
    if ours is not None:
        # where and how a foreign study ran is not ours to repeat: a stored scheduler would be contacted on resume
        config = _checked_config(dict(ours["config"]), label)
        metric = config.get("metric") if isinstance(config.get("metric"), str) else None
        metric = metric or "score"
        given = ours.get("name")
        name = given if isinstance(given, str) and _plain_text(given) and 0 < len(given) <= MAX_NAME else raw.name
        name = name if name.isprintable() else raw.name
    else:
        metric_name = "objective"
        try:
            names = _json(raw.metric_names, MAX_DIST_JSON) if raw.metric_names is not None else None
        except ValueError:
            names = None
        if isinstance(names, list) and names and _plain_text(names[0]) and 0 < len(names[0]) <= MAX_NAME:
            metric_name = names[0] if names[0].isprintable() else metric_name
        metric = f"neg_{metric_name}" if minimize else metric_name
        name = raw.name
    checker = _Checker(raw, ours=ours is not None, minimize=minimize, metric=metric)
    rows = checker.trials()
    if ours is not None:
        records = [r for r, _ in rows]
    else:
        records, space = _merged_space(rows, checker.skipped)
        config = _checked_config(
            {
                "target": "",
                "model": _guess_model(set(space)),
                "task": None,
                "strategy": "tpe",
                "n_trials": max(1, len(records)),
                "metric": metric,
                "space": space or {"objective": {"value": 0}},
                "name": raw.name,
            },
            label,
        )
    skipped = dict(checker.skipped)
    if not records:
        why = ", ".join(f"{n} {r}" for r, n in sorted(skipped.items(), key=lambda kv: -kv[1])[:3])
        raise DataError(
            f"The Optuna study {raw.name!r} in {label} has no trial the workbench can import"
            + (f" ({why})." if why else " (it holds no trial)."),
            fix="Import a study with finished trials and finite scores.",
        )
    if ours is not None:
        elapsed = ours.get("elapsed_s")
        test_score = ours.get("test_score")
    else:
        elapsed, test_score = sum(r.duration_s for r in records), None
    elapsed = max(0.0, _finite_or_none(elapsed) or 0.0)
    ds = store.add_dataset(PLACEHOLDER_NAME, PLACEHOLDER, n_rows=1, n_cols=1)
    extra: dict[str, Any] = config["extra"] if isinstance(config.get("extra"), dict) else {}
    config = {
        **config,
        "dataset_id": ds,
        "extra": {**extra, "imported_from": {"optuna": label, "study": raw.name, "skipped": skipped}},
    }
    sid = store.create_study(name=f"{name} (from Optuna)", dataset_id=ds, config=config)
    store.add_trials([dataclasses.replace(r, study_id=sid) for r in records])
    store.finish_study(sid, StudyState.COMPLETE, elapsed_s=elapsed, test_score=_finite_or_none(test_score))
    return OptunaImport(study_id=sid, imported=len(records), skipped=skipped)


def _finite_or_none(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        f = float(v)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def import_study(store: Store, url: str, *, study_name: str | None = None, label: str | None = None) -> int:
    """Copy an Optuna study into the store as a finished study; returns its new id (see ``import_optuna``)."""
    return import_optuna(store, url, study_name=study_name, label=label).study_id


__all__ = [
    "OptunaImport",
    "STUDY_ATTR",
    "distributions",
    "export_study",
    "frozen_trials",
    "import_optuna",
    "import_study",
    "param_importances",
    "study_names",
]
