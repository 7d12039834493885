"""Dask executors vs threads; prints ratios measured in the same run.

1. Overhead: the same 40-trial XGBoost study on a local Dask cluster of 2 single-threaded worker
   processes vs 2 threads of this process. Target: wall ratio <= 1.15 (the whole study, cluster
   start included, and the trials alone).
2. Scaling: 2 vs 1 Dask worker processes on trials of at least a second. Target: trials per
   minute ratio >= 1.8 (needs 2 idle cores; this machine's load is printed with the result).
3. Bytes each trial ships: the context with every trial (a plain executor) vs once per worker.

A GPU comparison (``device="cuda"`` vs all CPU cores) is benchmarks/gpu_check.py, on a CUDA machine.

Usage: python benchmarks/bench_dask.py [--rows 3000] [--trials 40]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

from tuning.config import StudyConfig  # noqa: E402
from tuning.protocol import Candidate  # noqa: E402
from tuning.runner import run  # noqa: E402
from tuning.store import Store  # noqa: E402

SPACE = {
    "max_depth": {"type": "int", "low": 2, "high": 6},
    "learning_rate": {"type": "float", "low": 0.03, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.6, "high": 1.0},
}


def dataset(rows: int, cols: int = 30) -> bytes:
    X, y = make_classification(n_samples=rows, n_features=cols, n_informative=10, random_state=0)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(cols)])
    df["label"] = y
    return df.to_csv(index=False).encode()


def study(content: bytes, *, executor: str, workers: int, trials: int, n_estimators: int) -> dict[str, float]:
    """Run one study; wall time (cluster start included), trial-phase time and trials per minute."""
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "b.db")
        ds = store.add_dataset("bench.csv", content)
        cfg = StudyConfig(
            dataset_id=ds,
            target="label",
            model="xgboost",
            strategy="random",
            n_trials=trials,
            cv=3,
            metric="roc_auc",
            space={**SPACE, "n_estimators": {"value": n_estimators}},
            workers=workers,
            executor=executor,
            record_curves=False,
        )
        t0 = time.perf_counter()
        summary = run(store, cfg)
        wall = time.perf_counter() - t0
        assert summary["state"] == "complete" and summary["n_complete"] == trials, summary
        trial_rows = store.get_trials(summary["study_id"])
        workers_seen = {t.worker for t in trial_rows}
        started = min(pd.Timestamp(t.started) for t in trial_rows)
        finished = max(pd.Timestamp(t.finished) for t in trial_rows)
        phase = (finished - started).total_seconds()
        mean_trial = sum(t.duration_s or 0 for t in trial_rows) / len(trial_rows)
    return {
        "wall": wall,
        "phase": phase,
        "per_min": 60 * trials / phase,
        "mean_trial": mean_trial,
        "workers_seen": len(workers_seen),
    }


def bytes_per_trial(content: bytes) -> tuple[int, int, int]:
    """Pickled size of what a submit ships: with the context vs the processes and Dask backends."""
    from tuning.executors import DaskBackend, ProcessBackend
    from tuning.runner import load_study_data, make_context

    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "b.db")
        ds = store.add_dataset("bench.csv", content)
        from tuning.config import resolve_config
        from tuning.data import parse_table, profile_table

        cfg = StudyConfig(dataset_id=ds, target="label", model="xgboost", cv=3, space=SPACE)
        df = parse_table(content, name="bench.csv")
        cfg = resolve_config(cfg, profile_table(df, target="label", task=None))
        ctx = make_context(cfg, load_study_data(store, cfg), n_jobs=1)
    cand = Candidate(7, {"max_depth": 4, "learning_rate": 0.1, "subsample": 0.8})
    before = len(pickle.dumps((ctx, cand)))
    proc = ProcessBackend(workers=1)
    after_proc = len(pickle.dumps(proc.payload(cand)))
    dask = DaskBackend(workers=1)
    after_dask = len(pickle.dumps(dask.payload(cand)))
    return before, after_proc, after_dask


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--trials", type=int, default=40)
    args = ap.parse_args()
    content = dataset(args.rows)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    before, after_proc, after_dask = bytes_per_trial(content)
    print(f"bytes shipped per trial: {before:,} with the context; {after_proc:,} (processes), {after_dask:,} (dask)")

    thr = study(content, executor="threads", workers=2, trials=args.trials, n_estimators=100)
    dsk = study(content, executor="dask", workers=2, trials=args.trials, n_estimators=100)
    print(
        f"overhead, {args.trials} trials (mean trial {thr['mean_trial']:.2f}s threads / {dsk['mean_trial']:.2f}s dask):"
        f" wall dask {dsk['wall']:.1f}s / threads {thr['wall']:.1f}s = {dsk['wall'] / thr['wall']:.2f}"
        f" (target <= 1.15); trials only {dsk['phase']:.1f}s / {thr['phase']:.1f}s = {dsk['phase'] / thr['phase']:.2f}"
        f"; workers seen {dsk['workers_seen']} / {thr['workers_seen']}"
    )

    n = max(8, args.trials // 4)
    one = study(content, executor="dask", workers=1, trials=n, n_estimators=600)
    two = study(content, executor="dask", workers=2, trials=n, n_estimators=600)
    print(
        f"scaling, {n} trials of {one['mean_trial']:.2f}s (1 worker) / {two['mean_trial']:.2f}s (2 workers):"
        f" {two['per_min']:.1f} vs {one['per_min']:.1f} trials/min = {two['per_min'] / one['per_min']:.2f}"
        f" (target >= 1.8); load average now {os.getloadavg()[0]:.2f}"
    )
    print("GPU: not measured here (see benchmarks/gpu_check.py on a machine with a CUDA device)")


if __name__ == "__main__":
    main()
