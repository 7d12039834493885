"""Optional packages: import one, or raise a plain error that names what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from tuning.errors import ConfigError


def require(module: str, *, package: str | None = None, purpose: str) -> ModuleType:
    """``importlib.import_module(module)``, or a ``ConfigError`` saying which package ``purpose`` needs."""
    try:
        return importlib.import_module(module)
    except ImportError:
        pkg = package or module
        raise ConfigError(
            f"{purpose} needs the package '{pkg}', which is not installed.", fix=f"Install it with: pip install {pkg}"
        ) from None
