"""Errors a user can cause, each with a plain message and a fix.

Pages show them with ``st.error``; the CLI prints one line and exits 2. Anything else that escapes
the engine is a bug (exit 1).
"""

from __future__ import annotations


class TuningError(Exception):
    """A problem the user can fix: ``message`` says what is wrong, ``fix`` what to do.

    ``fix`` is worded for the command line (it may name flags such as ``--cv``); ``app_fix``, when the
    remedy differs in the app, names the app's controls instead ("CV folds" on the Search page). ``str()``
    is the CLI's line; the app shows :meth:`for_app`.
    """

    def __init__(self, message: str, *, fix: str = "", app_fix: str = "") -> None:
        self.message = message
        self.fix = fix
        self.app_fix = app_fix
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message} {self.fix}".strip() if self.fix else self.message

    def for_app(self) -> str:
        """The message with the fix worded for the app (falls back to ``fix`` when it names no flag)."""
        fix = self.app_fix or self.fix
        return f"{self.message} {fix}".strip() if fix else self.message


class DataError(TuningError):
    """The table cannot be read or cannot be used for the requested task."""


class SpaceError(TuningError):
    """A search space is malformed or names a parameter the model does not have."""


class ConfigError(TuningError):
    """A study configuration is inconsistent (unknown model, metric, strategy, budget...)."""


class StoreError(TuningError):
    """The store does not hold what was asked for (unknown study id, unreadable database)."""
