"""Issue 18's efficiency: of the time a study holds its workers, how much is XGBoost's own training?

For each real table, one 40-trial TPE study (the peers' 8-parameter space, 3 folds, workers=2, no pruner) runs
through the engine's own road (``runner.start``), and the stored trials say where the time went:

- ``fit``: the folds' boosting (``Booster.update`` and, with curves on, their evaluation calls);
- ``score``: one prediction per split and the study's metric;
- ``trial rest``: the rest of a trial in its worker (the candidate's estimator, matrices looked up);
- ``engine``: what is not inside a trial at all (asking the sampler, storing, the hand-off between workers).

Efficiency = sum of fit / (wall x workers), the wall from the runner's start to its last trial stored.
Run with curves on (the default) and off, so the boosting alone is visible. Quiet machine only.

Usage: python benchmarks/bench_efficiency.py [--seeds 0,1,2] [--trials 40] [--tables cps1988,credit,ames]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._tables import DATA, PEER_SPACE, store_rows, tpe_study, uptime  # noqa: E402

TABLES = {
    "cps1988": ("cps1988_wage.csv", "wage", "r2"),
    "credit": ("credit_status.csv", "Status", "roc_auc"),
    "ames": ("ames_housing.csv", "Sale_Price", "r2"),
}
WORKERS = 2


def one(name: str, seed: int, trials: int, curves: bool) -> dict[str, float]:
    from tuning.protocol import TrialState
    from tuning.runner import start
    from tuning.store import Store
    from tuning.study import open_study

    file, target, metric = TABLES[name]
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "eff.db")
        ds, df = store_rows(store, DATA / file, 10**9)
        cfg = tpe_study(ds, target, metric, PEER_SPACE, trials, workers=WORKERS, seed=seed, record_curves=curves)
        t0 = time.perf_counter()
        runner = start(store, cfg)
        runner.finished.wait()
        wall = time.perf_counter() - t0
        done = [t for t in open_study(store, runner.study_id).trials() if t.state == TrialState.COMPLETE]
    fit = sum(sum(t.fit_time) for t in done)
    score = sum(sum(t.score_time) for t in done)
    inside = sum(t.duration_s for t in done)
    held = wall * WORKERS
    return {
        "wall": wall,
        "fit": fit / held,
        "score": score / held,
        "trial_rest": max(0.0, inside - fit - score) / held,
        "engine": max(0.0, held - inside) / held,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--tables", default=",".join(TABLES))
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    print(uptime(), flush=True)
    for name in a.tables.split(","):
        for curves in (True, False):
            runs = [one(name, s, a.trials, curves) for s in seeds]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            per_seed = " ".join(f"{r['fit']:.2f}" for r in runs)
            print(
                f"{name:<8} curves {'on ' if curves else 'off'}  wall {med['wall']:6.1f} s   "
                f"efficiency (fit / wall x {WORKERS}) {med['fit']:.2f} (per seed {per_seed})   "
                f"score {med['score']:.2f}  trial rest {med['trial_rest']:.2f}  engine {med['engine']:.2f}",
                flush=True,
            )
    print(uptime(), flush=True)


if __name__ == "__main__":
    main()
