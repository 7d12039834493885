"""The Fine-tune page's and the fine-tuning lesson's widgets: pick a base model and tables, show the arms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from tuning.analysis import display_metric_name, display_score
from tuning.charts.finetune import plot_adaptation_curves, plot_arms
from tuning.data import parse_table
from tuning.errors import ConfigError, TuningError
from tuning.finetune import (
    ARM_HELP,
    ArmKind,
    BaseModel,
    FinetuneResult,
    adaptation_script,
    load_base_file,
    load_base_study,
    ratios_to_retrain,
    save_adapted,
)
from ui.state import SAMPLES, db_path, get_store, load_dataset, sample_catalog, show_error
from ui.text import esc

BASE_STUDY, BASE_FILE = "A study's best model", "An XGBoost model file (.json / .ubj)"
SRC_SAMPLE, SRC_STORED, SRC_UPLOAD = "Sample", "Stored dataset", "Upload"


@dataclass(frozen=True)
class PickedTable:
    name: str
    df: pd.DataFrame
    default_target: str | None


@st.cache_resource(max_entries=8, show_spinner="Refitting the study's best model…")
def _study_base(db: str, study_id: int, version: str) -> BaseModel:
    return load_base_study(get_store(), study_id)


@st.cache_resource(max_entries=8, show_spinner=False)
def _file_base(digest: str, name: str, _content: bytes) -> BaseModel:
    return load_base_file(_content, name)


def pick_base() -> BaseModel | None:
    """A study's refit best model (kept in the store) or an uploaded XGBoost file; None until chosen."""
    store = get_store()
    source = st.radio("Base model", [BASE_STUDY, BASE_FILE], key="ft_base_source", horizontal=True)
    try:
        if source == BASE_STUDY:
            studies = [s for s in store.list_studies() if store.best_trial(s.id) is not None]
            if not studies:
                st.info("No study with a complete trial yet: run one on the Search page, or upload a model file.")
                return None
            labels = {s.id: f"#{s.id} {s.name} ({s.config.model})" for s in studies}
            sid = st.selectbox("Study", list(labels), index=len(labels) - 1, format_func=labels.get, key="ft_study")
            best = store.best_trial(sid)
            return _study_base(db_path(), int(sid), f"{best.number if best else ''}")
        up = st.file_uploader(
            "XGBoost model file (booster.save_model('model.json') or '.ubj'; pickles are never loaded)",
            key="ft_base_upload",
        )
        if up is None:
            return None
        content = up.getvalue()
        return _file_base(hashlib.sha256(content).hexdigest(), up.name, content)
    except TuningError as exc:
        show_error(exc)
        return None


@st.cache_data(max_entries=16, show_spinner=False)
def _sample_table(file: str) -> pd.DataFrame:
    return parse_table((SAMPLES / file).read_bytes(), name=file)


def pick_table(label: str, key: str, *, default_file: str) -> PickedTable | None:
    """A sample, a dataset already in the store, or an upload."""
    src = st.radio(label, [SRC_SAMPLE, SRC_STORED, SRC_UPLOAD], key=f"{key}_source", horizontal=True)
    try:
        if src == SRC_SAMPLE:
            catalog = sample_catalog()
            files = [e["file"] for e in catalog]
            names = {e["file"]: e["name"] for e in catalog}
            f = st.selectbox(
                f"{label}: sample",
                files,
                index=files.index(default_file) if default_file in files else 0,
                format_func=names.get,
                key=f"{key}_sample",
            )
            target = next(e["target"] for e in catalog if e["file"] == f)
            return PickedTable(f, _sample_table(f), target)
        if src == SRC_STORED:
            datasets = get_store().list_datasets()
            if not datasets:
                st.info("No dataset in the store yet.")
                return None
            ids = [d["id"] for d in datasets]
            names = {d["id"]: f"{d['name']} ({d['n_rows']} rows)" for d in datasets}
            ds = st.selectbox(f"{label}: stored dataset", ids, format_func=names.get, key=f"{key}_stored")
            name, df = load_dataset(db_path(), ds)
            return PickedTable(name, df, None)
        up = st.file_uploader(f"{label}: a CSV / TSV / Parquet / XLSX file", key=f"{key}_upload")
        if up is None:
            return None
        return PickedTable(up.name, parse_table(up.getvalue(), name=up.name), None)
    except TuningError as exc:
        show_error(exc)
        return None


