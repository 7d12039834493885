"""A standalone Python script that rebuilds and refits a study's best model.

Every value that comes from a user (study name, file name, column names, target, parameter values)
enters the generated code as a Python literal made by :func:`python_literal`, never as text pasted
into code, a docstring or a comment, so a file name holding triple quotes and code stays a string.
"""

from __future__ import annotations

import math
from pathlib import Path
from string import Template
from typing import Any

from tuning.evaluate import final_params
from tuning.models import get_model
from tuning.store import Store

_ESTIMATOR_IMPORTS = {
    ("xgboost", "classification"): ("from xgboost import XGBClassifier", "XGBClassifier"),
    ("xgboost", "regression"): ("from xgboost import XGBRegressor", "XGBRegressor"),
}


def python_literal(value: Any) -> str:
    """Source text that evaluates to ``value``: strings by ``repr``, numbers through int()/float()."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return repr(int(value))
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        f = float(value)
        return repr(f) if math.isfinite(f) else f"float({str(f)!r})"
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a script")


def _block(name: str, values: list[Any]) -> str:
    """A list constant, one item per line when long (readable, and each item still a literal)."""
    if len(values) <= 4:
        return f"{name} = {python_literal(values)}"
    return f"{name} = [\n" + "".join(f"    {python_literal(v)},\n" for v in values) + "]"


def _estimator_ref(model: str, task: str) -> tuple[str, str]:
    if (model, task) in _ESTIMATOR_IMPORTS:
        return _ESTIMATOR_IMPORTS[(model, task)]
    klass = type(get_model(model).factory(task)())
    module = klass.__module__.split("._")[0]
    return f"from {module} import {klass.__name__}", klass.__name__


def _reader_kind(content: bytes, name: str) -> str:
    ext = Path(name).suffix.lower()
    if content[:4] == b"PAR1" or ext in (".parquet", ".pq"):
        return "parquet"
    if content[:4] == b"PK\x03\x04" or ext in (".xlsx", ".xlsm"):
        return "excel"
    return "text"


_TEMPLATE = Template('''"""Refit the best model of tuning study $study_id with pandas, numpy and scikit-learn$xgb_note alone.

