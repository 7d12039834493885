"""What the study benchmarks share: a real table shuffled and cut to a row count, stored; one XGBoost TPE study."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pandas as pd

from tuning.config import StudyConfig
from tuning.store import Store

ROOT = Path(__file__).resolve().parents[1]
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
