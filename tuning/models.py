"""Model registry: estimator factories, default search spaces, and one line of help per parameter.

Hyperparameters not in a space take the library's own defaults, except settings that cannot change
a score (thread counts) and ``random_state``, which takes the study's seed so runs repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge, RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import XGBClassifier, XGBRegressor

from tuning.errors import ConfigError
from tuning.space import SearchSpace


@dataclass(frozen=True)
class ParamDoc:
    help: str
    regularizes: bool = False


@dataclass(frozen=True)
class ModelFamily:
    name: str
    label: str
    description: str
    classifier: Callable[..., BaseEstimator] | None
    regressor: Callable[..., BaseEstimator] | None
    default_space: dict[str, dict[str, Any]]
    params: dict[str, ParamDoc]
    scale: bool = False
    impute: bool = True
    gpu: bool = False
    early_stopping: bool = False
    curves: bool = False
    coefficients: bool = False
    threads: bool = False
    # Reads a sparse matrix as it reads the dense one. Not XGBoost: it takes absent sparse entries as missing.
    sparse_input: bool = True
    extra_allowed: tuple[str, ...] = field(default=())
    extra_space: dict[str, dict[str, Any]] = field(default_factory=dict)  # offered in the editor, off by default
    #: which trainer fits it (``tuning.trainers``): "sklearn" (the default) or a family's own
    trainer: str = "sklearn"
    #: settings the family's estimator always gets unless the space sets them (device, verbosity...)
    estimator_defaults: Callable[[dict[str, Any], str], dict[str, Any]] | None = None
    #: the fitted model in the family's own safe format, as (file suffix, bytes, how to load it); None: none
    native_model: Callable[[Any], tuple[str, bytes, str]] | None = None
    #: the default space fitted to a table's shape: (default space, rows, feature columns) -> space; None: as is
    shaped: Callable[[dict[str, dict[str, Any]], int, int], dict[str, dict[str, Any]]] | None = None
    #: what fine-tune's "continue" means for a fitted model of this family (its trainer's ``continue_fit``), in
    #: words; None: the family retrains only. The linear models' warm_start only seeds the solver, which then
    #: converges to the new data's optimum (a faster retrain, not a continuation), so they have none.
    continues: str | None = None

    def default_space_for(self, n_rows: int, n_features: int) -> dict[str, dict[str, Any]]:
        """The default space for a table of this shape: a default that cannot finish on it is a bug (a saga
        solver 1,000 epochs over 5,000 columns, an MLP's 300 epochs over 100k rows)."""
        space = {k: dict(v) for k, v in self.default_space.items()}
        return self.shaped(space, n_rows, n_features) if self.shaped else space

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(t for t, f in (("classification", self.classifier), ("regression", self.regressor)) if f)

    def space(self) -> SearchSpace:
        return SearchSpace.from_dict(self.default_space)

    def allowed_params(self, task: str) -> set[str]:
        """Parameters a search space may set: the estimator's own, less those the study controls."""
        from tuning.space import RESERVED_PARAMS

        est = self.factory(task)()
        return (set(est.get_params(deep=False)) | set(self.params) | set(self.extra_allowed)) - set(RESERVED_PARAMS)

    def factory(self, task: str) -> Callable[..., BaseEstimator]:
        f = self.classifier if task == "classification" else self.regressor
        if f is None:
            others = [m.name for m in MODELS.values() if task in m.tasks]
            raise ConfigError(f"{self.label} does not support {task}.", fix=f"Choose one of: {', '.join(others)}.")
        return f


_XGB_DOCS = {
    "n_estimators": ParamDoc("Number of boosting rounds (trees). More rounds fit the training data more closely."),
    "max_depth": ParamDoc("Maximum depth of each tree; deeper trees capture interactions but overfit sooner.", True),
    "learning_rate": ParamDoc(
        "Shrinks each tree's contribution; smaller values need more rounds but generalize better.", True
    ),
    "subsample": ParamDoc(
        "Fraction of rows sampled for each tree; below 1 adds randomness that reduces overfitting.", True
    ),
    "colsample_bytree": ParamDoc("Fraction of columns sampled for each tree; below 1 decorrelates trees.", True),
    "min_child_weight": ParamDoc(
        "Minimum sum of instance weight (hessian) in a leaf; larger values block small, noisy leaves.", True
    ),
    "gamma": ParamDoc("Minimum loss reduction to make a split; prunes splits that do not pay for themselves.", True),
    "reg_alpha": ParamDoc("L1 penalty on leaf weights: pushes small leaf values to exactly zero.", True),
    "reg_lambda": ParamDoc("L2 penalty on leaf weights: shrinks all leaf values smoothly.", True),
    "booster": ParamDoc("gbtree (trees), dart (trees with dropout) or gblinear (a regularized linear model)."),
    "rate_drop": ParamDoc("DART only: fraction of existing trees dropped at each round (dropout for trees).", True),
    "skip_drop": ParamDoc("DART only: probability of skipping dropout in a round.", True),
    "max_leaves": ParamDoc("Maximum number of leaves per tree (0 = no limit).", True),
    "max_bin": ParamDoc("Number of histogram bins per feature; fewer bins = coarser, more regularized splits.", True),
    "grow_policy": ParamDoc("depthwise grows level by level; lossguide grows the best leaf first."),
    "max_delta_step": ParamDoc("Caps each leaf's update; helps with very imbalanced classes.", True),
    "colsample_bylevel": ParamDoc("Fraction of columns sampled at each depth level.", True),
    "colsample_bynode": ParamDoc("Fraction of columns sampled at each split.", True),
    "scale_pos_weight": ParamDoc("Weight of positive examples (binary); about negatives/positives for imbalance."),
    "normalize_type": ParamDoc("DART only: how new trees are weighted against dropped ones (tree or forest)."),
    "sample_type": ParamDoc("DART only: which trees to drop (uniform or weighted by their size)."),
    "early_stopping_rounds": ParamDoc("Stop when the validation metric has not improved for this many rounds.", True),
}

_LINEAR_DOCS = {
    "alpha": ParamDoc("Strength of the penalty on coefficients; larger = simpler model.", True),
    "l1_ratio": ParamDoc("Mix of L1 and L2: 0 = ridge (L2), 1 = lasso (L1), between = elastic net.", True),
    "fit_intercept": ParamDoc("Whether to fit an intercept term."),
    "max_iter": ParamDoc("Maximum solver iterations; raise it if the solver does not converge."),
    "tol": ParamDoc("Solver tolerance for convergence."),
    "selection": ParamDoc("Coordinate descent order: cyclic or random."),
}

_LOGISTIC_DOCS = {
    "C": ParamDoc("Inverse penalty strength: small C = strong regularization, large C = weak.", True),
    "l1_ratio": ParamDoc(
        "Penalty mix: 0 = L2 (ridge), 1 = L1 (lasso, zeroes coefficients), between = elastic net.", True
    ),
    "solver": ParamDoc("Optimizer; saga supports every l1_ratio."),
    "max_iter": ParamDoc("Maximum solver iterations; raise it if the solver does not converge."),
    "class_weight": ParamDoc("balanced reweights classes inversely to their frequency."),
    "fit_intercept": ParamDoc("Whether to fit an intercept term."),
    "tol": ParamDoc("Solver tolerance for convergence."),
}

_FOREST_DOCS = {
    "n_estimators": ParamDoc("Number of trees; more trees reduce variance, never overfit by themselves."),
    "max_depth": ParamDoc("Maximum depth of each tree (none = grow until pure).", True),
    "min_samples_leaf": ParamDoc("Minimum rows in a leaf; larger values smooth the model.", True),
    "min_samples_split": ParamDoc("Minimum rows needed to split a node.", True),
    "max_features": ParamDoc(
        "Features considered at each split (sqrt, log2 or a fraction); lower decorrelates trees.", True
    ),
    "bootstrap": ParamDoc("Whether each tree sees a bootstrap sample of the rows."),
    "max_samples": ParamDoc("Fraction of rows drawn for each tree when bootstrapping.", True),
    "criterion": ParamDoc("Split quality measure."),
    "ccp_alpha": ParamDoc("Cost-complexity pruning strength; larger prunes more.", True),
    "class_weight": ParamDoc("balanced reweights classes inversely to their frequency."),
}

_TREE_DOCS = {k: v for k, v in _FOREST_DOCS.items() if k not in ("n_estimators", "bootstrap", "max_samples")}
_TREE_DOCS["max_leaf_nodes"] = ParamDoc("Maximum number of leaves.", True)
_TREE_DOCS["splitter"] = ParamDoc("best or random split at each node.")

_SVM_DOCS = {
    "C": ParamDoc("Inverse regularization: small C = wide margin and smoother boundary.", True),
    "gamma": ParamDoc("RBF kernel width: large gamma = wiggly boundary that overfits.", True),
    "kernel": ParamDoc("Kernel: rbf, linear, poly or sigmoid."),
    "degree": ParamDoc("Degree of the polynomial kernel.", True),
    "epsilon": ParamDoc("Regression only: width of the tube in which errors are ignored.", True),
    "class_weight": ParamDoc("balanced reweights classes inversely to their frequency."),
}

_MLP_DOCS = {
    "hidden_layer_sizes": ParamDoc("Neurons per hidden layer, e.g. [64, 32]; more = more capacity."),
    "alpha": ParamDoc("L2 penalty on the weights (weight decay).", True),
    "learning_rate_init": ParamDoc("Initial step size of the optimizer."),
    "activation": ParamDoc("Non-linearity: relu, tanh or logistic."),
    "batch_size": ParamDoc("Rows per gradient step."),
    "max_iter": ParamDoc("Maximum epochs."),
    "early_stopping": ParamDoc("Hold out 10% of the training rows and stop when their score stops improving.", True),
    "solver": ParamDoc("Optimizer: adam, sgd or lbfgs."),
}

_KNN_DOCS = {
    "n_neighbors": ParamDoc("Neighbours that vote; more neighbours = smoother, less overfit.", True),
    "weights": ParamDoc("uniform votes, or distance-weighted votes."),
    "p": ParamDoc("Distance: 1 = Manhattan, 2 = Euclidean."),
    "leaf_size": ParamDoc("Tree leaf size (speed only)."),
}


#: Work one linear fit may do, in row x column x epoch multiply-adds (about a second of saga on one core).
LINEAR_WORK = 3e8
#: Rows past which the SVM's C stops at 100 (libsvm's iterations grow with C, its cost with rows squared) and
#: the MLP stops on a validation split instead of running every epoch.
LARGE_ROWS = 10_000


def _logistic_shaped(space: dict[str, dict[str, Any]], n_rows: int, n_features: int) -> dict[str, dict[str, Any]]:
    """saga's cost is rows x columns per epoch and it converges slowly on wide tables: the epochs are capped so
    one fit is about ``LINEAR_WORK``, and a wide table (more columns than rows) takes a looser tolerance."""
    epochs = int(min(1000, max(100, LINEAR_WORK / max(1, n_rows * n_features))))
    space["max_iter"] = {"value": epochs}
    if n_features > n_rows:
        space["tol"] = {"value": 1e-3}
    return space


def _svm_shaped(space: dict[str, dict[str, Any]], n_rows: int, n_features: int) -> dict[str, dict[str, Any]]:
    if n_rows > LARGE_ROWS:
        space["C"] = {**space["C"], "high": 100.0}
        space["cache_size"] = {"value": 1000}  # MB of kernel rows: libsvm recomputes far less on many rows
    return space


def _mlp_shaped(space: dict[str, dict[str, Any]], n_rows: int, n_features: int) -> dict[str, dict[str, Any]]:
    if n_rows > LARGE_ROWS:
        space["early_stopping"] = {"value": True}  # 10% of the fold watched: stops after 10 epochs without gain
        space["max_iter"] = {"value": 200}
    return space


def _xgb_classifier(**kw: Any) -> XGBClassifier:
    return XGBClassifier(**kw)


def _xgb_regressor(**kw: Any) -> XGBRegressor:
    return XGBRegressor(**kw)


def _mlp(cls: type) -> Callable[..., BaseEstimator]:
    def make(**kw: Any) -> BaseEstimator:
        if "hidden_layer_sizes" in kw and isinstance(kw["hidden_layer_sizes"], (list, int)):
            h = kw["hidden_layer_sizes"]
            kw["hidden_layer_sizes"] = tuple(h) if isinstance(h, list) else (h,)
        return cls(**kw)

    return make


def _xgb_defaults(kwargs: dict[str, Any], device: str) -> dict[str, Any]:
    # DART's dropout acts only when rate_drop is passed; XGBoost's default is 0.
    return {"device": device, "verbosity": 0, **({"rate_drop": 0.0} if kwargs.get("booster") == "dart" else {})}


def _xgb_native(estimator: Any) -> tuple[str, bytes, str]:
    raw = bytes(estimator.get_booster().save_raw(raw_format="json"))
    return (
        "xgboost.json",
        raw,
        "XGBoost's own JSON model format (safe to load: xgboost.Booster(model_file=path)). It holds the trees "
        "only: apply the same preprocessing (see the exported script) before predicting.",
    )


MODELS: dict[str, ModelFamily] = {
    m.name: m
    for m in [
        ModelFamily(
            "xgboost",
            "XGBoost",
            "Gradient-boosted trees (gbtree), with dropout for trees (dart) or a linear booster (gblinear).",
            _xgb_classifier,
            _xgb_regressor,
            {
                "n_estimators": {"value": 200},
                "max_depth": {"type": "int", "low": 2, "high": 10},
                "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
                "subsample": {"type": "float", "low": 0.5, "high": 1.0},
                "colsample_bytree": {"type": "float", "low": 0.5, "high": 1.0},
                "min_child_weight": {"type": "float", "low": 0.5, "high": 20.0, "log": True},
                "reg_alpha": {"type": "float", "low": 1e-4, "high": 10.0, "log": True},
                "reg_lambda": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
            },
            _XGB_DOCS,
            impute=False,
            sparse_input=False,
            gpu=True,
            early_stopping=True,
            curves=True,
            threads=True,
            extra_allowed=("rate_drop", "skip_drop", "normalize_type", "sample_type", "one_drop"),
            trainer="xgboost",
            estimator_defaults=_xgb_defaults,
            native_model=_xgb_native,
            extra_space={
                "gamma": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
                "booster": {"values": ["gbtree", "dart"]},
                "rate_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}},
                "skip_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}},
                "max_leaves": {"type": "int", "low": 0, "high": 64},
                "max_bin": {"type": "int", "low": 16, "high": 256, "log": True},
                "grow_policy": {"values": ["depthwise", "lossguide"]},
                "colsample_bynode": {"type": "float", "low": 0.5, "high": 1.0},
                "max_delta_step": {"type": "float", "low": 0.0, "high": 10.0},
            },
        ),
        ModelFamily(
            "logistic_regression",
            "Logistic regression",
            "A linear classifier with an L1 / L2 / elastic-net penalty (l1_ratio) of strength 1/C.",
            LogisticRegression,
            None,
            {
                "C": {"type": "float", "low": 1e-3, "high": 100.0, "log": True},
                "l1_ratio": {"type": "float", "low": 0.0, "high": 1.0},
                "solver": {"value": "saga"},
                "max_iter": {"value": 1000},
            },
            _LOGISTIC_DOCS,
            scale=True,
            extra_space={
                "class_weight": {"values": [None, "balanced"]},
                "tol": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
            },
            coefficients=True,
            shaped=_logistic_shaped,
        ),
        ModelFamily(
            "ridge",
            "Ridge",
            "A linear model with an L2 penalty: shrinks every coefficient, zeroes none.",
            RidgeClassifier,
            Ridge,
            {"alpha": {"type": "float", "low": 1e-3, "high": 1000.0, "log": True}},
            {
                "alpha": ParamDoc("Strength of the L2 penalty; larger = smaller coefficients.", True),
                **{k: v for k, v in _LINEAR_DOCS.items() if k in ("fit_intercept", "max_iter", "tol")},
            },
            scale=True,
            coefficients=True,
        ),
        ModelFamily(
            "lasso",
            "Lasso",
            "Linear regression with an L1 penalty: sets many coefficients exactly to zero.",
            None,
            Lasso,
            {"alpha": {"type": "float", "low": 1e-4, "high": 10.0, "log": True}, "max_iter": {"value": 5000}},
            {k: v for k, v in _LINEAR_DOCS.items() if k != "l1_ratio"},
            scale=True,
            coefficients=True,
        ),
        ModelFamily(
            "elastic_net",
            "Elastic net",
            "Linear regression with a mix of L1 and L2 penalties (l1_ratio).",
            None,
            ElasticNet,
            {
                "alpha": {"type": "float", "low": 1e-4, "high": 10.0, "log": True},
                "l1_ratio": {"type": "float", "low": 0.05, "high": 1.0},
                "max_iter": {"value": 5000},
            },
            _LINEAR_DOCS,
            scale=True,
            coefficients=True,
        ),
        ModelFamily(
            "random_forest",
            "Random forest",
            "Many deep trees on bootstrap samples, averaged: low variance without much tuning.",
            RandomForestClassifier,
            RandomForestRegressor,
            {
                "n_estimators": {"value": 200},
                "max_depth": {"type": "int", "low": 2, "high": 30, "log": True},
                "min_samples_leaf": {"type": "int", "low": 1, "high": 20, "log": True},
                "max_features": {"values": ["sqrt", 0.5, 1.0]},
            },
            _FOREST_DOCS,
            threads=True,
            continues="Adds trees fitted on the new rows only (warm_start); the old trees stay as they were. "
            "scikit-learn's warm start means 'the same data, more capacity': here the extra capacity sees new data.",
            extra_space={
                "min_samples_split": {"type": "int", "low": 2, "high": 20},
                "bootstrap": {"values": [True, False]},
                "ccp_alpha": {"type": "float", "low": 0.0, "high": 0.02},
                "class_weight": {"values": [None, "balanced"]},
            },
        ),
        ModelFamily(
            "svm",
            "Support vector machine",
            "A maximum-margin model with an RBF kernel; C and gamma trade margin against fit.",
            SVC,
            SVR,
            {
                "C": {"type": "float", "low": 1e-2, "high": 1000.0, "log": True},
                "gamma": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
            },
            _SVM_DOCS,
            scale=True,
            extra_space={
                "kernel": {"values": ["rbf", "linear", "poly"]},
                "degree": {"type": "int", "low": 2, "high": 5},
            },
            shaped=_svm_shaped,
        ),
        ModelFamily(
            "mlp",
            "Neural network (MLP)",
            "A multi-layer perceptron; alpha is its L2 weight decay (scikit-learn's MLP has no dropout).",
            _mlp(MLPClassifier),
            _mlp(MLPRegressor),
            {
                "hidden_layer_sizes": {"values": [[32], [64], [64, 32]]},
                "alpha": {"type": "float", "low": 1e-6, "high": 1.0, "log": True},
                "learning_rate_init": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
                "max_iter": {"value": 300},
            },
            _MLP_DOCS,
            scale=True,
            continues="More epochs on the new rows (partial_fit), starting from the learned weights. scikit-learn's "
            "warm start means 'the same data, more training': on new data it slowly moves the weights, and forgets.",
            extra_space={"activation": {"values": ["relu", "tanh"]}, "early_stopping": {"values": [False, True]}},
            shaped=_mlp_shaped,
        ),
        ModelFamily(
            "knn",
            "k-nearest neighbours",
            "Predicts from the k closest training rows; small k overfits, large k underfits.",
            KNeighborsClassifier,
            KNeighborsRegressor,
            {
                "n_neighbors": {"type": "int", "low": 1, "high": 50, "log": True},
                "weights": {"values": ["uniform", "distance"]},
            },
            _KNN_DOCS,
            scale=True,
            extra_space={"p": {"values": [1, 2]}},
            threads=True,
        ),
        ModelFamily(
            "decision_tree",
            "Decision tree",
            "A single tree: easy to read, overfits when deep.",
            DecisionTreeClassifier,
            DecisionTreeRegressor,
            {
                "max_depth": {"type": "int", "low": 1, "high": 20},
                "min_samples_leaf": {"type": "int", "low": 1, "high": 50, "log": True},
                "ccp_alpha": {"type": "float", "low": 0.0, "high": 0.02},
            },
            _TREE_DOCS,
            extra_space={
                "min_samples_split": {"type": "int", "low": 2, "high": 40, "log": True},
                "max_leaf_nodes": {"type": "int", "low": 4, "high": 256, "log": True},
                "criterion": {"values": ["gini", "entropy"]},
            },
        ),
    ]
}


def get_model(name: str) -> ModelFamily:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"Unknown model {name!r}.", fix=f"Choose one of: {', '.join(MODELS)}.") from None


