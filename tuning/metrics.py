"""The secondary metrics of a fold, computed from one set of predictions with numpy.

The study's own metric always goes through scikit-learn's scorer (so scores match GridSearchCV
exactly). The standard secondary set (accuracy, precision, recall, F1, ROC AUC, log loss; RMSE, MAE,
R2) is computed here from a single ``predict``/``predict_proba`` per data set: scikit-learn's metric
functions re-validate their inputs on every call, which cost more than the fit's own scoring (about a
quarter of a small XGBoost trial). Each formula is checked against scikit-learn in the tests.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import get_scorer_names

from tuning.errors import ConfigError

_EPS = np.finfo(np.float64).eps


def classification_metrics(
    y: np.ndarray, pred: np.ndarray, scores: np.ndarray | None, *, n_classes: int, names: tuple[str, ...]
) -> dict[str, float]:
    """``scores``: predict_proba (n, k) when available, else decision_function (n,) or (n, k), else None."""
    y = np.asarray(y)
    pred = np.asarray(pred)
    k = max(n_classes, 2)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(float)
    tp = np.diag(cm)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    out: dict[str, float] = {}
    present = support > 0  # scikit-learn's macro averages run over labels seen in y or pred
    labels = present | (predicted > 0)
    for name in names:
        if name == "accuracy":
            out[name] = float(tp.sum() / max(len(y), 1))
        elif name == "precision":
            out[name] = float(precision[1])
        elif name == "recall":
            out[name] = float(recall[1])
        elif name == "f1":
            out[name] = float(f1[1])
        elif name == "precision_macro":
            out[name] = float(precision[labels].mean())
        elif name == "recall_macro":
            out[name] = float(recall[labels].mean())
        elif name == "f1_macro":
            out[name] = float(f1[labels].mean())
        elif name in ("roc_auc", "roc_auc_ovr") and scores is not None:
            out[name] = _auc(y, scores, k) if name == "roc_auc" else _auc_ovr(y, scores, k)
        elif name == "neg_log_loss" and scores is not None and scores.ndim == 2:
            p = np.clip(scores / scores.sum(axis=1, keepdims=True), _EPS, 1 - _EPS)
            out[name] = float(np.mean(np.log(p[np.arange(len(y)), y])))  # neg_log_loss: higher is better
        else:
            out[name] = float("nan")
    return out


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney U / (n_pos * n_neg), ties counted half: equal to the area under the ROC curve."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _auc(y: np.ndarray, scores: np.ndarray, k: int) -> float:
    s = scores[:, 1] if scores.ndim == 2 else scores
    return _binary_auc(y == 1, s)


def _auc_ovr(y: np.ndarray, scores: np.ndarray, k: int) -> float:
    """One-vs-rest macro average over classes, as ``roc_auc_score(multi_class="ovr")`` (probabilities)."""
    if scores.ndim != 2:
        return float("nan")
    aucs = [_binary_auc(y == c, scores[:, c]) for c in range(scores.shape[1])]
    return float(np.mean(aucs))


def regression_metrics(y: np.ndarray, pred: np.ndarray, *, names: tuple[str, ...]) -> dict[str, float]:
    y = np.asarray(y, dtype=float)
    err = np.asarray(pred, dtype=float) - y
    out: dict[str, float] = {}
    for name in names:
        if name == "neg_root_mean_squared_error":
            out[name] = -float(np.sqrt(np.mean(err**2)))
        elif name == "neg_mean_absolute_error":
            out[name] = -float(np.mean(np.abs(err)))
        elif name == "r2":
            ss_tot = float(np.sum((y - y.mean()) ** 2))
            out[name] = 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan")
        else:
            out[name] = float("nan")
    return out


# -- metric policy: which scorer a study uses and which it reports beside it ------------------------

CLASSIFICATION_BINARY = ("accuracy", "f1", "roc_auc", "neg_log_loss", "precision", "recall")
CLASSIFICATION_MULTI = ("accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss", "precision_macro", "recall_macro")
REGRESSION = ("neg_root_mean_squared_error", "neg_mean_absolute_error", "r2")
_PROBA_METRICS = {
    "neg_log_loss",
    "neg_brier_score",
    "roc_auc_ovr",
    "roc_auc_ovo",
    "roc_auc_ovr_weighted",
    "roc_auc_ovo_weighted",
}


def secondary_metrics(task: str, n_classes: int | None) -> tuple[str, ...]:
    if task == "regression":
        return REGRESSION
    return CLASSIFICATION_BINARY if (n_classes or 2) <= 2 else CLASSIFICATION_MULTI


def default_metric(task: str, n_classes: int | None) -> str:
    if task == "regression":
        return "neg_root_mean_squared_error"
    return "roc_auc" if (n_classes or 2) <= 2 else "accuracy"


def check_metric(metric: str, *, task: str, n_classes: int | None, model: str) -> None:
    """Raise a plain error when the scorer does not exist or cannot score this model/task."""
    if metric not in get_scorer_names():
        near = [m for m in get_scorer_names() if metric.split("_")[-1] in m][:5]
        raise ConfigError(
            f"Unknown metric {metric!r}.",
            fix=f"Use a scikit-learn scorer name, e.g. {', '.join(near or secondary_metrics(task, n_classes))}.",
        )
    regression_only = metric.startswith(("neg_mean", "neg_root", "neg_median", "r2", "explained", "max_error", "d2"))
    if task == "classification" and regression_only:
        raise ConfigError(
            f"{metric!r} is a regression metric but the task is classification.", fix="Use e.g. roc_auc or accuracy."
        )
    if task == "regression" and not regression_only:
        raise ConfigError(
            f"{metric!r} is a classification metric but the task is regression.",
            fix="Use e.g. r2 or neg_root_mean_squared_error.",
        )
    if (
        task == "classification"
        and (n_classes or 2) > 2
        and metric in ("roc_auc", "f1", "precision", "recall", "average_precision")
    ):
        raise ConfigError(
            f"{metric!r} is for two classes, but the target has {n_classes}.",
            fix=f"Use {metric}_ovr" if metric == "roc_auc" else f"Use {metric}_macro or accuracy.",
        )
    from tuning.models import get_model

    family = get_model(model)
    if metric in _PROBA_METRICS and task == "classification":
        est = family.factory(task)()
        if not hasattr(est, "predict_proba"):
            raise ConfigError(
                f"{metric!r} needs predicted probabilities, which {family.label} does not give.",
                fix="Use accuracy or roc_auc.",
            )
