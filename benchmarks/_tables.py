"""What the benchmarks share: a real table shuffled and cut to a row count, stored; one XGBoost TPE study; the
peers' search space; an XGBoost evaluation context over a numeric frame."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pandas as pd

from tuning.config import StudyConfig
from tuning.store import Store

ROOT = Path(__file__).resolve().parents[1]
PEER_SPACE = {  # ../shared/bench/peers.py's space
    "n_estimators": {"type": "int", "low": 50, "high": 500},
    "max_depth": {"type": "int", "low": 2, "high": 10},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
    "colsample_bytree": {"type": "float", "low": 0.5, "high": 1.0},
    "min_child_weight": {"type": "float", "low": 1.0, "high": 20.0, "log": True},
    "reg_lambda": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
    "reg_alpha": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
}
DATA = ROOT.parent / "shared" / "data"
SAMPLES = ROOT / "sample_data"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def store_rows(store: Store, path: Path, rows: int, *, name: str | None = None) -> tuple[str, pd.DataFrame]:
    """The table's rows shuffled (seed 0) and cut to ``rows``, stored as a CSV; (dataset id, the frame)."""
    df = pd.read_csv(path).sample(frac=1.0, random_state=0).head(rows)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return store.add_dataset(name or path.name, buf.getvalue().encode()), df


def tpe_study(dataset_id: str, target: str, metric: str, space: dict, trials: int, **kw) -> StudyConfig:
    """XGBoost, TPE, 3 folds, no held-out rows, one worker: the study both benchmarks race."""
    base = {"cv": 3, "test_size": 0.0, "workers": 1}
    return StudyConfig(
        dataset_id=dataset_id,
        target=target,
        model="xgboost",
        strategy="tpe",
        n_trials=trials,
        metric=metric,
        space=space,
        **(base | kw),
    )


def xgb_context(X: pd.DataFrame, y, *, task: str, metric: str, folds, n_jobs: int, record_curves: bool):
    """The engine's evaluation context for XGBoost on an all-numeric frame (one-hot or codes done by the caller)."""
    from tuning.context import EvalContext

    return EvalContext(
        model="xgboost",
        task=task,
        X=X,
        y=y,
        numeric=tuple(X.columns),
        categorical=(),
        folds=tuple(folds),
        metric=metric,
        secondary=(),
        n_jobs=n_jobs,
        record_curves=record_curves,
    )
