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
    """Two studies of ``n`` trials (Compare puts them side by side; Results opens the last)."""
    store = Store(path)
    for seed in (0, 1):
        fill_study(store, n, seed=seed, name=f"bench {n} #{seed}")


def time_page(db: Path, repeats: int, page: str = "app_pages/results.py") -> list[float]:
    from streamlit.testing.v1 import AppTest

    from ui.tradeoff_view import _jobs

    os.environ["TUNING_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(page)
    at.run()  # first run: caches the results frame (what a user pays once per new trial)
    assert not at.exception, at.exception
    for job in list(_jobs().values()):  # importance started in the background: time the steady state
        job.result()
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
    pages = {"Results": "app_pages/results.py", "Compare": "app_pages/compare.py"}
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "small.db"
        fill(small, 100)
        base = {}
        for name, page in pages.items():
            base[name] = float(np.median(time_page(small, args.repeats, page)))
            print(f"{name} page rerun at 100 trials per study: {base[name]:.2f}s (median of {args.repeats})")
        for n in args.sizes:
            big = Path(d) / f"big{n}.db"
            t = time.perf_counter()
            fill(big, n)
            print(f"filled 2 x {n:,} trials in {time.perf_counter() - t:.1f}s")
            for name, page in pages.items():
                t = time.perf_counter()
                b = time_page(big, args.repeats, page)
                first = time.perf_counter() - t - sum(b)
                mb = float(np.median(b))
                print(
                    f"{name} at {n:,} trials per study: first load {first:.1f}s, rerun {mb:.2f}s, "
                    f"ratio {n:,} / 100 = {mb / base[name]:.2f}  (target <= 3)"
                )


if __name__ == "__main__":
    main()
