"""Reading an Optuna storage that came from outside: bounded, read-only, every value checked.

An Optuna file given to the workbench (an upload on the Results page, a path on the command line) is
untrusted. A SQLite storage is read by the workbench itself, with Python's sqlite3 opened read-only
(``mode=ro&immutable=1``): Optuna's RDBStorage would create missing tables and check or stamp the schema
version on open, i.e. write to the file. Before any query the file is checked: an SQLite header, a bounded
size, Optuna's tables, and no views, triggers, virtual tables or generated columns (each is SQL that runs
on read). Every query runs under a step and time budget. Each trial is then checked field by field; one
that fails is skipped and counted, and the study's settings go through the checks of a new study.

``tuning.export.optuna`` (the one module that imports ``optuna``) turns what this reads into a study. This
module needs no ``optuna``.

Over 600 lines because every field of a foreign trial and study has its own bounded check here, in one
place, next to the reader that hands them over.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuning.errors import ConfigError, DataError, StoreError, TuningError
from tuning.protocol import Rung, TrialState
from tuning.store import TrialRecord, now_iso

#: user attribute under which an export keeps what Optuna has no place for (config, metric, study name)
STUDY_ATTR = "workbench"

#: Config keys an import drops: they say where trials ran (a scheduler a resume would contact) and on what.
FOREIGN_RUN_KEYS = ("executor", "scheduler", "workers", "device")


# -- import -------------------------------------------------------------------------------------------
#
# An Optuna file given to the workbench (an upload on the Results page, a path on the command line) is
# untrusted. A SQLite storage is read by the workbench itself, with Python's sqlite3 opened read-only
# (``mode=ro&immutable=1``): Optuna's RDBStorage would create missing tables and check or stamp the schema
# version on open, i.e. write to the file. Before any query the file is checked: an SQLite header, a bounded
# size, Optuna's tables, and no views, triggers, virtual tables or generated columns (each is SQL that runs
# on read). Every query runs under a step and time budget. Each trial is then checked field by field; one
# that fails is skipped and counted, and the study's settings go through the checks of a new study.

#: the largest Optuna file read (bytes)
MAX_FILE_BYTES = 200 * 1024 * 1024
#: studies in one file, trials in one study, parameters in one trial
MAX_STUDIES = 1_000
MAX_TRIALS = 100_000
MAX_PARAMS = 200
#: intermediate values of one trial (boosting rounds...)
MAX_STEPS = 100_000
#: names (study, parameter, metric) in characters
MAX_NAME = 200
#: one distribution's JSON text, in characters; the choices of a categorical distribution
MAX_DIST_JSON = 20_000
MAX_CHOICES = 1_000
#: one attribute's JSON text (a trial's curves, the study's settings), in characters
MAX_ATTR_JSON = 4_000_000
#: free text kept from a trial (an error message, a note), in characters (longer is cut)
MAX_TEXT = 10_000
#: any single string or blob SQLite hands over (SQLITE_LIMIT_LENGTH): a larger one stops the read
MAX_VALUE_BYTES = 16 * 1024 * 1024
#: every query on the file together: SQLite VM steps (checked every _SQL_EVERY) and wall-clock seconds
SQL_MAX_STEPS = 4_000_000_000
SQL_MAX_SECONDS = 30.0
_SQL_EVERY = 10_000

_SQLITE_HEADER = b"SQLite format 3\x00"
#: the tables (and their columns) the import reads; a file without them is not an Optuna storage
_OPTUNA_COLUMNS: dict[str, tuple[str, ...]] = {
    "studies": ("study_id", "study_name"),
    "study_directions": ("study_id", "objective", "direction"),
    "study_user_attributes": ("study_id", "key", "value_json"),
    "study_system_attributes": ("study_id", "key", "value_json"),
    "trials": ("trial_id", "number", "study_id", "state", "datetime_start", "datetime_complete"),
    "trial_params": ("trial_id", "param_name", "param_value", "distribution_json"),
    "trial_values": ("trial_id", "objective", "value", "value_type"),
    "trial_intermediate_values": ("trial_id", "step", "intermediate_value", "intermediate_value_type"),
    "trial_user_attributes": ("trial_id", "key", "value_json"),
    "trial_system_attributes": ("trial_id", "key", "value_json"),
}
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_FRESH_FIX = "Export the study again from Optuna into a fresh SQLite file (storage='sqlite:///study.db')."
#: the workbench's own trial attributes (``_trial_attrs``): the only ones an import reads
_OUR_TRIAL_KEYS = (
    "number", "params", "score", "train_score", "fold_scores", "fold_train_scores", "fit_time", "score_time",
    "duration_s", "worker", "error", "budget", "rung", "model_size", "model_size_unit", "note", "rungs", "curves",
)  # fmt: skip


class _Skip(Exception):
    """A trial that fails a check: ``reason`` (a short phrase, counted) says why it is left out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OptunaImport:
    """What an import did: the new study, how many trials it copied and, by reason, how many it left out."""

    study_id: int
    imported: int
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def skipped_text(self) -> str:
        """``"3 trial(s) left out: 2 with a non-finite score, 1 with ..."``; empty when none was left out."""
        if not self.skipped:
            return ""
        parts = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items(), key=lambda kv: -kv[1]))
        return f"{self.n_skipped} trial(s) left out: {parts}."


