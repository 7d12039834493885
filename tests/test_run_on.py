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


def test_connect_check_lists_the_workers(search, scheduler):
    search.radio(key="search_run_on").set_value("dask").run()
    assert any("local Dask cluster" in c.value for c in search.caption)  # empty address: a LocalCluster
    search.text_input(key="search_scheduler").set_value(scheduler).run()
    assert not search.exception and not search.error
    ok = search.success[-1].value
    assert f"Connected to {scheduler}: 2 workers, 2 threads" in ok
    table = search.dataframe[-1].value
    assert len(table) == 2 and list(table["threads"]) == [1, 1]


def test_an_unreachable_cluster_is_a_plain_error(search):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    search.radio(key="search_run_on").set_value("dask").run()
    search.text_input(key="search_scheduler").set_value(f"tcp://127.0.0.1:{port}").run()
    assert not search.exception
    assert any("Cannot reach a Dask scheduler" in e.value for e in search.error)
    search.text_input(key="search_scheduler").set_value("http://127.0.0.1:8787/status").run()
    assert any("dashboard" in e.value for e in search.error)
