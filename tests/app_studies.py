"""A small store for the app tests: real finished studies on two samples, one with pruned trials.

Pruned trials are written straight into the ``trials`` table (what a multi-fidelity runner records: state
``pruned``, the budget reached, the rung and a note), so the pages can be tested without running a pruner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data"


@dataclass(frozen=True)
class Made:
    """Study ids: two accuracy studies on breast cancer (``b`` has pruned trials), one R² study on diabetes."""

    a: int
    b: int
    c: int
    breast: str
    diabetes: str


def add_pruned(store, study_id: int, *, n: int = 3) -> None:
    """Append ``n`` pruned trials (rungs 0..1, budgets 9/27 rounds) and mark the study as run with ASHA."""
    best = store.best_trial(study_id)
    start = store.next_trial_number(study_id)
    params = best.params if best is not None else {}
    with store._conn() as conn:
        for i in range(n):
            rung = i % 2
            budget = 9 * 3**rung
            score = (best.score if best is not None and best.score is not None else 0.5) - 0.05 * (i + 1)
            conn.execute(
                "INSERT INTO trials(study_id, number, state, params, score, train_score, fold_scores,"
                " fold_train_scores, fit_time, score_time, started, finished, duration_s, worker, budget, rung, note)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    study_id,
                    start + i,
                    "pruned",
                    json.dumps(params),
                    score,
                    score + 0.02,
                    json.dumps({}),
                    json.dumps({}),
                    json.dumps([0.01]),
                    json.dumps([0.001]),
                    "2026-01-01T10:00:00+00:00",
                    "2026-01-01T10:00:01+00:00",
                    1.0,
                    "test",
                    budget,
                    rung,
                    f"cut at rung {rung}: {i + 14}th of 27 at {budget} rounds",
                ),
            )
        row = conn.execute("SELECT config FROM studies WHERE id=?", (study_id,)).fetchone()
        cfg = json.loads(row["config"])
        cfg["pruner"] = "asha"
        cfg["n_trials"] = int(cfg.get("n_trials") or 0) + n  # a pruned trial counts against the budget too
        conn.execute("UPDATE studies SET config=? WHERE id=?", (json.dumps(cfg), study_id))


def make_studies(db: str | Path) -> Made:
    """Three finished decision-tree studies (a few seconds on two cores)."""
    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.store import Store

    store = Store(db)
    breast = store.add_dataset("breast_cancer.csv", (SAMPLES / "breast_cancer.csv").read_bytes())
    diabetes = store.add_dataset("diabetes.csv", (SAMPLES / "diabetes.csv").read_bytes())
    space = {"max_depth": {"values": [2, 4]}, "min_samples_leaf": {"values": [1, 5]}}
    common = dict(model="decision_tree", strategy="grid", cv=3, space=space, workers=1, n_trials=4)
    a = run(store, StudyConfig(dataset_id=breast, target="diagnosis", metric="accuracy", **common))["study_id"]
    b = run(store, StudyConfig(dataset_id=breast, target="diagnosis", metric="accuracy", **common))["study_id"]
    c = run(store, StudyConfig(dataset_id=diabetes, target="progression", metric="r2", **common))["study_id"]
    add_pruned(store, b)
    return Made(a, b, c, breast, diabetes)
