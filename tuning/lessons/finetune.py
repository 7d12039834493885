"""Fine-tuning and forgetting: a base model trained "before" a drift, adapted to the data "after" it.

The bundled pair ``sample_data/drift_before.csv`` / ``drift_after.csv`` (``make_drift.py``) is the
lesson's data: the base XGBoost model learns the "before" rows, every arm of :func:`tuning.finetune.finetune`
adapts it to the "after" rows, and each is scored on held-out rows of both, so what an arm learns and
what it forgets sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tuning.evaluate import holdout_split
from tuning.finetune import BaseModel, FinetuneResult, FinetuneSettings, finetune, load_base_file

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
TARGET = "label"


@dataclass(frozen=True)
class DriftLesson:
    """The base model's settings and the arms' results on the drift pair."""

    base_learning_rate: float
    base_rounds: int
    base_depth: int
    result: FinetuneResult


def drift_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(before, after) as bundled."""
    return pd.read_csv(SAMPLES / "drift_before.csv"), pd.read_csv(SAMPLES / "drift_after.csv")


def drift_base(
    before: pd.DataFrame,
    *,
    learning_rate: float = 0.1,
    rounds: int = 200,
    max_depth: int = 4,
    seed: int = 0,
    holdout: float = 0.3,
) -> BaseModel:
    """An XGBoost model of the "before" rows, trained only on the rows finetune() will not hold out, so its
    score on the old held-out rows is an honest one."""
    import xgboost as xgb

    y = before[TARGET].to_numpy()
    train_idx, _ = holdout_split(len(y), y, task="classification", test_size=holdout, seed=seed)
    X = before.drop(columns=TARGET).iloc[train_idx]
    params = {"objective": "binary:logistic", "eta": learning_rate, "max_depth": max_depth, "nthread": 1, "seed": seed}
    booster = xgb.train(params, xgb.DMatrix(X, label=y[train_idx]), rounds)
    base = load_base_file(bytes(booster.save_raw(raw_format="json")), "drift_base.json")
    return BaseModel(
        **{
            **base.__dict__,
            "params": {**base.params, "eta": learning_rate},
            "params_known": True,
            "source": f"XGBoost on drift_before.csv ({rounds} rounds, lr {learning_rate:g}, depth {max_depth})",
        }
    )


def fine_tuning_lesson(
    *,
    learning_rates: tuple[float, ...] = (0.01, 0.1, 0.3),
    base_learning_rate: float = 0.1,
    base_rounds: int = 200,
    max_depth: int = 4,
    max_rounds: int = 200,
    seed: int = 0,
) -> DriftLesson:
    """Every arm on the drift pair: the base trained "before", adapted "after", scored on both."""
    before, after = drift_data()
    base = drift_base(before, learning_rate=base_learning_rate, rounds=base_rounds, max_depth=max_depth, seed=seed)
    settings = FinetuneSettings(
        learning_rates=tuple(learning_rates), max_rounds=max_rounds, seed=seed, metric="roc_auc"
    )
    result = finetune(base, after, target=TARGET, old=before, settings=settings)
    return DriftLesson(base_learning_rate, base_rounds, max_depth, result)


def forgetting(result: FinetuneResult) -> dict[str, float]:
    """Old-data score lost by each arm against the base model (positive = forgot)."""
    base = next(a for a in result.arms if a.kind.value == "base")
    if base.old_score is None:
        return {}
    return {a.label: float(base.old_score - (a.old_score if a.old_score is not None else np.nan)) for a in result.arms}
