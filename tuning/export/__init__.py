"""Exports: trials as CSV/JSON, best params, a standalone script, and the refit best model."""

from __future__ import annotations

import io
import json
import pprint
from dataclasses import dataclass
from typing import Any

from tuning.analysis import results_frame
from tuning.config import StudyConfig
from tuning.errors import StoreError
from tuning.evaluate import final_params
from tuning.models import get_model
from tuning.store import Store


def trials_csv(store: Store, study_id: int) -> str:
    study = store.get_study(study_id)
    cfg = StudyConfig.from_dict(study.config)
    frame = results_frame(store.get_trials(study_id), metric=cfg.metric or "", param_names=cfg.search_space().names)
    return frame.to_csv(index=False)


def trials_json(store: Store, study_id: int) -> str:
    summary = store.summary(study_id)
    trials = [t.to_summary() for t in store.get_trials(study_id)]
    return json.dumps({**summary, "config": store.get_study(study_id).config, "trials": trials}, indent=2)


def best_params_json(store: Store, study_id: int) -> str:
    best = store.best_trial(study_id)
    if best is None:
        raise StoreError(f"Study {study_id} has no complete trial yet.")
    cfg = store.get_study(study_id).config
    return json.dumps(
        {
            "model": cfg["model"],
            "task": cfg["task"],
            "metric": cfg["metric"],
            "score": best.score,
            "trial": best.number,
            "params": best.params,
        },
        indent=2,
    )


_ESTIMATOR_IMPORTS = {
    ("xgboost", "classification"): ("from xgboost import XGBClassifier", "XGBClassifier"),
    ("xgboost", "regression"): ("from xgboost import XGBRegressor", "XGBRegressor"),
}


def _estimator_ref(model: str, task: str) -> tuple[str, str]:
    if (model, task) in _ESTIMATOR_IMPORTS:
        return _ESTIMATOR_IMPORTS[(model, task)]
    cls = get_model(model).factory(task)()
    klass = type(cls)
    module = klass.__module__.split("._")[0]
    return f"from {module} import {klass.__name__}", klass.__name__


def standalone_script(store: Store, study_id: int) -> str:
    """A Python script that rebuilds and refits the best model with scikit-learn/xgboost alone."""
    from tuning.data import parse_table, prepare_xy, profile_table

    study = store.get_study(study_id)
    cfg = StudyConfig.from_dict(study.config)
    best = store.best_trial(study_id)
    if best is None:
        raise StoreError(f"Study {study_id} has no complete trial yet.")
    name, content = store.dataset_content(study.dataset_id)
    df = parse_table(content, name=name)
    profile = profile_table(df, target=cfg.target, task=cfg.task)
    prepared = prepare_xy(df, profile)
    family = get_model(cfg.model)
    imp, klass = _estimator_ref(cfg.model, cfg.task or "")
    params = final_params(best.params, best.curves, early_stopping_rounds=cfg.early_stopping_rounds)
    if cfg.model == "mlp" and isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    probe = family.factory(cfg.task or "")()
    if "random_state" in probe.get_params() and "random_state" not in params:
        params["random_state"] = cfg.seed
    datetimes = [f for f in profile.features if profile.column(f).kind.value == "datetime"]
    num_steps = []
    if family.impute:
        num_steps.append('("impute", SimpleImputer(strategy="median"))')
    if family.scale:
        num_steps.append('("scale", StandardScaler())')
    num_pipe = f"Pipeline([{', '.join(num_steps)}])" if num_steps else '"passthrough"'
    metric = cfg.metric
    reader = (
        "pd.read_parquet(path)"
        if name.endswith((".parquet", ".pq"))
        else (
            "pd.read_excel(path)"
            if name.endswith((".xlsx", ".xlsm"))
            else 'pd.read_csv(path, sep=None, engine="python", na_values=MISSING)'
        )
    )
    label_code = (
        "    classes = np.unique(y_raw.astype(str))\n    y = np.searchsorted(classes, y_raw.astype(str))\n"
        if cfg.task == "classification" and not _numeric(df[cfg.target])
        else "    classes = np.unique(y_raw)\n    y = np.searchsorted(classes, y_raw)\n"
        if cfg.task == "classification"
        else "    classes = None\n    y = y_raw.astype(float).to_numpy()\n"
    )
    return f'''"""Refit the best model of study {study_id} ({study.name}).

Trial #{best.number}: {metric} = {best.score:.6g} in {cfg.cv}-fold cross-validation.
Needs only pandas, numpy, scikit-learn{" and xgboost" if cfg.model == "xgboost" else ""}.
Usage: python refit_study_{study_id}.py [DATA_FILE]   (default: {name})
"""

import sys

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_val_score, {"StratifiedKFold" if cfg.task == "classification" else "KFold"}
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
{imp}

MISSING = {["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "?", "#N/A"]!r}
TARGET = {cfg.target!r}
NUMERIC = {[c for c in prepared.numeric if "__" not in c or c.split("__")[0] not in datetimes]!r}
CATEGORICAL = {list(prepared.categorical)!r}
DATETIME = {datetimes!r}  # each becomes <col>__days, <col>__month, <col>__weekday
PARAMS = {pprint.pformat(params, indent=4, width=100)}


def load(path):
    df = {reader}
    df = df[df[TARGET].notna()]
    X = pd.DataFrame(index=df.index)
    for c in NUMERIC:
        X[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    for c in DATETIME:
        t = pd.to_datetime(df[c], errors="coerce", format="mixed")
        X[c + "__days"] = (t - pd.Timestamp("1970-01-01")).dt.days.astype(float)
        X[c + "__month"] = t.dt.month.astype(float)
        X[c + "__weekday"] = t.dt.day_of_week.astype(float)
    for c in CATEGORICAL:
        X[c] = np.array([np.nan if pd.isna(v) else str(v) for v in df[c]], dtype=object)
    y_raw = df[TARGET]
{label_code}    return X.reset_index(drop=True), y, classes


def build():
    numeric = NUMERIC + [c + s for c in DATETIME for s in ("__days", "__month", "__weekday")]
    categorical = Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
        ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=20, sparse_output=False)),
    ])
    transformers = []
    if numeric:
        transformers.append(("num", {num_pipe}, numeric))
    if CATEGORICAL:
        transformers.append(("cat", categorical, CATEGORICAL))
    prep = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline([("prep", prep), ("model", {klass}(**PARAMS))])


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else {name!r}
    X, y, classes = load(path)
    folds = {"StratifiedKFold" if cfg.task == "classification" else "KFold"}({cfg.cv}, shuffle=True, random_state={cfg.seed})
    scores = cross_val_score(build(), X, y, cv=folds, scoring={metric!r})
    print(f"{metric} = {{scores.mean():.6g}} +/- {{scores.std():.3g}} over {cfg.cv} folds")
    model = build().fit(X, y)
    joblib.dump({{"model": model, "classes": classes}}, "best_model_study_{study_id}.joblib")
    print("saved best_model_study_{study_id}.joblib (load it only if you trust the file: joblib uses pickle)")
'''


def _numeric(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s.dropna()))


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
