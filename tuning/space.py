"""Search spaces: typed parameters, the JSON file format, and conversions for each strategy.

The JSON format (see DESIGN.md)::

    {"n_estimators": {"value": 300},
     "max_depth": {"type": "int", "low": 2, "high": 10},
     "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": true},
     "booster": {"values": ["gbtree", "dart"]},
     "rate_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}}}

``when`` makes a parameter active only when every named parameter has one of the given values.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from tuning.errors import SpaceError

DEFAULT_GRID_POINTS = 5
MAX_GRID_POINTS = 50
# About 300 bytes and one trial each: beyond this a grid is a week of compute, not a search to run.
MAX_GRID_SIZE = 100_000


def _freeze_when(when: Mapping[str, Any] | None) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not when:
        return ()
    out = []
    for key, val in when.items():
        vals = tuple(val) if isinstance(val, (list, tuple)) else (val,)
        out.append((str(key), vals))
    return tuple(sorted(out))


@dataclass(frozen=True)
class _Base:
    name: str
    when: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=(), kw_only=True)

    def is_active(self, assigned: Mapping[str, Any]) -> bool:
        return all(key in assigned and assigned[key] in vals for key, vals in self.when)

    def _when_dict(self) -> dict[str, Any]:
        return {k: (list(v) if len(v) > 1 else v[0]) for k, v in self.when}


@dataclass(frozen=True)
class IntParam(_Base):
    low: int = 0
    high: int = 1
    log: bool = False

    def grid(self, points: int) -> list[int]:
        if self.high - self.low + 1 <= points:
            return list(range(self.low, self.high + 1))
        raw = np.geomspace(self.low, self.high, points) if self.log else np.linspace(self.low, self.high, points)
        return sorted({int(round(v)) for v in raw})

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            v = math.exp(rng.uniform(math.log(self.low - 0.4999), math.log(self.high + 0.4999)))
        else:
            v = rng.uniform(self.low - 0.4999, self.high + 0.4999)
        return self.clip(v)

    def clip(self, v: float) -> int:
        return int(min(self.high, max(self.low, round(float(v)))))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": "int", "low": self.low, "high": self.high}
        if self.log:
            d["log"] = True
        return d


@dataclass(frozen=True)
class FloatParam(_Base):
    low: float = 0.0
    high: float = 1.0
    log: bool = False

    def grid(self, points: int) -> list[float]:
        if self.low == self.high:
            return [float(self.low)]
        raw = np.geomspace(self.low, self.high, points) if self.log else np.linspace(self.low, self.high, points)
        return list(dict.fromkeys(float(f"{v:.6g}") for v in raw))  # rounding can merge close points

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def clip(self, v: float) -> float:
        return float(min(self.high, max(self.low, float(v))))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": "float", "low": self.low, "high": self.high}
        if self.log:
            d["log"] = True
        return d


@dataclass(frozen=True)
class CategoricalParam(_Base):
    values: tuple[Any, ...] = ()

    def grid(self, points: int) -> list[Any]:
        return list(self.values)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def index(self, value: Any) -> int:
        for i, v in enumerate(self.values):
            if v == value:
                return i
        raise SpaceError(f"Value {value!r} is not one of the choices of '{self.name}'.")

    def to_dict(self) -> dict[str, Any]:
        return {"values": list(self.values)}


@dataclass(frozen=True)
class FixedParam(_Base):
    value: Any = None

    def grid(self, points: int) -> list[Any]:
        return [self.value]

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value}


Param = Union[IntParam, FloatParam, CategoricalParam, FixedParam]
_KEYS = {"type", "low", "high", "log", "values", "value", "when", "grid_points"}


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def centre_value(p: Param, *, low: bool = False) -> Any:
    """One parameter's centre (see :meth:`SearchSpace.centre`); ``low``: a range's low end instead."""
    if isinstance(p, FixedParam):
        return p.value
    if isinstance(p, CategoricalParam):
        numbers = sorted(v for v in p.values if _is_number(v))
        if len(numbers) != len(p.values):
            return p.values[0]
        return numbers[0] if low else numbers[(len(numbers) - 1) // 2]
    if low:
        return p.low
    mid = math.sqrt(p.low * p.high) if p.log and p.low > 0 else (p.low + p.high) / 2
    return p.clip(mid)


def param_from_dict(name: str, spec: Any) -> Param:
    """Build one parameter from its JSON spec; the message names the parameter on any problem."""
    if not isinstance(spec, Mapping):
        raise SpaceError(
            f'Parameter \'{name}\': expected an object such as {{"value": 3}}, {{"values": [...]}} '
            f'or {{"type": "int", "low": 1, "high": 10}}, got {json.dumps(spec, default=str)}.'
        )
    unknown = set(spec) - _KEYS
    if unknown:
        raise SpaceError(
            f"Parameter '{name}': unknown key(s) {sorted(unknown)}.",
            fix=f"Use only {sorted(_KEYS)}.",
        )
    when = spec.get("when")
    if when is not None and (not isinstance(when, Mapping) or not when):
        raise SpaceError(f"Parameter '{name}': 'when' must be an object such as {{\"booster\": \"dart\"}}.")
    frozen_when = _freeze_when(when)
    if "value" in spec:
        if len(set(spec) & {"values", "low", "high", "type"}) > 0:
            raise SpaceError(f"Parameter '{name}': 'value' fixes it, so it cannot also have 'values' or a range.")
        return FixedParam(name, value=spec["value"], when=frozen_when)
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, (list, tuple)) or len(values) == 0:
            raise SpaceError(f"Parameter '{name}': 'values' must be a non-empty list.")
        if len(set(json.dumps(v, sort_keys=True, default=str) for v in values)) != len(values):
            raise SpaceError(f"Parameter '{name}': 'values' lists the same value twice.")
        if "low" in spec or "high" in spec:
            raise SpaceError(f"Parameter '{name}': give either 'values' or 'low'/'high', not both.")
        return CategoricalParam(name, values=tuple(values), when=frozen_when)
    if "low" not in spec or "high" not in spec:
        raise SpaceError(
            f"Parameter '{name}': needs 'value', 'values', or both 'low' and 'high'.",
            fix='For example {"type": "float", "low": 0.01, "high": 1, "log": true}.',
        )
    low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
    if not _is_number(low) or not _is_number(high):
        raise SpaceError(f"Parameter '{name}': 'low' and 'high' must be numbers, got {low!r} and {high!r}.")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SpaceError(f"Parameter '{name}': 'low' and 'high' must be finite numbers.")
    if low > high:
        raise SpaceError(f"Parameter '{name}': 'low' ({low}) is greater than 'high' ({high}).", fix="Swap them.")
    if log and low <= 0:
        raise SpaceError(
            f"Parameter '{name}': a log scale needs 'low' > 0, got {low}.",
            fix="Raise 'low' (e.g. 1e-4) or remove \"log\": true.",
        )
    kind = spec.get("type") or ("int" if _is_int(low) and _is_int(high) else "float")
    if kind == "int":
        if not (float(low).is_integer() and float(high).is_integer()):
            raise SpaceError(f"Parameter '{name}': an int range needs whole-number bounds, got {low} and {high}.")
        return IntParam(name, low=int(low), high=int(high), log=log, when=frozen_when)
    if kind == "float":
        return FloatParam(name, low=float(low), high=float(high), log=log, when=frozen_when)
    raise SpaceError(f"Parameter '{name}': unknown type {kind!r}.", fix='Use "int" or "float".')


# Settings that change where or how loudly a model runs, not what it learns, belong to the study, not to a
# search space (a space that set them would break --device, the thread budget or the study's seed).
RESERVED_PARAMS: dict[str, str] = {
    "n_jobs": "threads are set from the study's workers and the cores",
    "nthread": "threads are set from the study's workers and the cores",
    "device": "the device is the study's setting (--device)",
    "gpu_id": "the device is the study's setting (--device)",
    "verbosity": "logging is the workbench's setting",
    "verbose": "logging is the workbench's setting",
    "silent": "logging is the workbench's setting",
    "random_state": "the study's seed sets it, so runs repeat",
    "seed": "the study's seed sets it, so runs repeat",
    "callbacks": "the workbench installs its own (stop, curves)",
}
RESERVED_VALUES: dict[tuple[str, Any], str] = {
    ("tree_method", "gpu_hist"): "the GPU is chosen with the study's device (--device cuda), not here",
    ("tree_method", "gpu_exact"): "the GPU is chosen with the study's device (--device cuda), not here",
}


def check_grid_points(points: Any) -> int:
    """Grid points per range: a whole number from 2 to MAX_GRID_POINTS."""
    if not _is_int(points) or not 2 <= points <= MAX_GRID_POINTS:
        raise SpaceError(
            f"Grid points per range must be a whole number from 2 to {MAX_GRID_POINTS}, got {points!r}.",
            fix="Use 3 to 10; for finer searches use random search or TPE.",
        )
    return int(points)


@dataclass(frozen=True)
class SearchSpace:
    """An ordered set of parameters; parents come before the parameters conditional on them."""

    params: tuple[Param, ...]
    grid_points: int = DEFAULT_GRID_POINTS

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, grid_points: int | None = None) -> SearchSpace:
        if not isinstance(spec, Mapping):
            raise SpaceError("A search space must be a JSON object mapping parameter names to their specs.")
        if not spec:
            raise SpaceError("The search space is empty.", fix="Enable at least one parameter.")
        # 0 or None: the default (configs stored by earlier releases hold 0); the CLI refuses 0 itself.
        points = grid_points or DEFAULT_GRID_POINTS
        params = [param_from_dict(str(n), s) for n, s in spec.items()]
        for n, s in spec.items():
            if isinstance(s, Mapping) and "grid_points" in s:
                if not _is_int(s["grid_points"]):
                    raise SpaceError(
                        f"Parameter '{n}': 'grid_points' must be a whole number, got {s['grid_points']!r}."
                    )
                points = max(points, int(s["grid_points"]))
        check_grid_points(points)
        return cls(_order(params), grid_points=points)

    @classmethod
    def from_json(cls, text: str, *, grid_points: int | None = None) -> SearchSpace:
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpaceError(f"The search-space file is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
        return cls.from_dict(spec, grid_points=grid_points)

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for p in self.params:
            d = p.to_dict()
            if p.when:
                d["when"] = p._when_dict()
            out[p.name] = d
        return out

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def searched(self) -> list[Param]:
        """Parameters that vary (not fixed)."""
        return [p for p in self.params if not isinstance(p, FixedParam)]

    def active(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Keep only the parameters active under ``values`` (in space order)."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.is_active(out) and p.name in values:
                out[p.name] = values[p.name]
        return out

    def centre(self, *, low: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
        """Every range at its centre (geometric for log ranges), numeric choices at their (lower) middle value,
        other choices at their first, fixed values kept; the parameters named in ``low`` at their lowest."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.is_active(out):
                out[p.name] = centre_value(p, low=p.name in low)
        return out

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in self.params:
            if p.is_active(out):
                out[p.name] = p.sample(rng)
        return out

    def iter_grid(self) -> Iterator[dict[str, Any]]:
        """Every combination, lazily, conditional parameters expanded only where active.

        The order is that of nested loops over the parameters in space order (the first varies slowest).
        """
        values = [p.grid(self.grid_points) for p in self.params]
        params = self.params

        def walk(i: int, assigned: dict[str, Any]) -> Iterator[dict[str, Any]]:
            # Runs of unconditional parameters are crossed with itertools.product; a parameter that
            # another one depends on (or that is itself conditional) branches so activity is known.
            if i == len(params):
                yield dict(assigned)
                return
            j = i
            while j < len(params) and not params[j].when and params[j].name not in self._parents:
                j += 1
            if j > i:
                names = [p.name for p in params[i:j]]
                for combo in itertools.product(*values[i:j]):
                    yield from walk(j, {**assigned, **dict(zip(names, combo))})
                return
            p = params[i]
            if not p.is_active(assigned):
                yield from walk(i + 1, assigned)
                return
            for v in values[i]:
                yield from walk(i + 1, {**assigned, p.name: v})

        return walk(0, {})

    def grid(self) -> list[dict[str, Any]]:
        """Every combination as a list (small grids only: see :meth:`iter_grid` and :meth:`check_grid`)."""
        self.check_grid()
        return list(self.iter_grid())

    @functools.cached_property
    def _parents(self) -> frozenset[str]:
        return frozenset(k for p in self.params for k, _ in p.when)

    def grid_size(self) -> int:
        """The number of combinations, counted without building them (branching only on parents)."""
        counts = [len(p.grid(self.grid_points)) for p in self.params]
        params = self.params

        def count(i: int, assigned: dict[str, Any]) -> int:
            total = 1
            for j in range(i, len(params)):
                p = params[j]
                if not p.is_active(assigned):
                    continue
                if p.name in self._parents:
                    return total * sum(count(j + 1, {**assigned, p.name: v}) for v in p.grid(self.grid_points))
                total *= counts[j]
            return total

        return count(0, {})

    def check_grid(self, limit: int = MAX_GRID_SIZE) -> int:
        """The grid's size; a SpaceError when it is above ``limit`` (nobody should wait for that grid)."""
        n = self.grid_size()
        if n > limit:
            raise SpaceError(
                f"This grid has {n:,} combinations, more than the {limit:,} a grid search may have "
                f"({self.grid_points} points per range).",
                fix="Use random search or TPE with a trial budget, or fewer grid points or parameters.",
            )
        return n

    def validate_against(self, allowed: set[str], *, model: str) -> None:
        """Raise if a parameter is one the study controls, is unknown to the model, or asks for a GPU method."""
        for p in self.params:
            if p.name in RESERVED_PARAMS:
                raise SpaceError(
                    f"Parameter '{p.name}' cannot be set in a search space: {RESERVED_PARAMS[p.name]}.",
                    fix=f"Remove '{p.name}' from the space.",
                )
            values = p.grid(2) if isinstance(p, (CategoricalParam, FixedParam)) else []
            bad = [v for v in values if isinstance(v, str) and (p.name, v) in RESERVED_VALUES]
            if bad:
                raise SpaceError(
                    f"Parameter '{p.name}' cannot be {bad[0]!r}: {RESERVED_VALUES[(p.name, bad[0])]}.",
                    fix=f"Remove {bad[0]!r} from '{p.name}'.",
                )
        unknown = [n for n in self.names if n not in allowed]
        if unknown:
            raise SpaceError(
                f"Parameter(s) {', '.join(repr(u) for u in unknown)} are not hyperparameters of {model}.",
                fix=f"Known parameters: {', '.join(sorted(allowed))}.",
            )


