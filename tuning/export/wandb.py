"""A Weights & Biases sweep configuration (YAML) of a study's search space; no ``wandb`` package needed.

``method`` follows the study's strategy (grid -> grid, random -> random, tpe/anneal -> bayes), ``metric``
its scorer (``neg_*`` scorers become the positive loss with goal ``minimize``), ``parameters`` its space.
W&B sweeps have no conditional parameters: a conditional one is written as a plain one with a comment.
"""

from __future__ import annotations

import json
from typing import Any

from tuning.space import CategoricalParam, FixedParam, FloatParam, IntParam, SearchSpace

METHODS = {"grid": "grid", "random": "random", "tpe": "bayes", "anneal": "bayes"}


def _scalar(v: Any) -> str:
    """A YAML scalar (JSON is valid YAML flow syntax)."""
    return json.dumps(v)


def _one_line(text: str) -> str:
    """Comment text on one line (a newline in a name would end the comment and start YAML)."""
    return json.dumps(text)[1:-1]


def sweep_config(space: SearchSpace, *, metric: str, strategy: str = "tpe", name: str | None = None) -> dict[str, Any]:
    """The sweep as a plain dict (what the YAML says)."""
    goal = "minimize" if metric.startswith("neg_") else "maximize"
    out: dict[str, Any] = {"method": METHODS.get(strategy, "bayes")}
    if name:
        out["name"] = name
    out["metric"] = {"name": metric.removeprefix("neg_"), "goal": goal}
    params: dict[str, Any] = {}
    grid = out["method"] == "grid"
    for p in space.params:
        if isinstance(p, FixedParam):
            params[p.name] = {"value": p.value}
        elif isinstance(p, CategoricalParam):
            params[p.name] = {"values": list(p.values)}
        elif grid:
            params[p.name] = {"values": p.grid(space.grid_points)}
        elif isinstance(p, IntParam):
            params[p.name] = (
                {"distribution": "q_log_uniform_values", "min": p.low, "max": p.high, "q": 1}
                if p.log
                else {"distribution": "int_uniform", "min": p.low, "max": p.high}
            )
        elif isinstance(p, FloatParam):
            params[p.name] = {"distribution": "log_uniform_values" if p.log else "uniform", "min": p.low, "max": p.high}
    out["parameters"] = params
    return out


def sweep_yaml(space: SearchSpace, *, metric: str, strategy: str = "tpe", name: str | None = None) -> str:
    """The sweep as YAML text, ready for ``wandb sweep sweep.yaml``."""
    cfg = sweep_config(space, metric=metric, strategy=strategy, name=name)
    lines = [
        "# W&B sweep of a workbench study's search space (wandb sweep sweep.yaml).",
        "# Your training script must log the metric below under this name.",
        f"method: {_scalar(cfg['method'])}",
    ]
    if "name" in cfg:
        lines.append(f"name: {_scalar(cfg['name'])}")
    lines += [
        "metric:",
        f"  name: {_scalar(cfg['metric']['name'])}",
        f"  goal: {_scalar(cfg['metric']['goal'])}",
        "parameters:",
    ]
    for p in space.params:
        if p.when:
            cond = ", ".join(f"{k} in {list(v)}" for k, v in p.when)
            note = f"{p.name} is used only when {cond}: W&B sweeps have no conditions, so it is always drawn"
            lines.append("  # " + _one_line(note))
        # a key is a quoted scalar: a name holding a newline or ': ' cannot start a key of its own
        lines.append(f"  {_scalar(p.name)}:")
        lines += [f"    {k}: {_scalar(v)}" for k, v in cfg["parameters"][p.name].items()]
    return "\n".join(lines) + "\n"


__all__ = ["sweep_config", "sweep_yaml"]
