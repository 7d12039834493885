"""Read a table, profile it, and build the per-model preprocessing.

Everything a user can get wrong raises :class:`DataError` with a message that names the problem
and the fix. Preprocessing lives inside the model's Pipeline so it is fitted per fold (no leakage).

Over 600 lines because it holds three steps of one pipeline (read a file, profile it, prepare X/y and the preprocessor) that share the column kinds; the next split is one module per step.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tuning.errors import DataError

MISSING_MARKERS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "?", "#N/A"]
MAX_CATEGORIES = 20
# A table wider than this is a bag of words or an expression matrix: it needs feature selection before a
# hyperparameter search, and each fold of each parallel trial would hold a dense rows x columns copy.
MAX_COLUMNS = 10_000
#: A feature with more than this fraction missing is flagged in the profile.
MOSTLY_MISSING = 0.5
#: Fewer rows with a target than this: cross-validation scores are mostly noise (the profile says so).
MIN_ROWS = 50
# One-hot columns in all: past this each categorical feature gets fewer than MAX_CATEGORIES columns.
MAX_ONEHOT_WIDTH = 2_000
SPARSE_THRESHOLD = 0.3  # output density below which a sparse-capable model gets a sparse matrix
HIGH_CARDINALITY = 50
TASKS = ("classification", "regression")
_TEXT_EXT = {".csv", ".tsv", ".txt", ".tab", ".dat"}
_PARQUET_EXT = {".parquet", ".pq"}
_EXCEL_EXT = {".xlsx", ".xlsm", ".xls"}
#: An .xlsx is a zip of XML: a small file can unpack to gigabytes (a 1.5 MB one took 15 s to parse). The
#: archive's own directory says how large it unpacks; past these bounds it is refused before it is parsed.
MAX_XLSX_UNPACKED = 100 * 2**20
MAX_XLSX_ENTRIES = 10_000
#: A Parquet file's metadata says how large its columns are once decompressed; past this it is refused.
MAX_PARQUET_UNPACKED = 1 * 2**30
#: The delimiter is guessed from the first lines of at most this many characters, not the whole file.
SNIFF_CHARS = 64 * 1024


class ColumnKind(str, Enum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    ID = "id-like"
    CONSTANT = "constant"

    @property
    def usable(self) -> bool:
        return self in (ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN, ColumnKind.DATETIME)


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: ColumnKind
    dtype: str
    n_missing: int
    n_unique: int
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetProfile:
    """What the table holds and what the engine will do with it."""

    n_rows: int
    n_cols: int
    columns: tuple[ColumnProfile, ...]
    target: str | None = None
    task: str | None = None
    class_counts: dict[str, int] | None = None
    target_summary: dict[str, float] | None = None
    features: tuple[str, ...] = ()
    dropped: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @functools.cached_property
    def _by_name(self) -> dict[str, ColumnProfile]:
        return {c.name: c for c in self.columns}

    def column(self, name: str) -> ColumnProfile:
        return self._by_name[name]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "column": [c.name for c in self.columns],
                "kind": [c.kind.value for c in self.columns],
                "dtype": [c.dtype for c in self.columns],
                "missing": [c.n_missing for c in self.columns],
                "missing %": [round(100 * c.n_missing / max(self.n_rows, 1), 1) for c in self.columns],
                "unique": [c.n_unique for c in self.columns],
                "examples": [", ".join(c.examples) for c in self.columns],
            }
        )


# ----------------------------------------------------------------------------------------------
# Reading


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def read_bytes(source: str | Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if not path.exists():
            raise DataError(f"File not found: {path.name}.", fix="Check the path.")
        if path.is_dir():
            raise DataError(
                f"{path.name} is a folder, not a file.", fix="Give the path of a CSV, TSV, Parquet or Excel file."
            )
        return path.read_bytes()
    return source.read()


def read_table(source: str | Path | bytes | BinaryIO, *, name: str | None = None) -> pd.DataFrame:
    """Read CSV/TSV (delimiter and encoding detected), Parquet or Excel into a DataFrame."""
    if name is None and isinstance(source, (str, Path)):
        name = str(source)
    data = read_bytes(source)
    return parse_table(data, name=name or "")


def parse_table(data: bytes, *, name: str = "") -> pd.DataFrame:
    label = Path(name).name if name else "The file"
    if not data or not data.strip():
        raise DataError(f"{label} is empty.", fix="Choose a file with a header row and at least one data row.")
    ext = Path(name).suffix.lower() if name else ""
    if data[:4] == b"PAR1" or ext in _PARQUET_EXT:
        df = _read_parquet(data, label)
    elif data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or ext in _EXCEL_EXT:
        df = _read_excel(data, label)
    else:
        df = _read_text(data, label, ext)
    return _check_table(df, label)


def _read_parquet(data: bytes, label: str) -> pd.DataFrame:
    _check_parquet_size(data, label)
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many types
        raise DataError(
            f"{label} is not a readable Parquet file ({type(exc).__name__}).", fix="Re-export it as Parquet or CSV."
        ) from None


def _check_parquet_size(data: bytes, label: str) -> None:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception:
        return  # not readable: the reader below says so
    if meta.num_columns > MAX_COLUMNS:
        raise DataError(
            f"{label} has {meta.num_columns:,} columns; this workbench takes at most {MAX_COLUMNS:,}.",
            fix="Select the columns you need and save the table again.",
        )
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > MAX_PARQUET_UNPACKED:
        raise DataError(
            f"{label} unpacks to {unpacked / 2**20:,.0f} MB; this workbench reads at most "
            f"{MAX_PARQUET_UNPACKED // 2**20:,} MB.",
            fix="Sample the rows or select the columns you need, and save the table again.",
        )


def _check_xlsx_size(data: bytes, label: str) -> None:
    """Refuse an archive that unpacks past the bounds, from its directory alone (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: the reader below says so
    if len(infos) > MAX_XLSX_ENTRIES:
        raise DataError(
            f"{label} holds {len(infos):,} files; an .xlsx workbook has a few dozen.",
            fix="Save the sheet as CSV and upload that.",
        )
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_XLSX_UNPACKED:
        raise DataError(
            f"{label} unpacks to {unpacked / 2**20:,.0f} MB of XML; this workbench reads workbooks up to "
            f"{MAX_XLSX_UNPACKED // 2**20} MB unpacked.",
            fix="Save the sheet as CSV (it is also much faster to read) and upload that.",
        )


def _read_excel(data: bytes, label: str) -> pd.DataFrame:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataError(f"{label} is an old binary Excel (.xls) file.", fix="Save it as .xlsx or CSV and upload again.")
    _check_xlsx_size(data, label)
    try:
        return pd.read_excel(io.BytesIO(data), na_values=MISSING_MARKERS, engine="openpyxl")
    except Exception as exc:
        raise DataError(
            f"{label} is not a readable .xlsx workbook ({type(exc).__name__}).", fix="Save it again as .xlsx or CSV."
        ) from None


def _decode(data: bytes, label: str) -> str:
    return _decode_with(data, label)[0]


def _decode_with(data: bytes, label: str) -> tuple[str, str]:
    """The text and the encoding that decoded it."""
    if b"\x00" in data[:4096]:
        raise DataError(
            f"{label} looks like a binary file, not a table.",
            fix="Upload a CSV/TSV text file, a Parquet file or an .xlsx workbook.",
        )
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise DataError(f"{label} could not be decoded as text.", fix="Save it as UTF-8 CSV.")  # latin-1 never fails


def text_format(data: bytes, *, name: str = "") -> tuple[str, str]:
    """(encoding, delimiter) the reader uses for a text table, so an exported script reads it the same way."""
    text, enc = _decode_with(data, Path(name).name or "The file")
    return enc, _sniff_delimiter(text, Path(name).suffix.lower())


def _sniff_delimiter(text: str, ext: str) -> str:
    lines = text[:SNIFF_CHARS].splitlines()
    if len(text) > SNIFF_CHARS and len(lines) > 1:
        lines.pop()  # cut mid-line
    sample = "\n".join(lines[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        if ext in (".tsv", ".tab"):
            return "\t"
        counts = {d: sample.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_text(data: bytes, label: str, ext: str) -> pd.DataFrame:
    text = _decode(data, label)
    sep = _sniff_delimiter(text, ext)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            na_values=MISSING_MARKERS,
            keep_default_na=True,
            skipinitialspace=True,
            low_memory=False,
        )
    except pd.errors.ParserError as exc:
        msg = str(exc).split("\n")[0]
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if m:
            raise DataError(
                f"{label}: line {m.group(2)} has {m.group(3)} fields but the header has {m.group(1)}.",
                fix="Fix that row (a stray delimiter or an unquoted comma) and upload again.",
            ) from None
        raise DataError(f"{label} is not a well-formed table: {msg}.", fix="Check the delimiter and quoting.") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{label} has no columns.", fix="Add a header row.") from None
    except UnicodeError:
        raise DataError(f"{label} could not be decoded.", fix="Save it as UTF-8 CSV.") from None


def _check_table(df: pd.DataFrame, label: str) -> pd.DataFrame:
    # Empty columns without a header (a trailing delimiter) go first, so the counts below are the real ones.
    empty = [str(c).startswith("Unnamed:") and bool(df.iloc[:, i].isna().all()) for i, c in enumerate(df.columns)]
    if any(empty):
        df = df.loc[:, [not e for e in empty]]
    if df.shape[1] == 0:
        raise DataError(f"{label} has no columns.", fix="Add a header row.")
    if df.shape[0] == 0:
        raise DataError(f"{label} has a header but no data rows.", fix="Add rows of data.")
    if df.shape[1] == 1:
        raise DataError(
            f"{label} has only one column ({str(df.columns[0])[:60]!r}), so there is no feature to learn from.",
            fix="Check the delimiter (comma, semicolon, tab) or add feature columns.",
        )
    if df.shape[1] > MAX_COLUMNS:
        raise DataError(
            f"{label} has {df.shape[1]:,} columns; this workbench takes at most {MAX_COLUMNS:,}.",
            fix="Select the columns that matter (or reduce them, e.g. with PCA) before uploading.",
        )
    df.columns = [str(c).strip() for c in df.columns]
    counts = Counter(df.columns)
    dupes = sorted(c for c, n in counts.items() if n > 1)
    if dupes:
        shown = ", ".join(repr(d) for d in dupes[:10]) + (f" and {len(dupes) - 10} more" if len(dupes) > 10 else "")
        raise DataError(f"{label} has duplicate column names: {shown}.", fix="Rename the columns so each is unique.")
    return _infinite_as_missing(df)


def _infinite_as_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Replace +/-inf in numeric columns by NaN; the count per column goes to ``df.attrs`` for the profile."""
    numeric = df.select_dtypes(include=["number"]).columns
    if len(numeric) == 0:
        return df
    with np.errstate(all="ignore"):
        inf = np.isinf(df[numeric].to_numpy(dtype=float, na_value=np.nan))
    per_col = inf.sum(axis=0)
    found = {str(c): int(n) for c, n in zip(numeric, per_col) if n}
    if found:
        df = df.copy()
        cols = list(found)
        df[cols] = df[cols].astype(float).replace([np.inf, -np.inf], np.nan)
        df.attrs["infinite_cells"] = {**df.attrs.get("infinite_cells", {}), **found}
    return df


_LISTED = 5  # column names listed in one warning line before "and N more"


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED:,} more" if len(names) > _LISTED else "")


def _infinite_warning(found: dict[str, int]) -> str:
    cols = _some(list(found))
    n = sum(found.values())
    return f"{n} infinite value(s) (inf/-inf) in column(s) {cols} are treated as missing."


# ----------------------------------------------------------------------------------------------
# Profiling

_ID_NAME = re.compile(r"(^|_|\b)(id|uuid|guid|index|key)$|^row(_?num(ber)?)?$", re.IGNORECASE)
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}


def _column_kind(s: pd.Series, n_rows: int) -> ColumnKind:
    nonnull = s.dropna()
    n_unique = int(nonnull.nunique())
    if n_unique <= 1:
        return ColumnKind.CONSTANT
    if pd.api.types.is_bool_dtype(s):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(s):
        return ColumnKind.DATETIME
    if pd.api.types.is_numeric_dtype(s):
        is_int = pd.api.types.is_integer_dtype(s) or bool(np.all(np.mod(nonnull.to_numpy(dtype=float), 1) == 0))
        if is_int and n_unique == len(nonnull) == n_rows and n_rows >= 20:
            vals = np.sort(nonnull.to_numpy(dtype=float))
            if _ID_NAME.search(str(s.name)) or np.all(np.diff(vals) == 1):
                return ColumnKind.ID
        return ColumnKind.NUMERIC
    strings = nonnull.astype(str)
    if n_unique == 2 and set(strings.str.lower().unique()) <= _BOOL_WORDS:
        return ColumnKind.BOOLEAN
    sample = strings.head(500)
    if sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True).mean() > 0.9:
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.9:
            return ColumnKind.DATETIME
    if n_unique == len(nonnull) and n_rows >= 20:
        words = sample.str.split().str.len().mean()
        return ColumnKind.TEXT if words >= 3 else ColumnKind.ID
    if n_unique > 0.5 * len(nonnull) and sample.str.split().str.len().mean() >= 4:
        return ColumnKind.TEXT
    return ColumnKind.CATEGORICAL


def infer_task(y: pd.Series) -> str:
    """Classification for labels, booleans and small sets of integers; regression otherwise."""
    nonnull = y.dropna()
    if not pd.api.types.is_numeric_dtype(nonnull) or pd.api.types.is_bool_dtype(nonnull):
        return "classification"
    values = nonnull.to_numpy(dtype=float)
    n_unique = len(np.unique(values))
    if np.all(np.mod(values, 1) == 0) and n_unique <= max(2, min(20, len(values) // 5)):
        return "classification"
    return "regression"


def _suggest_column(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(columns), n=1)
    return f"Did you mean {close[0]!r}?" if close else f"Columns are: {', '.join(map(str, list(columns)[:12]))}."


def profile_table(df: pd.DataFrame, *, target: str | None = None, task: str | None = None) -> DatasetProfile:
    """Describe every column; with a target, also the task, class balance, usable features, warnings.

    Infinite numbers count as missing (one line in the warnings says where); numpy's floating-point
    warnings are silenced here, so no warning text reaches a terminal or a page.
    """
    df = _infinite_as_missing(df)
    infinite = dict(df.attrs.get("infinite_cells", {}))
    with np.errstate(all="ignore"):
        profile = _profile_table(df, target=target, task=task)
    if infinite:
        profile = dataclasses.replace(profile, warnings=(*profile.warnings, _infinite_warning(infinite)))
    return profile


def _profile_columns(df: pd.DataFrame) -> list[ColumnProfile]:
    n_rows = len(df)
    fast, slow = _plain_numeric(df)
    by_name: dict[str, ColumnProfile] = {}
    for names, values in fast:
        by_name.update(zip(names, _numeric_profiles(names, values, n_rows)))
    for name in slow:
        s = df[name]
        uniq = s.dropna().unique()
        ex = tuple(str(v)[:24] for v in uniq[:3])
        by_name[name] = ColumnProfile(name, _column_kind(s, n_rows), str(s.dtype), int(s.isna().sum()), len(uniq), ex)
    return [by_name[str(c)] for c in df.columns]


def _numeric_profiles(names: list[str], values: np.ndarray, n_rows: int) -> list[ColumnProfile]:
    """:func:`_column_kind` and the counts for a block of plain numeric columns at once (sorted columns)."""
    a = values.astype(float)
    nan = np.isnan(a)
    n_missing = nan.sum(axis=0)
    nonnull = n_rows - n_missing
    srt = np.sort(a, axis=0)  # NaN sorts last
    rows = np.arange(1, n_rows)[:, None]
    new = (np.diff(srt, axis=0) != 0) & (rows < nonnull[None, :])
    n_unique = np.where(nonnull > 0, 1 + new.sum(axis=0), 0)
    if values.dtype.kind in "iu":
        is_int = np.ones(len(names), dtype=bool)
    else:
        is_int = np.all((np.mod(np.where(nan, 0.0, a), 1) == 0), axis=0)
    out = []
    for j, name in enumerate(names):
        col = values[:, j]
        first = list(dict.fromkeys(col[:64][~nan[:64, j]]))[:3]  # the usual case: found in the first rows
        if len(first) < min(3, n_unique[j]):
            first = list(pd.unique(col[~nan[:, j]])[:3])
        ex = tuple(str(v)[:24] for v in first)
        if n_unique[j] <= 1:
            kind = ColumnKind.CONSTANT
        elif (
            is_int[j]
            and n_unique[j] == nonnull[j] == n_rows
            and n_rows >= 20
            and (_ID_NAME.search(name) or np.all(np.diff(srt[:, j]) == 1))
        ):
            kind = ColumnKind.ID
        else:
            kind = ColumnKind.NUMERIC
        out.append(ColumnProfile(name, kind, str(values.dtype), int(n_missing[j]), int(n_unique[j]), ex))
    return out


def _profile_table(df: pd.DataFrame, *, target: str | None, task: str | None) -> DatasetProfile:
    n_rows = len(df)
    cols = _profile_columns(df)
    if target is None:
        return DatasetProfile(n_rows, df.shape[1], tuple(cols))

    if target not in df.columns:
        raise DataError(f"Target column {target!r} is not in the table.", fix=_suggest_column(target, df.columns))
    y = df[target]
    n_missing = int(y.isna().sum())
    if n_missing == n_rows:
        raise DataError(f"The target {target!r} is missing in every row.", fix="Choose another target column.")
    if y.dropna().nunique() <= 1:
        raise DataError(
            f"The target {target!r} has a single value ({y.dropna().iloc[0]!r}), so there is nothing to predict.",
            fix="Choose another target column.",
        )
    if task is None:
        task = infer_task(y)
    if task not in TASKS:
        raise DataError(f"Unknown task {task!r}.", fix="Use 'classification' or 'regression'.")
    if task == "regression" and not pd.api.types.is_numeric_dtype(y.dropna()):
        raise DataError(
            f"Regression needs a numeric target, but {target!r} holds text such as {str(y.dropna().iloc[0])!r}.",
            fix="Choose classification, or a numeric target.",
        )

    warnings: list[str] = []
    if n_missing:
        warnings.append(f"{n_missing} row(s) have no target value and will be left out.")
    dropped: dict[str, str] = {}
    features: list[str] = []
    ignored: dict[ColumnKind, list[str]] = {}
    wide_categories: list[ColumnProfile] = []
    for c in cols:
        if c.name == target:
            continue
        if c.kind.usable:
            features.append(c.name)
        else:
            dropped[c.name] = c.kind.value
            ignored.setdefault(c.kind, []).append(c.name)
        if c.kind == ColumnKind.CATEGORICAL and c.n_unique > HIGH_CARDINALITY:
            wide_categories.append(c)
    reasons = {
        ColumnKind.ID: "looks like an identifier (a distinct value per row)",
        ColumnKind.CONSTANT: "has a single value",
        ColumnKind.TEXT: "holds free text",
    }
    plural = {
        ColumnKind.ID: "look like identifiers (a distinct value per row)",
        ColumnKind.CONSTANT: "have a single value",
        ColumnKind.TEXT: "hold free text",
    }
    for kind, names in ignored.items():
        if len(names) <= _LISTED:
            warnings.extend(f"Column {n!r} {reasons[kind]} and will be ignored." for n in names)
        else:  # one line, not one per column, for a wide table
            warnings.append(f"{len(names):,} columns ({_some(names)}) {plural[kind]} and will be ignored.")
    if len(wide_categories) <= _LISTED:
        warnings.extend(
            f"Column {c.name!r} has {c.n_unique} categories; only the {MAX_CATEGORIES - 1} most frequent "
            "get their own one-hot column (the rest share one)."
            for c in wide_categories
        )
    else:
        warnings.append(
            f"{len(wide_categories):,} columns ({_some([c.name for c in wide_categories])}) have more than "
            f"{HIGH_CARDINALITY} categories; only the most frequent get their own one-hot column."
        )
    if not features:
        raise DataError(
            "No usable feature columns: every column other than the target is an identifier, constant or free text.",
            fix="Add numeric or categorical feature columns.",
        )
    sparse = [c for c in cols if c.name in features and c.n_missing > MOSTLY_MISSING * n_rows]
    if sparse and len(sparse) <= _LISTED:
        warnings.extend(
            f"Column {c.name!r} is {c.n_missing / n_rows:.0%} missing: it says little, and what it says may be "
            "about why it is missing. Drop it unless missing means something here."
            for c in sparse
        )
    elif sparse:
        warnings.append(
            f"{len(sparse):,} columns ({_some([c.name for c in sparse])}) are more than "
            f"{MOSTLY_MISSING:.0%} missing: drop them unless missing means something here."
        )
    n_labelled = n_rows - n_missing
    if n_labelled < MIN_ROWS:
        warnings.append(
            f"Only {n_labelled} rows have a target: with 5-fold cross-validation each model learns from about "
            f"{n_labelled * 4 // 5} rows and is scored on {max(1, n_labelled // 5)}, so scores are mostly noise. "
            f"Use at least {MIN_ROWS} rows (or fewer CV folds)."
        )

    rows = df[y.notna()]
    class_counts = None
    target_summary = None
    if task == "classification":
        counts = rows[target].astype(str).value_counts()
        class_counts = {str(k): int(v) for k, v in counts.items()}
        if len(counts) > 50:
            warnings.append(f"The target has {len(counts)} classes; if it is a quantity, choose regression.")
        tiny = [k for k, v in class_counts.items() if v < 10]
        if tiny:
            warnings.append(f"Class(es) {tiny[:5]} have fewer than 10 rows; scores for them will be noisy.")
        if counts.iloc[0] / counts.sum() > 0.9:
            warnings.append(
                f"Classes are imbalanced: {counts.index[0]!r} is {counts.iloc[0] / counts.sum():.0%} of rows; "
                "prefer roc_auc or f1 to accuracy."
            )
    else:
        v = rows[target].astype(float)
        target_summary = {
            "mean": float(v.mean()),
            "std": float(v.std()),
            "min": float(v.min()),
            "median": float(v.median()),
            "max": float(v.max()),
        }
    warnings.extend(_leakage_warnings(rows, features, target, task))
    return DatasetProfile(
        n_rows,
        df.shape[1],
        tuple(cols),
        target=target,
        task=task,
        class_counts=class_counts,
        target_summary=target_summary,
        features=tuple(features),
        dropped=dropped,
        warnings=tuple(warnings),
    )


def _leakage_warnings(rows: pd.DataFrame, features: list[str], target: str, task: str) -> list[str]:
    """Flag a feature that predicts the target (almost) perfectly, and one named like something known only
    after the outcome (``paid_interest``, ``loan_status``) that predicts it well: likely leaks."""
    out: list[tuple[int, str]] = []
    out += _after_outcome(rows, features, target, task)
    order = {f: i for i, f in enumerate(features)}
    sample = rows.head(20000)
    y = sample[target]
    codes = pd.factorize(y)[0] if task == "classification" else y.to_numpy(dtype=float)
    fast, slow = _plain_numeric(sample[features])
    for names, values in fast:  # numpy per column: pandas' per-Series overhead dominates on wide tables
        for j, f in enumerate(names):
            x = values[:, j].astype(float)
            ok = ~np.isnan(x)
            if ok.sum() < 10:
                continue
            if task == "regression":
                c = np.corrcoef(x[ok], codes[ok])[0, 1]
                if np.isfinite(c) and abs(c) > 0.999:
                    out.append((order[f], _corr_leak(f, c)))
            else:
                xs, ys = x[ok], codes[ok]
                n_unique = len(np.unique(xs))
                if (
                    n_unique < 0.5 * ok.sum()
                    and len(np.unique(np.stack([xs, ys.astype(float)]), axis=1)[0]) == n_unique
                ):
                    out.append((order[f], _exact_leak(f)))
    for f in slow:
        x = sample[f]
        ok = x.notna()
        if ok.sum() < 10:
            continue
        if task == "regression" and pd.api.types.is_numeric_dtype(x):
            c = np.corrcoef(x[ok].astype(float), y[ok].astype(float))[0, 1]
            if np.isfinite(c) and abs(c) > 0.999:
                out.append((order[f], _corr_leak(f, c)))
        elif task == "classification":
            n_unique = x[ok].nunique()
            # Group the target by this one column (not the whole frame: that would be quadratic in width).
            if n_unique < 0.5 * ok.sum() and y[ok].groupby(x[ok], observed=True).nunique().max() == 1:
                out.append((order[f], _exact_leak(f)))
    one = dict(out)  # one message per column: an exact leak's (added last) over a post-outcome name's
    return [one[i] for i in sorted(one)]


#: Words in a column's name that say it is recorded after the outcome (a loan paid, a status reached).
_AFTER_OUTCOME = re.compile(
    r"(^|[_\W])(paid|payment|recover\w*|collect\w*|status|outcome|result|settle\w*|charged?_?off|"
    r"default\w*|balance|closed|final|refund\w*|late_fees?)($|[_\W])",
    re.IGNORECASE,
)
#: A post-outcome name is flagged when the column predicts the target at least this well (|r|).
AFTER_OUTCOME_R = 0.3


def _after_outcome(rows: pd.DataFrame, features: list[str], target: str, task: str) -> list[tuple[int, str]]:
    """Numeric features with an after-the-outcome name whose correlation with the target (regression, or the
    positive class of a binary target) is at least ``AFTER_OUTCOME_R``; categorical ones by name alone when
    one of their values almost settles the target."""
    out: list[tuple[int, str]] = []
    sample = rows.head(20000)
    y = sample[target]
    if task == "classification":
        if y.nunique() != 2:
            return out
        yv = pd.Series(pd.factorize(y)[0], index=y.index).astype(float)
    else:
        yv = y.astype(float)
    for i, f in enumerate(features):
        if f == target or not _AFTER_OUTCOME.search(str(f)):
            continue
        x = sample[f]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            ok = x.notna()
            if ok.sum() < 10:
                continue
            c = np.corrcoef(x[ok].astype(float), yv[ok])[0, 1]
            if np.isfinite(c) and AFTER_OUTCOME_R <= abs(c) <= 0.999:  # past 0.999 the exact-leak check says it
                out.append(
                    (
                        i,
                        f"Column {f!r} is named like something known only after the outcome and predicts "
                        f"the target (r = {c:.2f}): keep it only if it is known when you predict.",
                    )
                )
        else:
            ok = x.notna()
            if ok.sum() < 10:
                continue
            spread = yv[ok].groupby(x[ok].astype(str)).agg(["mean", "size"])
            big = spread[spread["size"] >= 10]
            if task == "classification" and len(big) and ((big["mean"] < 0.02) | (big["mean"] > 0.98)).any():
                out.append(
                    (
                        i,
                        f"Column {f!r} is named like something known only after the outcome and one of its "
                        "values almost settles the target: keep it only if it is known when you predict.",
                    )
                )
    return out


def _corr_leak(f: str, c: float) -> str:
    return f"Column {f!r} is almost perfectly correlated with the target (r = {c:.4f}): a possible leak."


def _exact_leak(f: str) -> str:
    return f"Column {f!r} determines the target exactly: a possible leak (or the target itself)."


def _plain_numeric(df: pd.DataFrame) -> tuple[list[tuple[list[str], np.ndarray]], list[str]]:
    """Split columns into blocks of one plain numpy dtype (float, or int exact as float) and the others."""
    blocks: dict[np.dtype, list[int]] = {}
    slow: list[str] = []
    for i, dt in enumerate(df.dtypes):
        if isinstance(dt, np.dtype) and dt.kind in "fiu":
            blocks.setdefault(dt, []).append(i)
        else:
            slow.append(str(df.columns[i]))
    fast = []
    for dt, idx in blocks.items():
        values = df.iloc[:, idx].to_numpy()
        names = [str(df.columns[i]) for i in idx]
        if dt.kind in "iu" and values.size:
            big = ((values > 2**53) | (values < -(2**53))).any(axis=0)  # would not survive float conversion
            if big.any():
                slow.extend(n for n, b in zip(names, big) if b)
                keep = ~big
                values, names = values[:, keep], [n for n, k in zip(names, keep) if k]
        if names:
            fast.append((names, values))
    return fast, slow


# ----------------------------------------------------------------------------------------------
# Preparing X and y


@dataclass(frozen=True)
class PreparedData:
    X: pd.DataFrame
    y: np.ndarray
    classes: tuple[str, ...] | None
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]


def prepare_xy(df: pd.DataFrame, profile: DatasetProfile) -> PreparedData:
    """Features typed for the preprocessor (datetimes as numbers, categories as strings), labels encoded."""
    if profile.target is None:
        raise DataError("Choose a target column first.")
    df = _infinite_as_missing(df)
    rows = df[df[profile.target].notna()]
    # Columns are collected in a dict and framed once: inserting them one by one is quadratic.
    cols: dict[str, Any] = {}
    numeric: list[str] = []
    categorical: list[str] = []
    for name in profile.features:
        kind = profile.column(name).kind
        s = rows[name]
        if kind == ColumnKind.NUMERIC:
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            cols[name] = np.where(np.isinf(v), np.nan, v)
            numeric.append(name)
        elif kind == ColumnKind.DATETIME:
            t = pd.to_datetime(s, errors="coerce", format="mixed") if not pd.api.types.is_datetime64_any_dtype(s) else s
            cols[f"{name}__days"] = (t - pd.Timestamp("1970-01-01")).dt.days.astype(float).to_numpy()
            cols[f"{name}__month"] = t.dt.month.astype(float).to_numpy()
            cols[f"{name}__weekday"] = t.dt.day_of_week.astype(float).to_numpy()
            numeric.extend([f"{name}__days", f"{name}__month", f"{name}__weekday"])
        else:
            cols[name] = np.array([np.nan if pd.isna(v) else str(v) for v in s], dtype=object)
            categorical.append(name)
    X = pd.DataFrame(cols, index=rows.index) if cols else pd.DataFrame(index=rows.index)
    X = X.reset_index(drop=True)
    classes = None
    if profile.task == "classification":
        labels = rows[profile.target]
        if pd.api.types.is_numeric_dtype(labels):
            uniq = np.unique(labels.to_numpy())
            classes = tuple(str(int(u)) if float(u).is_integer() else str(u) for u in uniq)
            y = np.searchsorted(uniq, labels.to_numpy())
        else:
            as_str = labels.astype(str).to_numpy()
            uniq = np.unique(as_str)
            classes = tuple(str(u) for u in uniq)
            y = np.searchsorted(uniq, as_str)
        y = y.astype(np.int64)
    else:
        y = rows[profile.target].to_numpy(dtype=float)
    return PreparedData(X, y, classes, tuple(numeric), tuple(categorical))


def check_folds(y: np.ndarray, *, task: str, cv: int, classes: Sequence[str] | None = None) -> None:
    """A class needs at least ``cv`` members for stratified K-fold; the table needs ``cv`` rows."""
    if cv < 2:
        raise DataError(
            f"Cross-validation needs at least 2 folds, got {cv}.",
            fix="Use --cv 2 or more.",
            app_fix='Set "CV folds" on the Search page to 2 or more.',
        )
    if len(y) < cv:
        raise DataError(
            f"Only {len(y)} rows with a target, fewer than the {cv} CV folds.", fix="Use fewer folds or more rows."
        )
    if task == "classification":
        counts = np.bincount(y)
        small = [(classes[i] if classes else str(i), int(c)) for i, c in enumerate(counts) if 0 < c < cv]
        if small:
            name, n = min(small, key=lambda s: s[1])
            n_classes = int((counts > 0).sum())
            rows = f"{n} row{'s' if n != 1 else ''}"
            message = (
                f"Class {name!r} has only {rows}, fewer than the {cv} cross-validation folds."
                if len(small) == 1
                else f"{len(small)} of {n_classes} classes have fewer rows than the {cv} cross-validation folds "
                f"(class {name!r} has {rows})."
            )
            labels = list(classes) if classes else []
            hint_cli = hint_app = ""
            if n_classes > 20 and labels and all(_is_number(c) for c in labels):
                hint_cli = "The target is a number with many values: if it is a quantity, use --task regression. "
                hint_app = 'The target is a number with many values: if it is a quantity, choose Task "regression" on the Data page. '
            tail = "merge rare classes, or remove those rows."
            raise DataError(
                message,
                fix=hint_cli + (f"Use {n} folds (--cv {n}), {tail}" if n >= 2 else tail.capitalize()),
                app_fix=hint_app
                + (f'Set "CV folds" on the Search page to {n}, {tail}' if n >= 2 else tail.capitalize()),
            )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def onehot_max_categories(n_categorical: int) -> int:
    """Columns per categorical feature, so the one-hot block stays near ``MAX_ONEHOT_WIDTH`` columns in all."""
    if n_categorical <= 0:
        return MAX_CATEGORIES
    return max(2, min(MAX_CATEGORIES, MAX_ONEHOT_WIDTH // n_categorical))


def build_preprocessor(
    numeric: Sequence[str], categorical: Sequence[str], *, scale: bool, impute: bool = True, sparse: bool = False
) -> ColumnTransformer:
    """Impute, one-hot encode (capped, unknown categories tolerated) and scale where the model needs it.

    With ``sparse`` (for estimators that read sparse input the same way as dense) the output is a
    sparse matrix whenever it is mostly zeros (scikit-learn's ``sparse_threshold``): a wide one-hot block
    then costs its non-zeros, not rows x columns x 8 bytes per fold and per parallel trial.
    """
    num_steps: list[tuple[str, Any]] = []
    if impute:
        num_steps.append(("impute", SimpleImputer(strategy="median")))
    if scale:
        num_steps.append(("scale", StandardScaler()))
    cat = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            (
                "onehot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=onehot_max_categories(len(categorical)),
                    sparse_output=sparse,
                ),
            ),
        ]
    )
    transformers = []
    if numeric:
        transformers.append(("num", Pipeline(num_steps) if num_steps else "passthrough", list(numeric)))
    if categorical:
        transformers.append(("cat", cat, list(categorical)))
    return ColumnTransformer(
        transformers,
        remainder="drop",
        verbose_feature_names_out=False,
        sparse_threshold=SPARSE_THRESHOLD if sparse else 0.0,
    )
