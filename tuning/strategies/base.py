"""The ask/tell interface every search strategy implements.

Strategies never see threads, stores or Streamlit. Scores are "higher is better" (scikit-learn's
scorer convention); ``None`` marks a failed candidate.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from tuning.space import SearchSpace


def params_key(params: dict[str, Any]) -> str:
    """A canonical text key for a parameter set (to recognise a candidate already seen)."""
    return json.dumps(params, sort_keys=True, default=str)


class Strategy(ABC):
    """Suggests candidates one at a time and learns from their scores."""

    name: str = ""
    description: str = ""

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        self.space = space
        self.seed = int(seed)
        self.n_asked = 0

    @abstractmethod
    def ask(self) -> dict[str, Any] | None:
        """Next candidate (only active parameters), or None when the strategy has nothing left."""

    def tell(self, params: dict[str, Any], score: float | None) -> None:
        """Report a finished candidate's score (None when it failed)."""

    def plan(self, budget: int | None) -> None:
        """Fit the strategy to the study's trial budget (None: a timeout only); most need nothing."""

    def describe_plan(self) -> str | None:
        """What the planned search will do, in a sentence (the Search page says it before Start)."""
        return None

    def replay(self, history: list[tuple[dict[str, Any], float | None]]) -> None:
        """Rebuild the state from finished trials (resume after a restart)."""
        for params, score in history:
            self.n_asked += 1
            self.tell(params, score)

    def mark_asked(self, params: dict[str, Any]) -> None:
        """Count a candidate asked before a restart that is still unfinished (it will be told later)."""
        self.n_asked += 1

    @property
    def total(self) -> int | None:
        """How many candidates the strategy can give at most (None when unbounded)."""
        return None
