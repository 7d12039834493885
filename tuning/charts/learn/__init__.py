"""The Learn pages' charts, one module per view; shared drawing helpers in ``_common`` (private).

Each view is a pure function of a lesson dataclass (``tuning.lessons``): ``_get_<x>_info`` makes a small
NamedTuple of plain data in display units, ``plot_<x>`` draws it; tests compare the info, not the pixels.
"""

from __future__ import annotations

from tuning.charts._common import TEST, TRAIN, VALIDATION
from tuning.charts.learn._common import CLIP_FACTOR, score_view, x_axis
from tuning.charts.learn.bias_variance import (
    _get_bias_variance_fits_info,
    _get_bias_variance_info,
    plot_bias_variance,
    plot_bias_variance_fits,
)
from tuning.charts.learn.boosting import _get_boosting_rounds_info, plot_boosting_rounds
from tuning.charts.learn.boundary import plot_boundaries, plot_decision_boundary, plot_fit_1d
from tuning.charts.learn.iterating import (
    _get_iterate_info,
    _get_top_k_info,
    _get_winners_curse_info,
    plot_iterate_search,
    plot_top_k,
    plot_winners_curse,
)
from tuning.charts.learn.learning_curve import _get_learning_curve_info, plot_learning_curve
from tuning.charts.learn.regularization import plot_linear_paths, plot_sparsity, plot_sparsity_cost
from tuning.charts.learn.validation_curve import _get_validation_curve_info, plot_validation_curve, regime_bands
from tuning.charts.learn.validation_overfit import _get_validation_overfit_info, plot_validation_overfit
from tuning.charts.learn.xgboost_regularization import plot_attributions, plot_xgboost_knobs

__all__ = [
    "CLIP_FACTOR",
    "TEST",
    "TRAIN",
    "VALIDATION",
    "_get_bias_variance_fits_info",
    "_get_bias_variance_info",
    "_get_boosting_rounds_info",
    "_get_iterate_info",
    "_get_learning_curve_info",
    "_get_top_k_info",
    "_get_validation_curve_info",
    "_get_validation_overfit_info",
    "_get_winners_curse_info",
    "plot_attributions",
    "plot_bias_variance",
    "plot_bias_variance_fits",
    "plot_boosting_rounds",
    "plot_boundaries",
    "plot_decision_boundary",
    "plot_fit_1d",
    "plot_iterate_search",
    "plot_learning_curve",
    "plot_linear_paths",
    "plot_sparsity",
    "plot_sparsity_cost",
    "plot_top_k",
    "plot_validation_curve",
    "plot_validation_overfit",
    "plot_winners_curse",
    "plot_xgboost_knobs",
    "regime_bands",
    "score_view",
    "x_axis",
]
