"""Export a study to Optuna, MLflow or a W&B sweep, and import an Optuna study (Results page, one line each).

Optuna and MLflow exports are prepared on a click (they write a database) and then offered for download;
a missing optional package is shown as the engine's plain message.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from tuning.store import Store
from tuning.study import open_study
from ui.state import set_selection, show_error

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


def render_interop_export(store: Store, study_id: int) -> None:
    """Buttons: Optuna storage (.db), MLflow tracking store (.zip), W&B sweep (.yaml)."""
    st.markdown("**To other tools**")
    c = st.columns(3)
    key = f"interop_{study_id}"
    if c[0].button("Export to Optuna", key="exp_optuna", help="An Optuna RDB storage (SQLite) for optuna-dashboard"):
        try:
            with st.spinner("Writing the Optuna storage..."):
                st.session_state[f"{key}_optuna"] = _export_optuna(store, study_id)
        except Exception as exc:
            show_error(exc)
    if c[1].button("Export to MLflow", key="exp_mlflow", help="An MLflow tracking store (SQLite + artifacts), zipped"):
        try:
            with st.spinner("Writing the MLflow runs and logging the refit best model..."):
                st.session_state[f"{key}_mlflow"] = _export_mlflow(store, study_id)
        except Exception as exc:
            show_error(exc)
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


def render_import(store: Store) -> None:
    """An upload that brings an Optuna study (SQLite storage) into the store."""
    with st.expander("Import an Optuna study", icon=":material/upload:"):
        up = st.file_uploader(
            "Optuna storage (SQLite file, as written by storage='sqlite:///study.db')",
            type=["db", "sqlite", "sqlite3"],
            key="imp_optuna_file",
        )
        if up is None:
            st.caption("The imported study has no dataset: charts that need the data say so.")
            return
        from tuning.export.optuna import import_study, study_names

        folder = Path(tempfile.gettempdir()) / "workbench_optuna_uploads"
        folder.mkdir(exist_ok=True)
        path = folder / f"{up.file_id}.db"
        if not path.exists():
            path.write_bytes(up.getvalue())
        url = f"sqlite:///{path}"
        try:
            names = study_names(url)
        except Exception as exc:
            show_error(exc)
            return
        if not names:
            st.warning("This storage holds no study.")
            return
        name = st.selectbox("Study", names, key="imp_optuna_study")
        if st.button("Import", key="imp_optuna_go", type="primary"):
            try:
                with st.spinner("Importing..."):
                    sid = import_study(store, url, study_name=name)
            except Exception as exc:
                show_error(exc)
                return
            st.session_state["imp_optuna_done"] = sid
            set_selection(study=sid)
            st.session_state.pop(STUDIES_TABLE_KEY, None)  # a ticked row would keep the previous study open
            st.rerun()
        if "imp_optuna_done" in st.session_state:
            st.success(f"Imported as study {st.session_state['imp_optuna_done']}.")


__all__ = ["render_import", "render_interop_export"]
