"""Connecting to a Dask scheduler, checked and bounded, and the preflight of a study on a cluster.

Connecting to a scheduler trusts it with code (a Dask client unpickles what it sends): the web app connects only
to the operator's allow-list and only on a click; every connection is bounded in time (a TCP probe first).
Before the first trial every worker is asked to import ``tuning`` and, for ``cuda``, whether it has a GPU.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tuning.backend import EXECUTORS
from tuning.errors import ConfigError

log = logging.getLogger(__name__)

DASK_INSTALL = "pip install 'dask[distributed]'"
CONNECT_TIMEOUT_S = 5.0
_ADDRESS = re.compile(r"^(?:(tcp|tls|ucx|ws|wss|inproc)://)?(\[[0-9a-fA-F:]+\]|[^:/\s]+):(\d{1,5})$")


def _import_distributed() -> Any:
    """``distributed``, or a plain error naming the package to install."""
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(
            "Running trials on Dask needs the 'distributed' package (with dask), which is not installed.",
            fix=f"Install it with: {DASK_INSTALL}",
        ) from exc
    return distributed


def dask_available() -> bool:
    try:
        _import_distributed()
    except ConfigError:
        return False
    return True


def check_address(address: str) -> str:
    """The scheduler address, normalised to ``tcp://HOST:PORT``; a plain error when it is not one."""
    a = (address or "").strip().rstrip("/")
    m = _ADDRESS.match(a)
    if a.startswith(("http://", "https://")):
        raise ConfigError(
            f"{a!r} is a web address (the Dask dashboard?), not the scheduler's.",
            fix="Use the address `dask scheduler` prints, e.g. tcp://HOST:8786.",
        )
    if not m or not 0 < int(m.group(3)) < 65536:
        raise ConfigError(f"{a!r} is not a Dask scheduler address.", fix="Use tcp://HOST:8786 (HOST: a name or an IP).")
    return a if m.group(1) else f"tcp://{a}"


#: Remote schedulers the web app may connect to (comma-separated addresses), set by the operator at start.
ALLOWED_SCHEDULERS_ENV = "TUNING_DASK_SCHEDULERS"


def allowed_schedulers() -> tuple[str, ...]:
    """The operator's allow-list of Dask schedulers (``TUNING_DASK_SCHEDULERS``); empty: local clusters only.

    A Dask client unpickles what its scheduler sends, so connecting to one trusts it with code execution in
    this process: the web app connects only to addresses an operator listed."""
    raw = os.environ.get(ALLOWED_SCHEDULERS_ENV, "")
    out = []
    for part in raw.split(","):
        if part.strip():
            try:
                out.append(check_address(part))
            except ConfigError:
                log.warning("ignoring %r in %s: not a scheduler address", part, ALLOWED_SCHEDULERS_ENV)
    return tuple(dict.fromkeys(out))


def _tcp_probe(address: str, *, timeout: float) -> None:
    """A plain TCP connect first: a closed port or a silent host fails fast, before any Dask handshake."""
    m = _ADDRESS.match(address)
    assert m is not None
    host, port = m.group(2).strip("[]"), int(m.group(3))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"Cannot reach a Dask scheduler at {address} ({exc.strerror or type(exc).__name__}).",
            fix="Check the address, and that `dask scheduler` runs there and its port is open to this machine.",
        ) from None


def _connect(address: str, *, timeout: float) -> Any:
    """A client of the scheduler at ``address``, or a plain error within ``timeout`` seconds, whatever answers
    there (a closed port, a web server, a peer that never replies): the client is built in a daemon thread and
    abandoned past the deadline, because ``Client(timeout=...)`` does not bound every handshake."""
    distributed = _import_distributed()
    address = check_address(address)
    if not address.startswith("inproc://"):
        _tcp_probe(address, timeout=timeout)
    box: dict[str, Any] = {}

    def build() -> None:
        try:
            box["client"] = distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    t = threading.Thread(target=build, name="dask-connect", daemon=True)
    t.start()
    t.join(timeout + 1.0)
    if t.is_alive() or ("client" not in box and "error" not in box):
        raise ConfigError(
            f"No Dask scheduler answered at {address} within {timeout:g} s (is it a Dask scheduler's port?).",
            fix="Use the address `dask scheduler` prints, e.g. tcp://HOST:8786.",
        )
    exc = box.get("error")
    if isinstance(exc, (OSError, TimeoutError)):
        raise ConfigError(
            f"Cannot reach a Dask scheduler at {address} (no answer within {timeout:g} s).",
            fix="Check the address, and that `dask scheduler` runs there and its port is open to this machine.",
        ) from exc
    if isinstance(exc, ValueError):
        raise ConfigError(f"Cannot connect to {address}: {exc}", fix="Use tcp://HOST:8786.") from exc
    if exc is not None:
        raise ConfigError(f"Cannot connect to {address}: {type(exc).__name__}: {exc}"[:500]) from exc
    return box["client"]


