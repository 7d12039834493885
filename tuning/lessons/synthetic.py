"""Teaching data with a known truth: 2-D classification shapes and a 1-D noisy sine.

Every generator is a pure function of its arguments (``seed`` fixes the draw), so "resample" in a
page is just another seed, and a test can rely on the exact data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.datasets import make_circles, make_moons

from tuning.errors import ConfigError


@dataclass(frozen=True)
class Dataset2D:
    """A two-class problem in the plane: ``X`` has columns ``x1``, ``x2``; ``y`` is 0/1."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    noise: float
    seed: int


@dataclass(frozen=True)
class Sine1D:
    """``y = sin(2 pi x) + N(0, noise^2)`` with ``x ~ Uniform[0, 1]``; :func:`truth` is the noiseless curve."""

    x: np.ndarray
    y: np.ndarray
    noise: float
    seed: int

    @property
    def X(self) -> pd.DataFrame:
        """The single feature as a one-column frame (``x``), ready for the model registry."""
        return pd.DataFrame({"x": self.x})


def truth(x: np.ndarray | float) -> np.ndarray:
    """The noiseless signal of the 1-D lessons: sin(2 pi x)."""
    return np.sin(2 * np.pi * np.asarray(x, dtype=float))


def noisy_sine(n: int = 60, *, noise: float = 0.3, seed: int = 0) -> Sine1D:
    """``n`` points with x uniform in [0, 1] and Gaussian noise of standard deviation ``noise``."""
    _check(n, noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    y = truth(x) + rng.normal(0.0, noise, n)
    return Sine1D(x=x, y=y, noise=float(noise), seed=int(seed))


def _check(n: int, noise: float) -> None:
    if n < 4:
        raise ConfigError(f"Too few points ({n}).", fix="Use at least 4 points.")
    if noise < 0:
        raise ConfigError(f"Noise must be zero or positive, got {noise}.")


def _frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1]})


def moons(n: int = 200, *, noise: float = 0.2, seed: int = 0) -> Dataset2D:
    """Two interleaving half circles (scikit-learn's make_moons); noise is Gaussian jitter."""
    _check(n, noise)
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return Dataset2D("moons", _frame(X), y.astype(np.int64), float(noise), int(seed))


def circles(n: int = 200, *, noise: float = 0.1, seed: int = 0) -> Dataset2D:
    """A small circle inside a large one (make_circles, factor 0.5): no line separates them."""
    _check(n, noise)
    X, y = make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)
    return Dataset2D("circles", _frame(X), y.astype(np.int64), float(noise), int(seed))


def xor(n: int = 200, *, noise: float = 0.1, seed: int = 0) -> Dataset2D:
    """Points uniform in [-1, 1]^2, class 1 where x1 * x2 > 0 (checked before the jitter is added)."""
    _check(n, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    X = X + rng.normal(0.0, noise, X.shape)
    return Dataset2D("xor", _frame(X), y, float(noise), int(seed))


def spiral(n: int = 200, *, noise: float = 0.1, seed: int = 0) -> Dataset2D:
    """Two interleaved spirals of 1.75 turns each (the Playground's hardest shape), with jitter."""
    _check(n, noise)
    rng = np.random.default_rng(seed)
    n1 = n // 2
    counts = (n - n1, n1)
    parts, labels = [], []
    for label, m in enumerate(counts):
        r = np.sqrt(rng.uniform(0.0, 1.0, m))  # uniform density along the spiral's area
        theta = 1.75 * 2 * np.pi * r + label * np.pi
        pts = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
        parts.append(pts + rng.normal(0.0, noise, pts.shape))
        labels.append(np.full(m, label, dtype=np.int64))
    X = np.vstack(parts)
    y = np.concatenate(labels)
    order = rng.permutation(n)
    return Dataset2D("spiral", _frame(X[order]), y[order], float(noise), int(seed))


DATASETS_2D: dict[str, Callable[..., Dataset2D]] = {"moons": moons, "circles": circles, "xor": xor, "spiral": spiral}


def make_2d(name: str, n: int = 200, *, noise: float = 0.2, seed: int = 0) -> Dataset2D:
    """One of :data:`DATASETS_2D` by name."""
    try:
        gen = DATASETS_2D[name]
    except KeyError:
        raise ConfigError(f"Unknown dataset {name!r}.", fix=f"Choose one of: {', '.join(DATASETS_2D)}.") from None
    return gen(n, noise=noise, seed=seed)
