"""MLflow export, the one module that imports ``mlflow`` (optional: a plain message names it when missing).

``export_mlflow(store, study_id, out_dir)`` writes an MLflow tracking store into ``out_dir``: an SQLite
database ``out_dir/mlflow.db`` (MLflow's default backend since 3.7; the file store is deprecated) and an
artifact folder ``out_dir/artifacts``. The study is a parent run; each finished trial a nested run with its
parameters, fold-mean metrics, per-round curves as stepped metrics and tags (state, number, budget, rung).
The best trial, refit on all training rows, is logged on the parent run with ``mlflow.xgboost`` (the
booster) and ``mlflow.sklearn`` (the whole preprocessing + model pipeline).

Open it with ``mlflow ui --backend-store-uri sqlite:///DIR/mlflow.db``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeGuard

from tuning.export._optional import require
from tuning.protocol import Curves, TrialState
from tuning.store import Store, TrialRecord

PURPOSE = "The MLflow export"
DB_NAME = "mlflow.db"
ARTIFACTS = "artifacts"
_RUN_STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "KILLED", TrialState.FAILED: "FAILED"}
_BATCH = 1000  # MLflow's log_batch limit on metrics


def _mlflow() -> Any:
    """``mlflow`` with its usage telemetry off: an export writes local files and nothing leaves the machine.

    MLflow (3.2+) sends usage events to its telemetry host unless ``MLFLOW_DISABLE_TELEMETRY`` is set when it is
    imported; where it was imported earlier (another page, a test), its client is dropped as well.
    """
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    mlflow = require("mlflow", purpose=PURPOSE)
    try:
        from mlflow.telemetry.client import set_telemetry_client

        set_telemetry_client()  # re-reads the setting: no client
    except ImportError:  # MLflow before 3.2 has no telemetry
        pass
    return mlflow


def tracking_uri(out_dir: str | Path) -> str:
    return f"sqlite:///{Path(out_dir).resolve() / DB_NAME}"


def _ms(iso: str | None) -> int | None:
    from datetime import datetime

    if not iso:
        return None
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _finite(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _trial_metrics(t: TrialRecord, metric: str, ts: int) -> list[tuple[str, float, int, int]]:
    """(key, value, timestamp, step) for a trial: fold means per metric, fit time, size, curves by round."""
    out: list[tuple[str, float, int, int]] = []
    if _finite(t.score):
        out.append((f"mean_test_{metric}", float(t.score), ts, 0))
    if _finite(t.train_score):
        out.append((f"mean_train_{metric}", float(t.train_score), ts, 0))
    for m, vals in t.fold_scores.items():
        v = [x for x in vals if _finite(x)]
        if v and m != metric:
            out.append((f"mean_test_{m}", sum(v) / len(v), ts, 0))
    if t.mean_fit_time is not None:
        out.append(("fit_time_s", t.mean_fit_time, ts, 0))
    if _finite(t.model_size):
        out.append(("model_size", float(t.model_size), ts, 0))
    curves = Curves.from_dict(t.curves)
    if curves is not None:  # one stepped metric per curve point, the step being its boosting round
        name = curves.metric or "curve"
        for values, label in ((curves.val_mean, f"validation_{name}"), (curves.train_mean, f"train_{name}")):
            for step, x in zip(curves.rounds, values, strict=True):
                if _finite(x):
                    out.append((label, float(x), ts, int(step)))
    return out


@contextmanager
def _tracking(mlflow: Any, uri: str) -> Iterator[None]:
    """Point MLflow's fluent API (used by ``log_model``) at ``uri`` for the block, then back."""
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before)