@dataclass
class _RawTrial:
    """One Optuna trial as read, nothing checked yet (every field may hold anything SQLite can)."""

    trial_id: Any
    number: Any
    state: Any
    start: Any
    complete: Any
    values: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (objective, value, value_type)
    params: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (name, internal value, distribution JSON)
    steps: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (step, value, value_type)
    attrs: dict[str, Any] = field(default_factory=dict)  # key -> JSON text (the workbench's keys only)
    fail_reason: Any = None
    bad: str | None = None  # a problem found while reading (too many rows, a key twice)


@dataclass
class _RawStudy:
    name: str
    directions: list[tuple[Any, Any]]  # (objective, direction)
    workbench: Any  # JSON text of the STUDY_ATTR user attribute, or None
    metric_names: Any  # JSON text of Optuna's "study:metric_names" system attribute, or None
    trials: list[_RawTrial]


def _label_of(url: str) -> str:
    """How a storage is named in messages: an SQLite file by its name (never the server's path), another URL
    without its password."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :]).name or "the SQLite file"
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def _sqlite_path(url: str) -> Path | None:
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None


class _Budget:
    """A progress handler: non-zero (SQLite interrupts the query) past the step or time budget."""

    def __init__(self) -> None:
        self.calls = 0
        self.max_calls = max(1, SQL_MAX_STEPS // _SQL_EVERY)
        self.deadline = time.monotonic() + SQL_MAX_SECONDS
        self.spent = False

    def __call__(self) -> int:
        self.calls += 1
        if self.calls > self.max_calls or time.monotonic() > self.deadline:
            self.spent = True
            return 1
        return 0


class _Storage:
    """An Optuna SQLite file opened read-only, checked before it is read, every query bounded."""

    def __init__(self, path: Path, label: str) -> None:
        import sqlite3

        self.label = label
        self._sqlite = sqlite3
        if not path.is_file():
            raise StoreError(f"There is no SQLite file {label}.", fix="Check the path.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(
                f"The Optuna file {label} is {size / 2**20:.0f} MB; the import reads files up to "
                f"{MAX_FILE_BYTES / 2**20:.0f} MB.",
                fix="Export fewer trials, or one study, into a fresh SQLite file.",
            )
        with path.open("rb") as f:
            header = f.read(100)
        if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
            raise DataError(
                f"{label} is not an SQLite file (its first bytes are not SQLite's header).",
                fix="Upload the .db file Optuna wrote with storage='sqlite:///study.db'.",
            )
        self.budget = _Budget()
        try:
            self.conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=0, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        # text that is not UTF-8 is read with replacement characters (then fails the checks of names and text)
        self.conn.text_factory = lambda b: b.decode("utf-8", "replace")
        try:
            self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
            self.conn.execute("PRAGMA query_only=ON")
            self.conn.execute("PRAGMA trusted_schema=OFF")  # no function in the schema may run with side effects
            self.conn.execute("PRAGMA cell_size_check=ON")
            self.conn.set_progress_handler(self.budget, _SQL_EVERY)
            self._check_schema()
        except (sqlite3.Error, UnicodeError) as exc:
            self.conn.close()
            raise self._error(exc) from None
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> _Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """A cursor over the rows (errors, the budget included, become plain DataErrors)."""
        try:
            return self._rows(self.conn.execute(sql, args))
        except (self._sqlite.Error, UnicodeError) as exc:  # SQLite's message on a damaged schema may not be UTF-8
            raise self._error(exc) from None

    def _rows(self, cur: Any) -> Any:
        try:
            yield from cur
        except (self._sqlite.Error, UnicodeError) as exc:  # SQLite's message on a damaged schema may not be UTF-8
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> DataError:
        if self.budget.spent:
            return DataError(
                f"Reading the Optuna file {self.label} took too long, so it was stopped (the import allows "
                f"{SQL_MAX_SECONDS:.0f} s of queries).",
                fix="Export fewer trials, or one study, into a fresh SQLite file.",
            )
        if isinstance(exc, self._sqlite.DataError) and "too big" in str(exc):
            return DataError(
                f"The Optuna file {self.label} holds a value over {MAX_VALUE_BYTES // 2**20} MB, more than an "
                "Optuna study needs.",
                fix=_FRESH_FIX,
            )
        return DataError(
            f"The Optuna file {self.label} cannot be read as SQLite: it is damaged or truncated.", fix=_FRESH_FIX
        )

    def _check_schema(self) -> None:
        objects = list(self.query("SELECT type, name, sql FROM sqlite_master LIMIT 10001"))
        if len(objects) > 10_000:
            raise DataError(f"The Optuna file {self.label} holds over 10,000 tables and indexes.", fix=_FRESH_FIX)
        for kind, name, sql in objects:
            shown = str(name)[:60]
            if kind == "view":
                raise DataError(
                    f"The Optuna file {self.label} has a SQL view ({shown!r}): views can run arbitrary queries, "
                    "so they are refused.",
                    fix=_FRESH_FIX,
                )
            if kind == "trigger":
                raise DataError(
                    f"The Optuna file {self.label} has a SQL trigger ({shown!r}): triggers run SQL of their own, "
                    "so they are refused.",
                    fix=_FRESH_FIX,
                )
            if kind == "table" and isinstance(sql, str) and re.match(r"\s*CREATE\s+VIRTUAL\b", sql, re.I):
                raise DataError(
                    f"The Optuna file {self.label} has a virtual table ({shown!r}), which Optuna never writes; "
                    "it is refused.",
                    fix=_FRESH_FIX,
                )
        tables = {str(name) for kind, name, _ in objects if kind == "table"}
        missing = [t for t in _OPTUNA_COLUMNS if t not in tables]
        if missing:
            raise DataError(
                f"{self.label} is an SQLite file but not an Optuna storage (it has no {', '.join(missing[:3])} table).",
                fix="Upload the .db file Optuna wrote with storage='sqlite:///study.db' (Optuna 2.4 or later).",
            )
        for table, needed in _OPTUNA_COLUMNS.items():
            info = list(self.query(f"PRAGMA table_xinfo({table})"))
            have = {str(r[1]) for r in info}
            lacking = [c for c in needed if c not in have]
            if lacking:
                raise DataError(
                    f"The Optuna file {self.label} has a {table} table without the column {lacking[0]!r}: it is not "
                    "a storage this release of the workbench reads.",
                    fix=_FRESH_FIX,
                )
            generated = [str(r[1]) for r in info if r[6] in (2, 3)]  # hidden: 2 virtual, 3 stored generated column
            if generated:
                raise DataError(
                    f"The Optuna file {self.label} has a generated column ({table}.{generated[0][:60]}), which "
                    "computes SQL on read; it is refused.",
                    fix=_FRESH_FIX,
                )

    def studies(self) -> list[tuple[int, str]]:
        rows = list(
            self.query("SELECT study_id, study_name FROM studies ORDER BY study_id LIMIT ?", (MAX_STUDIES + 1,))
        )
        if len(rows) > MAX_STUDIES:
            raise DataError(
                f"The Optuna file {self.label} holds more than {MAX_STUDIES:,} studies.",
                fix="Export the study you want into a fresh SQLite file.",
            )
        out = []
        for sid, name in rows:
            if not _is_int(sid) or not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or not name.isprintable():
                raise DataError(
                    f"The Optuna file {self.label} has a study whose name is not text of 1 to {MAX_NAME} printable "
                    "characters.",
                    fix=_FRESH_FIX,
                )
            out.append((int(sid), name))
        if len({n for _, n in out}) != len(out):
            raise DataError(f"The Optuna file {self.label} names two studies alike.", fix=_FRESH_FIX)
        return out

    def read_study(self, study_id: int, name: str) -> _RawStudy:
        directions = [
            (o, d)
            for o, d in self.query(
                "SELECT objective, direction FROM study_directions WHERE study_id=? LIMIT 101", (study_id,)
            )
        ]
        workbench = self._attr("study_user_attributes", study_id, STUDY_ATTR)
        metric_names = self._attr("study_system_attributes", study_id, "study:metric_names")
        n = next(iter(self.query("SELECT COUNT(*) FROM trials WHERE study_id=?", (study_id,))))[0]
        if not _is_int(n) or n > MAX_TRIALS:
            raise DataError(
                f"The Optuna study {name!r} in {self.label} has {n:,} trials; the import copies up to {MAX_TRIALS:,}.",
                fix="Export a part of the study into a fresh SQLite file.",
            )
        trials: dict[Any, _RawTrial] = {}
        for tid, number, state, start, complete in self.query(
            "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials WHERE study_id=? LIMIT ?",
            (study_id, MAX_TRIALS),
        ):
            trials[tid] = _RawTrial(tid, number, state, start, complete)
        join = "JOIN trials t ON t.trial_id = x.trial_id WHERE t.study_id=?"
        rows = (  # (table's columns after the trial id, the list each trial fills, its bound, why it is refused)
            ("x.objective, x.value, x.value_type FROM trial_values", "values", 100, "too many objective values"),
            (
                "x.param_name, x.param_value, x.distribution_json FROM trial_params",
                "params",
                MAX_PARAMS,
                f"more than {MAX_PARAMS} parameters",
            ),
            (
                "x.step, x.intermediate_value, x.intermediate_value_type FROM trial_intermediate_values",
                "steps",
                MAX_STEPS,
                f"more than {MAX_STEPS:,} intermediate values",
            ),
        )
        for columns, attr, bound, why in rows:
            for tid, *row in self.query(f"SELECT x.trial_id, {columns} x {join}", (study_id,)):
                t = trials.get(tid)
                if t is None:
                    continue
                kept = getattr(t, attr)
                if len(kept) >= bound:
                    t.bad = why
                else:
                    kept.append(tuple(row))
        if workbench is not None:
            keys = ",".join("?" * len(_OUR_TRIAL_KEYS))
            for tid, key, value in self.query(
                f"SELECT x.trial_id, x.key, x.value_json FROM trial_user_attributes x {join} AND x.key IN ({keys})",
                (study_id, *_OUR_TRIAL_KEYS),
            ):
                t = trials.get(tid)
                if t is not None:
                    if key in t.attrs:
                        t.bad = "a user attribute twice"
                    t.attrs[str(key)] = value
        for tid, value in self.query(
            f"SELECT x.trial_id, x.value_json FROM trial_system_attributes x {join} AND x.key='fail_reason'",
            (study_id,),
        ):
            t = trials.get(tid)
            if t is not None:
                t.fail_reason = value
        return _RawStudy(name, directions, workbench, metric_names, list(trials.values()))

    def _attr(self, table: str, study_id: int, key: str) -> Any:
        rows = list(self.query(f"SELECT value_json FROM {table} WHERE study_id=? AND key=? LIMIT 2", (study_id, key)))
        if len(rows) > 1:
            raise DataError(f"The Optuna file {self.label} holds the study attribute {key!r} twice.", fix=_FRESH_FIX)
        return rows[0][0] if rows else None


# -- checks of untrusted values --------------------------------------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError("a number too large for a float")
    return v


#: a JSON number that may not fit a float (1e999, 400 digits): only then is each float parsed with a check
_HUGE_NUMBER = re.compile(r"[eE][+]?0*[0-9]{3}|[0-9]{300}")


def _json(text: Any, limit: int) -> Any:
    """Strict JSON of bounded size: NaN, Infinity and 1e999 are refused (ValueError), deep nesting too."""
    if not isinstance(text, str) or len(text) > limit:
        raise ValueError("not JSON text of bounded size")
    try:
        if _HUGE_NUMBER.search(text):  # may overflow to inf: each float checked (slower)
            return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def _finite(v: Any, what: str, *, low: float = -math.inf) -> float:
    """A finite real number (bool is not one)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _Skip(f"with {what} that is not a number")
    try:
        f = float(v)
    except OverflowError:
        raise _Skip(f"with a non-finite {what}") from None
    if not math.isfinite(f):
        raise _Skip(f"with a non-finite {what}")
    if f < low:
        raise _Skip(f"with a negative {what}")
    return f


