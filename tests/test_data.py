from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from tuning.data import build_preprocessor, check_folds, parse_table, prepare_xy, read_table
from tuning.errors import DataError
from tuning.profile import ColumnKind, infer_task, profile_table

from .conftest import SAMPLES

CSV = "a,b,label\n1,x,yes\n2,y,no\n3,x,yes\n4,,no\n"


def test_reads_comma_csv_with_missing_markers():
    df = parse_table(b"a,b,c\n1,NA,x\n2,?,y\n3,,z\n", name="t.csv")
    assert df.shape == (3, 3)
    assert df["b"].isna().all()


def test_reads_utf8_bom_and_latin1_and_semicolon_and_tab():
    bom = "\ufeffcity;temp\nZürich;1\nGenève;2\n".encode("utf-8")
    df = parse_table(bom, name="x.csv")
    assert list(df.columns) == ["city", "temp"] and df["city"][0] == "Zürich"
    latin = "city,temp\nZürich,1\nGenève,2\n".encode("latin-1")
    assert parse_table(latin, name="x.csv")["city"][1] == "Genève"
    tsv = b"a\tb\n1\t2\n3\t4\n"
    assert parse_table(tsv, name="x.tsv").shape == (2, 2)


def test_reads_parquet_and_xlsx(tmp_path):
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "a"]})
    pq = tmp_path / "t.parquet"
    df.to_parquet(pq)
    assert read_table(pq).equals(df)
    xl = tmp_path / "t.xlsx"
    df.to_excel(xl, index=False)
    back = read_table(xl)
    assert list(back.columns) == ["x", "y"] and back.shape == (3, 2)
    # by content, whatever the name says
    assert parse_table(pq.read_bytes(), name="upload.bin").shape == (3, 2)


@pytest.mark.parametrize(
    "content, name, words",
    [
        (b"", "e.csv", ["empty"]),
        (b"   \n\n", "e.csv", ["empty"]),
        (b"a,b,c\n", "h.csv", ["no data rows"]),
        (b"only\n1\n2\n", "o.csv", ["only one column", "delimiter"]),
        (b"\x00\x01\x02binary\x00" * 20, "b.csv", ["binary"]),
        (b"a,b\n1,2\n3,4,5,6\n", "r.csv", ["line 3", "fields"]),
        (b"a,a,b\n1,2,3\n", "d.csv", []),
        (b"PAR1garbage", "p.parquet", ["not a readable Parquet"]),
        (b"PK\x03\x04garbage", "x.xlsx", ["not a readable .xlsx"]),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", [".xls", "Save it as .xlsx"]),
    ],
)
def test_bad_files_raise_plain_messages(content, name, words):
    if name == "d.csv":  # pandas de-duplicates names itself; the table is still readable
        assert parse_table(content, name=name).shape == (1, 3)
        return
    with pytest.raises(DataError) as err:
        parse_table(content, name=name)
    for w in words:
        assert w in str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="folder"):
        read_table(tmp_path)


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "num": rng.normal(size=n),
            "cat": rng.choice(["a", "b", "c"], size=n),
            "flag": rng.choice([True, False], size=n),
            "when": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
            "const": 1,
            "note": [f"free text number {i} with words" for i in range(n)],
            "target": rng.choice(["yes", "no"], size=n),
        }
    )


def test_profile_column_kinds_and_warnings():
    p = profile_table(_frame(), target="target")
    kinds = {c.name: c.kind for c in p.columns}
    assert kinds["id"] == ColumnKind.ID
    assert kinds["num"] == ColumnKind.NUMERIC
    assert kinds["cat"] == ColumnKind.CATEGORICAL
    assert kinds["flag"] == ColumnKind.BOOLEAN
    assert kinds["when"] == ColumnKind.DATETIME
    assert kinds["const"] == ColumnKind.CONSTANT
    assert kinds["note"] == ColumnKind.TEXT
    assert p.task == "classification"
    assert set(p.features) == {"num", "cat", "flag", "when"}
    assert set(p.dropped) == {"id", "const", "note"}
    assert any("identifier" in w for w in p.warnings)
    assert sum(p.class_counts.values()) == 60