Usage: python refit_study_$study_id.py [DATA_FILE]   (default: DATA_FILE below)
It prints the cross-validated score of the best trial's parameters, then fits them on every row and
saves the pipeline with joblib. The study, its data and its best trial are the constants below.
"""

import sys

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import $splitter, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
$estimator_import

STUDY_ID = $study_id
STUDY_NAME = $study_name
DATA_FILE = $data_file
BEST_TRIAL = $best_trial
BEST_SCORE = $best_score  # mean over the cross-validation folds, in the metric's own convention
METRIC = $metric
CV_FOLDS = $cv
SEED = $seed
READER = $reader
ENCODING = $encoding
SEP = $sep
MISSING = $missing
TARGET = $target
$numeric
$datetime  # each becomes <col>__days, <col>__month, <col>__weekday
$categorical
$model_numeric  # the numeric inputs in the order the model sees them
PARAMS = $params
SPARSE = $sparse  # a mostly-zero one-hot block is passed on as a sparse matrix


def read(path):
    if READER == "parquet":
        df = pd.read_parquet(path)
    elif READER == "excel":
        df = pd.read_excel(path, na_values=MISSING)
    else:
        df = pd.read_csv(
            path, sep=SEP, encoding=ENCODING, na_values=MISSING, keep_default_na=True, skipinitialspace=True,
            low_memory=False,
        )
    df.columns = [str(c).strip() for c in df.columns]
    return df


def load(path):
    df = read(path)
    df = df[df[TARGET].notna()]
    cols = {}
    for c in NUMERIC:
        cols[c] = pd.to_numeric(df[c], errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
    for c in DATETIME:
        t = df[c] if pd.api.types.is_datetime64_any_dtype(df[c]) else pd.to_datetime(df[c], errors="coerce", format="mixed")
        cols[c + "__days"] = (t - pd.Timestamp("1970-01-01")).dt.days.astype(float)
        cols[c + "__month"] = t.dt.month.astype(float)
        cols[c + "__weekday"] = t.dt.day_of_week.astype(float)
    for c in CATEGORICAL:
        cols[c] = pd.Series(np.array([np.nan if pd.isna(v) else str(v) for v in df[c]], dtype=object), index=df.index)
    X = pd.DataFrame(cols, index=df.index)
    y_raw = df[TARGET]
$label_code    return X.reset_index(drop=True), y, classes


def build():
    categorical = Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
        ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=$max_categories, sparse_output=SPARSE)),
    ])
    transformers = []
    if MODEL_NUMERIC:
        transformers.append(("num", $num_pipe, MODEL_NUMERIC))
    if CATEGORICAL:
        transformers.append(("cat", categorical, CATEGORICAL))
    prep = ColumnTransformer(
        transformers, remainder="drop", verbose_feature_names_out=False, sparse_threshold=$sparse_threshold if SPARSE else 0.0
    )
    return Pipeline([("prep", prep), ("model", $klass(**PARAMS))])


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else DATA_FILE
    X, y, classes = load(path)
    folds = $splitter(CV_FOLDS, shuffle=True, random_state=SEED)
    scores = cross_val_score(build(), X, y, cv=folds, scoring=METRIC)
    print(f"{METRIC} = {scores.mean():.6g} +/- {scores.std():.3g} over {CV_FOLDS} folds")
    model = build().fit(X, y)
    out = f"best_model_study_{STUDY_ID}.joblib"
    joblib.dump({"model": model, "classes": classes}, out)
    print(f"saved {out} (load it only if you trust the file: joblib uses pickle)")
''')

_LABELS = {
    "text": "    classes = np.unique(y_raw.astype(str))\n    y = np.searchsorted(classes, y_raw.astype(str))\n",
    "numeric": "    classes = np.unique(y_raw)\n    y = np.searchsorted(classes, y_raw)\n",
    "regression": "    classes = None\n    y = y_raw.astype(float).to_numpy()\n",
}


def standalone_script(store: Store, study_id: int) -> str:
    """A Python script that rebuilds and refits the best model with scikit-learn/xgboost alone."""
    import pandas as pd

    from tuning.data import MISSING_MARKERS, SPARSE_THRESHOLD, onehot_max_categories, text_format
    from tuning.profile import ColumnKind
    from tuning.study import open_study

    study = open_study(store, study_id)
    cfg = study.config
    best = study.best_or_raise()
    name, content, df, profile = study.table.name, study.table.content, study.table.frame, study.table.profile
    prepared = study.data.prepared
    family = get_model(cfg.model)
    task = cfg.task or profile.task or ""
    imp, klass = _estimator_ref(cfg.model, task)
    params = final_params(best.params, best.curves, early_stopping_rounds=cfg.early_stopping_rounds)
    # JSON keeps tuples (MLP's hidden_layer_sizes) as lists; the estimators take tuples
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    probe = family.factory(task)()
    if "random_state" in probe.get_params() and "random_state" not in params:
        params["random_state"] = int(cfg.seed)
    kinds = {f: profile.column(f).kind for f in profile.features}
    num_steps = []
    if family.impute:
        num_steps.append('("impute", SimpleImputer(strategy="median"))')
    if family.scale:
        num_steps.append('("scale", StandardScaler())')
    reader = _reader_kind(content, name)
    encoding, sep = text_format(content, name=name) if reader == "text" else ("utf-8", ",")
    if task == "regression":
        label = "regression"
    else:
        label = "numeric" if pd.api.types.is_numeric_dtype(df[cfg.target].dropna()) else "text"
    classification = task == "classification"
    return _TEMPLATE.substitute(
        study_id=python_literal(int(study_id)),
        xgb_note=" and xgboost" if "xgboost" in imp else "",
        splitter="StratifiedKFold" if classification else "KFold",
        estimator_import=imp,
        study_name=python_literal(str(study.name)),
        data_file=python_literal(Path(name).name),
        best_trial=python_literal(int(best.number)),
        best_score=python_literal(float(best.score)) if best.score is not None else "None",
        metric=python_literal(str(cfg.metric)),
        cv=python_literal(int(cfg.cv)),
        seed=python_literal(int(cfg.seed)),
        reader=python_literal(reader),
        encoding=python_literal(encoding),
        sep=python_literal(sep),
        missing=python_literal(list(MISSING_MARKERS)),
        target=python_literal(str(cfg.target)),
        numeric=_block("NUMERIC", [f for f in profile.features if kinds[f] == ColumnKind.NUMERIC]),
        datetime=_block("DATETIME", [f for f in profile.features if kinds[f] == ColumnKind.DATETIME]),
        categorical=_block("CATEGORICAL", list(prepared.categorical)),
        model_numeric=_block("MODEL_NUMERIC", list(prepared.numeric)),
        params=python_literal(params),
        label_code=_LABELS[label],
        max_categories=python_literal(onehot_max_categories(len(prepared.categorical))),
        sparse=python_literal(bool(family.sparse_input)),
        sparse_threshold=python_literal(float(SPARSE_THRESHOLD)),
        num_pipe=f"Pipeline([{', '.join(num_steps)}])" if num_steps else '"passthrough"',
        klass=klass,
    )
