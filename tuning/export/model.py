"""The refit best model: the whole pipeline (joblib) and, for XGBoost, the booster as JSON."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from tuning.config import StudyConfig
from tuning.errors import StoreError
from tuning.evaluate import final_params
from tuning.store import Store


@dataclass(frozen=True)
class ModelExport:
    filename: str
    content: bytes
    mime: str
    note: str


def refit_best(store: Store, study_id: int) -> tuple[Any, Any]:
    """Fit the best candidate on all the study's training rows; returns (pipeline, prepared data)."""
    from tuning.runner import load_study_data, make_context, model_threads

    study = store.get_study(study_id)
    cfg = StudyConfig.from_dict(study.config)
    best = store.best_trial(study_id)
    if best is None:
        raise StoreError(f"Study {study_id} has no complete trial yet.")
    data = load_study_data(store, cfg)
    ctx = make_context(cfg, data, n_jobs=model_threads(1))
    pipe = ctx.pipeline(final_params(best.params, best.curves, early_stopping_rounds=cfg.early_stopping_rounds))
    pipe.fit(ctx.X, ctx.y)
    return pipe, data.prepared


def export_model(store: Store, study_id: int) -> list[ModelExport]:
    """The refit best model: the whole pipeline (joblib) and, for XGBoost, the booster as JSON."""
    import joblib

    pipe, prepared = refit_best(store, study_id)
    cfg = store.get_study(study_id).config
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
    if cfg["model"] == "xgboost":
        booster = pipe.named_steps["model"].get_booster()
        raw = booster.save_raw(raw_format="json")
        out.append(
            ModelExport(
                f"study_{study_id}_xgboost.json",
                bytes(raw),
                "application/json",
                "XGBoost's own JSON model format (safe to load: xgboost.Booster(model_file=path)). It holds the trees "
                "only: apply the same preprocessing (see the exported script) before predicting.",
            )
        )
    return out