def test_infer_task():
    assert infer_task(pd.Series([0, 1, 0, 1] * 10)) == "classification"
    assert infer_task(pd.Series(np.linspace(0, 1, 40))) == "regression"
    assert infer_task(pd.Series(["a", "b"] * 5)) == "classification"
    assert infer_task(pd.Series(np.arange(200))) == "regression"


def test_leakage_and_high_cardinality_warnings():
    df = _frame()
    df["leak"] = df["target"].map({"yes": "Y", "no": "N"})
    df["many"] = [f"c{i % 55}" for i in range(60)]
    p = profile_table(df, target="target")
    assert any("'leak'" in w and "leak" in w for w in p.warnings)
    assert any("'many'" in w and "categories" in w for w in p.warnings)


@pytest.mark.parametrize(
    "mutate, target, task, words",
    [
        (lambda d: d, "targt", None, ["'targt'", "Did you mean 'target'"]),
        (lambda d: d.assign(target=np.nan), "target", None, ["missing in every row"]),
        (lambda d: d.assign(target="same"), "target", None, ["single value"]),
        (lambda d: d[["id", "const", "note", "target"]], "target", None, ["No usable feature"]),
        (lambda d: d, "target", "regression", ["numeric target"]),
        (lambda d: d, "target", "ranking", ["Unknown task"]),
    ],
)
def test_bad_targets(mutate, target, task, words):
    with pytest.raises(DataError) as err:
        profile_table(mutate(_frame()), target=target, task=task)
    for w in words:
        assert w in str(err.value)


def test_class_smaller_than_folds():
    y = np.array([0] * 20 + [1] * 2)
    with pytest.raises(DataError, match="Class 'rare' has only 2 row"):
        check_folds(y, task="classification", cv=5, classes=("common", "rare"))
    check_folds(y, task="classification", cv=2, classes=("common", "rare"))


def test_prepare_xy_types_and_labels():
    df = _frame()
    df.loc[3, "target"] = np.nan
    p = profile_table(df, target="target")
    d = prepare_xy(df, p)
    assert len(d.y) == 59 and d.classes == ("no", "yes")
    assert set(np.unique(d.y)) == {0, 1}
    assert "when__days" in d.X.columns and "when" not in d.X.columns
    assert set(d.categorical) == {"cat", "flag"}
    assert d.X["num"].dtype == float


def test_preprocessor_handles_missing_and_unknown_categories():
    df = _frame()
    df.loc[:5, "num"] = np.nan
    df.loc[:5, "cat"] = np.nan
    p = profile_table(df, target="target")
    d = prepare_xy(df, p)
    pre = build_preprocessor(d.numeric, d.categorical, scale=True)
    out = pre.fit_transform(d.X.iloc[:40])
    assert not np.isnan(out).any()
    new = d.X.iloc[40:].copy()
    new["cat"] = "never seen"
    assert pre.transform(new).shape[1] == out.shape[1]
    means = out[:, : len(d.numeric)].mean(axis=0)
    assert np.allclose(means, 0, atol=1e-9)  # scaled on the rows it was fitted on


def test_all_samples_profile_and_prepare():
    import json

    for entry in json.loads((SAMPLES / "catalog.json").read_text()):
        df = read_table(SAMPLES / entry["file"])
        p = profile_table(df, target=entry["target"])
        assert p.task == entry["task"], entry["file"]
        d = prepare_xy(df, p)
        assert len(d.y) == len(df) - int(df[entry["target"]].isna().sum())


def test_datetime_and_text_io_roundtrip():
    data = io.BytesIO()
    _frame().to_csv(data, index=False)
    df = parse_table(data.getvalue(), name="f.csv")
    assert df.shape == (60, 8)