def models_for_task(task: str) -> list[ModelFamily]:
    return [m for m in MODELS.values() if task in m.tasks]


def make_estimator(
    name: str, task: str, params: dict[str, Any], *, n_jobs: int = 1, device: str = "cpu", seed: int = 0
) -> BaseEstimator:
    """The bare estimator with ``params``; thread count, device and seed filled in where it has them."""
    family = get_model(name)
    factory = family.factory(task)
    kwargs = dict(params)
    probe = factory()
    known = probe.get_params(deep=False)
    if "random_state" in known and "random_state" not in kwargs:
        kwargs["random_state"] = seed
    if family.threads and "n_jobs" in known and "n_jobs" not in kwargs:
        kwargs["n_jobs"] = n_jobs
    if family.estimator_defaults is not None:
        kwargs = {**family.estimator_defaults(kwargs, device), **kwargs}
    return factory(**kwargs)


def build_pipeline(
    name: str,
    task: str,
    params: dict[str, Any],
    *,
    numeric: tuple[str, ...] | list[str],
    categorical: tuple[str, ...] | list[str],
    n_jobs: int = 1,
    device: str = "cpu",
    seed: int = 0,
) -> Pipeline:
    """Preprocessing + model, fitted as one unit per fold."""
    from tuning.data import build_preprocessor

    family = get_model(name)
    prep = build_preprocessor(
        numeric, categorical, scale=family.scale, impute=family.impute, sparse=family.sparse_input
    )
    est = make_estimator(name, task, params, n_jobs=n_jobs, device=device, seed=seed)
    return Pipeline([("prep", prep), ("model", est)])
