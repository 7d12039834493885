"""Where trials run: threads in this process, local processes, or a Dask cluster; ``make_backend`` picks one.

The backends live in ``tuning.backend`` (the interface, threads, any executor), ``tuning.process_backend``
and ``tuning.dask`` (the one package that imports ``distributed``); their public names are here too.
"""

from __future__ import annotations

from tuning.backend import EXECUTORS, Backend, ExecutorBackend, StopFlag, ThreadBackend, TrialFn, WorkerLost
from tuning.dask.backend import DaskBackend, _PolledFlag
from tuning.dask.cluster import (
    ALLOWED_SCHEDULERS_ENV,
    CONNECT_TIMEOUT_S,
    DASK_INSTALL,
    ClusterInfo,
    WorkerInfo,
    allowed_schedulers,
    check_address,
    check_cluster,
    dask_available,
    dask_setup,
    preflight,
    require_workers,
)
from tuning.errors import ConfigError
from tuning.process_backend import ProcessBackend


def make_backend(
    kind: str,
    *,
    workers: int,
    scheduler: str | None = None,
    study_id: int | None = None,
    device: str | None = None,
) -> Backend:
    """The backend a study's config names (``executor``: threads | processes | dask)."""
    if kind == "threads":
        return ThreadBackend(workers=workers, thread_name_prefix=f"study-{study_id}-worker")
    if kind == "processes":
        return ProcessBackend(workers=workers)
    if kind == "dask":
        return DaskBackend(workers=workers, scheduler=scheduler, study_id=study_id, device=device)
    raise ConfigError(f"Unknown executor {kind!r}.", fix=f"Choose one of {', '.join(EXECUTORS)}.")


__all__ = [
    "ALLOWED_SCHEDULERS_ENV",
    "CONNECT_TIMEOUT_S",
    "DASK_INSTALL",
    "EXECUTORS",
    "Backend",
    "ClusterInfo",
    "DaskBackend",
    "ExecutorBackend",
    "ProcessBackend",
    "StopFlag",
    "ThreadBackend",
    "TrialFn",
    "WorkerInfo",
    "WorkerLost",
    "_PolledFlag",
    "allowed_schedulers",
    "check_address",
    "check_cluster",
    "dask_available",
    "dask_setup",
    "make_backend",
    "preflight",
    "require_workers",
]
