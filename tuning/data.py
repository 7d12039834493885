"""Read a table (CSV/TSV, Parquet, Excel, bounded), and build X, y and the per-model preprocessing.

Everything a user can get wrong raises :class:`DataError` with a message that names the problem
and the fix. Preprocessing lives inside the model's Pipeline so it is fitted per fold (no leakage).
Profiling the table (column kinds, warnings, the target's guess) is tuning/profile.py's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tuning.errors import DataError
from tuning.profile import (  # the column model, and the profile's names for the modules that read them here
    MAX_CATEGORIES,
    ColumnKind,
    DatasetProfile,
    _infinite_as_missing,
)

MISSING_MARKERS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "?", "#N/A"]
# A table wider than this is a bag of words or an expression matrix: it needs feature selection before a
# hyperparameter search, and each fold of each parallel trial would hold a dense rows x columns copy.
MAX_COLUMNS = 10_000
# One-hot columns in all: past this each categorical feature gets fewer than MAX_CATEGORIES columns.
MAX_ONEHOT_WIDTH = 2_000
SPARSE_THRESHOLD = 0.3  # output density below which a sparse-capable model gets a sparse matrix
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
    """A class needs at least ``cv`` members for stratified K-fold; the table needs two rows per fold."""
    if cv < 2:
        raise DataError(
            f"Cross-validation needs at least 2 folds, got {cv}.",
            fix="Use --cv 2 or more.",
            app_fix='Set "CV folds" on the Search page to 2 or more.',
        )
    if len(y) < 2 * cv:  # a validation fold of one row has no R², no AUC, no spread
        raise DataError(
            f"Only {len(y)} rows with a target: {cv} CV folds need at least {2 * cv} (two validation rows each).",
            fix=f"Use more rows, or fewer folds (--cv {max(2, len(y) // 2)})." if len(y) >= 4 else "Use more rows.",
            app_fix=f'Use more rows, or set "CV folds" on the Search page to {max(2, len(y) // 2)}.'
            if len(y) >= 4
            else "Use a table with more rows.",
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


def without_columns(df: pd.DataFrame, columns: Sequence[str]) -> tuple[bytes, str]:
    """The table without ``columns``, as file bytes and their extension: Parquet (it keeps the column types),
    or CSV when a column's values cannot go to Parquet (mixed types in one column)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"Column(s) {missing[:5]} are not in the table.", fix="Pick columns of this table.")
    rest = df.drop(columns=list(columns))
    if rest.shape[1] == 0:
        raise DataError("Dropping these columns would leave no column.", fix="Keep at least the target and a feature.")
    buf = io.BytesIO()
    try:
        rest.to_parquet(buf, index=False)
        return buf.getvalue(), ".parquet"
    except Exception:  # pyarrow refuses a column of mixed types: CSV keeps it as text
        return rest.to_csv(index=False).encode("utf-8"), ".csv"


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
