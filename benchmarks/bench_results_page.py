"""The Results page with 10,000 trials against the same page with 100 (target: ratio <= 3).

Fills two stores with synthetic XGBoost-like trials (5 parameters, per-fold scores), then times
AppTest reruns of the Results page on each. Usage: python benchmarks/bench_results_page.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tuning.store import Store, TrialState, dumps, now_iso  # noqa: E402

SPACE = {
    "n_estimators": {"value": 200},
    "max_depth": {"type": "int", "low": 2, "high": 10},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
    "booster": {"values": ["gbtree", "dart"]},
    "reg_lambda": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
}


def fill(path: Path, n: int) -> None:
    store = Store(path)
    ds = store.add_dataset("moons.csv", (ROOT / "sample_data" / "moons.csv").read_bytes())
    cfg = {
        "dataset_id": ds,
        "target": "label",
        "model": "xgboost",
        "task": "classification",
        "strategy": "random",
        "n_trials": n,
        "cv": 5,
        "metric": "roc_auc",
        "space": SPACE,
        "grid_points": 5,
        "workers": 2,
        "seed": 0,
        "device": "cpu",
        "test_size": 0.0,
        "record_curves": True,
        "name": f"bench {n}",
    }
    sid = store.create_study(name=f"bench {n}", dataset_id=ds, config=cfg)
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        depth = int(rng.integers(2, 11))
        lr = float(np.exp(rng.uniform(np.log(0.01), np.log(0.3))))
        params = {
            "n_estimators": 200,
            "max_depth": depth,
            "learning_rate": lr,
            "subsample": float(rng.uniform(0.5, 1)),
            "booster": str(rng.choice(["gbtree", "dart"])),
            "reg_lambda": float(np.exp(rng.uniform(-7, 2.3))),
        }
        val = 0.9 + 0.05 * np.tanh(lr * 10) - 0.003 * abs(depth - 5) + rng.normal(0, 0.01, 5)
        folds = {"roc_auc": val.tolist(), "accuracy": (val - 0.05).tolist()}
        train = {"roc_auc": (val + 0.004 * depth).tolist(), "accuracy": (val - 0.04).tolist()}
        rows.append(
            (
                sid,
                i,
                TrialState.COMPLETE.value,
                dumps(params),
                float(val.mean()),
                float(np.mean(train["roc_auc"])),
                dumps(folds),
                dumps(train),
                dumps([0.1] * 5),
                dumps([0.01] * 5),
                None,
                None,
                now_iso(),
                now_iso(),
                0.5,
                f"w{i % 2}",
            )
        )
    conn = store._conn()
    with conn:
        conn.executemany(
            "INSERT INTO trials(study_id, number, state, params, score, train_score, fold_scores, "
            "fold_train_scores, fit_time, score_time, curves, error, started, finished, duration_s, worker)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    store.finish_study(sid, __import__("tuning.store", fromlist=["StudyState"]).StudyState.COMPLETE, elapsed_s=n * 0.5)


def time_page(db: Path, repeats: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    os.environ["TUNING_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("app_pages/results.py")
    at.run()  # first run: caches the results frame (what a user pays once per new trial)
    assert not at.exception, at.exception
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        at.run()  # a rerun, as after any widget change
        out.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        small, big = Path(d) / "small.db", Path(d) / "big.db"
        fill(small, 100)
        t = time.perf_counter()
        fill(big, 10_000)
        print(f"filled 10,000 trials in {time.perf_counter() - t:.1f}s")
        s = time_page(small, args.repeats)
        b = time_page(big, args.repeats)
    ms, mb = float(np.median(s)), float(np.median(b))
    print(f"Results page rerun: 100 trials {ms:.2f}s, 10,000 trials {mb:.2f}s (medians of {args.repeats})")
    print(f"ratio 10,000 / 100 = {mb / ms:.2f}  (target <= 3)")


if __name__ == "__main__":
    main()
