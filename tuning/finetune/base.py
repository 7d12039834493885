"""The base model: a study's refit best model (kept in the store) or an uploaded XGBoost file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tuning.errors import DataError
from tuning.finetune._common import _MODEL_SUFFIXES, MODEL_FORMAT, MODEL_KIND, ArmKind
from tuning.modelfile import check_model_file, unreadable


@dataclass(frozen=True)
class BaseModel:
    """A trained model and what it needs to predict on a new table."""

    family: str  # "xgboost" or a scikit-learn family name (tuning.models)
    task: str
    source: str  # "study 3 (best trial #12)" / "model.json"
    features: tuple[str, ...]  # the input columns the new table must have
    tolerated: tuple[str, ...] = ()  # other columns of the study's table (dropped by its profile)
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    feature_types: tuple[str, ...] | None = None  # an uploaded booster's own types ("float", "int", "c", ...)
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)  # an uploaded booster's category lists
    classes: tuple[str, ...] | None = None  # label names in index order; None for an uploaded booster
    n_classes: int | None = None
    objective: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # XGBoost training params read from the booster
    booster_json: bytes | None = None
    estimator: Any = None  # a fitted scikit-learn pipeline (not XGBoost), rebuilt, never unpickled
    preprocessor: Any = None  # the study's fitted preprocessing, refitted on its training rows
    metric: str | None = None
    target: str | None = None  # the study's target (a model file does not record it)
    study_id: int | None = None
    artifact_id: int | None = None
    params_known: bool = True  # False for an uploaded file: XGBoost's model file keeps trees, not eta or depth

    @property
    def is_xgboost(self) -> bool:
        """A native XGBoost booster (which the booster arms adapt), whatever family name it came with."""
        return self.booster_json is not None

    @property
    def learning_rate(self) -> float:
        return float(self.params.get("eta", 0.3))

    @property
    def rounds(self) -> int:
        return self.booster().num_boosted_rounds() if self.is_xgboost else 0

    def booster(self) -> Any:
        import xgboost as xgb

        b = xgb.Booster()
        b.load_model(bytearray(self.booster_json or b""))
        return b

    @property
    def continues(self) -> str | None:
        """What "continue" means for a scikit-learn model of this family (its ``ModelFamily.continues``)."""
        from tuning.models import MODELS

        family = MODELS.get(self.family)
        return None if self.is_xgboost or family is None else family.continues

    def arms(self) -> tuple[ArmKind, ...]:
        """The arms this model can take."""
        if self.is_xgboost:
            return tuple(ArmKind)
        base = (ArmKind.BASE, ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL)
        return base[:1] + (ArmKind.CONTINUE,) + base[1:] if self.continues is not None else base


def _booster_params(booster: Any) -> tuple[str, dict[str, Any], int | None]:
    """(objective, training params, number of classes) from the booster's saved configuration."""
    cfg = json.loads(booster.save_config())["learner"]
    objective = cfg["objective"]["name"]
    gb = cfg.get("gradient_booster", {})
    if gb.get("name") != "gbtree":
        raise DataError(
            f"The model uses the {gb.get('name')!r} booster; fine-tuning here needs trees (gbtree).",
            fix="Upload a gbtree model.",
        )
    tree = gb.get("tree_train_param", {})
    params: dict[str, Any] = {"objective": objective}
    for k in ("eta", "max_depth", "min_child_weight", "lambda", "alpha", "gamma", "subsample", "colsample_bytree"):
        if k in tree:
            params[k] = float(tree[k]) if k != "max_depth" else int(float(tree[k]))
    params["eta"] = round(params.get("eta", 0.3), 6)
    n_class = int(cfg["learner_model_param"].get("num_class", "0") or 0)
    if n_class > 1:
        params["num_class"] = n_class
    return objective, params, (n_class if n_class > 1 else (2 if objective.startswith("binary:") else None))


def _train_params(xgb_params: dict[str, Any]) -> dict[str, Any]:
    """The scikit-learn wrapper's XGBoost params as xgboost.train takes them (eta, not learning_rate)."""
    skip = {"n_jobs", "nthread", "verbosity", "random_state", "seed", "missing", "device", "eval_metric"}
    out = {k: v for k, v in xgb_params.items() if v is not None and k not in skip}
    if "learning_rate" in out:
        out["eta"] = float(out.pop("learning_rate"))
    return out


def _task_of(objective: str) -> str:
    if objective.startswith(("binary:", "multi:")):
        return "classification"
    if objective.startswith(("reg:", "count:", "survival:")):
        return "regression"
    raise DataError(
        f"The model's objective {objective!r} is neither a classifier nor a regressor.",
        fix="Use a model trained with a binary:, multi: or reg: objective.",
    )


_FIX = "Upload the file booster.save_model('model.json') or ('model.ubj') wrote, complete."