@dataclass(frozen=True)
class WorkerInfo:
    address: str
    name: str
    host: str
    threads: int
    memory_bytes: int
    gpus: float  # the worker's "GPU" resource (dask worker --resources "GPU=1")
    gpu_status: str | None = None  # the GPU probe's answer on that worker, when asked


@dataclass(frozen=True)
class ClusterInfo:
    """What a connect check found: the scheduler, its dashboard and its workers."""

    address: str
    dashboard: str | None
    workers: tuple[WorkerInfo, ...]

    @property
    def threads(self) -> int:
        return sum(w.threads for w in self.workers)

    @property
    def memory_bytes(self) -> int:
        return sum(w.memory_bytes for w in self.workers)

    @property
    def gpus(self) -> float:
        return sum(w.gpus for w in self.workers)

    def summary(self) -> str:
        n = len(self.workers)
        gib = self.memory_bytes / 2**30
        gpus = f", {self.gpus:g} GPU{'s' if self.gpus != 1 else ''}" if self.gpus else ""
        t = self.threads
        return f"{n} worker{'s' if n != 1 else ''}, {t} thread{'s' if t != 1 else ''}, {gib:.1f} GiB{gpus}"


#: What a Dask worker must import to run this project's trials (``tuning`` brings its requirements along).
TRIAL_MODULES = ("tuning.evaluate",)
#: How long the workers have to answer the environment check (a cold worker imports scikit-learn then).
PROBE_TIMEOUT_S = 30.0
WORKER_FIX = (
    "Start each worker from a checkout of this project, with the checkout on PYTHONPATH "
    "(cd CHECKOUT && PYTHONPATH=$PWD dask worker tcp://HOST:8786 ...), "
    "and this project's requirements installed there (pip install -r requirements.txt)."
)


def _import_probe(modules: tuple[str, ...]) -> Callable[[], str | None]:
    """A check for a worker: None when it can import ``modules``, else what it cannot import and why.

    Made inside a function so that it travels by value (its code, not a reference to this module): it
    must run on a worker that cannot import this project, to say so."""

    def probe() -> str | None:
        import importlib

        for name in modules:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                top = name.partition(".")[0]
                if exc.name in (None, top) or str(exc.name).startswith(top + "."):
                    return f"cannot import {top}"
                return f"cannot import {name}: the package {exc.name!r} is not installed there"
            except Exception as exc:  # a broken install: an ImportError, a syntax error of another version...
                return f"cannot import {name}: {type(exc).__name__}: {exc}"[:300]
        return None

    return probe


def _dashboard_probe() -> Callable[[], bool]:
    """A check for the scheduler: is its dashboard served (bokeh loaded there)? By value, as ``_import_probe``:
    a scheduler started plainly cannot import this project."""

    def probe() -> bool:
        import sys

        return "bokeh" in sys.modules

    return probe


