"""AppTest: the Search page's 'Run on' choice and its Dask connect check."""

from __future__ import annotations

import logging
import socket

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def search(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNING_DB", str(tmp_path / "app.db"))
    import ui.run_on
    import ui.state

    ui.state._store.clear()
    ui.run_on._check.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    yield cluster.scheduler_address
    cluster.close()


def test_run_on_defaults_to_this_process(search):
    assert search.radio(key="search_run_on").value == "threads"
    search.radio(key="search_run_on").set_value("processes").run()
    assert not search.exception and any("worker process" in c.value for c in search.caption)


def test_without_an_allow_list_only_the_local_cluster_is_offered(search, monkeypatch):
    monkeypatch.delenv("TUNING_DASK_SCHEDULERS", raising=False)
    search.radio(key="search_run_on").set_value("dask").run()
    assert not search.exception
    assert all(getattr(w, "key", None) != "search_scheduler" for w in [*search.text_input, *search.selectbox])
    assert any("local Dask cluster" in c.value and "TUNING_DASK_SCHEDULERS" in c.value for c in search.caption)


def _allowed(monkeypatch, *addresses):
    monkeypatch.setenv("TUNING_DASK_SCHEDULERS", ",".join(addresses))


def test_connect_only_on_a_click_and_only_to_allowed_addresses(search, scheduler, monkeypatch):
    import ui.run_on

    calls = []
    real = ui.run_on.check_cluster
    monkeypatch.setattr(ui.run_on, "check_cluster", lambda *a, **k: calls.append(a) or real(*a, **k))
    _allowed(monkeypatch, scheduler)
    search.radio(key="search_run_on").set_value("dask").run()
    box = search.selectbox(key="search_scheduler")
    assert scheduler in box.options
    box.set_value(scheduler).run()
    assert not calls and any("Press Connect" in i.value for i in search.info)  # picking it connects to nothing
    assert any("trusts it with running code" in c.value for c in search.caption)
    search.button(key="search_check_cluster").click().run()
    assert len(calls) == 1 and not search.exception and not search.error
    ok = search.success[-1].value
    assert ok.startswith("Connected to") and scheduler.rsplit(":", 1)[1] in ok and ": 2 workers, 2 threads" in ok
    table = search.dataframe[-1].value
    assert len(table) == 2 and list(table["threads"]) == [1, 1]


def test_an_unreachable_allowed_cluster_is_a_plain_error(search, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _allowed(monkeypatch, f"tcp://127.0.0.1:{port}")
    search.radio(key="search_run_on").set_value("dask").run()
    search.selectbox(key="search_scheduler").set_value(f"tcp://127.0.0.1:{port}").run()
    search.button(key="search_check_cluster").click().run()
    assert not search.exception
    assert any("Cannot reach a Dask scheduler" in e.value for e in search.error)


def test_the_allow_list_ignores_what_is_not_an_address(monkeypatch):
    from tuning.executors import allowed_schedulers

    _allowed(monkeypatch, "tcp://10.0.0.5:8786", "http://x:8787/status", "  ", "tls://host:8786")
    assert allowed_schedulers() == ("tcp://10.0.0.5:8786", "tls://host:8786")