def _whole(v: Any, what: str, *, low: int = 0, high: int = 2**53) -> int:
    if not _is_int(v) or not low <= v <= high:
        raise _Skip(f"with {what} that is not a whole number from {low}")
    return int(v)


def _name(v: Any) -> str:
    if not isinstance(v, str) or len(v) > MAX_NAME or not _NAME_RE.fullmatch(v):
        raise _Skip(f"with a parameter name that is not an identifier of up to {MAX_NAME} characters")
    return v


def _scalar(v: Any, what: str) -> Any:
    """None, bool, int, finite float or short text: what a categorical choice or a parameter value may be."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        if abs(v) > 2**63:
            raise _Skip(f"with {what} too large")
        return v
    if isinstance(v, float):
        return _finite(v, what)
    if _plain_text(v) and len(v) <= MAX_NAME:
        return v
    raise _Skip(f"with {what} that is not a number or short text")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain_text(v: Any) -> bool:
    """Text SQLite can store (JSON may decode to lone surrogates, which UTF-8 cannot hold)."""
    return isinstance(v, str) and _SURROGATE.search(v) is None


def _key(v: Any, what: str) -> str:
    if not _plain_text(v) or not 0 < len(v) <= MAX_NAME:
        raise _Skip(f"with {what} that is not text of up to {MAX_NAME} characters")
    return v


def _text(v: Any, what: str, *, limit: int = MAX_NAME, cut: bool = False) -> str | None:
    if v is None:
        return None
    if not _plain_text(v):
        raise _Skip(f"with {what} that is not text")
    if len(v) > limit:
        if not cut:
            raise _Skip(f"with {what} over {limit} characters")
        return v[:limit] + "..."
    return v


def _numbers(v: Any, what: str, *, limit: int = MAX_STEPS, low: float = -math.inf) -> list[float]:
    if not isinstance(v, list) or len(v) > limit:
        raise _Skip(f"with {what} that is not a list of up to {limit:,} numbers")
    if all(type(x) is float and x - x == 0.0 and x >= low for x in v):  # the common case, fast (x - x: nan on inf)
        return v
    return [_finite(x, what, low=low) for x in v]


@dataclass(frozen=True)
class _Dist:
    """A checked Optuna distribution."""

    kind: str  # "float" | "int" | "categorical"
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()

    def value(self, internal: Any) -> Any:
        """The parameter's value from Optuna's internal representation (a float; a choice's index)."""
        x = internal if _is_int(internal) else _finite(internal, "parameter value")
        if self.kind == "categorical":
            if not float(x).is_integer() or not 0 <= x < len(self.choices):
                raise _Skip("with a categorical index outside its choices")
            return self.choices[int(x)]
        tol = 1e-9 * max(1.0, abs(self.low), abs(self.high))
        if not self.low - tol <= x <= self.high + tol:
            raise _Skip("with a parameter value outside its distribution")
        if self.kind == "int":
            if not float(x).is_integer():
                raise _Skip("with an int parameter that is not a whole number")
            return int(x)
        return float(x)


#: Optuna's distribution names (the legacy ones of Optuna 2 too) -> (kind, log)
_DIST_KINDS = {
    "FloatDistribution": ("float", None),
    "UniformDistribution": ("float", False),
    "LogUniformDistribution": ("float", True),
    "DiscreteUniformDistribution": ("float", False),
    "IntDistribution": ("int", None),
    "IntUniformDistribution": ("int", False),
    "IntLogUniformDistribution": ("int", True),
    "CategoricalDistribution": ("categorical", False),
}


def _distribution(text: Any) -> _Dist:
    """Parse and check one distribution's JSON (bounded size, known kind, finite bounds, low <= high, log > 0)."""
    try:
        spec = _json(text, MAX_DIST_JSON)
    except ValueError:
        raise _Skip("with a distribution that is not JSON (or is over the size limit)") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("attributes"), dict):
        raise _Skip("with a malformed distribution")
    dname = spec.get("name")
    if not isinstance(dname, str) or dname not in _DIST_KINDS:
        raise _Skip("with an unknown distribution")
    kind, log = _DIST_KINDS[dname]
    a = spec["attributes"]
    if kind == "categorical":
        choices = a.get("choices")
        if not isinstance(choices, list) or not 0 < len(choices) <= MAX_CHOICES:
            raise _Skip(f"with a categorical distribution that has not 1 to {MAX_CHOICES} choices")
        return _Dist("categorical", choices=tuple(_scalar(c, "a categorical choice") for c in choices))
    low, high = _finite(a.get("low"), "distribution bound"), _finite(a.get("high"), "distribution bound")
    if log is None:
        log = a.get("log", False)
        if not isinstance(log, bool):
            raise _Skip("with a malformed distribution")
    if low > high:
        raise _Skip("with a distribution whose low is above its high")
    if log and low <= 0:
        raise _Skip("with a log distribution whose low is not above 0")
    step = a.get("step", a.get("q"))
    if step is not None and _finite(step, "distribution step") <= 0:
        raise _Skip("with a distribution step that is not positive")
    if kind == "int" and not (low.is_integer() and high.is_integer()):
        raise _Skip("with an int distribution whose bounds are not whole numbers")
    return _Dist(kind, low=low, high=high, log=bool(log))


