"""Search speed against the peers, as ratios measured in one run (issue 7). Not a test.

1. Grid: 5 n_estimators x 3 max_depth x 3 learning_rate XGBoost grid, engine (workers=2) vs
   GridSearchCV(n_jobs=2) on the same folds: wall ratio, and the largest score difference (must be < 1e-9).
2. Throughput and multi-fidelity on generated tables of three shapes, through ``../shared/bench/peers.py``
   (the same 8-parameter XGBoost space, 3 shuffled folds, 40 trials, medians over seeds): the engine's
   TPE against Optuna TPE (n_jobs=2) and RandomizedSearchCV(n_jobs=2); the engine's TPE + ASHA against
   Optuna TPE + HyperbandPruner, RandomizedSearchCV and HalvingRandomSearchCV (time to the best score
   any contender found, less 0.5%).

    python benchmarks/bench_search.py [--seeds 0,1,2] [--trials 40] [--only grid|peers] [--tables a,b,c]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / "shared" / "bench" / "peers.py"
sys.path.insert(0, str(ROOT))


def make_tables(folder: Path) -> dict[str, tuple[Path, str, str]]:
    """Generated tables (nothing downloaded): (path, target, task) by name."""
    from sklearn.datasets import make_classification, make_friedman1

    out = {}
    X, y = make_friedman1(n_samples=20_000, n_features=9, noise=2.0, random_state=0)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(9)]).assign(y=y)
    out["reg20k"] = (folder / "reg20k.csv", "y", "regression")
    df.to_csv(out["reg20k"][0], index=False)
    X, y = make_classification(6_400, 8, n_informative=5, n_redundant=1, flip_y=0.15, class_sep=0.7, random_state=1)
    out["bin6k"] = (folder / "bin6k.csv", "y", "classification")
    pd.DataFrame(X, columns=[f"f{i}" for i in range(8)]).assign(y=y).to_csv(out["bin6k"][0], index=False)
    X, y = make_classification(3_000, 40, n_informative=12, n_classes=3, flip_y=0.05, random_state=2)
    out["multi3k"] = (folder / "multi3k.csv", "y", "classification")
    pd.DataFrame(X, columns=[f"c{i}" for i in range(40)]).assign(y=y).to_csv(out["multi3k"][0], index=False)
    return out


def bench_grid(path: Path) -> None:
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from xgboost import XGBClassifier

    from tuning.analysis import results_frame
    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.store import Store

    grid = {"n_estimators": [50, 100, 150, 200, 250], "max_depth": [3, 5, 7], "learning_rate": [0.03, 0.1, 0.3]}
    df = pd.read_csv(path)
    X, y = df.drop(columns="y").to_numpy(), df["y"].to_numpy()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "g.db")
        ds = store.add_dataset(path.name, path.read_bytes())
        cfg = StudyConfig(
            dataset_id=ds,
            target="y",
            model="xgboost",
            task="classification",
            strategy="grid",
            n_trials=None,
            cv=3,
            metric="roc_auc",
            space={k: {"values": v} for k, v in grid.items()},
            workers=2,
            seed=0,
        )
        t = time.perf_counter()
        summary = run(store, cfg)
        engine_s = time.perf_counter() - t
        frame = results_frame(store.get_trials(summary["study_id"]), metric="roc_auc")
    t = time.perf_counter()
    gs = GridSearchCV(
        XGBClassifier(n_jobs=1, random_state=0, verbosity=0),
        grid,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="roc_auc",
        n_jobs=2,
        refit=False,
    ).fit(X, y)
    gs_s = time.perf_counter() - t
    diff = 0.0
    for params, score in zip(gs.cv_results_["params"], gs.cv_results_["mean_test_score"]):
        mask = np.ones(len(frame), dtype=bool)
        for k, v in params.items():
            mask &= frame[f"param_{k}"].to_numpy() == v
        diff = max(diff, abs(float(frame.loc[mask, "mean_test_score"].iloc[0]) - float(score)))
    print(
        f"grid 45 candidates x 3 folds on {path.name}: engine {engine_s:.1f}s, GridSearchCV(n_jobs=2) {gs_s:.1f}s, "
        f"speed-up {gs_s / engine_s:.2f}x, largest score difference {diff:.2e}"
    )


def peers(path: Path, target: str, task: str, *, seeds: str, trials: int, args: str, only: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [
            sys.executable,
            str(PEERS),
            str(path),
            target,
            task,
            "--engine",
            f"{sys.executable} -m tuning",
            "--seeds",
            seeds,
            "--trials",
            str(trials),
            "--only",
            only,
            "--out",
            str(out),
        ]
        if args:
            cmd.append(f"--engine-args={args}")
        proc = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        print(proc.stdout.rstrip())
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            return {}
        return json.loads(out.read_text())


def _median(xs: list[float]) -> float:
    return float(np.median(xs))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--only", default="grid,peers")
    ap.add_argument("--tables", default="reg20k,bin6k,multi3k")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tables = make_tables(Path(tmp))
        if "grid" in a.only:
            bench_grid(tables["bin6k"][0])
        if "peers" not in a.only:
            return
        if not PEERS.exists():
            print(f"skipped the peers: {PEERS} is not there")
            return
        for name in a.tables.split(","):
            path, target, task = tables[name]
            r = peers(path, target, task, seeds=a.seeds, trials=a.trials, args="", only="engine,optuna,random")
            if r:
                m = r["methods"]
                e, o, rs = (_median(m[k]["wall"]) for k in ("engine", "optuna", "random"))
                print(f"  {name}: engine TPE wall / Optuna TPE = {e / o:.2f}, / RandomizedSearchCV = {e / rs:.2f}")
            r = peers(
                path,
                target,
                task,
                seeds=a.seeds,
                trials=a.trials,
                args="--pruner asha",
                only="engine,optuna-hb,random,halving",
            )
            if r:
                m = r["methods"]
                ttt = {k: _median(v["time_to_target"]) for k, v in m.items()}
                best = {k: _median(v["best"]) for k, v in m.items()}
                e = ttt["engine"]
                for k in ("optuna-hb", "random", "halving"):
                    ratio = ttt[k] / e if np.isfinite(e) and e > 0 else float("nan")
                    print(
                        f"  {name}: time to target, {m[k]['name']} / engine+asha = {ratio:.2f}x "
                        f"(median best {best[k]:.4f} vs engine {best['engine']:.4f})"
                    )


if __name__ == "__main__":
    main()
