"""What measuring a model's size costs against fitting it (target: under 3 % of the fit).

A 300-round XGBoost model on breast_cancer and on a 5,000 x 30 synthetic table; the size read through
``tuning.complexity.model_size`` and, for comparison, through ``Booster.trees_to_dataframe``.
Usage: python benchmarks/bench_complexity.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tuning.complexity import model_size  # noqa: E402


def main() -> None:
    import xgboost as xgb
    from sklearn.datasets import load_breast_cancer, make_classification

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    cases = {
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "synthetic 5000x30": make_classification(5000, 30, random_state=0),
    }
    for name, (X, y) in cases.items():
        fits, sizes, frames = [], [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            m = xgb.XGBClassifier(n_estimators=300, max_depth=6, n_jobs=2).fit(X, y)
            fits.append(time.perf_counter() - t)
            t = time.perf_counter()
            size = model_size(m, "xgboost")
            sizes.append(time.perf_counter() - t)
            t = time.perf_counter()
            m.get_booster().trees_to_dataframe()
            frames.append(time.perf_counter() - t)
        f, s, d = (float(np.median(v)) for v in (fits, sizes, frames))
        print(
            f"{name}: fit {f * 1000:.0f} ms, model_size {s * 1000:.2f} ms ({100 * s / f:.2f} % of the fit; {size}), "
            f"trees_to_dataframe {d * 1000:.1f} ms ({100 * d / f:.1f} %)"
        )


if __name__ == "__main__":
    main()
