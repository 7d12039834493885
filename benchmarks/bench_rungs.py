"""Which rung rule keeps the best configurations: equal rounds, or equal learning_rate x rounds? (issue 7)

45 random XGBoost configurations (n_estimators 50-500, learning_rate 0.01-0.3 log, depth, sampling) are
boosted in full on a generated 20,000 x 20 task; from each one's per-round validation loss we read
where it stood at each rung under both rules, and count how many of the final top 5 (by the study's
metric at full budget) would survive a cut to the top third at the first rungs, and what share of
the rounds each rule spends. Not a test; prints the comparison.

With ``--table`` (issue 18, item 3) the same question on a real table, asked of the engine as it runs: the
peers' 8-parameter space, each configuration scored by the engine's trial at every rung the XGBoost trainer
plans for it (``rung_budgets``, eta 3: progress 1, 3, 9... in learning_rate x rounds) and at its full budget,
in the study's metric. At each rung the top third of the configurations that reach it go on (the successive
halving rule ASHA applies asynchronously); printed: how many of the final top 5 are kept at that rung, and
through all rungs so far.

    python benchmarks/bench_rungs.py [--configs 45] [--rows 20000]
    python benchmarks/bench_rungs.py --table ../shared/data/cps1988_wage.csv --target wage [--configs 45]
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
    ap.add_argument("--table", type=Path, help="a real table: the engine's own rungs on it")
    ap.add_argument("--target")
    a = ap.parse_args()
    if a.table is not None:
        real_table(a.table, a.target, a.configs)
        return
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


def real_table(path: Path, target: str, n_configs: int) -> None:
    import subprocess

    import pandas as pd

    from benchmarks._tables import PEER_SPACE, xgb_context
    from tuning.context import make_folds
    from tuning.data import read_table
    from tuning.evaluate import evaluate
    from tuning.profile import infer_task
    from tuning.space import SearchSpace
    from tuning.trainers import trainer_for

    df = read_table(path).dropna(subset=[target])
    y_raw = df.pop(target)
    task = infer_task(y_raw)
    X = pd.get_dummies(df, dummy_na=True).astype(float)  # as peers.py encodes
    y = y_raw.astype("category").cat.codes.to_numpy() if task == "classification" else y_raw.to_numpy(float)
    metric = (
        "roc_auc" if task == "classification" and len(set(y)) == 2 else "accuracy" if task == "classification" else "r2"
    )
    folds = make_folds(y, task=task, cv=3, seed=0)
    ctx = xgb_context(X, y, task=task, metric=metric, folds=folds, n_jobs=2, record_curves=False)
    trainer = trainer_for("xgboost")
    space = SearchSpace.from_dict(PEER_SPACE)
    rng = np.random.default_rng(0)
    configs = [space.sample(rng) for _ in range(n_configs)]
    at_rung: list[list[float]] = []  # scores at each of the configuration's rungs before its full budget
    finals = []
    for i, p in enumerate(configs):
        rungs = trainer.rung_budgets(ctx, p, eta=3, min_budget=None)
        scores = [float(evaluate(ctx, {**p, "n_estimators": r}).score) for r in rungs]
        at_rung.append(scores[:-1])
        finals.append(scores[-1])
        print(f"\r{i + 1}/{n_configs}", end="", file=sys.stderr)
    print(file=sys.stderr)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    top5 = set(np.argsort(-np.asarray(finals))[:5].tolist())
    print(f"{path.name}: {X.shape[0]:,} x {X.shape[1]}, {task}, {metric}; {n_configs} configurations ({load})")
    alive = set(range(n_configs))
    for k in range(max(len(s) for s in at_rung)):
        reach = [i for i in range(n_configs) if len(at_rung[i]) > k]
        if len(reach) < 3:
            break
        ranked = sorted(reach, key=lambda i: -at_rung[i][k])
        keep = set(ranked[: max(1, len(reach) // 3)]) | (set(range(n_configs)) - set(reach))
        alive &= keep
        print(
            f"  rung {k} (progress {3**k}): {len(reach)} configurations reach it; the top third keeps "
            f"{len(top5 & keep)} of the final top 5, {len(top5 & alive)} through all rungs so far"
        )


if __name__ == "__main__":
    main()
