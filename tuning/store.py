"""SQLite persistence: datasets, studies and trials, in one file (WAL mode).

The store is the single source of truth: pages and the CLI read everything from it, never from a
thread's memory. Every method is thread-safe (one connection per thread) and safe across processes
(WAL, busy timeout). A finished trial is committed before its result is reported to anyone.

Over 600 lines because it is the one module that speaks SQL (schema, migrations, studies, trials, artifacts): every query stays here, behind thread-safe methods.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tuning.errors import StoreError, TuningError
from tuning.protocol import Rung, StopReason, StudyState, TrialOutcome, TrialState

if TYPE_CHECKING:
    from tuning.config import ResolvedConfig

DEFAULT_DB = "tuning.db"
HEARTBEAT_S = 5.0
STALE_AFTER_S = 120.0


@dataclass(frozen=True)
class TrialRecord(TrialOutcome):
    """A stored trial: the outcome it came back with, plus its keys and times. One row of ``trials``."""

    study_id: int = 0
    number: int = 0
    started: str | None = None
    finished: str | None = None

    @classmethod
    def of(
        cls, study_id: int, number: int, outcome: TrialOutcome, *, started: str | None, finished: str | None
    ) -> TrialRecord:
        values = {f.name: getattr(outcome, f.name) for f in dataclasses.fields(TrialOutcome)}
        return cls(**values, study_id=int(study_id), number=int(number), started=started, finished=finished)

    def to_summary(self) -> dict[str, Any]:
        """The trial in ``show --json`` (DESIGN.md's contract, extended with budget, rung, size, note, worker)."""
        return {
            "number": self.number,
            "state": self.state.value,
            "params": self.params,
            "score": self.score,
            "train_score": self.train_score,
            "started": self.started,
            "finished": self.finished,
            "duration_s": self.duration_s,
            "error": self.error,
            "budget": self.budget,
            "rung": self.rung,
            "fit_time_s": self.mean_fit_time,
            "model_size": self.model_size,
            "model_size_unit": self.model_size_unit,
            "note": self.note,
            "worker": self.worker,
        }


@dataclass(frozen=True)
class _Column:
    """How one field of ``TrialRecord`` is written to and read from its column of the same name."""

    name: str
    kind: str  # "state" | "json" | "float" | "plain"
    optional: bool

    def encode(self, value: Any) -> Any:
        if self.kind == "state":
            return value.value
        if self.kind == "float":
            return _finite(value)
        if self.kind == "json":
            return None if value is None or (self.optional and not value) else dumps(value)
        return value

    def decode(self, raw: Any) -> Any:
        if self.kind == "state":
            return TrialState(raw)
        if self.kind != "json":
            return raw
        value = json.loads(raw) if raw else None
        if self.name == "rungs":
            return tuple(Rung(int(r), int(b), float(v)) for r, b, v in value or ())
        if self.name in ("fit_time", "score_time"):
            return tuple(value or ())
        return value if value is not None or self.optional else {}


def _trial_columns() -> tuple[_Column, ...]:
    """The column map, derived from the record's fields (their annotations say how each is stored)."""
    cols = []
    for f in dataclasses.fields(TrialRecord):
        t = str(f.type)
        kind = (
            "state"
            if t == "TrialState"
            else "json"
            if t.startswith(("dict", "tuple"))
            else "float"
            if t.startswith("float")
            else "plain"
        )
        cols.append(_Column(f.name, kind, optional="None" in t or f.name == "rungs"))
    return tuple(cols)


_COLUMNS = _trial_columns()
_COLUMN_NAMES = ", ".join(c.name for c in _COLUMNS)
_KEEP_ON_UPDATE = {"study_id", "number", "started"}
_UPSERT = (
    f"INSERT INTO trials({_COLUMN_NAMES}) VALUES ({','.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(study_id, number) DO UPDATE SET "
    + ", ".join(
        "worker=COALESCE(excluded.worker, trials.worker)" if c.name == "worker" else f"{c.name}=excluded.{c.name}"
        for c in _COLUMNS
        if c.name not in _KEEP_ON_UPDATE
    )
)


@dataclass(frozen=True)
class StudyRecord:
    """A stored study. Its config is parsed from JSON once, on first use (``config``)."""

    id: int
    name: str
    dataset_id: str
    raw_config: dict[str, Any]
    state: StudyState
    created: str
    finished: str | None
    elapsed_s: float
    error: str | None
    test_score: float | None
    stop_reason: StopReason | None = None
    stop_note: str | None = None

    @cached_property
    def config(self) -> ResolvedConfig:
        from tuning.config import ResolvedConfig

        try:
            return ResolvedConfig.from_stored(self.raw_config)
        except TuningError as exc:
            raise StoreError(
                f"The settings of study {self.id} cannot be read: {exc.message}",
                fix="Delete the study, or open the store with the release that wrote it.",
            ) from None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL,
    n_rows INTEGER, n_cols INTEGER, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS studies(
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, dataset_id TEXT NOT NULL REFERENCES datasets(id),
    config TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL, finished TEXT,
    elapsed_s REAL NOT NULL DEFAULT 0, pid INTEGER, host TEXT, heartbeat REAL,
    error TEXT, test_score REAL);
CREATE TABLE IF NOT EXISTS trials(
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE, number INTEGER NOT NULL,
    state TEXT NOT NULL, params TEXT NOT NULL, score REAL, train_score REAL,
    fold_scores TEXT, fold_train_scores TEXT, fit_time TEXT, score_time TEXT, curves TEXT,
    error TEXT, started TEXT, finished TEXT, duration_s REAL, worker TEXT,
    PRIMARY KEY(study_id, number));
CREATE INDEX IF NOT EXISTS trials_state ON trials(study_id, state);
"""

#: The schema's version (``PRAGMA user_version``). Each entry of ``_MIGRATIONS`` takes a store from
#: version i to i + 1; a store made by an earlier release is brought up to date when it is opened.
SCHEMA_VERSION = 3
_MIGRATIONS: list[str] = [
    # 0 -> 1: the first release's tables (created above; a brand-new file starts here too)
    "",
    # 1 -> 2: the trial protocol (budget, rung, model size, why a trial stopped), why a study ended, the run
    # token that lets one runner own a study, and model artifacts (refit models kept with their preprocessing)
    """
    ALTER TABLE trials ADD COLUMN budget INTEGER;
    ALTER TABLE trials ADD COLUMN rung INTEGER;
    ALTER TABLE trials ADD COLUMN model_size REAL;
    ALTER TABLE trials ADD COLUMN model_size_unit TEXT;
    ALTER TABLE trials ADD COLUMN note TEXT;
    ALTER TABLE trials ADD COLUMN rungs TEXT;
    ALTER TABLE studies ADD COLUMN stop_reason TEXT;
    ALTER TABLE studies ADD COLUMN run_token TEXT;
    CREATE TABLE IF NOT EXISTS artifacts(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id INTEGER REFERENCES studies(id) ON DELETE CASCADE,
        kind TEXT NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}', content BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS artifacts_study ON artifacts(study_id, kind);
    """,
    # 2 -> 3: why a study ended, in words (the plateau rule's evidence)
    """
    ALTER TABLE studies ADD COLUMN stop_note TEXT;
    """,
]
#: The tables of a store; a file with other tables (another program's SQLite file) is refused, untouched.
_OUR_TABLES = {"datasets", "studies", "trials", "artifacts", "sqlite_sequence"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    return str(o)


def dumps(o: Any) -> str:
    return json.dumps(o, default=_json_default, allow_nan=True)


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Superseded(StoreError):
    """Another runner took this study over (a second resume); this one must stop writing."""


class Store:
    """Thread-safe access to one SQLite file."""

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.exists():
                raise StoreError(
                    f"The folder for the database {Path(self.path).name} does not exist.",
                    fix="Create it or choose another --db path.",
                    app_fix="Set TUNING_DB to a file in an existing folder and restart the app.",
                )
        self._local = threading.local()
        try:
            self._refuse_foreign()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{Path(self.path).name} is not a usable SQLite database ({exc}).",
                fix="Choose another --db path.",
                app_fix="Set TUNING_DB to another file and restart the app.",
            ) from None
        self.recover()

    def _refuse_foreign(self) -> None:
        """Look at an existing file read-only, before anything writes to it (not even the WAL switch): another
        program's SQLite file, or one with an unknown schema version, is refused as it is."""
        if self.path == ":memory:" or not Path(self.path).exists() or Path(self.path).stat().st_size == 0:
            return
        conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            ours = "studies" not in tables or "config" in {r[1] for r in conn.execute("PRAGMA table_info(studies)")}
        finally:
            conn.close()
        if version < 0 or (tables - _OUR_TABLES) or not ours:
            raise StoreError(
                f"{Path(self.path).name} is not a workbench store (it holds other tables, or an unknown schema "
                "version); it was left as it is.",
                fix="Choose another --db path (a new file is created).",
                app_fix="Set TUNING_DB to another file and restart the app.",
            )

    def _migrate(self) -> None:
        """Create the tables, or bring an older store up to ``SCHEMA_VERSION``, in one write transaction
        (two processes opening a new file at once: the second finds the work done)."""
        conn = self._conn()
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{Path(self.path).name} was written by a newer release (schema {version}, this one reads up to "
                    f"{SCHEMA_VERSION}).",
                    fix="Upgrade the workbench, or choose another --db path.",
                    app_fix="Upgrade the workbench, or set TUNING_DB to another file and restart the app.",
                )
            if version == 0:
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(stmt)
                version = 1
            for step in range(version, SCHEMA_VERSION):
                for stmt in filter(str.strip, _MIGRATIONS[step].split(";")):
                    conn.execute(stmt)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    # -- datasets -----------------------------------------------------------------------------

    def add_dataset(self, name: str, content: bytes, *, n_rows: int | None = None, n_cols: int | None = None) -> str:
        """Store a copy of the file (idempotent: the id is the content hash)."""
        from tuning.data import content_hash

        ds_id = content_hash(content)
        with self._conn() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO datasets(id, name, created, n_rows, n_cols, content) VALUES (?,?,?,?,?,?)",
                (ds_id, name, now_iso(), n_rows, n_cols, content),
            )
        return ds_id

    def dataset_content(self, dataset_id: str) -> tuple[str, bytes]:
        row = self._conn().execute("SELECT name, content FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        if row is None:
            raise StoreError(f"Dataset {dataset_id!r} is not in {Path(self.path).name}.", fix="Upload it again.")
        return row["name"], bytes(row["content"])

    def has_dataset(self, dataset_id: str) -> bool:
        return self._conn().execute("SELECT 1 FROM datasets WHERE id=?", (dataset_id,)).fetchone() is not None

    def list_datasets(self) -> list[dict[str, Any]]:
        rows = (
            self._conn().execute("SELECT id, name, created, n_rows, n_cols FROM datasets ORDER BY created").fetchall()
        )
        return [dict(r) for r in rows]

    # -- studies ------------------------------------------------------------------------------

    def create_study(
        self, *, name: str, dataset_id: str, config: ResolvedConfig | dict[str, Any], token: str | None = None
    ) -> int:
        """Record a new study, RUNNING and owned by ``token`` (its runner), or STOPPED (ready to start) without one."""
        state = StudyState.RUNNING if token else StudyState.STOPPED
        with self._conn() as conn:
            cur = conn.execute(
                "INSERT INTO studies(name, dataset_id, config, state, created, pid, host, heartbeat, run_token) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    name,
                    dataset_id,
                    dumps(config if isinstance(config, dict) else config.to_dict()),
                    state.value,
                    now_iso(),
                    os.getpid(),
                    socket.gethostname(),
                    time.time(),
                    token,
                ),
            )
            return int(cur.lastrowid or 0)

    def _study_row(self, study_id: int) -> sqlite3.Row:
        row = self._conn().execute("SELECT * FROM studies WHERE id=?", (int(study_id),)).fetchone()
        if row is None:
            raise StoreError(
                f"There is no study {study_id} in {Path(self.path).name}.",
                fix="Run 'python -m tuning list' to see the studies.",
                app_fix="Pick a study from the list on the Results page.",
            )
        return row

    @staticmethod
    def _study(row: sqlite3.Row) -> StudyRecord:
        return StudyRecord(
            id=row["id"],
            name=row["name"],
            dataset_id=row["dataset_id"],
            raw_config=json.loads(row["config"]),
            state=StudyState(row["state"]),
            created=row["created"],
            finished=row["finished"],
            elapsed_s=float(row["elapsed_s"] or 0.0),
            error=row["error"],
            test_score=row["test_score"],
            stop_reason=StopReason(row["stop_reason"]) if row["stop_reason"] else None,
            stop_note=row["stop_note"] if "stop_note" in row.keys() else None,
        )

    def get_study(self, study_id: int) -> StudyRecord:
        return self._study(self._study_row(study_id))

    def list_studies(self) -> list[StudyRecord]:
        return [self._study(r) for r in self._conn().execute("SELECT * FROM studies ORDER BY id").fetchall()]

    def claim_study(self, study_id: int, token: str) -> None:
        """Make ``token`` the study's only runner, atomically: a study that is RUNNING under another live
        runner cannot be claimed (two resumes of one study: exactly one wins)."""
        self.recover()
        with self._conn() as conn:
            cur = conn.execute(
                "UPDATE studies SET state=?, pid=?, host=?, heartbeat=?, finished=NULL, error=NULL, stop_reason=NULL, "
                "stop_note=NULL, "
                "run_token=? WHERE id=? AND (state<>? OR run_token=?)",
                (
                    StudyState.RUNNING.value,
                    os.getpid(),
                    socket.gethostname(),
                    time.time(),
                    token,
                    int(study_id),
                    StudyState.RUNNING.value,
                    token,
                ),
            )
        if cur.rowcount != 1:
            self._study_row(study_id)  # a plain error when there is no such study
            raise StoreError(f"Study {study_id} is already running.", fix="Stop it first, or wait for it to finish.")

    def _owned(self, conn: sqlite3.Connection, study_id: int, token: str | None) -> None:
        if token is None:
            return
        row = conn.execute("SELECT run_token FROM studies WHERE id=?", (int(study_id),)).fetchone()
        if row is None or row["run_token"] != token:
            raise Superseded(f"Study {study_id} was taken over by another run.", fix="Follow the newer run.")

    def heartbeat(self, study_id: int, *, elapsed_s: float, token: str | None = None) -> None:
        with self._conn() as conn:
            self._owned(conn, study_id, token)
            conn.execute(
                "UPDATE studies SET heartbeat=?, elapsed_s=? WHERE id=?", (time.time(), elapsed_s, int(study_id))
            )

    def finish_study(
        self,
        study_id: int,
        state: StudyState,
        *,
        elapsed_s: float,
        error: str | None = None,
        test_score: float | None = None,
        stop_reason: StopReason | None = None,
        stop_note: str | None = None,
        token: str | None = None,
    ) -> None:
        """Record how a study ended. Trials caught mid-rung are kept PAUSED (resume continues them); other
        running rows are dropped (their numbers are reused)."""
        with self._conn() as conn:
            self._owned(conn, study_id, token)
            self._settle_running(conn, int(study_id))
            conn.execute(
                "UPDATE studies SET state=?, finished=?, elapsed_s=?, error=?, test_score=COALESCE(?, test_score), "
                "heartbeat=NULL, stop_reason=?, stop_note=? WHERE id=?",
                (
                    state.value,
                    now_iso(),
                    elapsed_s,
                    error,
                    _finite(test_score),
                    stop_reason.value if stop_reason else None,
                    stop_note,
                    int(study_id),
                ),
            )

    @staticmethod
    def _settle_running(conn: sqlite3.Connection, study_id: int) -> None:
        conn.execute(
            "UPDATE trials SET state=? WHERE study_id=? AND state=? AND rungs IS NOT NULL AND rungs<>'[]'",
            (TrialState.PAUSED.value, study_id, TrialState.RUNNING.value),
        )
        conn.execute("DELETE FROM trials WHERE study_id=? AND state=?", (study_id, TrialState.RUNNING.value))

    def delete_study(self, study_id: int) -> None:
        """Delete a study with its trials and artifacts (a running one must be stopped first)."""
        self._study_row(study_id)
        with self._erasing() as conn:
            conn.execute("DELETE FROM artifacts WHERE study_id=?", (int(study_id),))
            conn.execute("DELETE FROM trials WHERE study_id=?", (int(study_id),))
            conn.execute("DELETE FROM studies WHERE id=?", (int(study_id),))

    def delete_dataset(self, dataset_id: str) -> list[int]:
        """Delete a dataset and every study made on it (with their trials); returns those studies' ids."""
        self.dataset_content(dataset_id)  # raises a plain error when it is not there
        ids = [
            int(r["id"])
            for r in self._conn().execute("SELECT id FROM studies WHERE dataset_id=?", (dataset_id,)).fetchall()
        ]
        with self._erasing() as conn:
            for sid in ids:
                conn.execute("DELETE FROM artifacts WHERE study_id=?", (sid,))
                conn.execute("DELETE FROM trials WHERE study_id=?", (sid,))
            conn.execute("DELETE FROM studies WHERE dataset_id=?", (dataset_id,))
            conn.execute("DELETE FROM datasets WHERE id=?", (dataset_id,))
        return ids

    @contextlib.contextmanager
    def _erasing(self) -> Iterator[sqlite3.Connection]:
        """A write whose deleted rows leave no bytes behind: zeroed pages (secure_delete), then a WAL checkpoint
        so the old pages are gone from the log as well."""
        conn = self._conn()
        conn.execute("PRAGMA secure_delete=ON")
        try:
            with conn:
                yield conn
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.execute("PRAGMA secure_delete=OFF")

    # -- artifacts (refit models with what they need to predict) ----------------------------------

    def save_artifact(
        self, *, kind: str, name: str, content: bytes, meta: dict[str, Any] | None = None, study_id: int | None = None
    ) -> int:
        """Keep a blob (e.g. kind="model": an XGBoost JSON booster) with JSON metadata; returns its id.

        The same content kept twice for the same study and kind is kept once (the earlier id comes back): three
        clicks on "Keep" must not store three copies of a 10 MB model."""
        with self._conn() as conn:
            same = conn.execute(
                "SELECT id FROM artifacts WHERE kind=? AND study_id IS ? AND length(content)=? AND content=?",
                (kind, None if study_id is None else int(study_id), len(content), content),
            ).fetchone()
            if same is not None:
                return int(same["id"])
            cur = conn.execute(
                "INSERT INTO artifacts(study_id, kind, name, created, meta, content) VALUES (?,?,?,?,?,?)",
                (None if study_id is None else int(study_id), kind, name, now_iso(), dumps(meta or {}), content),
            )
            return int(cur.lastrowid or 0)

    def list_artifacts(self, *, study_id: int | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, study_id, kind, name, created, meta, length(content) AS size FROM artifacts WHERE 1=1"
        args: list[Any] = []
        if study_id is not None:
            sql += " AND study_id=?"
            args.append(int(study_id))
        if kind is not None:
            sql += " AND kind=?"
            args.append(kind)
        rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [{**dict(r), "meta": json.loads(r["meta"])} for r in rows]

    def load_artifact(self, artifact_id: int) -> tuple[dict[str, Any], bytes]:
        """(its row with parsed ``meta``, its content)."""
        row = self._conn().execute("SELECT * FROM artifacts WHERE id=?", (int(artifact_id),)).fetchone()
        if row is None:
            raise StoreError(f"There is no artifact {artifact_id} in this store.")
        info = {k: row[k] for k in ("id", "study_id", "kind", "name", "created")}
        return {**info, "meta": json.loads(row["meta"])}, bytes(row["content"])

    def delete_artifact(self, artifact_id: int) -> None:
        with self._erasing() as conn:
            conn.execute("DELETE FROM artifacts WHERE id=?", (int(artifact_id),))

    def rename_study(self, study_id: int, name: str) -> None:
        with self._conn() as conn:
            conn.execute("UPDATE studies SET name=? WHERE id=?", (name, int(study_id)))

    def recover(self) -> list[int]:
        """Studies left RUNNING by a dead process become INTERRUPTED. On this host a live pid is trusted
        (its runner beats from a timer); elsewhere a heartbeat older than STALE_AFTER_S means dead."""
        host = socket.gethostname()
        rows = (
            self._conn()
            .execute("SELECT id, pid, host, heartbeat FROM studies WHERE state=?", (StudyState.RUNNING.value,))
            .fetchall()
        )
        dead = []
        for r in rows:
            if r["host"] == host and r["pid"] is not None:
                gone = not _pid_alive(int(r["pid"]))
            else:
                gone = r["heartbeat"] is None or time.time() - float(r["heartbeat"]) > STALE_AFTER_S
            if gone:
                dead.append(int(r["id"]))
        for sid in dead:
            self.mark_interrupted(sid)
        return dead

    def runs_here(self, study_id: int) -> bool:
        """Whether a RUNNING study's runner belongs to this very process (then a page that cannot find it
        in its registry knows the runner died, and can recover the study)."""
        row = self._study_row(study_id)
        return row["host"] == socket.gethostname() and row["pid"] == os.getpid()

    def mark_interrupted(self, study_id: int) -> bool:
        """A RUNNING study whose runner is gone becomes INTERRUPTED (finished trials kept, resumable)."""
        with self._conn() as conn:
            self._settle_running(conn, int(study_id))
            cur = conn.execute(
                "UPDATE studies SET state=?, finished=?, heartbeat=NULL, run_token=NULL WHERE id=? AND state=?",
                (StudyState.INTERRUPTED.value, now_iso(), int(study_id), StudyState.RUNNING.value),
            )
        return cur.rowcount == 1

    # -- trials -------------------------------------------------------------------------------

    def next_trial_number(self, study_id: int) -> int:
        row = self._conn().execute("SELECT MAX(number) AS m FROM trials WHERE study_id=?", (int(study_id),)).fetchone()
        return 0 if row["m"] is None else int(row["m"]) + 1

    def new_trial(self, study_id: int, params: dict[str, Any], *, token: str | None = None) -> int:
        """Add a RUNNING trial and return its number, allocated inside the write (no two runners share one)."""
        with self._conn() as conn:
            self._owned(conn, study_id, token)
            cur = conn.execute(
                "INSERT INTO trials(study_id, number, state, params, started) "
                "SELECT ?, COALESCE(MAX(number) + 1, 0), ?, ?, ? FROM trials WHERE study_id=?",
                (int(study_id), TrialState.RUNNING.value, dumps(params), now_iso(), int(study_id)),
            )
            row = conn.execute("SELECT number FROM trials WHERE rowid=?", (cur.lastrowid,)).fetchone()
        return int(row["number"])

    def add_running_trial(
        self, study_id: int, number: int, params: dict[str, Any], *, worker: str | None = None
    ) -> None:
        """Insert a RUNNING trial under a number the caller chose (tests and imports)."""
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO trials(study_id, number, state, params, started, worker) VALUES (?,?,?,?,?,?)",
                (int(study_id), number, TrialState.RUNNING.value, dumps(params), now_iso(), worker),
            )

    def reopen_trial(self, study_id: int, number: int, *, token: str | None = None) -> None:
        """A PAUSED trial runs again (resume continues it at its next rung)."""
        with self._conn() as conn:
            self._owned(conn, study_id, token)
            conn.execute(
                "UPDATE trials SET state=? WHERE study_id=? AND number=? AND state=?",
                (TrialState.RUNNING.value, int(study_id), number, TrialState.PAUSED.value),
            )

    def record_outcome(
        self, study_id: int, number: int, outcome: TrialOutcome, *, token: str | None = None, started: str | None = None
    ) -> None:
        """Store a trial's outcome whole (a finished trial, or a running one's latest rung). An outcome
        that was stopped before it finished removes the row. Committed before anyone is told."""
        if outcome.state is TrialState.STOPPED:
            with self._conn() as conn:
                self._owned(conn, study_id, token)
                conn.execute(
                    "DELETE FROM trials WHERE study_id=? AND number=? AND (rungs IS NULL OR rungs='[]')",
                    (int(study_id), number),
                )
            return
        finished = now_iso() if outcome.state.finished else None
        record = TrialRecord.of(study_id, number, outcome, started=started or now_iso(), finished=finished)
        with self._conn() as conn:
            self._owned(conn, study_id, token)
            conn.execute(_UPSERT, self._row(record))

    @staticmethod
    def _row(record: TrialRecord) -> tuple[Any, ...]:
        return tuple(c.encode(getattr(record, c.name)) for c in _COLUMNS)

    def add_trials(self, records: list[TrialRecord]) -> None:
        """Insert finished trials in one transaction (imports and demos: 100,000 trials in seconds)."""
        with self._conn() as conn:
            conn.executemany(_UPSERT, [self._row(r) for r in records])

    def delete_trial(self, study_id: int, number: int) -> None:
        with self._conn() as conn:
            conn.execute("DELETE FROM trials WHERE study_id=? AND number=?", (int(study_id), number))

    def get_trials(
        self, study_id: int, *, with_curves: bool = False, states: tuple[TrialState, ...] | None = None
    ) -> list[TrialRecord]:
        cols = ", ".join(c.name for c in _COLUMNS if with_curves or c.name != "curves")
        sql = f"SELECT {cols} FROM trials WHERE study_id=?"
        args: list[Any] = [int(study_id)]
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += [s.value for s in states]
        rows = self._conn().execute(sql + " ORDER BY number", args).fetchall()
        return [self._trial(r) for r in rows]

    def get_trial(self, study_id: int, number: int) -> TrialRecord:
        row = (
            self._conn()
            .execute(f"SELECT {_COLUMN_NAMES} FROM trials WHERE study_id=? AND number=?", (int(study_id), number))
            .fetchone()
        )
        if row is None:
            raise StoreError(f"Study {study_id} has no trial {number}.")
        return self._trial(row)

    @staticmethod
    def _trial(r: sqlite3.Row) -> TrialRecord:
        keys = r.keys()
        return TrialRecord(**{c.name: c.decode(r[c.name]) for c in _COLUMNS if c.name in keys})

    def trial_counts(self, study_id: int) -> dict[str, int]:
        rows = (
            self._conn()
            .execute("SELECT state, COUNT(*) AS n FROM trials WHERE study_id=? GROUP BY state", (int(study_id),))
            .fetchall()
        )
        return {r["state"]: int(r["n"]) for r in rows}

    def best_trial(self, study_id: int) -> TrialRecord | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_COLUMN_NAMES} FROM trials WHERE study_id=? AND state=? AND score IS NOT NULL "
                "ORDER BY score DESC, number ASC LIMIT 1",
                (int(study_id), TrialState.COMPLETE.value),
            )
            .fetchone()
        )
        return None if row is None else self._trial(row)
