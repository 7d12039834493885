"""Scale: a 250k-row table from upload to a finished early-cut study, phase by phase, and how a trial's time
grows with rows against XGBoost's own fit (issue 18, item 4).

Part 1 (``study``): the table's bytes go the way an upload goes (parse, profile, store), then a 20-trial XGBoost
TPE study with early cut (ASHA) runs through ``runner.start``; then the Results page is rendered with AppTest
(first load and a rerun). Each phase prints its seconds and the process's peak RSS during it (psutil, sampled
every 20 ms).

Part 2 (``rows``): one fixed setting (200 trees, depth 6, learning rate 0.1) scored on 3 folds by the engine's
trial (``evaluate``, curves on, one thread) and by ``cross_val_score`` of ``XGBClassifier``/``XGBRegressor``
(one thread, hist) on the same rows and folds, at 10k, 50k and 250k rows; interleaved, medians.

Usage: python benchmarks/bench_scale.py [study|rows|both] [--table PATH] [--target morekids] [--trials 20]
       [--rows 10000 50000 250000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._tables import DATA, uptime, xgb_context  # noqa: E402

SETTING = {"n_estimators": 200, "max_depth": 6, "learning_rate": 0.1}


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time a phase and sample the process's RSS while it runs; print seconds and peak RSS."""
    proc, peak, done = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            done.wait(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        dt = time.perf_counter() - t0
        done.set()
        t.join()
        peak[0] = max(peak[0], proc.memory_info().rss)
        print(f"  {name:<34} {dt:8.2f} s   peak RSS {peak[0] / 2**20:7.0f} MiB", flush=True)


def study(path: Path, target: str, trials: int) -> None:
    from tuning.config import StudyConfig
    from tuning.data import parse_table, read_bytes
    from tuning.profile import profile_table
    from tuning.protocol import TrialState
    from tuning.runner import start
    from tuning.store import Store
    from tuning.study import open_study

    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "scale.db"
        store = Store(db)
        t_all = time.perf_counter()
        with phase("read the file"):
            content = read_bytes(path)
        with phase("parse"):
            df = parse_table(content, name=path.name)
        with phase("profile"):
            prof = profile_table(df, target=target)
        with phase("store the dataset"):
            ds = store.add_dataset(path.name, content, n_rows=len(df), n_cols=df.shape[1])
        print(f"  table {path.name}: {len(df):,} rows x {df.shape[1]} columns, task {prof.task}")
        cfg = StudyConfig(
            dataset_id=ds,
            target=target,
            model="xgboost",
            strategy="tpe",
            pruner="asha",
            n_trials=trials,
            cv=3,
            workers=2,
        )
        seen: list[float] = []
        t0 = [0.0]
        with phase(f"{trials}-trial TPE + early-cut study"):
            t0[0] = time.perf_counter()
            runner = start(
                store, cfg, on_progress=lambda ev: ev.get("event") == "trial" and seen.append(time.perf_counter())
            )
            runner.finished.wait()
        s = open_study(store, runner.study_id)
        states = [t.state for t in s.trials()]
        print(
            f"  first trial done {seen[0] - t0[0]:.1f} s after start; {states.count(TrialState.COMPLETE)} complete, "
            f"{states.count(TrialState.PRUNED)} cut; best {s.summary().metric} {s.summary().best_score}"
        )
        print(f"  upload to finished study: {time.perf_counter() - t_all:.1f} s")
        from streamlit.testing.v1 import AppTest

        os.environ["TUNING_DB"] = str(db)
        with phase("Results page, first load"):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            at.run()
            at.switch_page("app_pages/results.py")
            at.run()
            assert not at.exception, at.exception
        reruns = []
        with phase("Results page, 3 reruns"):
            for _ in range(3):
                t = time.perf_counter()
                at.run()
                reruns.append(time.perf_counter() - t)
        print(f"  Results rerun median {statistics.median(reruns):.2f} s")


def rows(path: Path, target: str, sizes: list[int], repeats: int) -> None:
    from pandas.api.types import is_numeric_dtype
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from xgboost import XGBClassifier, XGBRegressor

    from tuning.data import read_table
    from tuning.evaluate import evaluate
    from tuning.profile import infer_task
    from tuning.protocol import TrialState

    full = read_table(path).dropna(subset=[target])
    task = infer_task(full[target])
    print(f"  per-trial time vs rows on {path.name} ({task}); setting {SETTING}, 3 folds, 1 thread")
    for n in sizes:
        d = full.sample(n=min(n, len(full)), random_state=0)
        y_raw = d.pop(target)
        X = d.apply(lambda c: c if is_numeric_dtype(c) else c.astype("category").cat.codes).astype(float)
        if task == "classification":
            y = y_raw.astype("category").cat.codes.to_numpy()
            Est, folds_of, metric = XGBClassifier, StratifiedKFold(3, shuffle=True, random_state=0), "roc_auc"
        else:
            y = y_raw.to_numpy(dtype=float)
            Est, folds_of, metric = XGBRegressor, KFold(3, shuffle=True, random_state=0), "r2"
        folds = tuple(folds_of.split(X, y))
        ctx = xgb_context(X, y, task=task, metric=metric, folds=folds, n_jobs=1, record_curves=True)
        t = time.perf_counter()
        evaluate(ctx, {"n_estimators": 2})  # matrices built once per study, as in a real one
        build = time.perf_counter() - t
        eng, peer = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            out = evaluate(ctx, SETTING)
            eng.append(time.perf_counter() - t)
            assert out.state is TrialState.COMPLETE, out.error
            t = time.perf_counter()
            cross_val_score(Est(**SETTING, n_jobs=1, tree_method="hist"), X, y, cv=folds, scoring=metric)
            peer.append(time.perf_counter() - t)
        e, p = statistics.median(eng), statistics.median(peer)
        print(
            f"  {len(X):>7,} rows: engine trial {e:6.2f} s, cross_val_score {p:6.2f} s, ratio {e / p:.2f}"
            f"  (fold matrices, once per study, and a 2-round trial: {build:.2f} s)",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("part", nargs="?", default="both", choices=("study", "rows", "both"))
    ap.add_argument("--table", type=Path, default=DATA / "fertility_morekids.parquet")
    ap.add_argument("--target", default="morekids")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000, 250_000])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    print(f"uptime at start: {uptime()}")
    if a.part in ("study", "both"):
        study(a.table, a.target, a.trials)
    if a.part in ("rows", "both"):
        rows(a.table, a.target, a.rows, a.repeats)
    print(f"uptime at end: {uptime()}")


if __name__ == "__main__":
    main()