_STATES_IN = {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED, "FAIL": TrialState.FAILED}


def _when(v: Any) -> datetime | None:
    """Optuna's naive local time (text from SQLite, a datetime through the API), as an aware datetime."""
    try:
        if isinstance(v, str) and len(v) <= 40:
            v = datetime.fromisoformat(v)
        if not isinstance(v, datetime):
            return None
        return v.astimezone(UTC)  # naive: local time, as Optuna writes it
    except (ValueError, OverflowError, OSError):
        return None


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Checker:
    """Checks the trials of one study into TrialRecords, counting those left out by reason."""

    def __init__(self, raw: _RawStudy, *, ours: bool, minimize: bool, metric: str) -> None:
        self.raw = raw
        self.ours = ours
        self.minimize = minimize
        self.metric = metric
        self.skipped: Counter[str] = Counter()
        self._dists: dict[str, _Dist | str] = {}  # distribution JSON -> checked distribution, or why not

    def dist(self, text: Any) -> _Dist:
        key = text if isinstance(text, str) else repr(text)[:100]
        got = self._dists.get(key)
        if got is None:
            try:
                got = _distribution(text)
            except _Skip as exc:
                got = exc.reason
            if len(self._dists) < 100_000:
                self._dists[key] = got
        if isinstance(got, str):
            raise _Skip(got)
        return got

    def trials(self) -> list[tuple[TrialRecord, dict[str, _Dist]]]:
        out: dict[int, tuple[TrialRecord, dict[str, _Dist]]] = {}
        for t in self.raw.trials:
            try:
                rec, dists = self.trial(t)
                if rec.number in out:
                    raise _Skip("with a trial number used twice")
            except _Skip as exc:
                self.skipped[exc.reason] += 1
                continue
            out[rec.number] = (rec, dists)
        return [out[n] for n in sorted(out)]

    def trial(self, t: _RawTrial) -> tuple[TrialRecord, dict[str, _Dist]]:
        if t.state in ("RUNNING", "WAITING"):
            raise _Skip("still running or waiting in Optuna")
        state = _STATES_IN.get(t.state) if isinstance(t.state, str) else None
        if state is None:
            raise _Skip("with an unknown state")
        if t.bad:
            raise _Skip(f"with {t.bad}")
        number = _whole(t.number, "a trial number", high=10**9)
        params: dict[str, Any] = {}
        dists: dict[str, _Dist] = {}
        for name, internal, text in t.params:
            name = _name(name)
            if name in params:
                raise _Skip("with a parameter twice")
            dist = self.dist(text)
            params[name] = dist.value(internal)
            dists[name] = dist
        value = self.value(t, state)
        steps: dict[int, float] = {}
        for step, v, kind in t.steps:
            s = _whole(step, "an intermediate step", high=10**9)
            if kind != "FINITE" or s in steps:
                raise _Skip("with a non-finite intermediate value")
            steps[s] = _finite(v, "intermediate value")
        start, complete = _when(t.start), _when(t.complete)
        duration = (complete - start).total_seconds() if start and complete and complete >= start else None
        a = self.attrs(t) if self.ours else {}
        if self.ours:
            params = a.get("params", params)
            number = a.get("number", number)
            score = value if value is not None else a.get("score")
        else:
            score = None if value is None else (-value if self.minimize else value)
        fold_scores = a.get("fold_scores") or ({self.metric: [score]} if score is not None else {})
        curves = None
        if steps:
            rounds = sorted(steps)  # the steps are the curve's rounds, whichever Optuna reported
            curves = {
                **(a.get("curves") or {"metric": self.metric}),
                "rounds": rounds,
                "val_mean": [steps[s] for s in rounds],
            }
        if a.get("duration_s") is not None:
            duration = a["duration_s"]
        error = a.get("error")
        if error is None and state is TrialState.FAILED and t.fail_reason is not None:
            try:
                error = _text(_json(t.fail_reason, MAX_ATTR_JSON), "a fail reason", limit=MAX_TEXT, cut=True)
            except (ValueError, _Skip):
                error = "failed in Optuna"
        started, finished = _iso(start), _iso(complete)
        rec = TrialRecord(
            study_id=0,
            number=number,
            state=state,
            params=params,
            score=score if state is not TrialState.FAILED else None,
            train_score=a.get("train_score"),
            fold_scores=fold_scores,
            fold_train_scores=a.get("fold_train_scores") or {},
            fit_time=tuple(a.get("fit_time") or ()),
            score_time=tuple(a.get("score_time") or ()),
            curves=curves,
            error=error,
            started=started or now_iso(),
            finished=finished or started or now_iso(),
            duration_s=duration or 0.0,
            worker=a.get("worker"),
            budget=a.get("budget"),
            rung=a.get("rung"),
            model_size=a.get("model_size"),
            model_size_unit=a.get("model_size_unit"),
            note=a.get("note"),
            rungs=tuple(a.get("rungs") or ()),
        )
        return rec, dists

    def value(self, t: _RawTrial, state: TrialState) -> float | None:
        mine = [(v, kind) for objective, v, kind in t.values if objective == 0]
        if len(mine) > 1:
            raise _Skip("with two values")
        if not mine or state is TrialState.FAILED:
            return None
        v, kind = mine[0]
        if kind != "FINITE":
            raise _Skip("with a non-finite score")
        return _finite(v, "score")

    def attrs(self, t: _RawTrial) -> dict[str, Any]:
        """The workbench's own trial attributes, each checked (an exported study brings them back)."""
        raw: dict[str, Any] = {}
        for key, text in t.attrs.items():
            try:
                raw[key] = _json(text, MAX_ATTR_JSON)
            except ValueError:
                raise _Skip(f"with a malformed workbench attribute ({key})") from None
        out: dict[str, Any] = {}
        for key, v in raw.items():
            try:
                checked = self._attr(key, v)
            except _Skip:
                raise _Skip(f"with a malformed workbench attribute ({key})") from None
            if checked is not None:  # null: as if absent (the value Optuna holds, or the default)
                out[key] = checked
        return out

    def _attr(self, key: str, v: Any) -> Any:
        if v is None:
            return None
        if key == "number":
            return _whole(v, "a trial number", high=10**9)
        if key == "params":
            if not isinstance(v, dict) or len(v) > MAX_PARAMS:
                raise _Skip("params")
            return {_name(k): self._param(x) for k, x in v.items()}
        if key in ("score", "train_score", "model_size"):
            return _finite(v, key)
        if key in ("fold_scores", "fold_train_scores"):
            if not isinstance(v, dict) or len(v) > 64:
                raise _Skip(key)
            return {_key(k, "a metric name"): _numbers(x, key, limit=1000) for k, x in v.items()}
        if key in ("fit_time", "score_time"):
            return tuple(_numbers(v, key, limit=1000, low=0.0))
        if key == "duration_s":
            return _finite(v, key, low=0.0)
        if key in ("budget", "rung"):
            return _whole(v, key)
        if key in ("worker", "model_size_unit"):
            return _text(v, key)
        if key in ("error", "note"):
            return _text(v, key, limit=MAX_TEXT, cut=True)
        if key == "rungs":
            if not isinstance(v, list) or len(v) > 1000:
                raise _Skip(key)
            out = []
            for r in v:
                if not isinstance(r, list) or len(r) != 3:
                    raise _Skip(key)
                out.append(Rung(_whole(r[0], key), _whole(r[1], key), _finite(r[2], key)))
            return tuple(out)
        if key == "curves":
            if not isinstance(v, dict) or len(v) > 32:
                raise _Skip(key)
            curves: dict[str, Any] = {}
            for k, x in v.items():
                k = _key(k, "a curve name")
                curves[k] = _numbers(x, k) if isinstance(x, list) else _scalar(x, k)
            return curves
        raise _Skip(key)

    @staticmethod
    def _param(v: Any) -> Any:
        if isinstance(v, list):
            if len(v) > 64:
                raise _Skip("params")
            return [_scalar(x, "a parameter value") for x in v]
        return _scalar(v, "a parameter value")


