"""Charts of a study: pure functions from a results frame (or trials) to a plotly figure.

Each chart is built in two steps, as in Optuna's visualization: ``_get_<x>_info`` gathers plain data in a
NamedTuple (what the tests check) and ``plot_<x>`` draws it. Scores are shown as users read them (losses
positive, lower is better); an input without complete trials gives an empty figure that says so. The Learn
pages' charts are in :mod:`tuning.charts.learn`.
"""

from __future__ import annotations

from tuning.charts._common import empty_figure
from tuning.charts.compare import _get_compare_info, plot_compare_distributions, plot_compare_history
from tuning.charts.contour import _get_contour_info, plot_contour
from tuning.charts.curves import _get_learning_curves_info, plot_learning_curves
from tuning.charts.distribution import _get_score_distribution_info, plot_score_distribution
from tuning.charts.gap import _get_train_vs_validation_info, plot_train_vs_validation
from tuning.charts.history import _get_history_info, plot_history
from tuning.charts.importance import _get_importance_info, plot_importance
from tuning.charts.parallel import _get_parallel_coordinates_info, plot_parallel_coordinates
from tuning.charts.slice import _get_slices_info, plot_slices
from tuning.charts.timeline import _get_timeline_info, plot_timeline

__all__ = [
    "_get_compare_info",
    "_get_contour_info",
    "_get_history_info",
    "_get_importance_info",
    "_get_learning_curves_info",
    "_get_parallel_coordinates_info",
    "_get_score_distribution_info",
    "_get_slices_info",
    "_get_timeline_info",
    "_get_train_vs_validation_info",
    "empty_figure",
    "plot_compare_distributions",
    "plot_compare_history",
    "plot_contour",
    "plot_history",
    "plot_importance",
    "plot_learning_curves",
    "plot_parallel_coordinates",
    "plot_score_distribution",
    "plot_slices",
    "plot_timeline",
    "plot_train_vs_validation",
]