def _within(timeout: float, call: Callable[[], Any], *, late: str) -> Any:
    """``call()``'s value, or a ConfigError (``late``) past ``timeout`` seconds (the call is left in a daemon thread)."""
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    t = threading.Thread(target=go, name="dask-check", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise ConfigError(late, fix="Check that the workers run, or restart them.")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _require_environment(
    client: Any, address: str, workers: list[str], modules: tuple[str, ...], *, timeout: float
) -> None:
    """A plain error, before any trial is sent, when a worker cannot import what the trials need."""
    where = "the local cluster" if address == "local" else address
    try:
        answers: dict[str, Any] = _within(
            timeout,
            lambda: client.run(_import_probe(modules), on_error="return"),
            late=f"The workers of the Dask cluster at {where} did not answer a check within {timeout:g} s.",
        )
    except ConfigError:
        raise
    except Exception as exc:
        message = f"Cannot check the workers of the Dask cluster at {where}: {type(exc).__name__}: {exc}"
        raise ConfigError(message[:500]) from exc
    bad = {}
    for addr in workers:
        answer = answers.get(addr)
        if isinstance(answer, BaseException):  # e.g. the probe's code did not load there: another Python
            bad[addr] = f"the check failed there ({type(answer).__name__}: {answer})"[:300]
        elif answer:
            bad[addr] = str(answer)
    if not bad:
        return
    (first, why), n = next(iter(bad.items())), len(bad)
    if n == 1 and len(workers) == 1:
        message = f"The Dask worker {first} (of the cluster at {where}) {why}."
    else:
        listed = "; ".join(f"{a}: {w}" for a, w in list(bad.items())[:3]) + ("; ..." if n > 3 else "")
        message = f"{n} of the {len(workers)} workers of the Dask cluster at {where} cannot run trials: {listed}."
    raise ConfigError(message, fix=WORKER_FIX)


def _cluster_info(
    client: Any,
    address: str,
    *,
    probe_gpu: bool = False,
    modules: tuple[str, ...] = TRIAL_MODULES,
    probe_timeout: float = PROBE_TIMEOUT_S,
) -> ClusterInfo:
    """The cluster's workers, once each has shown that it can import ``modules`` (else a plain error)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:  # older distributed lists every worker without the argument
        info = client.scheduler_info()
    if info["workers"]:
        _require_environment(client, address, sorted(info["workers"]), modules, timeout=probe_timeout)
    probes: dict[str, tuple[bool, str]] = client.run(_gpu_probe) if probe_gpu and info["workers"] else {}
    workers = tuple(
        WorkerInfo(
            address=addr,
            name=str(w.get("name", addr)),
            host=str(w.get("host", "")),
            threads=int(w.get("nthreads", 0)),
            memory_bytes=int(w.get("memory_limit", 0) or 0),
            gpus=float((w.get("resources") or {}).get("GPU", 0)),
            gpu_status=(probes[addr][1] if addr in probes else None),
        )
        for addr, w in sorted(info["workers"].items())
    )
    dashboard = None
    try:  # the scheduler lists a dashboard port even when it serves none (no bokeh, --no-dashboard)
        if client.run_on_scheduler(_dashboard_probe()):
            dashboard = client.dashboard_link
    except Exception:
        log.debug("no dashboard link", exc_info=True)
    return ClusterInfo(address=address, dashboard=dashboard, workers=workers)


def check_cluster(address: str, *, timeout: float = CONNECT_TIMEOUT_S, probe_gpu: bool = False) -> ClusterInfo:
    """Connect to the scheduler at ``address`` and list its workers (threads, memory, GPUs); plain errors,
    among them a worker that cannot import this project (the check runs on every worker)."""
    client = _connect(address, timeout=timeout)
    try:
        return _cluster_info(client, check_address(address), probe_gpu=probe_gpu)
    finally:
        client.close()


def require_workers(info: ClusterInfo, *, device: str = "cpu") -> None:
    """Plain errors when a cluster cannot run the study: no workers, or no usable GPU for ``--device cuda``."""
    where = "the local cluster" if info.address == "local" else info.address
    if not info.workers:
        raise ConfigError(
            f"The Dask cluster at {where} has no workers.",
            fix=f"Start some: dask worker {info.address if info.address != 'local' else 'tcp://HOST:8786'} --nworkers N --nthreads 1",
        )
    if device != "cuda":
        return
    gpu = [w for w in info.workers if w.gpus > 0]
    if not gpu:
        raise ConfigError(
            f"No worker of the Dask cluster at {where} offers a GPU.",
            fix='Start GPU workers with --resources "GPU=1", or use --device cpu.',
        )
    usable = [w for w in gpu if w.gpu_status is None or w.gpu_status.startswith("CUDA device")]
    if not usable:
        raise ConfigError(f"The GPU workers cannot use their GPU: {gpu[0].gpu_status}", fix="Use --device cpu.")


def preflight(executor: str, *, scheduler: str | None = None, device: str = "cpu") -> ClusterInfo | None:
    """Check, before a study starts, that its executor can run it: dask installed, the scheduler
    reachable with workers (and GPUs for cuda). Returns what a connect check found, if anything."""
    if executor not in EXECUTORS:
        raise ConfigError(f"Unknown executor {executor!r}.", fix=f"Choose one of {', '.join(EXECUTORS)}.")
    if scheduler and executor != "dask":
        raise ConfigError(
            "A scheduler address is for trials on a Dask cluster.", fix="Add --executor dask, or drop --scheduler."
        )
    if executor != "dask":
        return None
    _import_distributed()
    if not scheduler:
        return None
    info = check_cluster(scheduler, probe_gpu=device == "cuda")
    require_workers(info, device=device)
    return info


def dask_setup(worker: Any) -> None:
    """Preload of a local cluster's workers: ignore Ctrl-C, which the terminal sends to every process of
    the group; the study turns it into a stop that ends the trials cleanly instead of killing workers."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _gpu_probe() -> tuple[bool, str]:
    """Runs on a worker: can XGBoost use a GPU there?"""
    from tuning.device import cuda_status

    return cuda_status()
