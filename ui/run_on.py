"""Where a search's trials run: this process, local processes, or a Dask cluster (with a connect check)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tuning.errors import TuningError
from tuning.executors import DASK_INSTALL, ClusterInfo, check_cluster, dask_available

PLACES = {"threads": "this process", "processes": "local processes", "dask": "Dask cluster"}
LOCAL = "(empty: a local Dask cluster)"


@st.cache_data(ttl=30, show_spinner="Connecting to the Dask scheduler…")
def _check(address: str, probe_gpu: bool) -> tuple[ClusterInfo | None, str | None]:
    """The connect check, cached briefly so that reruns of the page do not reconnect."""
    try:
        return check_cluster(address, timeout=3.0, probe_gpu=probe_gpu), None
    except TuningError as exc:
        return None, str(exc)


def workers_table(info: ClusterInfo) -> pd.DataFrame:
    named = any(w.name != w.address for w in info.workers)
    rows = [
        {
            "worker": w.address,
            **({"name": w.name} if named else {}),
            "threads": w.threads,
            "memory (GiB)": round(w.memory_bytes / 2**30, 1),
            "GPUs": w.gpus,
            **({"GPU probe": w.gpu_status} if w.gpu_status is not None else {}),
        }
        for w in info.workers
    ]
    return pd.DataFrame(rows)


def run_on_inputs(*, device: str, workers: int) -> dict[str, Any]:
    """The executor and scheduler fields of the study's config; shows the cluster's workers or a plain error."""
    place = st.radio(
        "Run on",
        list(PLACES),
        horizontal=True,
        key="search_run_on",
        format_func=PLACES.get,
        help="Threads share this process (XGBoost releases the GIL); processes and Dask workers each get the "
        "data once and can be stopped mid-trial.",
    )
    if place == "threads":
        return {"executor": "threads", "scheduler": None}
    if place == "processes":
        st.caption(f"{workers} worker process{'es' if workers != 1 else ''} on this machine (Parallel trials).")
        return {"executor": "processes", "scheduler": None}
    if not dask_available():
        st.error(
            f"Running trials on Dask needs the 'distributed' package. Install it with: `{DASK_INSTALL}`",
            icon=":material/error:",
        )
        return {"executor": "dask", "scheduler": None}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    address = c1.text_input(
        "Dask scheduler address",
        value="",
        placeholder=f"tcp://HOST:8786 {LOCAL}",
        key="search_scheduler",
        help="What `dask scheduler` prints. Workers: dask worker tcp://HOST:8786 --nworkers N --nthreads 1",
    ).strip()
    if not address:
        st.caption(f"A local Dask cluster of {workers} single-threaded worker processes starts with the search.")
        return {"executor": "dask", "scheduler": None}
    if c2.button("Check again", key="search_check_cluster", icon=":material/refresh:"):
        _check.clear()
    info, error = _check(address, device == "cuda")
    if error:
        st.error(error, icon=":material/cloud_off:")
        return {"executor": "dask", "scheduler": address}
    assert info is not None
    dash = f" · [dashboard]({info.dashboard})" if info.dashboard else ""
    st.success(f"Connected to {info.address}: {info.summary()}{dash}", icon=":material/hub:")
    if info.workers:
        st.dataframe(workers_table(info), hide_index=True, key="search_cluster_workers")
        if info.threads and workers < info.threads:
            st.caption(f"The cluster has {info.threads} threads: set Parallel trials to {info.threads} to fill it.")
    else:
        st.warning(f"No workers yet: start some with `dask worker {info.address} --nworkers N --nthreads 1`.")
    return {"executor": "dask", "scheduler": info.address}
