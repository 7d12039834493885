"""The comparison in words, the ratios to retraining, the script that repeats an arm, and keeping a model."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tuning.errors import ConfigError
from tuning.finetune._common import RESULT_KIND, ArmKind, _finite
from tuning.finetune.results import ArmResult, FinetuneResult


def _shown(metric: str, score: float, *, name: bool = True) -> str:
    """``"RMSE 32.6"`` for a stored ``neg_root_mean_squared_error`` of -32.6: the metric as users read it."""
    from tuning.analysis import display_metric_name, display_score

    value = f"{display_score(metric, score):.4g}"
    return f"{display_metric_name(metric)} {value}" if name else value


def verdict(arms: Sequence[ArmResult], metric: str) -> str:
    """One or two plain sentences: how much of the gap to retraining each cheap arm recovers, at what cost."""
    by = {a.kind: a for a in arms}
    base, retrain = by.get(ArmKind.BASE), by.get(ArmKind.RETRAIN_NEW)
    if base is None or retrain is None:
        return "Run the base and the retrain arms to get a verdict."
    gap = retrain.new_score - base.new_score
    if not gap > 0:
        return (
            f"The base model already scores as well on the new data as retraining from scratch "
            f"({_shown(metric, base.new_score)} vs {_shown(metric, retrain.new_score)}): there is little to adapt."
        )
    cont = [a for a in arms if a.kind in (ArmKind.CONTINUE, ArmKind.TUNED)]
    parts = []
    t_ref = max(retrain.fit_time_s, 1e-9)
    if cont:
        best = max(cont, key=lambda a: a.new_score)
        rec = (best.new_score - base.new_score) / gap
        parts.append(
            f"{best.label} recovers {rec:.0%} of the gap to retraining for {best.fit_time_s / t_ref:.0%} of its "
            "training time"
        )
    ref = by.get(ArmKind.REFRESH)
    if ref is not None:
        rec = (ref.new_score - base.new_score) / gap
        parts.append(
            f"refresh recovers {rec:.0%} for {ref.fit_time_s / t_ref:.0%} of the time but cannot add new splits"
        )
    stack = by.get(ArmKind.STACK)
    if stack is not None:
        parts.append(f"stack recovers {(stack.new_score - base.new_score) / gap:.0%}")
    text = "; ".join(parts) + "." if parts else ""
    forgot = [a for a in arms if a.old_score is not None and base.old_score is not None]
    if forgot:
        worst = min(forgot, key=lambda a: a.old_score or 0.0)
        if worst.old_score is not None and base.old_score is not None and worst.old_score < base.old_score:
            text += (
                f" Forgetting: {worst.label} takes the old-data {_shown(metric, base.old_score)} to "
                f"{_shown(metric, worst.old_score, name=False)}."
            )
    return text[0].upper() + text[1:] if text else text


def adaptation_script(result: FinetuneResult, label: str, *, base_file: str = "base_model.json") -> str:
    """A short script that repeats one arm's adaptation with XGBoost alone."""
    arm = next((a for a in result.arms if a.label == label), None)
    if arm is None:
        raise ConfigError(f"There is no arm {label!r} in this result.")
    p = {k: v for k, v in arm.params.items() if k not in ("objective",)}
    obj = arm.params.get("objective", "")
    s = result.split
    from tuning.export.script import python_literal as lit

    # Every user string (study, file and arm names) and number enters as a literal constant under a static
    # docstring, as in the refit script: a name cannot close a string and run code when the script runs.
    params = {**p, "objective": obj} if obj else p
    head = f'''"""Repeat an adaptation of a trained XGBoost model (made by the tuning workbench).

Usage: python adapt.py NEW_DATA.csv TARGET   (the base model: BASE_FILE below)
The new table must already be in the model's feature columns (numbers; apply the study's preprocessing first).
Held-out rows: HOLDOUT of the new data (seed SEED); early-stopping rows: 15% of the rest.
"""

import sys

import pandas as pd
import xgboost as xgb
from sklearn.model_selection import train_test_split

ADAPTATION = {lit(str(label))}
BASE_SOURCE = {lit(str(result.base_source))}
BASE_FILE = {lit(str(base_file))}
HOLDOUT = {lit(float(s.holdout))}
SEED = {lit(int(s.seed))}
CLASSIFICATION = {lit(result.task == "classification")}

print(f"repeating {{ADAPTATION!r}} of {{BASE_SOURCE!r}}")
path, target = sys.argv[1], sys.argv[2]
df = pd.read_csv(path)
y = df.pop(target).to_numpy()
strat = y if CLASSIFICATION else None
X_adapt, X_hold, y_adapt, y_hold = train_test_split(df, y, test_size=HOLDOUT, random_state=SEED, stratify=strat)
X_fit, X_es, y_fit, y_es = train_test_split(
    X_adapt, y_adapt, test_size=0.15, random_state=SEED, stratify=y_adapt if strat is not None else None
)
base = xgb.Booster(model_file=BASE_FILE)
params = {lit(_plain(params))}
'''
    if arm.kind == ArmKind.CONTINUE:
        body = f"""d_fit, d_es = xgb.DMatrix(X_fit, label=y_fit), xgb.DMatrix(X_es, label=y_es)
model = xgb.train(params, d_fit, {lit(int(arm.curve.rounds[-1]) if arm.curve else 200)}, xgb_model=base, evals=[(d_es, "es")],
                  early_stopping_rounds=20)
model = model[: model.best_iteration + 1]
"""
    elif arm.kind == ArmKind.REFRESH:
        body = """params.update(process_type="update", updater="refresh", refresh_leaf=True)
model = xgb.train(params, xgb.DMatrix(X_adapt, label=y_adapt), base.num_boosted_rounds(), xgb_model=base)
"""
    elif arm.kind == ArmKind.STACK:
        body = """def with_margin(X, y=None):
    d = xgb.DMatrix(X, label=y)
    d.set_base_margin(base.predict(d, output_margin=True))
    return d

d_fit, d_es = with_margin(X_fit, y_fit), with_margin(X_es, y_es)
model = xgb.train(params, d_fit, 200, evals=[(d_es, "es")], early_stopping_rounds=20)
model = model[: model.best_iteration + 1]  # predict with with_margin(X): base margin + these trees
"""
    elif arm.kind in (ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL):
        body = """d_fit, d_es = xgb.DMatrix(X_fit, label=y_fit), xgb.DMatrix(X_es, label=y_es)
model = xgb.train(params, d_fit, 200, evals=[(d_es, "es")], early_stopping_rounds=20)
model = model[: model.best_iteration + 1]
"""
    elif arm.kind == ArmKind.TUNED:
        rounds = int(arm.params.get("rounds", 100))
        body = f"""params["eta"] = {lit(_plain(arm.params.get("eta")))}
model = xgb.train(params, xgb.DMatrix(X_fit, label=y_fit), {lit(rounds)}, xgb_model=base)
"""
    else:
        body = "model = base\n"
    tail = f"""model.save_model("adapted_{arm.kind.value}.json")
print("saved adapted_{arm.kind.value}.json")
"""
    return head + body + tail


