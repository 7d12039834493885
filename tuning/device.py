"""Is a CUDA device really usable by XGBoost? Probe with a tiny fit; the build flag is not enough."""

from __future__ import annotations

import functools
import json
import warnings


@functools.lru_cache(maxsize=1)
def cuda_status() -> tuple[bool, str]:
    """(usable, reason). XGBoost silently falls back to the CPU when no GPU is visible, so we fit a
    one-tree model on the GPU and read back the device the booster actually used."""
    try:
        import numpy as np
        import xgboost
    except ImportError as exc:  # pragma: no cover - xgboost is a hard dependency
        return False, f"XGBoost is not installed ({exc})."
    if not xgboost.build_info().get("USE_CUDA"):
        return False, "This XGBoost build has no CUDA support (install the CUDA build of xgboost)."
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = (X[:, 0] > 20).astype(int)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = xgboost.XGBClassifier(device="cuda", n_estimators=1, max_depth=1, verbosity=0).fit(X, y)
        device = json.loads(model.get_booster().save_config())["learner"]["generic_param"]["device"]
    except Exception as exc:
        return False, f"The GPU probe failed: {type(exc).__name__}: {exc}"
    if str(device).startswith("cuda"):
        return True, f"CUDA device {device} is usable."
    return False, "No CUDA GPU is visible on this machine (XGBoost fell back to the CPU)."


def cuda_available() -> bool:
    return cuda_status()[0]