def describe_base(base: BaseModel) -> None:
    lr = f"learning rate {base.learning_rate:g}" if base.params_known else "learning rate not recorded in the file"
    rounds = f"{base.rounds} rounds, {lr}" if base.is_xgboost else base.family
    st.caption(  # the source is a study or file name and the classes come from a file: text, not markdown
        f"**{esc(base.source)}** · {esc(base.task)} · {len(base.features)} feature columns · {esc(rounds)}"
        + (f" · classes {esc(', '.join(base.classes))}" if base.classes else "")
    )


def parse_rates(text: str) -> tuple[float, ...] | None:
    """'0.01, 0.03 0.1' -> (0.01, 0.03, 0.1); empty -> None (the defaults)."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return None
    try:
        rates = tuple(float(p) for p in parts)
    except ValueError:
        raise ConfigError(f"Learning rates must be numbers, got {text!r}.", fix="Write e.g. 0.01, 0.03, 0.1.") from None
    if len(rates) > 4:
        raise ConfigError("Give at most four learning rates.")
    return rates


def arms_table(result: FinetuneResult) -> pd.DataFrame:
    ratios = ratios_to_retrain(result)
    rows = []
    for a in result.arms:
        r = ratios.get(a.label, {})
        rows.append(
            {
                "arm": a.label,
                f"new {display_metric_name(result.metric)}": display_score(result.metric, a.new_score),
                f"old {display_metric_name(result.metric)}": display_score(result.metric, a.old_score),
                "trees added": a.rounds_added,
                "trees": a.trees,
                "leaves": a.leaves,
                ("fit time (CPU s)" if result.time_kind == "cpu" else "fit time (s)"): round(a.fit_time_s, 3),
                "time / retrain": r.get("fit_time"),
                "note": a.note,
            }
        )
    return pd.DataFrame(rows)


def render_result(result: FinetuneResult, *, key: str, study_id: int | None = None, saving: bool = True) -> None:
    """Verdict, the two charts, the table and (on the Tune page) the downloads."""
    s = result.split
    st.caption(
        f"New data: {s.n_adapt} rows to adapt on, {s.n_early_stop} for early stopping, {s.n_new_holdout} held out "
        f"({s.holdout:.0%}, {'stratified, ' if s.stratified else ''}seed {s.seed})"
        + (f"; old data: {s.n_old_holdout} held out of {s.n_old_train + s.n_old_holdout}." if s.n_old_holdout else ".")
    )
    st.success(esc(result.verdict), icon=":material/balance:")
    for note in result.notes:
        st.caption(f":material/info: {esc(note)}")
    st.plotly_chart(plot_adaptation_curves(result), key=f"{key}_curves")
    st.plotly_chart(plot_arms(result), key=f"{key}_arms")
    st.dataframe(arms_table(result), hide_index=True, key=f"{key}_table")
    with st.expander("What each arm does"):
        for kind in ArmKind:
            st.markdown(f"- **{kind.value}**: {ARM_HELP[kind]}")
    if not saving or not result.models:
        return
    st.subheader("Save an adapted model")
    label = st.selectbox("Arm", list(result.models), key=f"{key}_save_arm")
    safe = "".join(ch if ch.isalnum() else "_" for ch in label).strip("_")
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Model (XGBoost JSON)",
        result.models[label],
        file_name=f"adapted_{safe}.json",
        mime="application/json",
        key=f"{key}_dl_model",
    )
    c2.download_button(
        "Script that repeats it",
        adaptation_script(result, label),
        file_name=f"adapt_{safe}.py",
        mime="text/x-python",
        key=f"{key}_dl_script",
    )
    if c3.button("Keep it in the store", key=f"{key}_keep"):
        try:
            aid = save_adapted(get_store(), result, label, study_id=study_id)
            st.toast(f"Kept as artifact {aid}.")
        except TuningError as exc:
            show_error(exc)
    if label == result.base_margin_label:
        st.caption("The stack arm's trees predict on top of the base model: pass its margin as base_margin.")
