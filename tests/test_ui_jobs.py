"""The lessons' job pool: a queued job says it waits and behind how many; an abandoned one is skipped."""

from __future__ import annotations

import threading
import time

import pytest

from ui.jobs import Abandoned, JobRunner, status_text


def test_a_queued_job_says_it_waits_and_an_abandoned_one_is_skipped():
    runner = JobRunner(workers=1, abandoned_s=5.0)
    gate = threading.Event()
    first = runner.submit("first", lambda: gate.wait(10) and "one", {})
    deadline = time.monotonic() + 10
    while first.started is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = runner.submit("second", lambda: "two", {})
    third = runner.submit("third", lambda: "three", {})
    assert runner.ahead_of(second) == 0 and runner.ahead_of(third) == 1
    text = status_text(runner, third, "Fitting")
    assert "waiting for a free worker" in text and "1 queued ahead" in text and "1 computation running" in text
    assert "Fitting… 0/?" in status_text(runner, first, "Fitting")
    second.polled -= 60  # nobody has looked at it for a minute: the page that wanted it was left
    gate.set()
    assert first.future.result(timeout=10) == "one"
    with pytest.raises(Abandoned):
        second.future.result(timeout=10)
    assert third.future.result(timeout=10) == "three"
    again = runner.submit("second", lambda: "two", {})  # asked for again: computed this time
    assert again is not second and again.future.result(timeout=10) == "two"
