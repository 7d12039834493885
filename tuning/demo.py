"""Synthetic studies written straight into a store: for benchmarks (100,000 trials), tests and demos.

The trials look like an XGBoost search over depth, learning rate, subsample, booster (with DART's
conditional ``rate_drop``) and ``reg_lambda``, with per-fold scores, fit times that grow with depth and a
model size in leaves, plus a few pruned and failed trials. Nothing is fitted: filling 100,000 trials
takes seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tuning.protocol import Rung, StudyState, TrialState
from tuning.store import Store, TrialRecord, now_iso

ROOT = Path(__file__).resolve().parents[1]
SPACE = {
    "n_estimators": {"value": 200},
    "max_depth": {"type": "int", "low": 2, "high": 10},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
    "booster": {"values": ["gbtree", "dart"]},
    "rate_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}},
    "reg_lambda": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
}
N_FOLDS = 5


def fill_study(
    store: Store,
    n: int,
    *,
    seed: int = 0,
    name: str | None = None,
    curves: bool = False,
    pruned_every: int = 17,
    failed_every: int = 29,
) -> int:
    """Add a finished study of ``n`` synthetic trials on the bundled moons sample; returns its id."""
    ds = store.add_dataset("moons.csv", (ROOT / "sample_data" / "moons.csv").read_bytes())
    title = name or f"synthetic {n}"
    cfg = {
        "dataset_id": ds,
        "target": "label",
        "model": "xgboost",
        "task": "classification",
        "strategy": "random",
        "n_trials": n,
        "cv": N_FOLDS,
        "metric": "roc_auc",
        "space": SPACE,
        "grid_points": 5,
        "workers": 1,
        "seed": seed,
        "device": "cpu",
        "test_size": 0.0,
        "record_curves": curves,
        "name": title,
    }
    sid = store.create_study(name=title, dataset_id=ds, config=cfg)
    rng = np.random.default_rng(seed)
    depth = rng.integers(2, 11, n)
    lr = np.exp(rng.uniform(np.log(0.01), np.log(0.3), n))
    sub = rng.uniform(0.5, 1.0, n)
    dart = rng.random(n) < 0.5
    rate = rng.uniform(0.0, 0.5, n)
    lam = np.exp(rng.uniform(np.log(1e-3), np.log(10.0), n))
    noise = rng.normal(0, 0.01, (n, N_FOLDS))
    # deeper trees gain a little (about a fold standard deviation from depth 4 to 8): a trade-off to find
    base = 0.9 + 0.05 * np.tanh(lr * 10) - 0.006 * np.maximum(0, 4 - depth) + 0.002 * np.minimum(depth, 8)
    base = base - 0.03 * dart * rate
    folds = np.clip(base[:, None] + noise, 0, 1)
    leaves = 200 * (2.0 ** np.minimum(depth, 8)) * rng.uniform(0.6, 1.0, n)
    fit = 0.01 * depth * (1 + 2 * dart) * rng.uniform(0.8, 1.2, n)
    t0 = now_iso()
    rows = []
    for i in range(n):
        params = {
            "n_estimators": 200,
            "max_depth": int(depth[i]),
            "learning_rate": float(lr[i]),
            "subsample": float(sub[i]),
            "booster": "dart" if dart[i] else "gbtree",
            **({"rate_drop": float(rate[i])} if dart[i] else {}),
            "reg_lambda": float(lam[i]),
        }
        state = TrialState.COMPLETE
        if failed_every and i % failed_every == failed_every - 1:
            state = TrialState.FAILED
        elif pruned_every and i % pruned_every == pruned_every - 1:
            state = TrialState.PRUNED
        f = folds[i].tolist()
        ok = state is not TrialState.FAILED
        curve = None
        if curves and ok:
            r = np.arange(1, 51)
            val = (base[i] - 0.2 * np.exp(-r * lr[i])).round(5).tolist()
            curve = {"metric": "auc", "val_mean": val, "train_mean": [v + 0.01 for v in val], "best_iteration": [49]}
        pruned = state is TrialState.PRUNED
        rows.append(
            TrialRecord(
                study_id=sid,
                number=i,
                state=state,
                params=params,
                score=float(np.mean(f)) if ok else None,
                train_score=float(np.mean(f)) + 0.003 * depth[i] if ok else None,
                fold_scores={"roc_auc": f} if ok else {},
                fold_train_scores={"roc_auc": [v + 0.003 * depth[i] for v in f]} if ok else {},
                fit_time=(float(fit[i]),) * N_FOLDS if ok else (),
                score_time=(0.001,) * N_FOLDS if ok else (),
                curves=curve,
                error=None if ok else "ValueError: synthetic failure",
                started=t0,
                finished=t0,
                duration_s=float(fit[i] * N_FOLDS),
                worker="demo:1",
                budget=100 if pruned else None,
                rung=0 if pruned else None,
                model_size=float(round(leaves[i])) if ok else None,
                model_size_unit="leaves" if ok else None,
                note="below the median at rung 0" if pruned else None,
                rungs=(Rung(0, 100, float(np.mean(f))),) if pruned else (),
            )
        )
    store.add_trials(rows)
    store.finish_study(sid, StudyState.COMPLETE, elapsed_s=float(fit.sum() * N_FOLDS))
    return sid
