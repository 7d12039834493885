"""Dask executors vs threads; prints ratios measured in the same run.

1. Overhead: the same 40-trial XGBoost study on a local Dask cluster of 2 single-threaded worker
   processes vs 2 threads of this process. Target: wall ratio <= 1.15 (the whole study, cluster
   start included, and the trials alone).
2. Scaling: 2 vs 1 Dask worker processes on trials of at least a second. Target: trials per
   minute ratio >= 1.8 (needs 2 idle cores; this machine's load is printed with the result).
3. Bytes each trial ships: the context with every trial (a plain executor) vs once per worker.

A GPU comparison (``device="cuda"`` vs all CPU cores) is benchmarks/gpu_check.py, on a CUDA machine.

Usage: python benchmarks/bench_dask.py [--rows 3000] [--trials 40] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
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


def _mean(runs: list[dict[str, float]], key: str) -> float:
    return statistics.fmean(r[key] for r in runs)


def bytes_per_trial(content: bytes) -> tuple[int, int, int]:
    """Pickled size of what a submit ships: with the context vs the processes and Dask backends."""
    from tuning.executors import DaskBackend, ProcessBackend
    from tuning.study import load_study_data, make_context

    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "b.db")
        ds = store.add_dataset("bench.csv", content)
        from tuning.config import resolve_config
        from tuning.data import parse_table
        from tuning.profile import profile_table

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
    ap.add_argument("--repeats", type=int, default=2, help="alternating runs of each side (default 2)")
    args = ap.parse_args()
    content = dataset(args.rows)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    before, after_proc, after_dask = bytes_per_trial(content)
    print(f"bytes shipped per trial: {before:,} with the context; {after_proc:,} (processes), {after_dask:,} (dask)")

    # Alternate the order (A B, B A, ...) so that drift in this machine's load hits both sides alike.
    walls: dict[str, list[dict[str, float]]] = {"threads": [], "dask": []}
    for r in range(args.repeats):
        for kind in ("threads", "dask") if r % 2 == 0 else ("dask", "threads"):
            walls[kind].append(study(content, executor=kind, workers=2, trials=args.trials, n_estimators=100))
    thr, dsk = walls["threads"], walls["dask"]
    wall = statistics.median(d["wall"] / t["wall"] for d, t in zip(dsk, thr))
    phase = statistics.median(d["phase"] / t["phase"] for d, t in zip(dsk, thr))
    print(
        f"overhead, {args.trials} trials x {args.repeats} (mean trial {_mean(thr, 'mean_trial'):.2f}s threads / "
        f"{_mean(dsk, 'mean_trial'):.2f}s dask): wall dask {_mean(dsk, 'wall'):.1f}s / threads {_mean(thr, 'wall'):.1f}s,"
        f" median ratio {wall:.2f} (target <= 1.15); trials only: median ratio {phase:.2f}"
        f"; workers seen {dsk[0]['workers_seen']} / {thr[0]['workers_seen']}"
    )

    n = max(8, args.trials // 4)
    ratios = []
    for r in range(args.repeats):
        runs = {}
        for w in (1, 2) if r % 2 == 0 else (2, 1):
            runs[w] = study(content, executor="dask", workers=w, trials=n, n_estimators=300)
        ratios.append(runs[2]["per_min"] / runs[1]["per_min"])
        print(
            f"scaling, {n} trials of {runs[1]['mean_trial']:.2f}s (1 worker) / {runs[2]['mean_trial']:.2f}s (2 workers):"
            f" {runs[2]['per_min']:.1f} vs {runs[1]['per_min']:.1f} trials/min = {ratios[-1]:.2f}"
        )
    print(f"scaling: median ratio {statistics.median(ratios):.2f} (target >= 1.8); load now {os.getloadavg()[0]:.2f}")
    print("GPU: not measured here (see benchmarks/gpu_check.py on a machine with a CUDA device)")


if __name__ == "__main__":
    main()
