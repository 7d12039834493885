"""Fixtures for the browser end-to-end tests: a real ``streamlit run app.py`` server and system Chromium.

The server runs from the repository root on a free port with ``TUNING_DB`` pointing at a temporary file, so
the tests never touch ``tuning.db``. Chromium is Debian's (``/usr/bin/chromium``): Playwright cannot download
its own browsers here, so a missing browser is a test failure with instructions, not a skip.

The tests of a module share one browser page. The tests of a class run as ordered steps of one walk through
the app: when a step fails, the later steps of that class are reported as xfail ("an earlier step failed")
instead of failing in confusing ways.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
HEALTH_TIMEOUT_S = 60.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
CLOSED_SCHEDULER = "tcp://127.0.0.1:9"  # the discard port: nothing listens on it


# -- ordered steps ----------------------------------------------------------------------------------------
# The tests of a class (a walk through the app) are steps: after one fails, the later ones are xfailed.


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    if call.excinfo is not None and call.when in ("setup", "call") and item.get_closest_marker("browser"):
        if not call.excinfo.errisinstance(pytest.xfail.Exception):
            item._e2e_failed = True  # type: ignore[attr-defined]
            if item.cls is not None:
                item.cls._e2e_failed_step = item.name


def pytest_runtest_setup(item: pytest.Item) -> None:
    failed = getattr(item.cls, "_e2e_failed_step", None) if item.cls is not None else None
    if failed is not None and item.get_closest_marker("browser"):
        pytest.xfail(f"an earlier step failed: {failed}")


# -- the streamlit server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200 and r.read().decode().strip() == "ok"
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


@contextlib.contextmanager
def serve(db: Path, tmp: Path) -> Iterator[str]:
    """Run ``streamlit run app.py`` over the store ``db`` on a free port (log in ``tmp``); yield its base URL;
    kill its process group at the end and show the server log when it held a traceback."""
    port = _free_port()
    # The operator's Dask allow-list names a closed loopback port: the Run-on box offers it, never connects
    # on its own, and a Connect click gets a plain "cannot reach" (test_browser.py, test_08).
    env = dict(os.environ, TUNING_DB=str(db), PYTHONUNBUFFERED="1", TUNING_DASK_SCHEDULERS=CLOSED_SCHEDULER)
    log_path = tmp / "streamlit.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not _healthy(f"{base}/_stcore/health"):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {base}/_stcore/health within {HEALTH_TIMEOUT_S:.0f} s:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.25)
        yield base
    finally:
        _stop(proc)
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if "Traceback" in text or "MediaFileStorageError" in text:
            sys.stderr.write(f"\n--- streamlit server log ---\n{text[-6000:]}\n")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh server over an empty store, for one test module."""
    tmp = tmp_path_factory.mktemp("e2e")
    with serve(tmp / "e2e.db", tmp) as base:
        yield base


# -- the browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail(
            "Chromium is not installed (no `chromium` on PATH). The browser tests drive Debian's Chromium "
            "because Playwright cannot download its own browsers here: `apt-get install -y chromium`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page(browser, app_url):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # Streamlit reruns on a loaded 2-core machine take seconds, not ms
    context = browser.new_context(viewport=VIEWPORT, base_url=app_url)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="module")
def shot():
    """``shot(page, "01_data")`` saves ``artifacts/screenshots/01_data.png`` (full page by default)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        if not full_page:
            pg.screenshot(path=str(path), animations="disabled")
            return path
        # Streamlit scrolls inside <main data-testid="stMain">, not the document, so Playwright's full_page
        # would stop at the viewport: grow the viewport to the content's height for the shot instead.
        before = pg.viewport_size
        height = pg.evaluate(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return m ? m.scrollHeight : document.documentElement.scrollHeight; }"
        )
        tall = min(max(int(height), before["height"]), 12_000)
        try:
            if tall > before["height"]:
                pg.set_viewport_size({"width": before["width"], "height": tall})
                pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            pg.screenshot(path=str(path), full_page=True, animations="disabled")
        finally:
            pg.set_viewport_size(before)
        return path

    return take


@pytest.fixture(autouse=True)
def _dump_on_failure(request: pytest.FixtureRequest):
    """After a failing browser step, keep a screenshot and the DOM in ``artifacts/screenshots/FAILED_*``."""
    yield
    rep = getattr(request.node, "_e2e_failed", False)
    if rep and "page" in request.fixturenames:
        pg = request.getfixturevalue("page")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(SCREENSHOTS / f"FAILED_{request.node.name}.png"), full_page=True)
            (SCREENSHOTS / f"FAILED_{request.node.name}.html").write_text(pg.content(), encoding="utf-8")
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            sys.stderr.write(f"could not save the failure screenshot: {exc}\n")