def _merged_space(
    rows: list[tuple[TrialRecord, dict[str, _Dist]]], skipped: Counter[str]
) -> tuple[list[TrialRecord], dict[str, Any]]:
    """A foreign study's space: each parameter's range widened over the trials (choices united); a trial
    whose distribution of a parameter differs in kind from the first one seen is left out."""
    space: dict[str, _Dist] = {}
    folded: set[tuple[str, int]] = set()  # (name, id of a distribution) already in the space
    kept = []
    for rec, dists in rows:
        updates: dict[str, _Dist] = {}
        try:
            for name, d in dists.items():
                if (name, id(d)) in folded:
                    continue
                have = space.get(name)
                if have is not None and have.kind != d.kind:
                    raise _Skip(f"whose distribution of '{name}' differs in kind from other trials'")
                if d.kind == "categorical":
                    # 1, 1.0 and True are one dict key but three choices
                    both = [*(have.choices if have else ()), *d.choices]
                    choices = tuple({(type(c), c): c for c in both}.values())
                    if len(choices) > MAX_CHOICES:
                        raise _Skip(f"with more than {MAX_CHOICES} choices of '{name}' over the study")
                    updates[name] = _Dist("categorical", choices=choices)
                elif have is None:
                    updates[name] = d
                else:
                    updates[name] = _Dist(
                        d.kind, low=min(have.low, d.low), high=max(have.high, d.high), log=have.log and d.log
                    )
        except _Skip as exc:
            skipped[exc.reason] += 1
            continue
        space.update(updates)
        folded.update((name, id(d)) for name, d in dists.items())
        kept.append(rec)
    out: dict[str, Any] = {}
    for name, d in space.items():
        if d.kind == "categorical":
            out[name] = {"values": list(d.choices)}
        else:
            low, high = (int(d.low), int(d.high)) if d.kind == "int" else (d.low, d.high)
            out[name] = {"type": d.kind, "low": low, "high": high, **({"log": True} if d.log else {})}
    return kept, out


