"""Which rung rule keeps the best configurations: equal rounds, or equal learning_rate x rounds? (issue 7)

45 random XGBoost configurations (n_estimators 50-500, learning_rate 0.01-0.3 log, depth, sampling) are
boosted in full on a generated 20,000 x 20 task; from each one's per-round validation loss we read
where it stood at each rung under both rules, and count how many of the final top 5 (by the study's
metric at full budget) would survive a cut to the top third at the first rungs, and what share of
the rounds each rule spends. Not a test; prints the comparison.

    python benchmarks/bench_rungs.py [--configs 45] [--rows 20000]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from sklearn.datasets import make_classification

    from tuning.evaluate import EvalContext, evaluate, make_folds
    from tuning.space import SearchSpace

    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", type=int, default=45)
    ap.add_argument("--rows", type=int, default=20_000)
    a = ap.parse_args()
    X, y = make_classification(a.rows, 20, n_informative=8, flip_y=0.1, class_sep=0.6, random_state=0)
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    ctx = EvalContext(
        model="xgboost",
        task="classification",
        X=frame,
        y=y,
        numeric=tuple(frame.columns),
        categorical=(),
        folds=tuple(make_folds(y, task="classification", cv=3, seed=0)),
        metric="roc_auc",
        secondary=(),
        n_jobs=2,
        record_curves=True,
    )
    space = SearchSpace.from_dict(
        {
            "n_estimators": {"type": "int", "low": 50, "high": 500},
            "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
            "max_depth": {"type": "int", "low": 2, "high": 10},
            "subsample": {"type": "float", "low": 0.5, "high": 1.0},
            "colsample_bytree": {"type": "float", "low": 0.5, "high": 1.0},
        }
    )
    rng = np.random.default_rng(0)
    configs, finals, curves = [], [], []
    for i in range(a.configs):
        p = space.sample(rng)
        out = evaluate(ctx, p)
        configs.append(p)
        finals.append(out.score)
        curves.append(np.asarray(out.curves["val_mean"]))  # validation log loss per round (lower is better)
        print(f"\r{i + 1}/{a.configs}", end="", file=sys.stderr)
    print(file=sys.stderr)
    finals = np.asarray(finals)
    top5 = set(np.argsort(-finals)[:5])
    total_rounds = sum(len(c) for c in curves)

    def survivors(at: list[int]) -> tuple[set[int], int]:
        """Top third by loss at each config's checkpoint (a config whose budget ends first keeps its end)."""
        loss = np.array([c[min(r, len(c)) - 1] for c, r in zip(curves, at)])
        keep = set(np.argsort(loss)[: max(1, len(loss) // 3)])
        return keep, int(sum(min(r, len(c)) for c, r in zip(curves, at)))

    print(f"{a.configs} configurations on {a.rows} x 20; the final top 5 by roc_auc: {sorted(int(i) for i in top5)}")
    for label, rule in (
        ("equal rounds", lambda p, k: [9, 27, 81][k]),
        ("equal learning_rate x rounds", lambda p, k: max(5, math.ceil([1, 3, 9][k] / p["learning_rate"]))),
    ):
        for k in range(3):
            keep, spent = survivors([rule(p, k) for p in configs])
            print(
                f"  {label:30s} rung {k}: keeps {len(keep & top5)} of the top 5, "
                f"spending {spent / total_rounds:.0%} of the rounds of full fits to reach the rung"
            )


if __name__ == "__main__":
    main()
