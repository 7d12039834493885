"""Widgets of the Search page: model, metric, strategy, budget and the search-space editor."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from tuning.analysis import display_metric_name
from tuning.config import AUTO_TEST_MIN_ROWS, AUTO_TEST_SIZE, StudyConfig
from tuning.device import cuda_status
from tuning.errors import TuningError
from tuning.evaluate import default_metric, secondary_metrics
from tuning.ladder import MIN_COMPLETE
from tuning.models import get_model, models_for_task
from tuning.profile import DatasetProfile
from tuning.protocol import DEFAULT_TRIAL_TIMEOUT
from tuning.space import SearchSpace
from tuning.space_table import KINDS, rows_to_space, space_to_rows
from tuning.stoprule import MIN_TRIALS as PLATEAU_MIN_TRIALS
from tuning.strategies import STRATEGIES
from tuning.strategies.hyperopt_adapter import startup_trials
from tuning.trainers import trainer_for
from ui.run_on import run_on_inputs
from ui.text import esc


def model_picker(task: str) -> str:
    families = models_for_task(task)
    names = [m.name for m in families]
    name = st.selectbox("Model", names, format_func=lambda n: get_model(n).label, key="search_model")
    st.caption(get_model(name).description)
    return name


def metric_picker(task: str, n_classes: int | None) -> str:
    options = list(secondary_metrics(task, n_classes))
    default = default_metric(task, n_classes)
    return st.selectbox(
        "Metric",
        options,
        index=options.index(default),
        key=f"search_metric_{task}_{n_classes}",
        format_func=metric_label,
        help="Losses (RMSE, log loss...) are shown as positive numbers; lower is better.",
    )


def metric_label(metric: str) -> str:
    """``neg_root_mean_squared_error`` -> ``RMSE (lower is better)``; scorer names stay out of sight."""
    name = display_metric_name(metric)
    return f"{name} (lower is better)" if metric.startswith("neg_") else name


STRATEGY_LABELS = {"grid": "Grid", "random": "Random", "tpe": "Bayesian (TPE)", "anneal": "Annealing"}


def study_name(model: str, strategy: str, dataset_name: str) -> str:
    """A study's name as a user reads it: ``Decision tree · Grid · mytable.csv``."""
    return f"{get_model(model).label} · {STRATEGY_LABELS.get(strategy, strategy)} · {dataset_name}"


def strategy_picker() -> str:
    names = list(STRATEGIES)
    name = st.radio(
        "Strategy",
        names,
        index=names.index("tpe"),
        horizontal=True,
        key="search_strategy",
        format_func=STRATEGY_LABELS.get,
    )
    st.caption(STRATEGIES[name].description)
    return name


def space_editor(model: str, *, n_rows: int = 0, n_features: int = 0) -> dict[str, Any] | None:
    """The model's parameters as an editable table; returns the JSON space, or None after showing the error.

    The table keeps to the columns a user edits, so it fits a narrow window without sideways scrolling; what
    a parameter does is shown under it, for the parameter picked there.
    """
    family = get_model(model)
    rows = space_to_rows(family, family.default_space_for(n_rows, n_features) if n_rows else None)
    st.markdown(
        "**Search space** — tick *use*, pick a kind, edit ranges (*log* spaces a range evenly in log) or "
        "comma-separated *values*; *when* makes a parameter conditional (e.g. `booster=dart`)."
    )
    edited: pd.DataFrame = st.data_editor(
        rows,
        height=38 + 35 * len(rows),
        key=f"space_editor_{model}",
        hide_index=True,
        width="stretch",
        column_order=["use", "parameter", "kind", "low", "high", "log", "values", "when"],
        disabled=["parameter", "regularizes", "help"],
        column_config={
            "use": st.column_config.CheckboxColumn("use", width=40),
            "parameter": st.column_config.TextColumn("parameter", width=130),
            "kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True, width=90),
            "low": st.column_config.NumberColumn("low", format="%g", width=60),
            "high": st.column_config.NumberColumn("high", format="%g", width=60),
            "log": st.column_config.CheckboxColumn("log", width=40),
            "values": st.column_config.TextColumn("values / value", width=110),
            "when": st.column_config.TextColumn("when", width=90),
        },
    )
    names = rows["parameter"].tolist()
    docs = dict(zip(names, rows["help"], strict=True))
    regular = dict(zip(names, rows["regularizes"], strict=True))
    c1, c2 = st.columns([1, 2])
    explain = c1.selectbox("What does it do?", names, key=f"space_explain_{model}")
    c2.caption(
        f"**{esc(explain)}**: {esc(docs.get(explain) or 'no description')}"
        + (
            " A regularization knob: it trades training fit for generalization."
            if regular.get(explain)
            else ""
            if regular.get(explain)
            else ""
        )
    )
    try:
        spec = rows_to_space(edited)
    except Exception as exc:
        st.error(esc(str(exc)), icon=":material/error:")
        return None
    with st.expander("Search space as JSON (the file format of `--space`)"):
        st.code(json.dumps(spec, indent=2), language="json")
    return spec


