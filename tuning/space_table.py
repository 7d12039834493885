"""A search space as an editable table (one row per parameter) and back: what the Search page edits.

Kept out of the UI so the conversion is tested without Streamlit.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from tuning.errors import SpaceError
from tuning.models import ModelFamily
from tuning.space import CategoricalParam, FixedParam, FloatParam, IntParam, SearchSpace

KINDS = ("int range", "float range", "values", "fixed")
COLUMNS = ["use", "parameter", "kind", "low", "high", "log", "values", "when", "regularizes", "help"]


def format_value(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def parse_token(text: str) -> Any:
    """'3' -> 3, '0.5' -> 0.5, 'true' -> True, 'null' -> None, '[64, 32]' -> [64, 32], 'dart' -> 'dart'."""
    t = text.strip()
    try:
        return json.loads(t)
    except json.JSONDecodeError:
        return t.strip("'\"")


def parse_values(text: str) -> list[Any]:
    """A comma-separated list, or JSON items: 'gbtree, dart' or '[32], [64, 32]' or '0.1, 1, 10'."""
    t = (text or "").strip()
    if not t:
        return []
    try:
        v = json.loads(f"[{t}]")
        return list(v)
    except json.JSONDecodeError:
        return [parse_token(tok) for tok in t.split(",") if tok.strip()]


def _when_text(p: Any) -> str:
    return ", ".join(f"{k}={'|'.join(format_value(x) for x in v)}" for k, v in p.when)


def _parse_when(text: str, name: str) -> dict[str, Any] | None:
    t = (text or "").strip()
    if not t:
        return None
    out: dict[str, Any] = {}
    for part in t.split(","):
        if "=" not in part:
            raise SpaceError(f"Parameter '{name}': write the condition as parent=value, e.g. booster=dart.")
        k, v = part.split("=", 1)
        vals = [parse_token(x) for x in v.split("|")]
        out[k.strip()] = vals if len(vals) > 1 else vals[0]
    return out


def space_to_rows(family: ModelFamily, space: dict[str, Any] | None = None) -> pd.DataFrame:
    """Rows for every parameter in the space (used) and every other documented one (unused)."""
    active = SearchSpace.from_dict(space if space is not None else family.default_space)
    rows = []
    seen = set()
    suggestions = {**family.extra_space, **family.default_space}
    for p in active.params:
        rows.append(_row(p, True, family))
        seen.add(p.name)
    for name in family.params:
        if name in seen or name not in suggestions:
            continue
        rows.append(
            _row(
                SearchSpace.from_dict(
                    {name: suggestions[name]},
                ).params[0],
                False,
                family,
            )
            if "when" not in suggestions[name]
            else _row_conditional(name, suggestions[name], family)
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _row_conditional(name: str, spec: dict[str, Any], family: ModelFamily) -> dict[str, Any]:
    bare = {k: v for k, v in spec.items() if k != "when"}
    row = _row(SearchSpace.from_dict({name: bare}).params[0], False, family)
    row["when"] = ", ".join(f"{k}={v}" for k, v in spec["when"].items())
    return row


def _row(p: Any, use: bool, family: ModelFamily) -> dict[str, Any]:
    doc = family.params.get(p.name)
    row = {
        "use": use,
        "parameter": p.name,
        "kind": "fixed",
        "low": None,
        "high": None,
        "log": False,
        "values": "",
        "when": _when_text(p),
        "regularizes": bool(doc and doc.regularizes),
        "help": doc.help if doc else "",
    }
    if isinstance(p, IntParam):
        row.update(kind="int range", low=float(p.low), high=float(p.high), log=p.log)
    elif isinstance(p, FloatParam):
        row.update(kind="float range", low=p.low, high=p.high, log=p.log)
    elif isinstance(p, CategoricalParam):
        row.update(kind="values", values=", ".join(format_value(v) for v in p.values))
    elif isinstance(p, FixedParam):
        row.update(kind="fixed", values=format_value(p.value))
    return row


def rows_to_space(rows: pd.DataFrame) -> dict[str, Any]:
    """The JSON space of the used rows; raises SpaceError naming the parameter on a bad row."""
    spec: dict[str, Any] = {}
    for r in rows.to_dict("records"):
        if not r.get("use"):
            continue
        name = str(r["parameter"])
        kind = r.get("kind")
        entry: dict[str, Any]
        if kind in ("int range", "float range"):
            low, high = r.get("low"), r.get("high")
            if (
                low is None
                or high is None
                or (isinstance(low, float) and math.isnan(low))
                or (isinstance(high, float) and math.isnan(high))
            ):
                raise SpaceError(f"Parameter '{name}': a range needs both low and high.")
            if kind == "int range":
                if not (float(low).is_integer() and float(high).is_integer()):
                    raise SpaceError(f"Parameter '{name}': an int range needs whole numbers, got {low} and {high}.")
                entry = {"type": "int", "low": int(low), "high": int(high)}
            else:
                entry = {"type": "float", "low": float(low), "high": float(high)}
            if r.get("log"):
                entry["log"] = True
        elif kind == "values":
            values = parse_values(str(r.get("values") or ""))
            if not values:
                raise SpaceError(f"Parameter '{name}': list at least one value, separated by commas.")
            entry = {"values": values}
        elif kind == "fixed":
            text = str(r.get("values") or "").strip()
            if not text:
                raise SpaceError(f"Parameter '{name}': a fixed parameter needs a value (in the values column).")
            entry = {"value": parse_token(text)}
        else:
            raise SpaceError(f"Parameter '{name}': unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
        when = _parse_when(str(r.get("when") or ""), name)
        if when:
            entry["when"] = when
        spec[name] = entry
    if not spec:
        raise SpaceError("No parameter is in use.", fix="Tick 'use' for at least one parameter.")
    SearchSpace.from_dict(spec)  # full validation (ranges, conditions)
    return spec
