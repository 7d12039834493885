"""The tuning engine: data, models, search spaces, strategies, evaluation, runner and store.

Never imports streamlit, so scripts, the CLI and tests can use it without the UI.
"""

from __future__ import annotations

from tuning.config import StudyConfig
from tuning.errors import ConfigError, DataError, SpaceError, StoreError, TuningError
from tuning.runner import StudyRunner, resume, run, start
from tuning.space import SearchSpace
from tuning.store import Store, StudyState, TrialState

__all__ = [
    "ConfigError",
    "DataError",
    "SearchSpace",
    "SpaceError",
    "Store",
    "StoreError",
    "StudyConfig",
    "StudyRunner",
    "StudyState",
    "TrialState",
    "TuningError",
    "resume",
    "run",
    "start",
]