def load_base_file(content: bytes, name: str) -> BaseModel:
    """An uploaded XGBoost model (``.json`` or ``.ubj``), read by XGBoost itself: nothing is unpickled."""
    import xgboost as xgb

    label = name or "the uploaded file"
    if not label.lower().endswith(_MODEL_SUFFIXES):
        raise DataError(
            f"{label} is not an XGBoost model file: only .json and .ubj are read (a pickle is never loaded).",
            fix="Save the model with booster.save_model('model.json') and upload that.",
        )
    if not content:
        raise DataError(f"{label} is empty.", fix="Upload the file XGBoost's save_model wrote.")
    checked = check_model_file(content, label)  # a bounded reader first: XGBoost's loader trusts its input
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(checked.json_bytes))
    except xgb.core.XGBoostError:
        raise unreadable(content, label) from None
    try:
        if booster.num_boosted_rounds() == 0:
            raise DataError(f"{label} holds no trees.", fix="Upload a trained model.")
        objective, params, n_classes = _booster_params(booster)
    except xgb.core.XGBoostError as exc:
        raise DataError(f"{label} is not a model XGBoost can use: {str(exc).splitlines()[0][:200]}", fix=_FIX) from None
    # The file keeps trees, not training params: the depth shows in the trees (counted by the checker, not
    # get_dump, which a damaged tree can crash); the learning rate does not.
    params["max_depth"] = checked.max_depth
    names = booster.feature_names
    if not names:
        raise DataError(
            f"{label} does not record its feature names, so its columns cannot be matched to a table.",
            fix="Train it on a pandas DataFrame (or set booster.feature_names) and save it again.",
        )
    types = tuple(booster.feature_types or ("float",) * len(names))
    numeric = tuple(n for n, t in zip(names, types, strict=True) if t != "c")
    categorical = tuple(n for n, t in zip(names, types, strict=True) if t == "c")
    categories: dict[str, tuple[str, ...]] = {}
    if categorical:
        # The booster keeps its categories in their training order; the new table is coded the same way.
        for name_, arr in booster.get_categories(export_to_arrow=True).to_arrow():
            if arr is not None:
                categories[name_] = tuple(str(v) for v in arr.to_pylist())
    return BaseModel(
        family="xgboost",
        task=_task_of(objective),
        source=label,
        features=tuple(names),
        numeric=numeric,
        categorical=categorical,
        feature_types=types,
        categories=categories,
        n_classes=n_classes,
        objective=objective,
        params=params,
        booster_json=bytes(booster.save_raw(raw_format="json")),
        params_known=False,
    )


def load_base_study(store: Any, study_id: int) -> BaseModel:
    """The refit best model of a study. XGBoost's is kept in the store (an artifact) after the first refit."""
    from tuning.data import build_preprocessor, parse_table
    from tuning.models import get_model
    from tuning.profile import ColumnKind, profile_table
    from tuning.study import open_study

    study = open_study(store, study_id)
    cfg = study.config
    name, content = store.dataset_content(cfg.dataset_id)
    df = parse_table(content, name=name)
    profile = profile_table(df, target=cfg.target, task=cfg.task)
    datetimes = tuple(f for f in profile.features if profile.column(f).kind == ColumnKind.DATETIME)
    common: dict[str, Any] = dict(
        family=cfg.model,
        task=cfg.task or profile.task or "",
        source=f"study {study_id} ({study.name})",
        features=tuple(profile.features),
        tolerated=tuple(c for c in df.columns if c not in profile.features and c != cfg.target),
        datetimes=datetimes,
        metric=cfg.metric,
        target=cfg.target,
        study_id=study_id,
    )
    data = study.data
    prepared = data.prepared
    common.update(numeric=prepared.numeric, categorical=prepared.categorical, classes=prepared.classes)
    common["n_classes"] = len(prepared.classes) if prepared.classes else None
    if get_model(cfg.model).native_model is None:  # no native booster: the refit pipeline is the base
        pipe = study.refit_best()
        return BaseModel(**common, estimator=pipe)
    family = get_model(cfg.model)
    # The preprocessing (median imputation, one-hot) is refitted on the study's training rows: deterministic,
    # so it equals the one the booster was trained behind, and nothing has to be unpickled.
    prep = build_preprocessor(prepared.numeric, prepared.categorical, scale=family.scale, impute=family.impute)
    prep.fit(prepared.X.iloc[data.train_idx].reset_index(drop=True))
    best = store.best_trial(study_id)
    best_number = best.number if best else None
    # A resumed study may have a new best trial: only the artifact of the current best one is reused.
    kept = [
        a
        for a in store.list_artifacts(study_id=study_id, kind=MODEL_KIND)
        if a["meta"].get("format") == MODEL_FORMAT and a["meta"].get("trial") == best_number
    ]
    if kept:
        info, raw = store.load_artifact(kept[-1]["id"])
        artifact_id, meta = int(info["id"]), info["meta"]
    else:
        pipe = study.refit_best()
        model = pipe.named_steps["model"]
        raw = bytes(model.get_booster().save_raw(raw_format="json"))
        meta = {
            "format": MODEL_FORMAT,
            "family": cfg.model,
            "task": common["task"],
            "dataset_id": cfg.dataset_id,
            "target": cfg.target,
            "features": list(profile.features),
            "numeric": list(prepared.numeric),
            "categorical": list(prepared.categorical),
            "classes": list(prepared.classes) if prepared.classes else None,
            "preprocessing": "refit build_preprocessor(numeric, categorical) on the study's training rows",
            "trial": best_number,
            "metric": cfg.metric,
            "params": _train_params(model.get_xgb_params()),
        }
        artifact_id = store.save_artifact(
            kind=MODEL_KIND, name=f"study_{study_id}_best.json", content=raw, meta=meta, study_id=study_id
        )
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    objective, params, _ = _booster_params(booster)
    params = {**params, **meta.get("params", {})}
    return BaseModel(
        **common,
        objective=objective,
        params=params,
        booster_json=raw,
        preprocessor=prep,
        artifact_id=artifact_id,
    )


# ----------------------------------------------------------------------------------------------
# A table checked against the base model
