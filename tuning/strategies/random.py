"""Random search: independent draws, each seeded by (seed, index) so a resumed study continues."""

from __future__ import annotations

from typing import Any

import numpy as np

from tuning.strategies.base import Strategy


class RandomStrategy(Strategy):
    name = "random"
    description = "Draws each candidate independently at random from the ranges (log ranges evenly in log)."

    def ask(self) -> dict[str, Any] | None:
        rng = np.random.default_rng([self.seed, self.n_asked])
        self.n_asked += 1
        return self.space.sample(rng)