def _order(params: list[Param]) -> tuple[Param, ...]:
    """Sort so that each parameter comes after those its ``when`` names; check the references."""
    by_name = {p.name: p for p in params}
    for p in params:
        for key, vals in p.when:
            if key not in by_name:
                raise SpaceError(f"Parameter '{p.name}': 'when' names '{key}', which is not in the space.")
            if key == p.name:
                raise SpaceError(f"Parameter '{p.name}': 'when' cannot name the parameter itself.")
            parent = by_name[key]
            if isinstance(parent, CategoricalParam):
                possible = parent.values
            elif isinstance(parent, FixedParam):
                possible = (parent.value,)
            else:
                raise SpaceError(
                    f"Parameter '{p.name}': 'when' can only name a parameter with 'values' or 'value', "
                    f"but '{key}' is a range."
                )
            missing = [v for v in vals if v not in possible]
            if missing:
                raise SpaceError(
                    f"Parameter '{p.name}': 'when' expects '{key}' to be {missing[0]!r}, "
                    f"which is not one of its values {list(possible)}."
                )
    ordered: list[Param] = []
    placed: set[str] = set()
    remaining = list(params)
    while remaining:
        progressed = False
        for p in list(remaining):
            if all(k in placed for k, _ in p.when):
                ordered.append(p)
                placed.add(p.name)
                remaining.remove(p)
                progressed = True
        if not progressed:
            raise SpaceError(f"Parameters {[p.name for p in remaining]} have circular 'when' conditions.")
    return tuple(ordered)


__all__ = [
    "CategoricalParam",
    "FixedParam",
    "FloatParam",
    "IntParam",
    "Param",
    "MAX_GRID_POINTS",
    "MAX_GRID_SIZE",
    "RESERVED_PARAMS",
    "SearchSpace",
    "check_grid_points",
    "param_from_dict",
]
