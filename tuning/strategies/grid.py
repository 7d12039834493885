"""Exhaustive grid search over every combination of the space's grid values, enumerated lazily."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tuning.space import SearchSpace
from tuning.strategies.base import Strategy, params_key


class GridStrategy(Strategy):
    """Walks the grid in order without holding it; refuses a grid above ``MAX_GRID_SIZE`` (SpaceError)."""

    name = "grid"
    description = "Tries every combination of the listed values (ranges are cut into grid points)."

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        super().__init__(space, seed=seed)
        self._total = space.check_grid()
        self._grid: Iterator[dict[str, Any]] = space.iter_grid()
        self._done: set[str] = set()  # candidates finished before a resume (bounded by the trials run)

    def ask(self) -> dict[str, Any] | None:
        for cand in self._grid:
            key = params_key(cand)
            if key in self._done:
                continue
            self.n_asked += 1
            return cand
        return None

    def replay(self, history: list[tuple[dict[str, Any], float | None]]) -> None:
        for params, _ in history:
            self._done.add(params_key(params))
            self.n_asked += 1

    def mark_asked(self, params: dict[str, Any]) -> None:
        self._done.add(params_key(params))
        self.n_asked += 1

    @property
    def total(self) -> int:
        return self._total
