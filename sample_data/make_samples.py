"""Regenerate the sample CSV files and catalog.json in this folder.

Usage (from the repository root)::

    python sample_data/make_samples.py

Every file is produced deterministically (fixed seeds, fixed float format,
"\\n" line endings), so re-running the script gives byte-identical output.
Only numpy, pandas, scikit-learn and palmerpenguins are imported.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets

HERE = Path(__file__).resolve().parent
FLOAT_FORMAT = "%.6g"

# Seeds / sizes of the synthetic sets (kept here so the README can cite them).
MOONS_N, MOONS_NOISE, MOONS_SEED = 400, 0.3, 0
SINE_N, SINE_NOISE_SD, SINE_SEED = 200, 0.3, 0
SPARSE_N, SPARSE_FEATURES, SPARSE_INFORMATIVE, SPARSE_SEED = 300, 60, 5, 0
SPARSE_COLUMN_SEED = 0


# --------------------------------------------------------------------------
# Builders: each returns a DataFrame whose last column is the target.
# --------------------------------------------------------------------------
def _with_named_target(bunch, target_col: str) -> pd.DataFrame:
    df = bunch.frame.drop(columns="target").copy()
    names = np.asarray(bunch.target_names)
    df[target_col] = names[np.asarray(bunch.target, dtype=int)]
    return df


def build_breast_cancer() -> pd.DataFrame:
    return _with_named_target(
        datasets.load_breast_cancer(as_frame=True), "diagnosis"
    )


def build_wine() -> pd.DataFrame:
    return _with_named_target(datasets.load_wine(as_frame=True), "cultivar")


def build_diabetes() -> pd.DataFrame:
    kwargs = {"as_frame": True}
    if "scaled" in inspect.signature(datasets.load_diabetes).parameters:
        kwargs["scaled"] = False
    bunch = datasets.load_diabetes(**kwargs)
    df = bunch.frame.drop(columns="target").copy()
    df["progression"] = np.asarray(bunch.target, dtype=float)
    return df


def build_digits() -> pd.DataFrame:
    bunch = datasets.load_digits()
    cols = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    df = pd.DataFrame(bunch.data.astype(np.int64), columns=cols)
    df["digit"] = bunch.target.astype(np.int64)
    return df


def build_penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    df = load_penguins().copy()
    # Put the target last; keep missing values and mixed types as they are.
    cols = [c for c in df.columns if c != "species"] + ["species"]
    df = df[cols]
    if "year" in df.columns:
        df["year"] = df["year"].astype(np.int64)
    return df


def build_moons() -> pd.DataFrame:
    X, y = datasets.make_moons(
        n_samples=MOONS_N, noise=MOONS_NOISE, random_state=MOONS_SEED
    )
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": y.astype(np.int64)})


def build_noisy_sine() -> pd.DataFrame:
    rng = np.random.default_rng(SINE_SEED)
    x = rng.uniform(0.0, 1.0, size=SINE_N)
    y = np.sin(2.0 * np.pi * x) + rng.normal(0.0, SINE_NOISE_SD, size=SINE_N)
    return pd.DataFrame({"x": x, "y": y})


def sparse_signal_informative_columns() -> list[str]:
    """Names of the informative columns of sparse_signal.csv (after shuffling)."""
    perm = _sparse_permutation()
    # With shuffle=False the informative features are the first n_informative
    # generated columns; new column j holds generated column perm[j].
    return sorted(
        f"f{j:02d}" for j, src in enumerate(perm) if src < SPARSE_INFORMATIVE
    )


def _sparse_permutation() -> np.ndarray:
    return np.random.default_rng(SPARSE_COLUMN_SEED).permutation(SPARSE_FEATURES)


def build_sparse_signal() -> pd.DataFrame:
    X, y = datasets.make_classification(
        n_samples=SPARSE_N,
        n_features=SPARSE_FEATURES,
        n_informative=SPARSE_INFORMATIVE,
        n_redundant=0,
        n_repeated=0,
        random_state=SPARSE_SEED,
        shuffle=False,
    )
    X = X[:, _sparse_permutation()]
    cols = [f"f{j:02d}" for j in range(SPARSE_FEATURES)]
    df = pd.DataFrame(X, columns=cols)
    df["label"] = y.astype(np.int64)
    return df


# --------------------------------------------------------------------------
# Catalogue (same order as the README table).
# --------------------------------------------------------------------------
SAMPLES = [
    {
        "file": "breast_cancer.csv",
        "name": "Breast cancer (Wisconsin diagnostic)",
        "target": "diagnosis",
        "task": "classification",
        "description": "Binary malignant/benign diagnosis from 30 correlated "
        "cell-nucleus measurements; a standard, well-behaved tuning baseline.",
        "build": build_breast_cancer,
    },
    {
        "file": "wine.csv",
        "name": "Wine cultivars",
        "target": "cultivar",
        "task": "classification",
        "description": "Three-class cultivar prediction from 13 chemical "
        "measurements on very different scales, so feature scaling matters.",
        "build": build_wine,
    },
    {
        "file": "diabetes.csv",
        "name": "Diabetes progression",
        "target": "progression",
        "task": "regression",
        "description": "Small, noisy regression of disease progression after one "
        "year from 10 baseline variables, where regularisation strength matters.",
        "build": build_diabetes,
    },
    {
        "file": "digits.csv",
        "name": "Handwritten digits (8x8)",
        "target": "digit",
        "task": "classification",
        "description": "Ten-class digit recognition from 8x8 pixel images, so "
        "L1/L2 coefficients can be drawn as 8x8 heatmaps.",
        "build": build_digits,
    },
    {
        "file": "penguins.csv",
        "name": "Palmer penguins",
        "target": "species",
        "task": "classification",
        "description": "Three-species classification with mixed numeric and "
        "categorical columns and missing values that the preprocessing must handle.",
        "build": build_penguins,
    },
    {
        "file": "moons.csv",
        "name": "Two moons",
        "target": "label",
        "task": "classification",
        "description": "Two interleaving noisy half-circles: a non-linear boundary "
        "where tree depth or k in k-NN visibly over- or underfit.",
        "build": build_moons,
    },
    {
        "file": "noisy_sine.csv",
        "name": "Noisy sine",
        "target": "y",
        "task": "regression",
        "description": "One-dimensional noisy sine wave whose validation curve "
        "(e.g. over polynomial degree or tree depth) has an interior optimum.",
        "build": build_noisy_sine,
    },
    {
        "file": "sparse_signal.csv",
        "name": "Sparse signal",
        "target": "label",
        "task": "classification",
        "description": "Binary classification with 60 features of which only 5 "
        "are informative, so L1 regularisation visibly keeps just the few that matter.",
        "build": build_sparse_signal,
    },
]


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(
        path,
        index=False,
        float_format=FLOAT_FORMAT,
        encoding="utf-8",
        lineterminator="\n",
    )


def main() -> None:
    catalog = []
    for spec in SAMPLES:
        df = spec["build"]()
        path = HERE / spec["file"]
        write_csv(df, path)
        print(f"{spec['file']}: {df.shape[0]} rows x {df.shape[1]} columns")
        catalog.append({k: spec[k] for k in ("file", "name", "target", "task", "description")})

    catalog_path = HERE / "catalog.json"
    with open(catalog_path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(catalog, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"catalog.json: {len(catalog)} entries")
    import make_drift  # the drifted before/after pair for fine-tuning adds its own catalog entries

    make_drift.main()
    import make_hotel  # a real table (modeldata's hotel_rates, extracted once): its catalog entry

    make_hotel.main()


if __name__ == "__main__":
    main()
