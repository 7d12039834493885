"""The no-skill baseline of a study: what always predicting the most frequent class (or the mean) scores.

A verdict such as "both scores are low" needs a reference: 0.75 accuracy is low when the majority class
alone gives 0.90, and good when it gives 0.50. The baseline is scored like every trial: the study's metric
on the study's own cross-validation folds.
"""

from __future__ import annotations

import math

from tuning.config import ResolvedConfig
from tuning.store import Store


def baseline_label(task: str | None) -> str:
    """What the baseline model does, in words."""
    return "always predicting the most frequent class" if task == "classification" else "always predicting the mean"


def study_baseline(store: Store, config: ResolvedConfig) -> float | None:
    """Mean validation score (scorer convention, higher is better) of the no-skill model on the study's folds;
    None when it cannot be scored (a metric the constant model cannot produce)."""
    from tuning.lessons._common import dummy_score
    from tuning.study import load_study_data, make_context

    data = load_study_data(store, config)
    score = dummy_score(make_context(config, data, n_jobs=1))
    return score if math.isfinite(score) else None