def export_mlflow(store: Store, study_id: int, out_dir: str | Path, *, log_model: bool = True) -> str:
    """Write the study as an MLflow experiment in ``out_dir``; returns the parent run's id.

    ``log_model=False`` skips the refit (studies imported without data cannot refit either: they get a tag
    saying so).
    """
    mlflow = _mlflow()
    from mlflow.entities import Metric, Param, RunTag

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    uri = tracking_uri(out)
    client = mlflow.MlflowClient(tracking_uri=uri)
    study = store.get_study(study_id)
    from tuning.study import open_study

    handle = open_study(store, study_id)
    cfg = handle.config
    metric = cfg.metric or "score"
    exp_name = f"workbench study {study_id}: {study.name or cfg.model}"
    existing = client.get_experiment_by_name(exp_name)
    exp_id = (
        existing.experiment_id
        if existing is not None
        else client.create_experiment(exp_name, artifact_location=(out / ARTIFACTS).resolve().as_uri())
    )
    summary = handle.summary()
    parent = client.create_run(
        exp_id,
        start_time=_ms(study.created),
        run_name=study.name or f"study {study_id}",
        tags={"workbench.study_id": str(study_id), "model": cfg.model, "state": study.state.value},
    )
    pid = parent.info.run_id
    skip = {"space", "extra", "dataset_id"}
    stored = cfg.to_dict()
    params = [Param(k, str(v)) for k, v in stored.items() if k not in skip and v is not None]
    params.append(Param("search_space", json.dumps(stored["space"])[:6000]))
    best_ts = _ms(study.finished) or 0
    metrics = (
        [Metric(f"best_{metric}", float(summary.best_score), best_ts, 0)]  # type: ignore[arg-type]
        if _finite(summary.best_score)
        else []
    )
    client.log_batch(pid, metrics=metrics, params=params)

    for t in store.get_trials(study_id, with_curves=True):
        if t.state not in _RUN_STATUS:
            continue
        start, end = _ms(t.started), _ms(t.finished)
        tags = {
            "mlflow.parentRunId": pid,
            "state": t.state.value,
            "number": str(t.number),
            **({"budget": str(t.budget)} if t.budget is not None else {}),
            **({"rung": str(t.rung)} if t.rung is not None else {}),
            **({"model_size_unit": t.model_size_unit} if t.model_size_unit else {}),
            **({"error": t.error[:5000]} if t.error else {}),
        }
        run = client.create_run(exp_id, start_time=start, tags=tags, run_name=f"trial {t.number}")
        rid = run.info.run_id
        ms = [Metric(*m) for m in _trial_metrics(t, metric, end or start or 0)]
        ps = [Param(k, str(v)) for k, v in t.params.items()]
        client.log_batch(rid, metrics=ms[:_BATCH], params=ps, tags=[RunTag("workbench.study_id", str(study_id))])
        for i in range(_BATCH, len(ms), _BATCH):
            client.log_batch(rid, metrics=ms[i : i + _BATCH])
        client.set_terminated(rid, status=_RUN_STATUS[t.state], end_time=end)

    if log_model and summary.best_score is not None:
        _log_best_model(mlflow, client, store, study_id, pid, uri)
    client.set_terminated(pid, status="FINISHED", end_time=_ms(study.finished))
    return pid


def _log_best_model(mlflow: Any, client: Any, store: Store, study_id: int, run_id: str, uri: str) -> None:
    from tuning.errors import TuningError
    from tuning.study import open_study

    try:
        pipe = open_study(store, study_id).refit_best()
    except TuningError as exc:  # e.g. a study imported without its data
        client.set_tag(run_id, "best_model", f"not logged: {exc}"[:5000])
        return
    model = pipe.named_steps.get("model") if hasattr(pipe, "named_steps") else None
    # Explicit requirements: MLflow would otherwise infer them by loading the model in a subprocess (slow).
    reqs = _requirements(xgboost=model is not None and type(model).__module__.startswith("xgboost"))
    with _tracking(mlflow, uri), mlflow.start_run(run_id=run_id):
        mlflow.sklearn.log_model(pipe, name="pipeline", pip_requirements=reqs, skops_trusted_types=_trusted(pipe))
        if model is not None and type(model).__module__.startswith("xgboost"):
            mlflow.xgboost.log_model(model.get_booster(), name="xgboost", pip_requirements=reqs)
    client.set_tag(run_id, "best_model", "logged")


def _requirements(*, xgboost: bool) -> list[str]:
    from importlib.metadata import version

    names = ["scikit-learn", "pandas", "numpy", *(["xgboost"] if xgboost else [])]
    return [f"{n}=={version(n)}" for n in names]


def _trusted(pipe: Any) -> list[str] | None:
    """The types skops (MLflow's default sklearn format) must be told to trust: our own pipeline's, e.g.
    XGBoost's estimator, which skops does not know."""
    try:
        import skops.io as sio

        return list(sio.get_untrusted_types(data=sio.dumps(pipe)))
    except Exception:
        return None


__all__ = ["export_mlflow", "tracking_uri"]
