"""Where a search's trials run: this process, local processes, or a Dask cluster (with a connect check)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tuning.errors import TuningError
from tuning.executors import (
    ALLOWED_SCHEDULERS_ENV,
    DASK_INSTALL,
    ClusterInfo,
    allowed_schedulers,
    check_cluster,
    dask_available,
)
from ui.text import esc

PLACES = {"threads": "this process", "processes": "local processes", "dask": "Dask cluster"}
LOCAL = "a local Dask cluster"


@st.cache_data(ttl=30, show_spinner="Connecting to the Dask scheduler…")
def _check(address: str, probe_gpu: bool) -> tuple[ClusterInfo | None, str | None]:
    """The connect check, cached briefly so that reruns of the page do not reconnect."""
    try:
        if address not in allowed_schedulers():  # the allow-list is checked where the connection is made
            return None, f"{address} is not on this app's list of Dask schedulers."
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
    allowed = allowed_schedulers()
    if not allowed:
        st.caption(
            f"A local Dask cluster of {workers} single-threaded worker processes starts with the search. Remote "
            f"clusters are offered only when the operator lists them at start ({ALLOWED_SCHEDULERS_ENV}=tcp://HOST:8786)."
        )
        return {"executor": "dask", "scheduler": None}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    address = c1.selectbox(
        "Dask scheduler",
        [LOCAL, *allowed],
        key="search_scheduler",
        help="The schedulers this app's operator allows. Workers: dask worker tcp://HOST:8786 --nworkers N --nthreads 1",
    )
    if address == LOCAL:
        st.caption(f"A local Dask cluster of {workers} single-threaded worker processes starts with the search.")
        return {"executor": "dask", "scheduler": None}
    st.caption(
        "Connecting to a Dask scheduler trusts it with running code in this app (Dask clients unpickle what the "
        "scheduler sends): use only clusters you run."
    )
    checked = st.session_state.setdefault("search_cluster_checked", {})
    if c2.button("Connect", key="search_check_cluster", icon=":material/hub:"):  # never on a keystroke
        _check.clear()
        checked[address] = _check(address, device == "cuda")
    if address not in checked:
        st.info("Press Connect to check the cluster and list its workers.", icon=":material/hub:")
        return {"executor": "dask", "scheduler": address}
    info, error = checked[address]
    if error:
        st.error(esc(error), icon=":material/cloud_off:")
        return {"executor": "dask", "scheduler": address}
    assert info is not None
    dash = f" · [dashboard]({info.dashboard})" if info.dashboard else ""
    st.success(f"Connected to {esc(info.address)}: {esc(info.summary())}{dash}", icon=":material/hub:")
    if info.workers:
        st.dataframe(workers_table(info), hide_index=True, key="search_cluster_workers")
        if info.threads and workers < info.threads:
            st.caption(f"The cluster has {info.threads} threads: set Parallel trials to {info.threads} to fill it.")
    else:
        st.warning(f"No workers yet: start some with `dask worker {esc(info.address)} --nworkers N --nthreads 1`.")
    return {"executor": "dask", "scheduler": info.address}
