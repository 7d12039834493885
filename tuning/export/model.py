"""The refit best model: the whole pipeline (joblib) and, for XGBoost, the booster as JSON."""

from __future__ import annotations

import io
from dataclasses import dataclass

from tuning.models import get_model
from tuning.store import Store
from tuning.study import open_study


@dataclass(frozen=True)
class ModelExport:
    filename: str
    content: bytes
    mime: str
    note: str


def export_model(store: Store, study_id: int) -> list[ModelExport]:
    """The refit best model: the whole pipeline (joblib) and, for XGBoost, the booster as JSON."""
    import joblib

    study = open_study(store, study_id)
    pipe, prepared = study.refit_best(), study.data.prepared
    out = []
    buf = io.BytesIO()
    joblib.dump({"model": pipe, "classes": prepared.classes, "features": list(prepared.X.columns)}, buf)
    out.append(
        ModelExport(
            f"study_{study_id}_pipeline.joblib",
            buf.getvalue(),
            "application/octet-stream",
            "The preprocessing + model pipeline. Load with joblib.load(path) - it uses pickle, so load only files you "
            "trust, with the same scikit-learn/xgboost versions. Predict with obj['model'].predict(X); obj['classes'] "
            "maps label indices back to names.",
        )
    )
    native = get_model(study.config.model).native_model
    if native is not None:
        suffix, raw, note = native(pipe.named_steps["model"])
        out.append(ModelExport(f"study_{study_id}_{suffix}", raw, "application/json", note))
    return out