def _plain(value: Any) -> Any:
    """JSON-like plain values (numpy scalars as Python numbers) for ``python_literal``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def ratios_to_retrain(result: FinetuneResult) -> dict[str, dict[str, float | None]]:
    """Each arm's new-data score, old-data score and fit time as ratios to retraining on the new data."""
    ref = result.arm(ArmKind.RETRAIN_NEW)
    if ref is None:
        return {}

    def ratio(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or not math.isfinite(a) or not math.isfinite(b) or b == 0:
            return None
        return round(a / b, 4)

    return {
        a.label: {
            "new_score": ratio(a.new_score, ref.new_score),
            "old_score": ratio(a.old_score, ref.old_score),
            "fit_time": ratio(a.fit_time_s, ref.fit_time_s),
        }
        for a in result.arms
    }


def save_adapted(store: Any, result: FinetuneResult, label: str, *, study_id: int | None = None) -> int:
    """Keep one arm's adapted booster in the store (kind "model", XGBoost JSON); returns the artifact id."""
    if label not in result.models:
        raise ConfigError(
            f"There is no saved model for the arm {label!r}.", fix=f"Pick one of {', '.join(result.models)}."
        )
    arm = next(a for a in result.arms if a.label == label)
    meta = {
        "format": "xgboost-json-adapted",
        "arm": arm.kind.value,
        "adapted_from": result.base_source,
        "metric": result.metric,
        "new_score": _finite(arm.new_score),
        "old_score": _finite(arm.old_score),
        "needs_base_margin": label == result.base_margin_label,
    }
    safe = "".join(ch if ch.isalnum() else "_" for ch in label).strip("_")
    return store.save_artifact(
        kind="adapted_model", name=f"{safe}.json", content=result.models[label], meta=meta, study_id=study_id
    )


#: Comparisons kept per base model: the newest are kept, older ones go (a result is a few kB of JSON).
KEPT_RESULTS = 5


def save_result(
    store: Any, result: FinetuneResult, *, base_key: str | None = None, study_id: int | None = None, about: str = ""
) -> int:
    """Keep a finished comparison in the store (kind ``finetune_result``, JSON without the models), so a reload
    or a restart shows it again; only the newest ``KEPT_RESULTS`` per base model (``base_key``, by default its
    source) stay."""
    import json

    key = base_key or result.base_source
    content = json.dumps(result.to_record(), allow_nan=True).encode()
    meta = {"base": key, "about": about, "verdict": result.verdict}
    aid = store.save_artifact(kind=RESULT_KIND, name="finetune.json", content=content, meta=meta, study_id=study_id)
    same = [a for a in store.list_artifacts(kind=RESULT_KIND) if a["meta"].get("base") == key]
    for old in same[:-KEPT_RESULTS]:
        store.delete_artifact(old["id"])
    return int(aid)


def latest_result(store: Any, base_key: str) -> tuple[dict[str, Any], FinetuneResult] | None:
    """(the artifact's row, the result) of the newest comparison kept for this base model, or None."""
    import json

    same = [a for a in store.list_artifacts(kind=RESULT_KIND) if a["meta"].get("base") == base_key]
    for row in reversed(same):
        _, content = store.load_artifact(row["id"])
        try:
            return row, FinetuneResult.from_record(json.loads(content))
        except ValueError:  # written by another release: skip it
            continue
    return None
