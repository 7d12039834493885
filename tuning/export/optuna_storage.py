"""An Optuna SQLite storage that came from outside, read bounded and read-only, nothing checked yet.

The file is read by the workbench itself, with Python's sqlite3 opened read-only (``mode=ro&immutable=1``):
Optuna's RDBStorage would create missing tables and check or stamp the schema version on open, i.e. write
to the file. Before any query the file is checked: an SQLite header, a bounded size, Optuna's tables, and no
views, triggers, virtual tables or generated columns (each is SQL that runs on read). Every query runs under
a step and time budget. What it hands over (``_RawStudy``, ``_RawTrial``) may hold anything SQLite can:
``optuna_read`` checks it field by field.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuning.errors import DataError, StoreError

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
