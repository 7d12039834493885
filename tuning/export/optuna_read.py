"""Checking an Optuna study that came from outside: every value of every trial, and the study's settings.

``optuna_storage`` reads the file (read-only, bounded) into raw rows that may hold anything SQLite can;
here each trial is checked field by field (finite numbers, bounded text and lists, known distributions,
the workbench's own attributes); one that fails is skipped and counted, and the study's settings go through
the checks of a new study. ``tuning.export.optuna`` (the one module that imports ``optuna``) turns what
this checks into a study. Neither module needs ``optuna``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tuning.errors import ConfigError, TuningError
from tuning.export.optuna_storage import (
    _FRESH_FIX,
    _NAME_RE,
    FOREIGN_RUN_KEYS,
    MAX_ATTR_JSON,
    MAX_CHOICES,
    MAX_DIST_JSON,
    MAX_NAME,
    MAX_PARAMS,
    MAX_STEPS,
    MAX_TEXT,
    _is_int,
    _RawStudy,
    _RawTrial,
)
from tuning.protocol import Rung, TrialState
from tuning.store import TrialRecord, now_iso


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
