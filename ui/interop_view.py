"""Export a study to Optuna, MLflow or a W&B sweep, and import an Optuna study (Results page, one line each).

Optuna and MLflow exports are prepared on a click (they write a database) and then offered for download;
a missing optional package is shown as the engine's plain message.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from tuning.errors import DataError, TuningError
from tuning.store import Store
from tuning.study import open_study
from ui.state import set_selection, show_error
from ui.text import esc

if TYPE_CHECKING:
    from tuning.export.optuna import OptunaImport

STUDIES_TABLE_KEY = "res_studies"  # the Results page's table of studies (its selection wins over the URL)


def _zip_dir(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder.parent))
    return buf.getvalue()


def _export_optuna(store: Store, study_id: int) -> tuple[str, bytes, str]:
    from tuning.export.optuna import export_study

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"study_{study_id}_optuna.db"
        name = export_study(store, study_id, f"sqlite:///{path}")
        return path.name, path.read_bytes(), name


def _export_mlflow(store: Store, study_id: int) -> tuple[str, bytes]:
    from tuning.export.mlflow import export_mlflow

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / f"study_{study_id}_mlflow"
        export_mlflow(store, study_id, out)
        return f"{out.name}.zip", _zip_dir(out)


def _keep_export(state_key: str, spinner: str, export: Callable[[], tuple]) -> None:
    """Run ``export`` under a spinner and keep its result in the session for the download button; on an error,
    show it and keep nothing new."""
    try:
        with st.spinner(spinner):
            st.session_state[state_key] = export()
    except Exception as exc:
        show_error(exc)


def render_interop_export(store: Store, study_id: int) -> None:
    """Buttons: Optuna storage (.db), MLflow tracking store (.zip), W&B sweep (.yaml)."""
    st.markdown("**To other tools**")
    c = st.columns(3)
    key = f"interop_{study_id}"
    if c[0].button("Export to Optuna", key="exp_optuna", help="An Optuna RDB storage (SQLite) for optuna-dashboard"):
        _keep_export(f"{key}_optuna", "Writing the Optuna storage...", lambda: _export_optuna(store, study_id))
    if c[1].button("Export to MLflow", key="exp_mlflow", help="An MLflow tracking store (SQLite + artifacts), zipped"):
        spinner = "Writing the MLflow runs and logging the refit best model..."
        _keep_export(f"{key}_mlflow", spinner, lambda: _export_mlflow(store, study_id))
    cfg = open_study(store, study_id).config

    def sweep() -> str:
        from tuning.export.wandb import sweep_yaml

        return sweep_yaml(cfg.space, metric=cfg.metric or "score", strategy=cfg.strategy.value, name=cfg.name or None)

    c[2].download_button(
        "W&B sweep (YAML)", sweep, f"study_{study_id}_sweep.yaml", "application/x-yaml", key="exp_wandb"
    )
    if f"{key}_optuna" in st.session_state:
        filename, data, name = st.session_state[f"{key}_optuna"]
        st.download_button(f"Download {filename}", data, filename, "application/x-sqlite3", key="exp_optuna_dl")
        st.caption(f"Study {name!r}. Open it with `optuna-dashboard sqlite:///{filename}` or `optuna.load_study`.")
    if f"{key}_mlflow" in st.session_state:
        filename, data = st.session_state[f"{key}_mlflow"]
        st.download_button(f"Download {filename}", data, filename, "application/zip", key="exp_mlflow_dl")
        st.caption("Unzip it and run `mlflow ui --backend-store-uri sqlite:///<folder>/mlflow.db`.")


# -- import of an uploaded Optuna storage --------------------------------------------------------------
#
# The upload is untrusted: it is written to a private folder (0700, the file 0600) only for the time the
# engine reads it (read-only), then removed; messages name it by its display name, never the server's path.
# Whatever it holds, the expander shows a plain message and the rest of the page renders.

_log = logging.getLogger(__name__)
_CHECKED = "imp_optuna_checked"  # (upload's file id, its study names or the message its check gave)


def _display_name(name: str | None) -> str:
    """The upload's name as messages show it: its last part, at most 100 characters."""
    base = Path(str(name or "")).name or "the uploaded file"
    return base if len(base) <= 100 else base[:97] + "..."