GRID_CONFIRM_FITS = 5_000  # a grid with more fits than this asks for a confirmation before it starts
PRUNERS = {
    "none": "Off",
    "asha": "ASHA (asynchronous successive halving)",
    "hyperband": "Hyperband",
}
PRUNER_HELP = (
    "Stops unpromising candidates early and gives their budget to the best: "
    "boosting rounds for XGBoost, training rows for other models."
)


def trials_key(strategy: str) -> str:
    """The session key of the Trials input of ``strategy`` (one per strategy: a grid's follows its size)."""
    return f"search_trials_{strategy}"


def budget_inputs(strategy: str, space: dict[str, Any] | None, grid_points: int) -> dict[str, Any]:
    """Trials, timeout, patience and target score. For a grid, Trials follows the grid's size (a new model or
    a new space changes it) until the user types their own number."""
    c = st.columns(4)
    grid_size = None
    if strategy == "grid" and space is not None:
        grid_size = SearchSpace.from_dict(space, grid_points=grid_points).grid_size()
    key = trials_key(strategy)
    auto = min(grid_size or 30, 100_000)
    auto_key = f"{key}__auto"  # the value we last filled in: equal to the widget's value means "not edited"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(auto_key):
        st.session_state[key] = auto
    st.session_state[auto_key] = auto
    trials = c[0].number_input(
        "Trials",
        min_value=1,
        max_value=100_000,
        key=key,
        help="For grid search, the grid's size until you type your own number.",
    )
    timeout = c[1].number_input(
        "Timeout (s)", min_value=0, value=0, step=30, key="search_timeout", help="Stop after this long; 0 = none."
    )
    patience = c[2].number_input(
        "Patience",
        min_value=0,
        value=0,
        key="search_patience",
        help="Stop after this many trials without improvement; 0 = none.",
    )
    target = c[3].text_input(
        "Target score",
        value="",
        key="search_target",
        help="Stop once the best score reaches this (in the scorer's units: neg_* are negative). Empty = none.",
    )
    target_score = None
    if target.strip():
        try:
            target_score = float(target)
        except ValueError:
            st.error(f"The target score must be a number, got {esc(repr(target))}.")
    return {
        "n_trials": int(trials),
        "timeout": float(timeout) or None,
        "patience": int(patience) or None,
        "target_score": target_score,
        "grid_size": grid_size,
    }


