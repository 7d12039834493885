"""Search strategies behind one ask/tell interface."""

from __future__ import annotations

from tuning.errors import ConfigError
from tuning.space import SearchSpace
from tuning.strategies.base import Strategy, params_key
from tuning.strategies.grid import GridStrategy
from tuning.strategies.hyperopt_adapter import AnnealStrategy, TPEStrategy
from tuning.strategies.random import RandomStrategy

STRATEGIES: dict[str, type[Strategy]] = {
    "grid": GridStrategy,
    "random": RandomStrategy,
    "tpe": TPEStrategy,
    "anneal": AnnealStrategy,
}


def make_strategy(name: str, space: SearchSpace, *, seed: int = 0, budget: int | None = None) -> Strategy:
    """The strategy ``name`` over ``space``, planned for ``budget`` trials (None: unknown, e.g. a timeout)."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"Unknown strategy {name!r}.", fix=f"Choose one of {', '.join(STRATEGIES)}.") from None
    strategy = cls(space, seed=seed)
    strategy.plan(budget)
    return strategy


__all__ = [
    "STRATEGIES",
    "AnnealStrategy",
    "GridStrategy",
    "RandomStrategy",
    "Strategy",
    "TPEStrategy",
    "make_strategy",
    "params_key",
]
