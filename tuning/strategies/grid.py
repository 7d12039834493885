"""Exhaustive grid search over every combination of the space's grid values."""

from __future__ import annotations

from typing import Any

from tuning.space import SearchSpace
from tuning.strategies.base import Strategy, params_key


class GridStrategy(Strategy):
    name = "grid"
    description = "Tries every combination of the listed values (ranges are cut into grid points)."

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        super().__init__(space, seed=seed)
        self._grid = space.grid()
        self._seen: set[str] = set()
        self._pos = 0

    def ask(self) -> dict[str, Any] | None:
        while self._pos < len(self._grid):
            cand = self._grid[self._pos]
            self._pos += 1
            key = params_key(cand)
            if key not in self._seen:
                self._seen.add(key)
                self.n_asked += 1
                return dict(cand)
        return None

    def replay(self, history: list[tuple[dict[str, Any], float | None]]) -> None:
        for params, _ in history:
            self._seen.add(params_key(params))
            self.n_asked += 1

    def mark_asked(self, params: dict[str, Any]) -> None:
        self._seen.add(params_key(params))
        self.n_asked += 1

    @property
    def total(self) -> int:
        return len(self._grid)
