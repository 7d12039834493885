"""One XGBoost trial on a real table: the engine's trial vs scikit-learn's ``cross_val_score`` of the same model.

The same parameter sets (drawn from peers.py's 8-parameter space), the same 3 shuffled folds, one thread
each, measured interleaved in one process so the machine's load hits both alike. Prints, per setting,
the median seconds per trial and the ratio engine / cross_val_score (below 1: the engine is faster).
The engine is timed with its per-round curves on (its default) and off (``--no-curves``); the peer
computes no curve and no training score.

Usage: python benchmarks/bench_trial.py TABLE TARGET regression|classification [--sets 6] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402
from xgboost import XGBClassifier, XGBRegressor  # noqa: E402

from tuning.context import EvalContext  # noqa: E402
from tuning.evaluate import evaluate  # noqa: E402
from tuning.protocol import TrialState  # noqa: E402

SPACE = {  # peers.py's space
    "n_estimators": (50, 500, True, False),
    "max_depth": (2, 10, True, False),
    "learning_rate": (0.01, 0.3, False, True),
    "subsample": (0.5, 1.0, False, False),
    "colsample_bytree": (0.5, 1.0, False, False),
    "min_child_weight": (1.0, 20.0, False, True),
    "reg_lambda": (1e-3, 10.0, False, True),
    "reg_alpha": (1e-3, 10.0, False, True),
}


def draw(rng: np.random.Generator) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for k, (lo, hi, integer, log) in SPACE.items():
        if integer:
            out[k] = int(rng.integers(lo, hi + 1))
        elif log:
            out[k] = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        else:
            out[k] = float(rng.uniform(lo, hi))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("table"), ap.add_argument("target"), ap.add_argument("task")
    ap.add_argument("--sets", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    d = pd.read_csv(a.table).dropna(subset=[a.target])
    y_raw = d.pop(a.target)
    X = pd.get_dummies(d, dummy_na=True).astype(float)
    if a.task == "classification":
        y = LabelEncoder().fit_transform(y_raw)
        Est, folds_of, scoring, metric = (
            XGBClassifier,
            StratifiedKFold(3, shuffle=True, random_state=0),
            "roc_auc",
            "roc_auc",
        )
    else:
        y = y_raw.to_numpy(dtype=float)
        Est, folds_of, scoring, metric = XGBRegressor, KFold(3, shuffle=True, random_state=0), "r2", "r2"
    folds = tuple((tr, va) for tr, va in folds_of.split(X, y))
    base = dict(model="xgboost", task=a.task, X=X, y=y, numeric=tuple(X.columns), categorical=(), folds=folds)
    ctx_on = EvalContext(**base, metric=metric, secondary=(), n_jobs=1, record_curves=True)
    ctx_off = EvalContext(**base, metric=metric, secondary=(), n_jobs=1, record_curves=False)
    rng = np.random.default_rng(0)
    sets = [draw(rng) for _ in range(a.sets)]
    for ctx in (ctx_on, ctx_off):  # matrices built once per study, as in a real one
        evaluate(ctx, {"n_estimators": 2})
    times: dict[str, list[float]] = {"engine": [], "engine --no-curves": [], "cross_val_score": []}
    for p in sets:
        per: dict[str, list[float]] = {k: [] for k in times}
        for _ in range(a.repeats):
            for name in times:
                t = time.perf_counter()
                if name == "cross_val_score":
                    cross_val_score(Est(**p, n_jobs=1, tree_method="hist"), X, y, cv=folds, scoring=scoring)
                else:
                    out = evaluate(ctx_on if name == "engine" else ctx_off, p)
                    assert out.state is TrialState.COMPLETE, out.error
                per[name].append(time.perf_counter() - t)
        for k in times:
            times[k].append(statistics.median(per[k]))
        print(
            f"n_estimators={p['n_estimators']:>3} max_depth={p['max_depth']:>2}: "
            + "  ".join(f"{k} {statistics.median(per[k]):.2f}s" for k in times),
            flush=True,
        )
    peer = sum(times["cross_val_score"])
    print(f"table {Path(a.table).name}: {len(X)} rows x {X.shape[1]} columns, {a.sets} settings x {a.repeats}")
    for k in ("engine", "engine --no-curves"):
        print(f"  {k:<20} {sum(times[k]):7.2f}s   ratio to cross_val_score {sum(times[k]) / peer:.2f}")
    print(f"  {'cross_val_score':<20} {peer:7.2f}s")


if __name__ == "__main__":
    main()