def evaluation_inputs(family_gpu: bool, *, n_rows: int = 0) -> dict[str, Any]:
    """Folds, held-out rows, parallel trials, seed, device and the trial time cap: StudyConfig fields, in two
    rows of three so the labels stay on one line in a narrow window."""
    c = st.columns(3)
    cv = c[0].number_input("CV folds", min_value=2, max_value=20, value=5, key="search_cv")
    auto_pct = round(AUTO_TEST_SIZE * 100) if n_rows >= AUTO_TEST_MIN_ROWS else 0
    test_pct = c[1].slider(
        "Held-out test rows",
        0,
        50,
        auto_pct,
        5,
        format="%d%%",
        key="search_test_size",
        help="Rows kept aside; the best model is refit and scored on them at the end (the CV score also picked "
        f"the winner, so it is optimistic). {round(AUTO_TEST_SIZE * 100)}% by default from "
        f"{AUTO_TEST_MIN_ROWS:,} rows.",
    )
    cores = os.cpu_count() or 1
    workers = c[2].number_input(
        "Parallel trials",
        min_value=1,
        max_value=max(1, cores * 2),
        value=min(2, cores),
        key="search_workers",
        help=f"{cores} CPU cores; model threads = cores / workers.",
    )
    c = st.columns(3)
    seed = c[0].number_input("Seed", min_value=0, value=0, key="search_seed")
    usable, reason = cuda_status() if family_gpu else (False, "This model runs on the CPU only.")
    options = ["cpu", "cuda"] if usable else ["cpu", "cuda (unavailable)"]
    device = c[1].selectbox(
        "Device", options, key="search_device", help=("GPU usable: " if usable else "GPU unavailable: ") + reason
    )
    if device == "cuda (unavailable)":
        st.warning(f"The GPU cannot be used: {esc(reason)} The search will run on the CPU.", icon=":material/memory:")
        device = "cpu"
    cap = c[2].number_input(
        "Trial time cap (s)",
        min_value=0,
        max_value=86_400,
        value=int(DEFAULT_TRIAL_TIMEOUT),
        step=60,
        key="search_trial_timeout",
        help="A trial still running after this long is ended at its next fold (or boosting round) and recorded "
        "as failed with the reason; the search goes on. 0 = no cap.",
    )
    where = run_on_inputs(device=device, workers=int(workers))  # executor + scheduler
    return {
        "cv": int(cv),
        "test_size": test_pct / 100,
        "trial_timeout": float(cap) or None,
        "workers": int(workers),
        "seed": int(seed),
        "device": device,
    } | where


PLATEAU_HELP = (
    f"Ends the search once, after at least {PLATEAU_MIN_TRIALS} trials, the second half of its trials raised the best "
    "score by less than half that score's own fold-to-fold noise: more trials would not find a setting the folds "
    "can tell apart. On 11 tables it saved about half the trials and lost a median 0.03 % of the score."
)


CHEAP_HELP = (
    "The first trial takes the fewest rounds and the shallowest trees of the space (everything else at its "
    "centre), so a first score shows in about a second; the search then goes on as chosen. Off: the first "
    "trial is the strategy's own draw."
)


def cheap_start_input(model: str, strategy: str, space: dict[str, Any] | None) -> bool | None:
    """A checkbox (on) where the family's trainer has a cheap corner in the space being searched and the search
    samples; None elsewhere (the config's default then decides)."""
    if strategy == "grid":
        return None
    try:
        searched = SearchSpace.from_dict(space) if space is not None else get_model(model).space()
    except TuningError:  # a space still being edited: the Start checks say what is wrong with it
        searched = get_model(model).space()
    if trainer_for(model).cheap_start(searched) is None:
        return None
    return bool(st.checkbox("Cheap first trial", value=True, key="search_cheap_start", help=CHEAP_HELP))


def run_options() -> dict[str, Any]:
    """How the search spends its budget: StudyConfig fields, one control per column.

    Add a new choice (e.g. where trials run) as another column here, returning its StudyConfig field.
    """
    c = st.columns(2, vertical_alignment="bottom")
    pruner = c[0].selectbox(
        "Early cut", list(PRUNERS), format_func=lambda k: PRUNERS.get(k, k), key="search_pruner", help=PRUNER_HELP
    )
    plateau = c[1].checkbox("Stop when the search has no more to give", key="search_plateau", help=PLATEAU_HELP)
    st.caption(PRUNER_HELP)
    return {"pruner": pruner, "plateau": bool(plateau)}


def cost_preview(config: StudyConfig, grid_size: int | None, mean_trial_s: float | None) -> str:
    n = config.n_trials or grid_size or 0
    if grid_size is not None:
        n = min(n, grid_size)
    fits = n * config.cv
    text = f"{n:,} trials × {config.cv} folds = **{fits:,} fits**"
    if grid_size is not None:
        text += f" (grid of {grid_size:,} combinations)"
    if mean_trial_s:
        eta = mean_trial_s * n / max(1, config.workers)
        text += f"; about {_duration(eta)} at the last study's pace"
        if config.pruner != "none":
            text += " (less with the early cut)"
    return text + "".join(f"  \n{line}" for line in budget_notes(config, n))


