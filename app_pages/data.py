"""Data: upload a table or pick a sample, choose the target and task, read the profile."""

from __future__ import annotations

import streamlit as st

from tuning.data import parse_table
from tuning.profile import MIN_ROWS, TASKS, guess_target, infer_task
from ui.data_view import render_profile, render_suspects
from ui.manage import delete_dataset_box, flash
from ui.state import (
    SAMPLES,
    dataset_profile,
    db_path,
    get_store,
    load_dataset,
    sample_catalog,
    selection,
    set_selection,
    show_error,
)
from ui.text import esc, local_time
from ui.upload import parse_upload

st.title("Data")
st.caption("Bring a table (CSV, TSV, Parquet or Excel) or start from a bundled sample; choose what to predict.")
sel = selection()
store = get_store()
flash()
catalog = sample_catalog()

SOURCES = ["Bundled sample", "Upload a file", "Stored dataset"]
# With a dataset already chosen (a reload, a page switch), open on the stored copy rather than offering to
# replace it with a sample.
source = st.radio("Source", SOURCES, index=2 if sel["dataset"] else 0, horizontal=True, key="data_source")
chosen_target = None
if source == "Upload a file":
    up = st.file_uploader(
        "Table file",
        type=["csv", "tsv", "txt", "parquet", "pq", "xlsx"],
        key="data_upload",
        help="Delimiter and encoding (UTF-8, UTF-8 with BOM, Latin-1) are detected.",
    )
    if up is not None:
        content = up.getvalue()
        try:
            df = parse_upload(content, up.name)
            ds = store.add_dataset(up.name, content, n_rows=len(df), n_cols=df.shape[1])
            if sel["dataset"] != ds:
                set_selection(dataset=ds, target=guess_target(df), task=None, study=None)
                sel = selection()
        except Exception as exc:
            # Stop here: the previous dataset's profile and "Ready" box under this error would read as success.
            show_error(exc)
            st.stop()
elif source == "Bundled sample":
    names = [e["name"] for e in catalog]
    pick = st.selectbox(
        "Sample",
        names,
        key="data_sample",
        format_func=lambda n: f"{n} — {next(e['description'] for e in catalog if e['name'] == n)}",
    )
    entry = next(e for e in catalog if e["name"] == pick)
    if st.button("Use this sample", key="data_use_sample", type="primary") or sel["dataset"] is None:
        content = (SAMPLES / entry["file"]).read_bytes()
        df = parse_table(content, name=entry["file"])
        ds = store.add_dataset(entry["file"], content, n_rows=len(df), n_cols=df.shape[1])
        set_selection(dataset=ds, target=entry["target"], task=entry["task"], study=None)
        sel = selection()
else:
    stored = store.list_datasets()
    if not stored:
        st.info("No stored dataset yet: upload one or use a sample.")
    else:
        ids = [d["id"] for d in stored]
        rows = {d["id"]: f"{d['n_rows']:,} rows, " if d["n_rows"] else "" for d in stored}
        labels = {d["id"]: f"{d['name']} ({rows[d['id']]}added {local_time(d['created'])})" for d in stored}
        idx = ids.index(sel["dataset"]) if sel["dataset"] in ids else len(ids) - 1
        pick_id = st.selectbox("Dataset", ids, index=idx, format_func=labels.get, key="data_stored")
        if pick_id != sel["dataset"]:
            _, df_pick = load_dataset(db_path(), pick_id)
            set_selection(dataset=pick_id, target=guess_target(df_pick), task=None, study=None)
            sel = selection()
        delete_dataset_box(pick_id, labels[pick_id])

if sel["dataset"] is None:
    st.stop()

try:
    name, df = load_dataset(db_path(), sel["dataset"])
except Exception as exc:
    show_error(exc)
    st.stop()

st.subheader(esc(name))
with st.expander("Preview (first 100 rows)", expanded=False):
    st.dataframe(df.head(100), key="data_preview")

cols = [str(c) for c in df.columns]
target = sel["target"] if sel["target"] in cols else guess_target(df)
c1, c2 = st.columns(2)
# Widget keys name the dataset (and the target): a widget's remembered value must never carry over to a
# different table, where it would override the sample's own task or the upload's "auto".
target = c1.selectbox(
    "Target column (what to predict)", cols, index=cols.index(target), key=f"data_target_{sel['dataset']}"
)
if target != sel["target"]:
    set_selection(target=target, task=None, study=None)  # a new target starts from "auto"
    sel = selection()
guessed = infer_task(df[target])
task_options = ["auto", *TASKS]
task_now = sel["task"] if sel["task"] in TASKS else "auto"
task_pick = c2.radio(
    "Task",
    task_options,
    index=task_options.index(task_now),
    horizontal=True,
    key=f"data_task_{sel['dataset']}_{target}",
    format_func=lambda t: f"auto ({guessed})" if t == "auto" else t,
)
task = None if task_pick == "auto" else task_pick
if task != sel["task"]:
    set_selection(task=task, study=None)

try:
    profile = dataset_profile(db_path(), sel["dataset"], target, task)
except Exception as exc:
    show_error(exc)
    st.stop()

render_profile(profile, df)
render_suspects(store, profile, df, dataset_id=sel["dataset"], name=name, target=target, task=task)
n_labelled = int(df[target].notna().sum())
if n_labelled < MIN_ROWS:
    st.warning(
        f"Only {n_labelled} rows have a target: a search would mostly measure noise (each CV fold scores a "
        f"handful of rows). Bring at least {MIN_ROWS} rows, or use this table only to try the workbench.",
        icon=":material/warning:",
    )
else:
    st.success(
        f"Ready: predict **{esc(target)}** ({profile.task}) from {len(profile.features)} features. "
        "Next, configure a search.",
        icon=":material/check_circle:",
    )
st.page_link("app_pages/search.py", label="Go to Search", icon=":material/arrow_forward:")
