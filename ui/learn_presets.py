"""Which knob of each model a lesson sweeps, over which values, and which end is the simpler model."""

from __future__ import annotations

from typing import Any

import numpy as np

# model -> [(param, values, simpler end, fixed params)]
SWEEPS: dict[str, list[tuple[str, list[Any], str, dict[str, Any]]]] = {
    "decision_tree": [
        ("max_depth", list(range(1, 16)), "low", {}),
        ("min_samples_leaf", [1, 2, 3, 5, 8, 13, 21, 34, 55], "high", {}),
    ],
    "knn": [("n_neighbors", [1, 2, 3, 5, 8, 13, 21, 34, 55, 89], "high", {})],
    "xgboost": [
        ("max_depth", list(range(1, 11)), "low", {"n_estimators": 100}),
        ("min_child_weight", [0.1, 0.3, 1, 3, 10, 30, 100], "high", {"n_estimators": 100}),
        ("reg_lambda", [0.01, 0.1, 1, 10, 100, 1000], "high", {"n_estimators": 100}),
    ],
    "random_forest": [("max_depth", [1, 2, 3, 4, 6, 8, 12, 16, 24], "low", {"n_estimators": 100})],
    "svm": [
        ("gamma", [float(v) for v in np.logspace(-3, 2, 11)], "low", {"C": 10.0}),
        ("C", [float(v) for v in np.logspace(-3, 3, 13)], "low", {}),
    ],
    "mlp": [
        ("alpha", [float(v) for v in np.logspace(-5, 2, 8)], "high", {"hidden_layer_sizes": [64, 64], "max_iter": 500})
    ],
    "ridge": [("alpha", [float(v) for v in np.logspace(-4, 4, 17)], "high", {})],
    "lasso": [("alpha", [float(v) for v in np.logspace(-4, 1, 11)], "high", {"max_iter": 5000})],
    "logistic_regression": [
        ("C", [float(v) for v in np.logspace(-4, 3, 15)], "low", {"solver": "saga", "max_iter": 2000})
    ],
}

# 2-D boundary / 1-D fit: model -> (param, slider values, default)
BOUNDARY_KNOBS: dict[str, tuple[str, list[Any], Any]] = {
    "decision_tree": ("max_depth", list(range(1, 21)), 3),
    "knn": ("n_neighbors", [1, 2, 3, 5, 8, 13, 21, 34, 55], 13),
    "svm": ("gamma", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], 1.0),
    "xgboost": ("max_depth", list(range(1, 11)), 3),
    "random_forest": ("max_depth", [1, 2, 3, 4, 6, 8, 12, 16], 4),
    "mlp": ("alpha", [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0], 1e-3),
    "logistic_regression": ("C", [0.001, 0.01, 0.1, 1.0, 10.0, 100.0], 1.0),
}
FIT1D_KNOBS: dict[str, tuple[str, list[Any], Any]] = {
    "poly_ridge": ("degree", list(range(1, 21)), 3),
    "decision_tree": ("max_depth", list(range(1, 13)), 3),
    "knn": ("n_neighbors", [1, 2, 3, 5, 8, 13, 21, 34], 5),
    "xgboost": ("max_depth", list(range(1, 9)), 2),
    "svm": ("gamma", [0.1, 1.0, 10.0, 100.0, 1000.0], 10.0),
}
BIAS_VARIANCE: dict[str, tuple[str, list[Any]]] = {
    "poly_ridge": ("degree", [1, 2, 3, 4, 5, 6, 8, 10, 12, 15]),
    "decision_tree": ("max_depth", [1, 2, 3, 4, 5, 6, 8, 10]),
    "knn": ("n_neighbors", [40, 30, 20, 13, 8, 5, 3, 2, 1]),
}


def fmt(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)
