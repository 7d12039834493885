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
    Stopped,
    adaptation_script,
    latest_result,
    load_base_file,
    load_base_study,
    ratios_to_retrain,
    save_adapted,
)
from tuning.store import StudyState
from ui.finetune_runs import FinetuneRuns
from ui.state import SAMPLES, db_path, get_store, load_dataset, sample_catalog, show_error
from ui.text import esc, local_time
from ui.upload import parse_upload

BASE_STUDY, BASE_FILE = "A study's best model", "An XGBoost model file (.json / .ubj)"
BASE_EXAMPLE = "The worked example"
EXAMPLE_SOURCE = "the worked example (XGBoost trained on drift_before.csv)"
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


@st.cache_resource(show_spinner="Training the worked example's base model…")
def _example_base() -> BaseModel:
    from dataclasses import replace

    from tuning.lessons.finetune import drift_base, drift_data

    return replace(drift_base(drift_data()[0]), source=EXAMPLE_SOURCE)


def pick_base() -> BaseModel | None:
    """A finished study's refit best model (kept in the store), an uploaded XGBoost file or the worked example
    (a model of the bundled drift pair, the default while no study has finished); None until chosen."""
    store = get_store()
    studies = [
        s for s in store.list_studies() if s.state is not StudyState.RUNNING and store.best_trial(s.id) is not None
    ]
    options = [BASE_STUDY, BASE_FILE, BASE_EXAMPLE]
    first = 0 if studies else 2
    source = st.radio("Base model", options, index=first, key="ft_base_source", horizontal=True)
    try:
        if source == BASE_EXAMPLE:
            return _example_base()
        if source == BASE_STUDY:
            if not studies:
                st.info(
                    "No finished study with a complete trial yet: run one on the Search page, upload a model "
                    "file, or try the worked example."
                )
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


def _fits(columns: list[str], base: BaseModel) -> bool:
    return set(base.features) <= set(columns)


def _default_table(base: BaseModel, role: str) -> tuple[str, str | None]:
    """(source, sample file or dataset id) a table picker opens on: a table that can match the base model.

    Old data: the study's own dataset. New data: another stored dataset with the model's columns (the newest),
    else a sample with them (drift_after for the drift pair), else nothing (an upload, with a prompt)."""
    store = get_store()
    own = store.get_study(base.study_id).dataset_id if base.study_id is not None else None
    if role == "old" and own is not None:
        return SRC_STORED, own
    for d in list(reversed(store.list_datasets()))[:5]:  # the newest few: each is parsed to read its columns
        if d["id"] != own and _fits(list(load_dataset(db_path(), d["id"])[1].columns), base):
            return SRC_STORED, d["id"]
    files = [e["file"] for e in sample_catalog()]
    preferred = "drift_before.csv" if role == "old" else "drift_after.csv"
    for f in sorted(files, key=lambda f: f != preferred):
        if _fits(list(_sample_table(f).columns), base):
            return SRC_SAMPLE, f
    return SRC_UPLOAD, None


@st.cache_data(max_entries=16, show_spinner=False)
def _sample_table(file: str) -> pd.DataFrame:
    return parse_table((SAMPLES / file).read_bytes(), name=file)


def pick_table(label: str, key: str, *, base: BaseModel, role: str) -> PickedTable | None:
    """A sample, a dataset already in the store, or an upload; it opens on a table that fits the base model."""
    sources = [SRC_SAMPLE, SRC_STORED, SRC_UPLOAD]
    src_default, pick = _default_table(base, role)
    default_file = pick if src_default == SRC_SAMPLE else ""
    src = st.radio(label, sources, index=sources.index(src_default), key=f"{key}_source", horizontal=True)
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
            first = ids.index(pick) if src_default == SRC_STORED and pick in ids else len(ids) - 1
            ds = st.selectbox(f"{label}: stored dataset", ids, index=first, format_func=names.get, key=f"{key}_stored")
            name, df = load_dataset(db_path(), ds)
            return PickedTable(name, df, None)
        up = st.file_uploader(f"{label}: a CSV / TSV / Parquet / XLSX file", key=f"{key}_upload")
        if up is None:
            if src_default == SRC_UPLOAD:
                st.caption(
                    f"No stored table or sample has the model's {len(base.features)} feature columns: upload one."
                )
            return None
        return PickedTable(up.name, parse_upload(up.getvalue(), up.name), None)  # parsed once per content
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


def base_key(base: BaseModel) -> str:
    """Which base model a run and a kept result belong to: a study's kept model, or a file by its content."""
    if base.study_id is not None:
        return f"study {base.study_id} artifact {base.artifact_id}"
    return f"file {hashlib.sha256(base.booster_json or b'').hexdigest()[:16]}"


def show_run(runs: FinetuneRuns, key: str, base: BaseModel) -> None:
    """This base model's fine-tune: live progress with Stop while it runs, then its result (models included);
    with no run in this process, the newest comparison kept in the store (a reload, a restart)."""
    run = runs.get(key)
    if run is not None and run.running:

        @st.fragment(run_every=1.0)
        def live() -> None:
            if not run.running:
                st.rerun(scope="app")
            st.progress(run.fraction, text=esc(run.status()))
            if st.button("Stop", key="ft_stop", icon=":material/stop_circle:", disabled=run.stop.is_set()):
                run.stop.set()

        live()
        return
    if run is not None and run.error is not None:
        if isinstance(run.error, Stopped):
            st.info(esc(run.error.for_app()), icon=":material/stop_circle:")
        else:
            show_error(run.error)
        return
    if run is not None and run.result is not None:
        render_result(run.result, key="ft", study_id=base.study_id)
        return
    kept = latest_result(get_store(), key)
    if kept is not None:
        row, result = kept
        about = row["meta"].get("about") or ""
        st.caption(
            f"The last comparison for this base model, from {local_time(row['created'])}"
            + (f" ({esc(about)})" if about else "")
            + ". Its adapted models were not kept: run the arms again to download or keep one."
        )
        render_result(result, key="ft", study_id=base.study_id, saving=False)


def kept_models() -> None:
    """Adapted models kept in the store (by this page's "Keep"), with a download and a delete each."""
    store = get_store()
    kept = store.list_artifacts(kind="adapted_model")
    with st.expander(f"Kept adapted models ({len(kept)})", icon=":material/inventory_2:"):
        if not kept:
            st.caption("None yet: run the arms and press **Keep it in the store** under the result.")
            return
        for a in kept:
            meta = a["meta"]
            c1, c2, c3 = st.columns([5, 2, 2])
            c1.markdown(
                f"**#{a['id']}** {esc(meta.get('arm', a['name']))} of {esc(meta.get('adapted_from', '?'))} · "
                f"{a['size'] / 1e6:.2f} MB · {local_time(a['created'])}"
            )
            if c2.button("Download", key=f"ft_kept_get_{a['id']}"):
                _, content = store.load_artifact(a["id"])
                st.session_state["ft_kept_dl"] = (a["id"], content)
            with c3.popover("Delete", icon=":material/delete:"):  # a shared store: never one click
                sure = st.checkbox("Yes, delete it for good", key=f"ft_kept_sure_{a['id']}")
                if st.button("Delete", key=f"ft_kept_del_{a['id']}", type="primary", disabled=not sure):
                    store.delete_artifact(a["id"])
                    st.session_state.pop("ft_kept_dl", None)
                    st.rerun()
        got = st.session_state.get("ft_kept_dl")
        if got is not None:
            st.download_button(
                f"Save kept model #{got[0]}", got[1], f"adapted_{got[0]}.json", "application/json", key="ft_kept_dl_btn"
            )
