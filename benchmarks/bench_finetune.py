"""The fine-tuning arms on the drift pair, as ratios against retraining from scratch on the new data.

The base model is the lesson's (XGBoost, 200 rounds, learning rate 0.1, depth 4, trained on the
"before" rows finetune() will not hold out). Each arm's new-data score, old-data score and fit time
are divided by those of "retrain (new)" measured in the same run; times are the fitting thread's CPU
seconds (one XGBoost thread), medians over repeats.

Usage: python benchmarks/bench_finetune.py [--repeats 3] [--tpe-trials 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tuning.finetune import FinetuneSettings, finetune  # noqa: E402
from tuning.lessons.finetune import drift_base, drift_data  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tpe-trials", type=int, default=10)
    args = ap.parse_args()
    before, after = drift_data()
    base = drift_base(before)
    settings = FinetuneSettings(learning_rates=(0.01, 0.03, 0.1), tpe_trials=args.tpe_trials, metric="roc_auc")
    runs = [finetune(base, after, target="label", old=before, settings=settings) for _ in range(args.repeats)]
    labels = [a.label for a in runs[0].arms]
    t = {lab: statistics.median(next(a for a in r.arms if a.label == lab).fit_time_s for r in runs) for lab in labels}
    first = {a.label: a for a in runs[0].arms}  # scores are deterministic (seeded, one thread)
    ref = first["retrain (new)"]
    print(
        f"drift pair, ROC AUC on held-out rows; retrain (new): new {ref.new_score:.4f}, old {ref.old_score:.4f}, "
        f"{t['retrain (new)']:.3f} s (median of {args.repeats})"
    )
    print(f"{'arm':<22} {'new':>7} {'old':>7} {'new/rt':>7} {'old/rt':>7} {'time/rt':>8} {'trees+':>7}")
    for lab in labels:
        a = first[lab]
        print(
            f"{lab:<22} {a.new_score:7.4f} {a.old_score:7.4f} {a.new_score / ref.new_score:7.3f} "
            f"{a.old_score / ref.old_score:7.3f} {t[lab] / t['retrain (new)']:8.3f} {a.rounds_added:7d}"
        )
    print(runs[0].verdict)


if __name__ == "__main__":
    main()
