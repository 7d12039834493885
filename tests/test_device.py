"""The GPU probe says plainly whether a CUDA device really trains (it never raises)."""

from __future__ import annotations

from tuning.device import cuda_available, cuda_status


def test_the_probe_answers_with_a_reason():
    ok, reason = cuda_status()
    assert isinstance(ok, bool) and isinstance(reason, str) and reason
    assert cuda_available() is ok
