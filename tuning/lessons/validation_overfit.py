"""Overfitting the validation set: the best CV score keeps rising as a search tries more settings,
while the held-out test score of the chosen setting does not follow.

The picture behind "report a test score the search never saw": the maximum of many noisy CV
estimates is biased upwards, and the more trials, the larger the winner's luck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer

from tuning.errors import ConfigError
from tuning.lessons._common import Progress, field_columns, quiet, tick
from tuning.store import Store, TrialState
from tuning.study import open_study


@dataclass(frozen=True)
class ValidationOverfit:
    """One point per complete trial, in trial order.

    ``cv_score``: that trial's mean CV score; ``best_cv``: the best so far; ``best_number``: the
    trial that holds it (ties keep the earlier trial, like ``Store.best_trial``); ``test_score``:
    the held-out score of that trial's setting refit on all training rows. ``optimism`` is
    ``best_cv - test_score``. Scores are in the scorer's convention (higher is better).
    """

    study_id: int
    metric: str
    numbers: np.ndarray
    cv_score: np.ndarray
    best_cv: np.ndarray
    best_number: np.ndarray
    test_score: np.ndarray
    optimism: np.ndarray
    n_refits: int
    n_train: int
    n_test: int

    def frame(self) -> pd.DataFrame:
        columns = field_columns(self, "cv_score", "best_cv", "best_number", "test_score", "optimism")
        return pd.DataFrame({"number": self.numbers, **columns})


def validation_overfitting(
    store: Store, study_id: int, *, n_jobs: int = 1, progress: Progress | None = None
) -> ValidationOverfit:
    """Replay a finished study's trials and score each new best-so-far setting on the test rows.

    Refits only when the best changes, so the cost is one fit per improvement, not per trial.
    Raises ConfigError when the study kept no test rows (``test_size`` 0).
    """
    study = open_study(store, study_id)
    config = study.config
    if not config.test_size or config.test_size <= 0:
        raise ConfigError(
            f"Study {study_id} has no held-out test rows, so there is no test score to compare with.",
            fix="Run a study with a test split (test size above 0, e.g. 0.25).",
        )
    trials = [t for t in store.get_trials(study_id, states=(TrialState.COMPLETE,)) if t.score is not None]
    data = study.data
    assert data.test_idx is not None
    ctx = study.context(n_jobs=n_jobs)
    p = data.prepared
    X_test, y_test = p.X.iloc[data.test_idx], p.y[data.test_idx]
    scorer = get_scorer(config.metric or ctx.metric)
    n = len(trials)
    numbers, cv, best_cv, best_no, test = (np.zeros(n) for _ in range(5))
    best: float | None = None
    best_number = -1
    current = float("nan")
    refits = 0
    with quiet():
        for i, t in enumerate(trials):
            score = float(t.score)  # type: ignore[arg-type]
            if best is None or score > best:
                best, best_number = score, t.number
                pipe = ctx.pipeline(t.params)
                pipe.fit(ctx.X, ctx.y)
                current = float(scorer(pipe, X_test, y_test))
                refits += 1
            numbers[i], cv[i], best_cv[i], best_no[i], test[i] = t.number, score, best, best_number, current
            tick(progress, i + 1, n)
    return ValidationOverfit(
        study_id=int(study_id),
        metric=config.metric or ctx.metric,
        numbers=numbers.astype(int),
        cv_score=cv,
        best_cv=best_cv,
        best_number=best_no.astype(int),
        test_score=test,
        optimism=best_cv - test,
        n_refits=refits,
        n_train=len(data.train_idx),
        n_test=len(data.test_idx),
    )
