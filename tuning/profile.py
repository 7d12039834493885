"""Profile a table: the kind of every column, the task, the class balance, the usable features, and what
to distrust (identifiers, leaks, columns known only after the outcome, mostly-missing columns, too few rows).

``profile_table`` never raises for an odd column, only for a target that cannot be predicted
(:class:`DataError`, with a fix); ``guess_target`` picks the likely target of a new table by name and kind.
Reading a file is tuning/data.py's, preparing X and y too; both use the column model defined here.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd

from tuning.errors import DataError

MAX_CATEGORIES = 20
#: A feature with more than this fraction missing is flagged in the profile.
MOSTLY_MISSING = 0.5
#: Fewer rows with a target than this: cross-validation scores are mostly noise (the profile says so).
MIN_ROWS = 50
HIGH_CARDINALITY = 50
TASKS = ("classification", "regression")


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
    #: Feature columns the profile distrusts, with why in a few words (a leak, known after the outcome,
    #: mostly missing): the Data page offers to drop them in one click.
    suspects: dict[str, str] = field(default_factory=dict)

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
    suspects = {c.name: f"{c.n_missing / n_rows:.0%} missing" for c in sparse}
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
    leaks = _leakage_warnings(rows, features, target, task)
    warnings.extend(message for _, message in leaks)
    suspects.update({name: _leak_kind(message) for name, message in leaks})
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
        suspects=suspects,
    )


def _leak_kind(message: str) -> str:
    return "known after the outcome?" if "after the outcome" in message else "a possible leak"


def _leakage_warnings(rows: pd.DataFrame, features: list[str], target: str, task: str) -> list[tuple[str, str]]:
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
    return [(features[i], one[i]) for i in sorted(one)]


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
# Guessing the target

#: Names that say "this is what to predict" (lower-case, without separators), strongest first: a label's
#: name beats a quantity's (credit data has both ``Status`` and ``Price``).
_TARGET_LABELS = {
    "target",
    "label",
    "labels",
    "class",
    "y",
    "outcome",
    "response",
    "diagnosis",
    "species",
    "churn",
    "churned",
    "survived",
    "default",
    "status",
    "cultivar",
    "digit",
}
_TARGET_QUANTITIES = {"saleprice", "price", "quality", "grade", "progression", "wage", "salary", "income", "rating"}
#: Words that make a column a likely target when its name holds them (``interest_rate``, ``avg_price``).
_TARGET_WORDS = re.compile(
    r"(^|[_\W])(target|label|class|outcome|price|rate|salary|wage|income|churn|default|revenue|sales|score)"
    r"($|[_\W])",
    re.IGNORECASE,
)


def guess_target(df: pd.DataFrame) -> str:
    """The likely target of a new table: a name that says so (``target``, ``label``, ``price``...), then a
    name that holds such a word, then the last column; never an identifier, a constant, free text, a date,
    or a column named like something recorded after the outcome (``paid_total``, ``balance``)."""
    cols = [str(c) for c in df.columns]
    if not cols:
        raise DataError("The table has no columns.", fix="Check the file.")
    kinds = {c.name: c.kind for c in _profile_columns(df.head(2000))}

    def rank(i: int, name: str) -> float:
        kind = kinds.get(name)
        if kind is None or not kind.usable or kind is ColumnKind.DATETIME:
            return -100.0
        flat = re.sub(r"[\W_]+", "", name.lower())
        score = 0.0
        if flat in _TARGET_LABELS:
            score += 100
        elif flat in _TARGET_QUANTITIES:
            score += 80
        elif _TARGET_WORDS.search(name):
            score += 40
        if _AFTER_OUTCOME.search(name) and flat not in _TARGET_LABELS:
            score -= 50
        return score + (10 if i == len(cols) - 1 else 5 if i == 0 else 0) + i / (100 * len(cols))

    best = max(range(len(cols)), key=lambda i: rank(i, cols[i]))
    return cols[best] if rank(best, cols[best]) > -100 else cols[-1]
