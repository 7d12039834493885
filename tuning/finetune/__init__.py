"""Adapt a trained model to new data: continue, refresh, stack or retrain, and compare what each costs.

The base model is the refit best model of a study (kept in the store as an artifact: XGBoost JSON plus
what rebuilds its preprocessing) or an uploaded XGBoost file (``.json`` / ``.ubj``, never a pickle).
Every arm is scored on held-out rows of the new data and, when old data is given, on held-out old rows,
so what an arm forgets is measured next to what it learns. XGBoost arms use its native API
(``xgboost.train`` with ``xgb_model=``, the ``refresh`` updater, ``base_margin``). scikit-learn families
with ``warm_start`` offer "continue" in their own terms; the others retrain only.
"""

from __future__ import annotations

from tuning.finetune._common import (
    ARM_HELP,
    MAX_CURVE_POINTS,
    MAX_ROWS,
    MODEL_FORMAT,
    MODEL_KIND,
    RESULT_KIND,
    SUPPORTED_METRICS,
    ArmKind,
    Stopped,
)
from tuning.finetune.arms import finetune, fit_clock, planned_steps
from tuning.finetune.base import BaseModel, load_base_file, load_base_study
from tuning.finetune.report import (
    adaptation_script,
    latest_result,
    ratios_to_retrain,
    save_adapted,
    save_result,
    verdict,
)
from tuning.finetune.results import ArmResult, Curve, FinetuneResult, FinetuneSettings, SplitInfo
from tuning.finetune.table import Table, check_table, resolve_metric, score_output

__all__ = [
    "ARM_HELP",
    "ArmKind",
    "ArmResult",
    "BaseModel",
    "Curve",
    "FinetuneResult",
    "FinetuneSettings",
    "MAX_CURVE_POINTS",
    "MAX_ROWS",
    "MODEL_FORMAT",
    "MODEL_KIND",
    "RESULT_KIND",
    "Stopped",
    "SUPPORTED_METRICS",
    "SplitInfo",
    "Table",
    "adaptation_script",
    "check_table",
    "finetune",
    "fit_clock",
    "latest_result",
    "planned_steps",
    "save_result",
    "load_base_file",
    "load_base_study",
    "ratios_to_retrain",
    "resolve_metric",
    "save_adapted",
    "score_output",
    "verdict",
]
