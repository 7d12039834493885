from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def store(tmp_path):
    from tuning.store import Store

    return Store(tmp_path / "test.db")


@pytest.fixture
def add_sample(store):
    """Store a bundled sample file; returns its dataset id."""

    def add(name: str) -> str:
        path = SAMPLES / name
        return store.add_dataset(name, path.read_bytes())

    return add
