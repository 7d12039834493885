"""The time estimate before Start against the study's real duration (issue 17 item 4). Not a test.

Per table: a small study (10-15 trials, 3 folds, 2 workers) is estimated (``tuning.estimate``: probe, then
arithmetic), then run to the end with the engine; prints the estimate, the probe's own time, the real wall
and their ratio, then the median ratio and the worst case. Big tables are subsampled first. ``uptime`` is
printed before and after: the machine may be shared, and the load says how much to trust the walls.

    python benchmarks/bench_estimate.py [--only name,name]
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# the shared tables beside the checkout (a worktree sits one folder deeper than the main checkout)
DATA = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()), ROOT / "shared")
sys.path.insert(0, str(ROOT))

GRID = {
    "n_estimators": {"values": [100, 200, 300]},
    "max_depth": {"values": [3, 6]},
    "learning_rate": {"values": [0.05, 0.1]},
}
#: name: (file, target, model, strategy, trials, rows kept (None: all), extra StudyConfig fields)
CASES: dict[str, tuple[Path, str, str, str, int, int | None, dict]] = {
    "breast_cancer": (ROOT / "sample_data" / "breast_cancer.csv", "diagnosis", "xgboost", "tpe", 12, None, {}),
    "digits_rf": (ROOT / "sample_data" / "digits.csv", "digit", "random_forest", "random", 10, None, {}),
    "credit_status": (DATA / "credit_status.csv", "Status", "xgboost", "tpe", 12, None, {}),
    "cps1988_asha": (DATA / "cps1988_wage.csv", "wage", "xgboost", "random", 15, 10_000, {"pruner": "asha"}),
    "ames_grid": (DATA / "ames_housing.csv", "Sale_Price", "xgboost", "grid", 12, None, {"space": GRID}),
    "hotel_knn": (DATA / "hotel_rates.csv", "avg_price_per_room", "knn", "tpe", 10, 5_000, {}),
    "diabetes_en": (ROOT / "sample_data" / "diabetes.csv", "progression", "elastic_net", "random", 15, None, {}),
}


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "uptime unavailable"


def table_bytes(path: Path, rows: int | None) -> bytes:
    if rows is None:
        return path.read_bytes()
    df = pd.read_csv(path)
    if len(df) > rows:
        df = df.sample(rows, random_state=0)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


def one(name: str, store) -> dict:
    from tuning.config import StudyConfig, resolve_config
    from tuning.data import prepare_xy
    from tuning.estimate import predict, probe
    from tuning.runner import run
    from tuning.study import read_table, split_rows

    path, target, model, strategy, trials, rows, extra = CASES[name]
    ds = store.add_dataset(path.name, table_bytes(path, rows))
    config = StudyConfig(
        dataset_id=ds, target=target, model=model, strategy=strategy, n_trials=trials, cv=3, workers=2, **extra
    )
    t0 = time.perf_counter()
    table = read_table(store, ds, target=target, task=None)
    resolved = resolve_config(config, table.profile)
    data = split_rows(prepare_xy(table.frame, table.profile), resolved, task=resolved.task.value)
    measured = probe(resolved, data)
    est = predict(resolved, measured)
    probe_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = run(store, config)
    wall = time.perf_counter() - t0
    return {
        "table": name,
        "rows": len(table.frame),
        "model": model,
        "strategy": strategy + ("+" + extra["pruner"] if "pruner" in extra else ""),
        "trials": summary["n_trials"],
        "estimate_s": est.seconds,
        "range": f"{est.low:.1f}-{est.high:.1f}",
        "probe_s": probe_s,
        "real_s": wall,
        "ratio": est.seconds / wall,
        "in_range": est.low <= wall <= est.high,
        "words": est.words(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    names = [n for n in CASES if not args.only or n in args.only.split(",")]
    names = [n for n in names if CASES[n][0].exists()]
    from tuning.store import Store

    print("before:", uptime(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        results = []
        for n in names:
            r = one(n, store)
            results.append(r)
            print(
                f"{r['table']:<15} {r['rows']:>6} rows {r['model']:<13} {r['strategy']:<12} {r['trials']:>3} trials  "
                f"estimate {r['estimate_s']:6.1f} s ({r['range']})  probe {r['probe_s']:4.2f} s  "
                f"real {r['real_s']:6.1f} s  ratio {r['ratio']:.2f}{'' if r['in_range'] else '  (outside range)'}",
                flush=True,
            )
    ratios = [r["ratio"] for r in results]
    worst = max(results, key=lambda r: abs(math.log(r["ratio"])))
    print(f"median ratio estimate/real: {statistics.median(ratios):.2f}")
    print(f"worst: {worst['table']} ratio {worst['ratio']:.2f}")
    print(f"within the low-high range: {sum(r['in_range'] for r in results)} of {len(results)}")
    print("after:", uptime())


if __name__ == "__main__":
    main()
