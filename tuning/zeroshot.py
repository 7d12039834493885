"""FLAML's zero-shot configuration for a table: the one module that imports ``flaml`` (an optional dependency).

FLAML ships, inside its package, a portfolio of configurations learned offline on many tables, and picks
one from four meta-features of a new table (rows, features, classes, share of numeric columns): no search,
no download. ``suggest`` maps it onto this project's parameter names for the families FLAML knows; the
caller fits it into the study's space (tuning/iterate.py). Without flaml it says so in words and returns
no configuration.
"""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

from tuning.config import ResolvedConfig
from tuning.store import Store

#: FLAML's estimator name for each family it has a portfolio for (XGBoost with a depth limit: our space
#: searches ``max_depth``, FLAML's plain "xgboost" grows leaves instead).
ESTIMATORS = {"xgboost": "xgb_limitdepth", "random_forest": "rf"}
#: The meta-features need only a sample of rows (FLAML reads the shape and column kinds, not the values).
SAMPLE_ROWS = 5_000
MISSING = "FLAML is not installed, so no zero-shot configuration was added (pip install flaml)."


def available() -> bool:
    try:
        import flaml.default  # noqa: F401
    except Exception:
        return False
    return True


def suggest(
    store: Store, config: ResolvedConfig, *, dataset_id: str, table: Any | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """(FLAML's configuration in our parameter names, None) or (None, why there is none)."""
    estimator = ESTIMATORS.get(config.model)
    if estimator is None:
        return None, None  # FLAML has no portfolio for this family: nothing to say
    if not available():
        return None, MISSING
    from tuning.study import read_table

    if table is None:
        table = read_table(store, dataset_id, target=config.target, task=config.task.value if config.task else None)
    df = table.frame
    if config.target not in df.columns:
        return None, f"FLAML's zero-shot configuration needs the target {config.target!r}, which this table lacks."
    rows = df[df[config.target].notna()].head(SAMPLE_ROWS)
    features = [c for c in table.profile.features if c in rows.columns]
    if not features:
        return None, None
    task = "classification" if config.task is not None and config.task.value == "classification" else "regression"
    from flaml.default import suggest_hyperparams

    y = rows[config.target]
    if task == "classification":
        y = y.astype(str)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            logging.getLogger("flaml").setLevel(logging.ERROR)
            params = suggest_hyperparams(task, rows[features], y, estimator)[0]
    except Exception as exc:  # flaml's own failure on an odd table: say so, seed without it
        return None, f"FLAML's zero-shot configuration failed on this table ({type(exc).__name__})."
    # FLAML's names are scikit-learn's and XGBoost's, as ours: keep those the study's space has
    return {
        k: v for k, v in (params or {}).items() if k in config.space.names and isinstance(v, (int, float, str))
    }, None
