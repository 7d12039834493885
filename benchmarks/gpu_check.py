"""One prepared GPU check: the probe, CPU vs GPU trial time on the same study, printed as a ratio.

Usage (on a machine with a CUDA GPU): python benchmarks/gpu_check.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tuning.device import cuda_status  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--trials", type=int, default=4)
    args = ap.parse_args()
    ok, why = cuda_status()
    print(f"cuda_status: {ok} ({why})", flush=True)
    if not ok:
        return
    import pandas as pd
    from sklearn.datasets import make_classification

    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.store import Store

    X, y = make_classification(n_samples=args.rows, n_features=50, n_informative=20, random_state=0)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(50)])
    df["label"] = y
    content = df.to_csv(index=False).encode()
    space = {
        "n_estimators": {"value": 300},
        "max_depth": {"type": "int", "low": 6, "high": 10},
        "learning_rate": {"type": "float", "low": 0.05, "high": 0.3, "log": True},
    }
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "gpu.db")
        ds = store.add_dataset("big.csv", content)
        times = {}
        for device in ("cuda", "cpu", "cuda"):  # GPU first and last: the first includes CUDA start-up
            t = time.perf_counter()
            s = run(
                store,
                StudyConfig(
                    dataset_id=ds,
                    target="label",
                    model="xgboost",
                    strategy="random",
                    n_trials=args.trials,
                    cv=3,
                    space=space,
                    device=device,
                    seed=1,
                    workers=1,
                ),
            )
            times.setdefault(device, []).append(time.perf_counter() - t)
            print(
                f"{device}: {s['state']} {s['n_complete']} trials in {times[device][-1]:.1f}s, "
                f"best roc_auc {s['best_score']:.5f}",
                flush=True,
            )
    print(f"{args.rows} rows x 50 features, {args.trials} trials x 3 folds x 300 rounds, depth 6-10")
    print(f"CPU time / GPU time (warm GPU run) = {times['cpu'][0] / times['cuda'][-1]:.2f}")


if __name__ == "__main__":
    main()
