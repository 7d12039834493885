"""The plateau stop rule (tuning/stoprule.py) on real searches: trials saved and score lost vs the full budget.

Each table gets one full TPE study with the plateau rule off (XGBoost, a small 5-parameter space, 3 folds,
``--trials`` trials). The rule is then replayed on the study's own trial sequence, in finishing order, the
way the runner's tally feeds it: the trial at which it would have stopped gives the trials saved (budget
minus that trial) and the score lost (the full study's best minus the best up to it, relative to the full
best). The rule is useful if it saves >= 30 % and loses <= 0.1 % of the score. Run on a quiet machine; ``uptime`` is printed.

``--save`` keeps each table's trial sequence; ``--replay A.json B.json ...`` replays the rule's variants
(wait, window, noise share) on saved sequences, picks the best on the first file by (median loss <= 0.1 %,
then most studies losing <= 0.1 %, then trials saved) and checks it on the others: how the rule's settings in tuning/stoprule.py were chosen.

Usage: python benchmarks/bench_stoprule.py [--trials 60] [--rows 3000] [--seed 0] [--save FILE]
       python benchmarks/bench_stoprule.py --replay seed0.json seed1.json seed2.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._tables import DATA, SAMPLES, store_rows, tpe_study, uptime  # noqa: E402
from tuning.runner import run  # noqa: E402
from tuning.stoprule import plateau_reason  # noqa: E402
from tuning.store import Store, TrialState  # noqa: E402

TABLES = [  # (file, target, metric)
    (SAMPLES / "breast_cancer.csv", "diagnosis", "roc_auc"),
    (SAMPLES / "wine.csv", "cultivar", "accuracy"),
    (SAMPLES / "diabetes.csv", "progression", "r2"),
    (SAMPLES / "digits.csv", "digit", "accuracy"),
    (SAMPLES / "moons.csv", "label", "roc_auc"),
    (SAMPLES / "noisy_sine.csv", "y", "r2"),
    (SAMPLES / "penguins.csv", "species", "accuracy"),
    (SAMPLES / "sparse_signal.csv", "label", "roc_auc"),
    (DATA / "credit_status.csv", "Status", "roc_auc"),
    (DATA / "ames_housing.csv", "Sale_Price", "r2"),
    (DATA / "cps1988_wage.csv", "wage", "r2"),
]
SPACE = {
    "n_estimators": {"type": "int", "low": 20, "high": 200},
    "max_depth": {"type": "int", "low": 2, "high": 8},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
    "min_child_weight": {"type": "float", "low": 1.0, "high": 20.0, "log": True},
}


def replay(trials: list, metric: str) -> int | None:
    """The number of finished trials after which the rule stops the study (None: it never does)."""
    seen: list[tuple[float | None, tuple[float, ...]]] = []
    for t in trials:
        complete = t.state is TrialState.COMPLETE and t.score is not None
        seen.append((t.score if complete else None, tuple(t.fold_scores.get(metric, ())) if complete else ()))
        if plateau_reason(seen) is not None:
            return len(seen)
    return None


def _stop_at(seq: list, **rule: float) -> int:
    seen: list[tuple[float | None, tuple[float, ...]]] = []
    for score, folds in seq:
        seen.append((score, tuple(folds)))
        if plateau_reason(seen, **rule) is not None:  # type: ignore[arg-type]
            return len(seen)
    return len(seq)


def _variant(sets: list[dict[str, list]], rule: dict[str, float]) -> tuple[float, float, float, float, int]:
    """(median % saved, median % lost, mean % lost, worst % lost, studies losing <= 0.1 %) of a rule."""
    saved, lost = [], []
    for seqs in sets:
        for seq in seqs.values():
            stop = _stop_at(seq, **rule)
            full = max(s for s, _ in seq if s is not None)
            kept = max(s for s, _ in seq[:stop] if s is not None)
            saved.append(100 * (1 - stop / len(seq)))
            lost.append(100 * (full - kept) / max(abs(full), 1e-12))
    within = sum(x <= 0.1 for x in lost)
    return statistics.median(saved), statistics.median(lost), statistics.mean(lost), max(lost), within


def replay_variants(files: list[Path]) -> None:
    sets = [json.loads(f.read_text()) for f in files]
    grid = [
        {"min_trials": m, "window_share": w, "min_window": k, "noise_share": n}
        for m, w, k, n in itertools.product((20, 25, 30), (1 / 3, 0.5), (10, 15, 20), (1.0, 0.5, 0.25, 0.1))
    ]
    scored = [(r, _variant(sets[:1], r)) for r in grid]
    scored.sort(key=lambda x: (x[1][1] > 0.1, -x[1][4], -x[1][0]))
    print(
        "variant: median saved %, median lost %, mean lost %, worst lost %, studies losing <= 0.1 % "
        "(first file; then the others)"
    )
    for rule, first in scored[:8]:
        rest = _variant(sets[1:], rule) if len(sets) > 1 else None
        print(
            {k: round(v, 2) for k, v in rule.items()},
            [round(x, 3) for x in first],
            rest and [round(x, 3) for x in rest],
        )
    print("the rule as set:", [round(x, 3) for x in _variant(sets, {})])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0, help="the TPE sampler's seed")
    ap.add_argument("--replay", type=Path, nargs="+", help="replay the rule's variants on saved sequences")
    ap.add_argument("--save", type=Path, help="write each table's trial sequence (score, fold scores) as JSON")
    a = ap.parse_args()
    if a.replay:
        replay_variants(a.replay)
        return
    saved: dict[str, list] = {}
    print(uptime())
    rows = []
    for path, target, metric in TABLES:
        if not path.exists():
            print(f"skipped {path.name}: not here")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "s.db")
            ds, df = store_rows(store, path, a.rows)
            cfg = tpe_study(ds, target, metric, SPACE, a.trials, seed=a.seed)
            sid = run(store, cfg)["study_id"]
            trials = sorted(store.get_trials(sid), key=lambda t: t.finished or "")
            stop = replay(trials, metric)
            saved[path.stem] = [
                [t.score if t.state is TrialState.COMPLETE else None, list(t.fold_scores.get(metric, ()))]
                for t in trials
            ]
            full = max(t.score for t in trials if t.score is not None)
            upto = trials[: stop or len(trials)]
            kept = max(t.score for t in upto if t.score is not None)
            lost = (full - kept) / max(abs(full), 1e-12)
            rows.append(
                {
                    "table": f"{path.stem} ({len(df)}x{df.shape[1]})",
                    "metric": metric,
                    "stopped at": stop or "-",
                    "saved %": round(100 * (1 - (stop or len(trials)) / len(trials)), 1),
                    "full best": round(full, 5),
                    "best at stop": round(kept, 5),
                    "lost %": round(100 * lost, 3),
                }
            )
            print(rows[-1], flush=True)
    if a.save:
        a.save.write_text(json.dumps(saved))
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    print(
        f"median saved {statistics.median(table['saved %']):.1f} %, median lost {statistics.median(table['lost %']):.3f} %, "
        f"worst lost {table['lost %'].max():.3f} %"
    )
    print(uptime())


if __name__ == "__main__":
    main()
