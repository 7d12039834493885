"""Exports: trials as CSV/JSON, best params, a standalone script, and the refit best model."""

from __future__ import annotations

from tuning.export.model import ModelExport, export_model
from tuning.export.script import python_literal, standalone_script
from tuning.export.tables import best_params_json, safe_frame, spreadsheet_safe, trials_csv, trials_json

__all__ = [
    "ModelExport",
    "best_params_json",
    "export_model",
    "python_literal",
    "safe_frame",
    "spreadsheet_safe",
    "standalone_script",
    "trials_csv",
    "trials_json",
]
