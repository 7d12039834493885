"""Fuzz the reader: every input either reads or raises DataError, never anything else."""

from __future__ import annotations

import io
import random

import numpy as np
import pandas as pd
import pytest

from tuning.data import parse_table
from tuning.errors import DataError
from tuning.profile import profile_table

N_CASES = 300
EXTS = [".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", "", ".bin"]


def _valid_tables(rng: random.Random) -> dict[str, bytes]:
    df = pd.DataFrame(
        {
            "num": [rng.uniform(-5, 5) for _ in range(12)],
            "int": list(range(12)),
            "cat": [rng.choice(["a", "b", "ü", "x,y", 'q"q']) for _ in range(12)],
            "when": pd.date_range("2024-01-01", periods=12).astype(str),
        }
    )
    pq, xl = io.BytesIO(), io.BytesIO()
    df.to_parquet(pq)
    df.to_excel(xl, index=False)
    return {
        ".csv": df.to_csv(index=False).encode(),
        ".tsv": df.to_csv(index=False, sep="\t").encode(),
        ".txt": df.to_csv(index=False, sep=";").encode("cp1252", errors="replace"),
        ".parquet": pq.getvalue(),
        ".xlsx": xl.getvalue(),
    }


def _mutate(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(9)
    if kind == 0:  # truncation
        return data[: rng.randrange(len(data) + 1)]
    if kind == 1:  # random bytes
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 400)))
    if kind == 2:  # flipped bytes
        b = bytearray(data)
        for _ in range(rng.randrange(1, 20)):
            b[rng.randrange(len(b))] = rng.getrandbits(8)
        return bytes(b)
    if kind == 3:  # odd encodings
        text = data.decode("utf-8", errors="replace")
        enc = rng.choice(["utf-16", "utf-16-le", "utf-32", "shift_jis", "cp1252", "utf-8-sig", "koi8-r"])
        return text.encode(enc, errors="replace")
    if kind == 4:  # a huge field
        cut = rng.randrange(len(data) + 1)
        return data[:cut] + b"x" * rng.choice([10_000, 200_000]) + data[cut:]
    if kind == 5:  # mixed delimiters
        lines = data.split(b"\n")
        return b"\n".join(
            line.replace(b",", rng.choice([b";", b"\t", b"|", b",,"])) if rng.random() < 0.5 else line for line in lines
        )
    if kind == 6:  # unbalanced quotes and stray line endings
        b = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            b.insert(rng.randrange(len(b) + 1), rng.choice(b"\"\r\n'\x0b\x0c"))
        return bytes(b)
    if kind == 7:  # header only, blank lines, only delimiters
        return rng.choice(
            [b"a,b,c", b"\n\n,,\n", b",,,\n,,,\n", b'"', b"a\n1\n", b"\xef\xbb\xbf", b"PAR1", b"PK\x03\x04"]
        )
    # a duplicated or infinite column
    return rng.choice([b"a,a,b\n1,2,3\n", b"a, a,b\n1,2,3\n", b"x,y\ninf,1\n-inf,2\n3,inf\n", b"x,y\n1e400,1\n2,2\n"])


def test_every_input_reads_or_raises_data_error():
    rng = random.Random(20261129)
    valid = _valid_tables(rng)
    outcomes = {"read": 0, "refused": 0}
    for i in range(N_CASES):
        src_ext = rng.choice(list(valid))
        data = _mutate(rng, valid[src_ext])
        name = f"case{i}{rng.choice(EXTS + [src_ext] * 4)}"
        try:
            df = parse_table(data, name=name)
        except DataError as exc:
            assert exc.message and "\n" not in exc.message[:200]
            outcomes["refused"] += 1
            continue
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            pytest.fail(f"case {i} ({name}, {data[:60]!r}...) raised {type(exc).__name__}: {exc}")
        assert isinstance(df, pd.DataFrame) and df.shape[0] >= 1 and df.shape[1] >= 2
        with np.errstate(all="raise"):
            profile_table(df)  # profiling whatever was read never raises either
        outcomes["read"] += 1
    assert outcomes["read"] > 30 and outcomes["refused"] > 30, outcomes