def _bomb_xlsx(real: bytes, *, unpacked: int) -> bytes:
    """A real workbook with one more entry that deflates ``unpacked`` bytes of spaces into a few hundred kB."""
    import zipfile

    buf = io.BytesIO(real)
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet2.xml", "w") as f:
            chunk = b" " * 2**20
            for _ in range(unpacked // 2**20):
                f.write(chunk)
    return buf.getvalue()


def test_an_xlsx_that_unpacks_past_the_bound_is_refused_before_parsing(tmp_path, monkeypatch):
    import tuning.data as data

    xl = tmp_path / "t.xlsx"
    pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]}).to_excel(xl, index=False)
    monkeypatch.setattr(data, "MAX_XLSX_UNPACKED", 8 * 2**20)
    bomb = _bomb_xlsx(xl.read_bytes(), unpacked=16 * 2**20)
    assert len(bomb) < 200_000  # small on disk, 16 MB unpacked
    parsed = []
    monkeypatch.setattr(pd, "read_excel", lambda *a, **k: parsed.append(1))
    with pytest.raises(DataError, match="unpacks to 16 MB") as e:
        parse_table(bomb, name="bomb.xlsx")
    assert "CSV" in e.value.fix and not parsed
    # a normal workbook still reads
    monkeypatch.undo()
    assert parse_table(xl.read_bytes(), name="t.xlsx").shape == (3, 2)


def test_a_zip_of_many_entries_is_refused(monkeypatch):
    import zipfile

    import tuning.data as data

    monkeypatch.setattr(data, "MAX_XLSX_ENTRIES", 50)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(60):
            zf.writestr(f"e{i}", b"")
    with pytest.raises(DataError, match="holds 60 files"):
        parse_table(buf.getvalue(), name="many.xlsx")


def test_a_parquet_that_unpacks_past_the_bound_is_refused(tmp_path, monkeypatch):
    import tuning.data as data

    pq = tmp_path / "z.parquet"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.random(200_000), "y": rng.random(200_000)}).to_parquet(pq, compression="gzip")
    monkeypatch.setattr(data, "MAX_PARQUET_UNPACKED", 2**20)
    with pytest.raises(DataError, match="unpacks to"):
        parse_table(pq.read_bytes(), name="z.parquet")


def test_the_delimiter_is_guessed_from_the_head_of_the_file_only(monkeypatch):
    import csv

    seen: list[int] = []
    real = csv.Sniffer.sniff

    def spy(self, sample, delimiters=None):
        seen.append(len(sample))
        return real(self, sample, delimiters)

    monkeypatch.setattr(csv.Sniffer, "sniff", spy)
    one_long_line = b"a;b\n" + b"1;" + b"9" * 500_000 + b"\n2;3\n"
    df = parse_table(one_long_line, name="wide.csv")
    assert df.shape == (2, 2) and seen and max(seen) <= 64 * 1024


def _loans(n: int = 2000) -> pd.DataFrame:
    """A loans-like table: columns known only after the outcome, mostly-missing joint-income columns."""
    rng = np.random.default_rng(0)
    grade = rng.integers(1, 8, n)
    income = rng.normal(60, 15, n)
    rate = 5 + 2.0 * grade - 0.02 * income + rng.normal(0, 1.5, n)
    joint = np.where(rng.random(n) < 0.85, np.nan, rng.normal(90, 20, n))
    return pd.DataFrame(
        {
            "grade": grade,
            "annual_income": income,
            "joint_income": joint,
            "paid_interest": rate * rng.uniform(0.5, 3.0, n) + rng.normal(0, 8, n),  # r ~ 0.5 with the rate
            "loan_status": np.where(rng.random(n) < 0.9, "Current", "Fully Paid"),
            "interest_rate": rate,
        }
    )


def test_the_profile_flags_post_outcome_and_mostly_missing_columns():
    p = profile_table(_loans(), target="interest_rate", task="regression")
    text = " ".join(p.warnings)
    assert "'paid_interest' is named like something known only after the outcome" in text
    assert re.search(r"'joint_income' is 8\d% missing", text)
    assert "'grade'" not in text and "'annual_income'" not in text  # ordinary features are not flagged
    assert "'loan_status'" not in text  # named so, but unrelated to the target here


def test_a_tiny_table_is_told_its_scores_are_noise():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [5, 3, 2, 4, 1], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    p = profile_table(df, target="y", task="regression")
    assert any("Only 5 rows have a target" in w for w in p.warnings)
    big = profile_table(_loans(200), target="interest_rate", task="regression")
    assert not any("rows have a target:" in w for w in big.warnings)
