"""Refine and seed against a cold search: time to the cold study's median best, the same trial budget.

Per table and seed: a *parent* (a cold TPE study, the earlier study a person has), a *cold* study (TPE,
another seed: what starting over gives), and the parent's *refine* and *seed* children (tuning/iterate.py,
TPE). All four get the same trial budget, the same 8-parameter XGBoost space (peers.py's), 3 folds, one
worker. The target is the median over seeds of the cold studies' best scores. Printed per table: the
median seconds to reach the target (from each study's first trial start; "never" when it is not reached,
counted as the study's whole duration), the ratio cold / child (above 1: the child is sooner) and the
median final bests. Run on a quiet machine; ``uptime`` is printed first.

Usage: python benchmarks/bench_iterate.py [--trials 20] [--seeds 0,1,2] [--rows 8000] [--tables ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._tables import DATA, PEER_SPACE, ROOT, store_rows, tpe_study, uptime  # noqa: E402
from tuning.iterate import propose  # noqa: E402
from tuning.runner import run  # noqa: E402
from tuning.store import Store  # noqa: E402

SPACE = PEER_SPACE
TABLES = {  # name: (file, target, metric)
    "cps1988": ("cps1988_wage.csv", "wage", "r2"),
    "credit": ("credit_status.csv", "Status", "roc_auc"),
    "ames": ("ames_housing.csv", "Sale_Price", "r2"),
    "hotel": ("hotel_rates.csv", "avg_price_per_room", "r2"),
    "breast": (str(ROOT / "sample_data" / "breast_cancer.csv"), "diagnosis", "roc_auc"),
}


def _t(iso: str | None) -> float:
    return dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp() if iso else 0.0


def curve(store: Store, study_id: int) -> tuple[list[tuple[float, float]], float]:
    """(seconds since the first trial started, best so far) at each finished trial; the study's best."""
    trials = [t for t in store.get_trials(study_id) if t.finished]
    t0 = min(_t(t.started) for t in trials)
    out, best = [], float("-inf")
    for t in sorted(trials, key=lambda t: _t(t.finished)):
        if t.score is not None and t.score > best:
            best = t.score
        out.append((_t(t.finished) - t0, best))
    return out, best


def time_to(points: list[tuple[float, float]], target: float) -> float | None:
    return next((s for s, b in points if b >= target), None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--rows", type=int, default=8000, help="rows of each table used (the first, shuffled)")
    ap.add_argument("--tables", default="cps1988,credit,ames")
    a = ap.parse_args()
    print(uptime())
    seeds = [int(s) for s in a.seeds.split(",")]
    rows = []
    for name in a.tables.split(","):
        file, target, metric = TABLES[name]
        path = Path(file) if Path(file).is_absolute() else DATA / file
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "b.db")
            ds, df = store_rows(store, path, a.rows, name=f"{name}.csv")
            base = tpe_study(ds, target, metric, SPACE, a.trials)
            runs: dict[str, list[tuple[list[tuple[float, float]], float]]] = {k: [] for k in ("cold", "refine", "seed")}
            for s in seeds:
                parent = run(store, base.replace(seed=s))["study_id"]
                cold = run(store, base.replace(seed=s + 100))["study_id"]
                runs["cold"].append(curve(store, cold))
                for mode in ("refine", "seed"):
                    p = propose(store, parent, mode, n_trials=a.trials)
                    child = run(store, p.config.replace(seed=s + 200))["study_id"]
                    runs[mode].append(curve(store, child))
            target_score = statistics.median(b for _, b in runs["cold"])
            med_t = {}
            for k, rs in runs.items():
                times = [time_to(pts, target_score) or pts[-1][0] for pts, _ in rs]
                med_t[k] = statistics.median(times)
                reached = sum(time_to(pts, target_score) is not None for pts, _ in rs)
                rows.append(
                    {
                        "table": f"{name} ({len(df)}x{df.shape[1]})",
                        "study": k,
                        "median s to target": round(med_t[k], 2),
                        "reached": f"{reached}/{len(rs)}",
                        "ratio cold/this": round(med_t["cold"] / max(med_t[k], 1e-9), 2),
                        "median best": round(statistics.median(b for _, b in rs), 5),
                        "target": round(target_score, 5),
                    }
                )
            print(pd.DataFrame(rows[-3:]).to_string(index=False), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))
    print(uptime())


if __name__ == "__main__":
    main()