def budget_notes(config: StudyConfig, n_trials: int) -> list[str]:
    """What the budget buys, said before Start: where TPE starts guiding, how many trials the early cut lets
    finish (the analysis needs complete trials)."""
    notes = []  # a budget too small for the search is said once, by its fix (budget_fixes)
    if config.strategy == "tpe" and config.n_trials and n_trials >= TPE_ENOUGH:
        k = startup_trials(n_trials)
        notes.append(f"TPE: the first {k} trials are random, the other {max(0, n_trials - k)} guided by the scores.")
    if config.pruner != "none" and n_trials >= 2 * MIN_COMPLETE:
        floor = min(MIN_COMPLETE, n_trials)
        notes.append(
            f"Early cut: at least {floor} of the {n_trials} trials run to the full budget (importance, the Pareto "
            "front and the one-standard-error choice read those); the others may be cut at a rung."
        )
    return notes


@dataclass(frozen=True)
class BudgetFix:
    """A budget too small for the search: what is wrong, and the trial count that fixes it in one click."""

    note: str
    trials: int

    @property
    def label(self) -> str:
        return f"Use {self.trials:,} trials"


def _tpe_enough() -> int:
    """The fewest trials whose guided part is at least three times TPE's random start (20 today)."""
    return next(n for n in range(1, 1000) if n - startup_trials(n) >= 3 * startup_trials(n))


TPE_ENOUGH = _tpe_enough()
#: Trials an early cut needs to cut a useful share: the floor of complete trials, three times over.
EARLY_CUT_ENOUGH = 3 * MIN_COMPLETE


def budget_fixes(config: StudyConfig, n_trials: int, grid_size: int | None) -> list[BudgetFix]:
    """Budgets too small for the search they are given to (issue 19), each with its one-click fix."""
    fixes = []
    if grid_size is not None and config.strategy == "grid" and n_trials < grid_size <= 100_000:
        fixes.append(
            BudgetFix(
                f"The grid has {grid_size:,} combinations; {n_trials:,} trials try only the first {n_trials:,} of them "
                "(the last parameters vary, the first stay at their first values).",
                grid_size,
            )
        )
    if config.strategy == "tpe" and n_trials < TPE_ENOUGH:
        k = startup_trials(n_trials)
        fixes.append(
            BudgetFix(
                f"TPE spends its first {min(k, n_trials)} trials at random: {n_trials} trials leave it "
                f"{max(0, n_trials - k)} guided ones. With {TPE_ENOUGH}, {TPE_ENOUGH - startup_trials(TPE_ENOUGH)} "
                "are guided by the scores.",
                TPE_ENOUGH,
            )
        )
    if config.pruner != "none" and n_trials < 2 * MIN_COMPLETE:
        cut = max(0, n_trials - MIN_COMPLETE)
        fixes.append(
            BudgetFix(
                f"Early cut keeps at least {MIN_COMPLETE} trials to the full budget: with {n_trials} trials "
                + ("nothing is cut." if cut == 0 else f"only {cut} may be cut.")
                + f" With {EARLY_CUT_ENOUGH}, up to {EARLY_CUT_ENOUGH - MIN_COMPLETE} can be.",
                EARLY_CUT_ENOUGH,
            )
        )
    return fixes


def budget_fix_buttons(config: StudyConfig, n_trials: int, grid_size: int | None) -> None:
    """Each budget fix as a note and a button that sets the Trials input (before it is drawn, on the rerun)."""
    key = trials_key(config.strategy)

    def apply(trials: int) -> None:
        st.session_state[key] = trials

    for i, fix in enumerate(budget_fixes(config, n_trials, grid_size)):
        note, act = st.columns([4, 1], vertical_alignment="center")
        note.warning(fix.note, icon=":material/lightbulb:")
        act.button(fix.label, key=f"search_fix_{i}", on_click=apply, args=(fix.trials,))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return "under a minute" if seconds >= 1 else "a few seconds"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def grid_confirmation(config: StudyConfig, grid_size: int | None) -> bool:
    """True when the search may start: a grid of more than GRID_CONFIRM_FITS fits needs a ticked box."""
    if config.strategy != "grid" or grid_size is None:
        return True
    fits = min(config.n_trials or grid_size, grid_size) * config.cv
    if fits <= GRID_CONFIRM_FITS:
        return True
    st.warning(
        f"This grid needs {fits:,} fits. Random or Bayesian (TPE) search usually finds as good a setting with "
        "a few dozen trials; or use fewer grid points or fewer parameters.",
        icon=":material/warning:",
    )
    return st.checkbox(f"Yes, run all {fits:,} fits", key=f"search_grid_ok_{fits}")


def profile_classes(profile: DatasetProfile) -> int | None:
    return len(profile.class_counts) if profile.class_counts else None
