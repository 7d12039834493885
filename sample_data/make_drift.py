"""Generate the drifted pair ``drift_before.csv`` / ``drift_after.csv`` and list them in catalog.json.

Usage (from the repository root)::

    python sample_data/make_drift.py

One seeded generator (numpy ``default_rng(DRIFT_SEED)``) draws both parts, so the files are
byte-identical on every run. The "after" part drifts in two ways at once:

- covariate shift: ``f1`` moves up by ``F1_SHIFT`` standard deviations;
- concept drift: the effect of ``f2`` flips sign and ``f5``, ignored before, starts to matter.

``f3 * f4`` (an interaction) and ``f6`` keep their effect, so a model trained "before" is still
partly right "after": fine-tuning has something to keep and something to fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DRIFT_SEED = 7
N_BEFORE, N_AFTER = 2500, 1500
F1_SHIFT = 0.7
FEATURES = ("f1", "f2", "f3", "f4", "f5", "f6")
TARGET = "label"

CATALOG = [
    {
        "file": "drift_before.csv",
        "name": "Drift: before",
        "target": TARGET,
        "task": "classification",
        "description": "The 'before' half of a drifted pair: six numeric features, a binary label. Train a base model "
        "here, then fine-tune it on drift_after.csv.",
    },
    {
        "file": "drift_after.csv",
        "name": "Drift: after",
        "target": TARGET,
        "task": "classification",
        "description": "The 'after' half: f1 has shifted, f2's effect has flipped and f5 now matters. The new data "
        "for the Fine-tune page and the 'Fine-tuning and forgetting' lesson.",
    },
]


def _logit(x: np.ndarray, *, after: bool) -> np.ndarray:
    f1, f2, f3, f4, f5, f6 = x.T
    sign2 = 1.0 if after else -1.0
    return (
        1.5 * f1
        + sign2 * 1.2 * f2
        + 1.2 * f3 * f4
        + (1.4 * f5 if after else 0.0)
        + 0.6 * f6
        - (F1_SHIFT * 1.5 if after else 0.0)
    )


def build() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(before, after): features f1..f6 and a 0/1 ``label`` drawn from a logistic model of them."""
    rng = np.random.default_rng(DRIFT_SEED)
    parts = []
    for n, after in ((N_BEFORE, False), (N_AFTER, True)):
        x = rng.normal(size=(n, len(FEATURES)))
        if after:
            x[:, 0] += F1_SHIFT
        p = 1.0 / (1.0 + np.exp(-_logit(x, after=after)))
        y = (rng.random(n) < p).astype(int)
        df = pd.DataFrame(np.round(x, 4), columns=list(FEATURES))
        df[TARGET] = y
        parts.append(df)
    return parts[0], parts[1]


def main() -> None:
    before, after = build()
    for name, df in (("drift_before.csv", before), ("drift_after.csv", after)):
        df.to_csv(HERE / name, index=False, float_format="%.4f", encoding="utf-8", lineterminator="\n")
        print(f"{name}: {df.shape[0]} rows x {df.shape[1]} columns")
    path = HERE / "catalog.json"
    catalog = [e for e in json.loads(path.read_text(encoding="utf-8")) if e["file"] not in {c["file"] for c in CATALOG}]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(catalog + CATALOG, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