def _checked_config(config: dict[str, Any], label: str) -> dict[str, Any]:
    """The imported study's settings through the checks of a new study (``resolve_config``); where and how
    the study ran is dropped (FOREIGN_RUN_KEYS), unknown keys too.

    An imported study has no data: its task, when known, stands in for the data's; without one (a foreign
    study) every check that does not depend on the data runs, and the space is checked on its own.
    """
    from tuning.config import ResolvedConfig, resolve_config
    from tuning.models import get_model
    from tuning.profile import DatasetProfile

    known = {f.name for f in dataclasses.fields(ResolvedConfig)}
    config = {k: v for k, v in config.items() if k in known and k not in FOREIGN_RUN_KEYS}
    try:
        resolved = ResolvedConfig.from_stored(config)
        family = get_model(resolved.model)
        request = resolved.request()
        if resolved.task is None:
            task = family.tasks[0]
            request = request.replace(task=task, metric=None, space=None)
        else:
            task = resolved.task.value
        resolve_config(request, DatasetProfile(n_rows=0, n_cols=0, columns=(), task=task))
    except TuningError as exc:
        raise ConfigError(
            f"The settings of the Optuna study in {label} cannot be used: {exc.message}", fix=_FRESH_FIX
        ) from None
    except Exception as exc:  # an untrusted dict in code that expects a stored config: any shape may come
        raise ConfigError(
            f"The settings of the Optuna study in {label} are malformed ({type(exc).__name__}).", fix=_FRESH_FIX
        ) from None
    return config
