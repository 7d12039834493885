"""Bias-variance decomposition on the noisy sine, where the truth is known.

For each complexity value the model is fitted on ``n_repeats`` fresh training samples and
evaluated on a fixed grid. Expected test error = bias² + variance + noise; the measured test MSE
(fresh noisy targets on the grid) is returned next to the sum so the page can show they agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError
from tuning.lessons import synthetic
from tuning.lessons._common import Progress, field_columns, quiet, tick
from tuning.lessons.boundary import make_1d_model, model_input

N_SAMPLE_CURVES = 10


@dataclass(frozen=True)
class BiasVariance:
    """Per value of ``param`` (arrays of length n_values), averaged over the grid:

    ``bias2``: (mean prediction - truth)², corrected for the finite number of repeats (clipped at
    0); ``variance``: spread of the predictions across repeats (ddof=1);
    ``noise``: sigma² (irreducible); ``total`` = bias2 + variance + noise; ``test_mse``: measured
    squared error against fresh noisy targets; ``train_mse``: mean training error. ``mean_pred``
    is (n_values, grid_size), ``sample_preds`` (n_values, up to 10, grid_size): fits from single
    samples for a "spaghetti" plot; ``truth`` is sin(2 pi x) on ``grid``.
    """

    param: str
    values: tuple[Any, ...]
    bias2: np.ndarray
    variance: np.ndarray
    noise: float
    total: np.ndarray
    test_mse: np.ndarray
    train_mse: np.ndarray
    grid: np.ndarray
    truth: np.ndarray
    mean_pred: np.ndarray
    sample_preds: np.ndarray
    model: str
    n_repeats: int
    n: int

    def frame(self) -> pd.DataFrame:
        columns = field_columns(self, "bias2", "variance", "noise", "total", "test_mse", "train_mse")
        return pd.DataFrame({"value": list(self.values), **columns})


def bias_variance(
    *,
    model: str,
    param: str,
    values: Sequence[Any],
    fixed: dict[str, Any] | None = None,
    n_repeats: int = 20,
    n: int = 60,
    noise: float = 0.3,
    grid_size: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
) -> BiasVariance:
    """Decompose the test error of ``model`` (``poly_ridge`` or a registry regressor) at each value.

    Every value sees the same ``n_repeats`` training samples (common random numbers), so the
    differences between values come from the model, not from the draw.
    """
    if n_repeats < 2:
        raise ConfigError(f"Variance needs at least 2 repeats, got {n_repeats}.")
    values = list(values)
    if not values:
        raise ConfigError("Give at least one value.", fix=f"e.g. {param} = 1, 3, 5, 9.")
    fixed = dict(fixed or {})
    seeds = np.random.SeedSequence(seed).spawn(n_repeats + 1)
    samples = [synthetic.noisy_sine(n, noise=noise, seed=int(s.generate_state(1)[0])) for s in seeds[:-1]]
    test_rng = np.random.default_rng(seeds[-1])
    grid = (np.arange(grid_size) + 0.5) / grid_size  # midpoints: a uniform test distribution on [0, 1]
    f = synthetic.truth(grid)
    y_test = f + test_rng.normal(0.0, noise, (n_repeats, grid_size))  # one fresh test draw per fit
    G = model_input(model, grid)
    train_inputs = [model_input(model, d.x) for d in samples]
    V = len(values)
    bias2, var, test_mse, train_mse = (np.zeros(V) for _ in range(4))
    mean_pred = np.zeros((V, grid_size))
    k = min(N_SAMPLE_CURVES, n_repeats)
    sample_preds = np.zeros((V, k, grid_size))
    with quiet():
        for i, v in enumerate(values):
            preds = np.zeros((n_repeats, grid_size))
            tr_err = np.zeros(n_repeats)
            for r, (d, Xr) in enumerate(zip(samples, train_inputs)):
                est = make_1d_model(model, {**fixed, param: v}, seed=seed + r)
                est.fit(Xr, d.y)
                preds[r] = est.predict(G)
                tr_err[r] = float(np.mean((est.predict(Xr) - d.y) ** 2))
            m = preds.mean(axis=0)
            mean_pred[i] = m
            sample_preds[i] = preds[:k]
            # Unbiased estimates: the plug-in (m - f)^2 carries variance / n_repeats of the mean's own
            # noise. Their sum equals the plug-in one, mean((pred - f)^2) over repeats, exactly.
            v_unbiased = preds.var(axis=0, ddof=1)
            var[i] = float(np.mean(v_unbiased))
            bias2[i] = max(float(np.mean((m - f) ** 2 - v_unbiased / n_repeats)), 0.0)
            test_mse[i] = float(np.mean((preds - y_test) ** 2))
            train_mse[i] = float(tr_err.mean())
            tick(progress, i + 1, V)
    sigma2 = float(noise) ** 2
    return BiasVariance(
        param=param,
        values=tuple(values),
        bias2=bias2,
        variance=var,
        noise=sigma2,
        total=bias2 + var + sigma2,
        test_mse=test_mse,
        train_mse=train_mse,
        grid=grid,
        truth=f,
        mean_pred=mean_pred,
        sample_preds=sample_preds,
        model=model,
        n_repeats=n_repeats,
        n=n,
    )