@contextlib.contextmanager
def _private_copy(data: bytes) -> Iterator[Path]:
    """``data`` in a file only this process's user can read, removed on leaving (whatever happens)."""
    from tuning.export.optuna_storage import MAX_FILE_BYTES

    if len(data) > MAX_FILE_BYTES:
        raise DataError(
            f"The Optuna file is {len(data) / 2**20:.0f} MB; the import reads files up to "
            f"{MAX_FILE_BYTES / 2**20:.0f} MB.",
            fix="Export fewer trials, or one study, into a fresh SQLite file.",
        )
    folder = tempfile.mkdtemp(prefix="workbench_optuna_")  # mode 0700
    try:
        path = Path(folder) / "upload.db"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upload_study_names(name: str, data: bytes) -> list[str]:
    """The studies of an uploaded Optuna storage (checked; DataError/StoreError when it cannot be used)."""
    from tuning.export.optuna import study_names

    with _private_copy(data) as path:
        return study_names(f"sqlite:///{path}", label=_display_name(name))


def import_upload(store: Store, name: str, data: bytes, study: str | None) -> OptunaImport:
    """Import one study of an uploaded Optuna storage (the upload itself is never written to)."""
    from tuning.export.optuna import import_optuna

    with _private_copy(data) as path:
        return import_optuna(store, f"sqlite:///{path}", study_name=study, label=_display_name(name))


def import_message(exc: BaseException, name: str) -> str:
    """What the expander says about a failed check or import: the engine's plain message (with the app's
    fix), or a short line for anything else (no traceback, no server path)."""
    if isinstance(exc, TuningError):
        return exc.for_app()
    return (
        f"The Optuna file {_display_name(name)} could not be imported: the workbench hit an internal error "
        f"({type(exc).__name__}). Export the study again into a fresh SQLite file, or import it with the CLI "
        "(python -m tuning import-optuna) to see more."
    )


def _fail(exc: Exception, name: str) -> None:
    if not isinstance(exc, TuningError):
        _log.exception("importing the Optuna upload %r failed", _display_name(name))
    st.error(esc(import_message(exc, name)), icon=":material/error:")


def render_import(store: Store) -> None:
    """An upload that brings an Optuna study (SQLite storage) into the store; never raises."""
    with st.expander("Import an Optuna study", icon=":material/upload:"):
        up = st.file_uploader(
            "Optuna storage (SQLite file, as written by storage='sqlite:///study.db')",
            type=["db", "sqlite", "sqlite3"],
            key="imp_optuna_file",
        )
        if up is None:
            st.caption("The imported study has no dataset: charts that need the data say so.")
            return
        try:
            _render_upload(store, up)
        except Exception as exc:  # the rest of the page (the studies, the delete box) must still render
            _fail(exc, up.name)


def _render_upload(store: Store, up: Any) -> None:
    checked = st.session_state.get(_CHECKED)
    if not checked or checked[0] != up.file_id:
        try:
            names: list[str] | str = upload_study_names(up.name, up.getvalue())
        except Exception as exc:
            if not isinstance(exc, TuningError):
                _log.exception("checking the Optuna upload %r failed", _display_name(up.name))
            names = import_message(exc, up.name)
        checked = (up.file_id, names)
        st.session_state[_CHECKED] = checked  # a rerun does not check the same upload again
    names = checked[1]
    if isinstance(names, str):
        st.error(esc(names), icon=":material/error:")
        return
    if not names:
        st.warning("This storage holds no study.")
        return
    name = st.selectbox("Study", names, key="imp_optuna_study")
    if st.button("Import", key="imp_optuna_go", type="primary"):
        try:
            with st.spinner("Importing..."):
                result = import_upload(store, up.name, up.getvalue(), name)
        except Exception as exc:
            _fail(exc, up.name)
            return
        st.session_state["imp_optuna_done"] = (result.study_id, result.imported, result.skipped_text())
        set_selection(study=result.study_id)
        st.session_state.pop(STUDIES_TABLE_KEY, None)  # a ticked row would keep the previous study open
        st.rerun()
    done = st.session_state.get("imp_optuna_done")
    if done:
        sid, imported, skipped = done
        st.success(f"Imported as study {sid} ({imported} trial(s)).")
        if skipped:
            st.warning(esc(skipped), icon=":material/warning:")


__all__ = ["import_message", "import_upload", "render_import", "render_interop_export", "upload_study_names"]
