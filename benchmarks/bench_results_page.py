"""The Results page with 10,000 and 100,000 trials against the same page with 100 (target: ratio <= 3).

Fills stores with synthetic XGBoost-like trials (``tuning.demo.fill_study``: 6 parameters, one conditional,
per-fold scores, fit times and model sizes, a few pruned and failed), then times AppTest reruns of the
Results page on each. Usage: python benchmarks/bench_results_page.py [--repeats 3] [--sizes 10000 100000]
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

from tuning.demo import fill_study  # noqa: E402
from tuning.store import Store  # noqa: E402


def fill(path: Path, n: int) -> None:
    fill_study(Store(path), n, seed=0, name=f"bench {n}")


def time_page(db: Path, repeats: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    os.environ["TUNING_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("pages/results.py")
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
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "small.db"
        fill(small, 100)
        ms = float(np.median(time_page(small, args.repeats)))
        print(f"Results page rerun at 100 trials: {ms:.2f}s (median of {args.repeats})")
        for n in args.sizes:
            big = Path(d) / f"big{n}.db"
            t = time.perf_counter()
            fill(big, n)
            filled = time.perf_counter() - t
            t = time.perf_counter()
            b = time_page(big, args.repeats)
            first = time.perf_counter() - t - sum(b)
            mb = float(np.median(b))
            print(
                f"{n:,} trials (filled in {filled:.1f}s; first load {first:.1f}s): rerun {mb:.2f}s, "
                f"ratio {n:,} / 100 = {mb / ms:.2f}  (target <= 3)"
            )


if __name__ == "__main__":
    main()
