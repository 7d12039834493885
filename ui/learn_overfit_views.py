"""The Overfitting lab's views: each reads a few widgets, computes through tuning.lessons, draws."""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from tuning import lessons
from tuning.analysis import display_metric_name, display_score
from tuning.baseline import baseline_label
from tuning.charts.learn import (
    plot_bias_variance,
    plot_bias_variance_fits,
    plot_boosting_rounds,
    plot_decision_boundary,
    plot_fit_1d,
    plot_learning_curve,
    plot_validation_curve,
    plot_validation_overfit,
)
from tuning.lessons.learning_curve import LOW_VERDICT
from tuning.models import get_model
from tuning.study import open_study
from ui.jobs import compute, compute_call
from ui.layout import metric_row
from ui.learn_data import compute_on, pick_data
from ui.learn_presets import BIAS_VARIANCE, BOUNDARY_KNOBS, FIT1D_KNOBS, SWEEPS, fmt
from ui.state import get_store
from ui.text import esc


def baseline_note(metric: str, dummy: float, task: str) -> str:
    """The reference beside a "low" verdict: what a no-skill model scores on the same folds."""
    what = baseline_label(task)
    value = display_score(metric, dummy)
    if value is None:
        return "no baseline could be scored for this metric"
    return f"for reference, {what} scores {value:.4g} {display_metric_name(metric)}"


def explain(text: str, try_this: str) -> None:
    st.markdown(text)
    st.info(f"**Try this:** {try_this}", icon=":material/lightbulb:")


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _pins(key: str) -> list:
    return st.session_state.setdefault(key, [])


def _pin_buttons(key: str, item: object, label: str) -> None:
    pins = _pins(key)
    row = st.container(horizontal=True)  # buttons sized to their labels (columns cut them to "Pin this...")
    c1 = c2 = row
    if c1.button(f"Pin this {label}", key=f"{key}_pin", disabled=len(pins) >= 4):
        pins.append(item)
    if c2.button("Clear pins", key=f"{key}_clear", disabled=not pins):
        pins.clear()


def _knob_slider(prefix: str, model: str, knob: tuple[str, list[Any], Any]) -> tuple[str, Any]:
    """The slider of ``model``'s one knob (name, values, default): (its name, the chosen value)."""
    param, values, default = knob
    return param, _value_slider(param, values, default, f"{prefix}_{model}_{param}")


def _value_slider(label: str, values: list[Any], default: Any, key: str, where: Any = st) -> Any:
    """A slider over a preset's ``values`` (drawn by :func:`fmt`), in ``where`` (the page or a column)."""
    return where.select_slider(label, options=values, value=default, key=key, format_func=fmt)


def _resample_seed(prefix: str) -> int:
    """The data's seed, kept in the session; the "Resample the data" button moves it on by one."""
    seed = st.session_state.setdefault(f"{prefix}_seed", 0)
    if st.button("Resample the data", key=f"{prefix}_resample", icon=":material/casino:"):
        st.session_state[f"{prefix}_seed"] = seed = seed + 1
    return seed


class SweepChoice(NamedTuple):
    """A model and one of its hyperparameters to sweep: the keyword arguments of the sweep lessons."""

    model: str
    param: str
    values: list
    simpler: str
    fixed: dict


def _sweep_controls(prefix: str, task: str) -> SweepChoice:
    models = [m for m in SWEEPS if task in get_model(m).tasks]
    c1, c2 = st.columns(2)
    model = c1.selectbox("Model", models, index=0, key=f"{prefix}_model", format_func=lambda m: get_model(m).label)
    sweeps = {s[0]: s for s in SWEEPS[model]}
    param = c2.selectbox("Hyperparameter", list(sweeps), key=f"{prefix}_param")
    _, values, simpler, fixed = sweeps[param]
    return SweepChoice(model, param, values, simpler, fixed)


def validation_curve_view() -> None:
    explain(
        "Sweep one hyperparameter and score every setting on the training folds and on the validation folds. "
        "Training scores keep improving with capacity; validation scores rise, peak, then fall once the model "
        "starts fitting noise. The star is the best validation score; the diamond is the simplest setting "
        "within one standard error of it — usually the safer choice.",
        "on the noisy sine, sweep the decision tree's max_depth: where does the gap start to open?",
    )
    data = pick_data("vc_data", default_file="noisy_sine.csv")
    if data is None:
        return
    choice = _sweep_controls("vc", data.task)
    model, param, values = choice.model, choice.param, choice.values
    cv = st.slider("CV folds", 3, 10, 5, key="vc_cv")
    curve = compute_on(data, lessons.validation_curve, label="Fitting every setting", cv=cv, **choice._asdict())
    if curve is None:
        return
    current = _value_slider(f"Current {param}", values, values[curve.best_index], f"vc_current_{model}_{param}")
    i = values.index(current)
    m = curve.metric
    log_x = min(values) > 0 and max(values) / min(values) >= 50 if all(_is_num(v) for v in values) else False
    st.plotly_chart(plot_validation_curve(curve, current=current, pinned=_pins("vc_pins"), log_x=log_x), key="vc_chart")
    metric_row(
        [
            (f"Train {display_metric_name(m)}", f"{display_score(m, curve.train_mean[i]):.4g}"),
            (f"Validation {display_metric_name(m)}", f"{display_score(m, curve.val_mean[i]):.4g}"),
            ("Regime", curve.regimes[i]),
        ],
        width=200,
    )
    if curve.regimes[i] == "underfit":
        st.caption(baseline_note(m, curve.dummy_score, data.task))
    _pin_buttons("vc_pins", curve, "curve")


def learning_curve_view() -> None:
    explain(
        "Train the same model on growing slices of the training folds. A high-variance model starts with a large "
        "gap that closes as data grows: more data helps. A high-bias model has train and validation meeting "
        "early at a low score: more data will not help, more capacity will.",
        "compare a depth-2 tree with a depth-12 tree on the moons: which one would more data rescue?",
    )
    data = pick_data("lc_data", default_file="moons.csv")
    if data is None:
        return
    model, param, values, _, fixed = _sweep_controls("lc", data.task)
    c1, c2 = st.columns(2)
    a = _value_slider("Setting A", values, values[1], f"lc_a_{model}_{param}", where=c1)
    b = _value_slider("Setting B", values, values[-2], f"lc_b_{model}_{param}", where=c2)
    curves = []
    for v in (a, b):
        params = {**fixed, param: v}
        curves.append(compute_on(data, lessons.learning_curve, label=f"{param}={fmt(v)}", model=model, params=params))
    if any(cv is None for cv in curves):
        return
    st.plotly_chart(plot_learning_curve(curves, [f"{param}={fmt(a)}", f"{param}={fmt(b)}"]), key="lc_chart")
    for v, cv in zip((a, b), curves):
        verdict = lessons.verdict(cv)
        note = f" ({baseline_note(cv.metric, cv.dummy_score, data.task)})" if verdict == LOW_VERDICT else ""
        st.markdown(f"**{esc(param)}={esc(fmt(v))}**: {verdict}{note}")


def boosting_view() -> None:
    explain(
        "Boosting adds one tree per round. Training loss falls forever; validation loss falls, bottoms out, then "
        "creeps up. Early stopping watches the validation loss and stops a patience window after its best round; "
        "the shaded rounds after that are wasted. A smaller learning rate needs more rounds but often ends lower.",
        "lower the learning rate to 0.03 and see the best round move right and the minimum go down.",
    )
    data = pick_data("bo_data", default_file="breast_cancer.csv")
    if data is None:
        return
    c1, c2, c3 = st.columns(3)
    rates = c1.multiselect("Learning rates", [0.5, 0.3, 0.1, 0.03, 0.01], default=[0.3, 0.1, 0.03], key="bo_rates")
    patience = c2.slider("Early-stopping patience (rounds)", 5, 100, 20, key="bo_patience")
    rounds = c3.select_slider("Max rounds", [100, 200, 300, 500, 800], value=300, key="bo_rounds")
    if not rates:
        st.warning("Pick at least one learning rate.")
        return
    res = compute_on(
        data,
        lessons.boosting_rounds,
        label="Boosting",
        learning_rates=sorted(rates, reverse=True),
        early_stopping_rounds=patience,
        n_estimators=rounds,
        params={"max_depth": 4},
    )
    if res is None:
        return
    st.plotly_chart(plot_boosting_rounds(res), key="bo_chart")
    # One row per learning rate (the per-round numbers are in the chart's hover): what early stopping did.
    summary = pd.DataFrame(
        {
            "learning rate": [r.learning_rate for r in res.runs],
            "best round": [r.best_round for r in res.runs],
            f"best validation {res.metric}": [r.best_loss for r in res.runs],
            "early stopping stops at": [r.stop_round for r in res.runs],
            "rounds after the best (wasted)": [r.wasted_rounds for r in res.runs],
            "rounds saved by early stopping": [r.saved_rounds for r in res.runs],
            "fit time (s)": [r.fit_time for r in res.runs],
        }
    )
    st.dataframe(
        summary,
        hide_index=True,
        key="bo_table",
        column_config={
            f"best validation {res.metric}": st.column_config.NumberColumn(format="%.4g"),
            "fit time (s)": st.column_config.NumberColumn(format="%.2f"),
        },
    )


def boundary_view() -> None:
    explain(
        "Two features, two classes, a known shape plus noise. The colour is the model's predicted probability; "
        "circles are training points, crosses validation points. A flexible model bends around every training "
        "point (high train accuracy, lower validation accuracy); a stiff one cannot follow the shape at all.",
        "on the spiral, raise the tree depth step by step, pin a few, then press Resample: which boundary changes most?",
    )
    c = st.columns(4)
    shape = c[0].selectbox("Shape", list(lessons.DATASETS_2D), key="db_shape")
    noise = c[1].slider("Noise", 0.0, 1.0, 0.3, 0.05, key="db_noise")
    n = c[2].select_slider("Points", [50, 100, 200, 400, 800], value=200, key="db_n")
    model = c[3].selectbox("Model", list(BOUNDARY_KNOBS), key="db_model", format_func=lambda m: get_model(m).label)
    param, value = _knob_slider("db", model, BOUNDARY_KNOBS[model])
    seed = _resample_seed("db")
    params = {param: value}
    res = compute_call(
        lessons.decision_boundary, label="Fitting", data=shape, model=model, params=params, n=n, noise=noise, seed=seed
    )
    if res is None:
        return
    st.plotly_chart(plot_decision_boundary(res, pinned=_pins("db_pins")), key="db_chart")
    _pin_buttons("db_pins", res, "boundary")


def _model_and_noise(prefix: str, models: list[str], *, least_noise: float) -> tuple[Any, str, float]:
    """The row of the generated-data views: model, noise, and a third column the view fills."""
    c = st.columns(3)
    model = c[0].selectbox("Model", models, key=f"{prefix}_model")
    noise = c[1].slider("Noise", least_noise, 1.0, 0.3, 0.05, key=f"{prefix}_noise")
    return c[2], model, noise


def fit_1d_view() -> None:
    explain(
        "A noisy sine with the truth drawn in black. A low-degree polynomial misses the wave (underfit); a "
        "high-degree one passes through training points and swings wildly between them (overfit).",
        "set the degree to 15, then Resample a few times: the fit changes completely each time — that is variance.",
    )
    third, model, noise = _model_and_noise("f1", list(FIT1D_KNOBS), least_noise=0.0)
    n = third.select_slider("Points", [20, 30, 60, 120, 300], value=30, key="f1_n")
    param, value = _knob_slider("f1", model, FIT1D_KNOBS[model])
    seed = _resample_seed("f1")
    res = compute_call(lessons.fit_1d, label="Fitting", model=model, params={param: value}, n=n, noise=noise, seed=seed)
    if res is None:
        return
    pins = _pins("f1_pins")
    st.plotly_chart(plot_fit_1d([res, *pins]), key="f1_chart")
    _pin_buttons("f1_pins", res, "fit")


def bias_variance_view() -> None:
    explain(
        "Refit the same model on many fresh samples from a known truth. Bias² is how far the average fit is from "
        "the truth; variance is how much the fits disagree; noise is what no model can remove. Their sum tracks "
        "the measured test error: bias falls and variance rises with complexity.",
        "switch to k-NN: complexity grows as k shrinks — watch variance explode at k = 1.",
    )
    third, model, noise = _model_and_noise("bv", list(BIAS_VARIANCE), least_noise=0.05)
    repeats = third.select_slider("Resamples", [10, 20, 40, 80], value=20, key="bv_repeats")
    param, values = BIAS_VARIANCE[model]
    res = compute_call(
        lessons.bias_variance,
        label="Refitting on fresh samples",
        model=model,
        param=param,
        values=values,
        noise=noise,
        n_repeats=repeats,
    )
    if res is None:
        return
    current = _value_slider(f"Show fits for {param}", values, values[len(values) // 2], f"bv_current_{model}")
    st.plotly_chart(plot_bias_variance(res, current=current), key="bv_chart")
    st.plotly_chart(plot_bias_variance_fits(res, values.index(current)), key="bv_fits")


def validation_overfit_view() -> None:
    explain(
        "Every time a search picks the best of many trials by their validation score, it partly picks luck. "
        "Here the best-so-far cross-validation score of a finished study is set against the held-out test score "
        "of the configuration it would have chosen at that point: the gap is the optimism of the search.",
        "run a 100-trial random search with a held-out test of 0.3 on a small dataset, then open it here.",
    )
    store = get_store()
    studies = [s for s in store.list_studies() if s.config.test_size > 0]
    if not studies:
        st.info(
            "No study has a held-out test split yet: on the Search page set *Held-out test* above 0 and run "
            "one (or `python -m tuning run ... --test-size 0.3`)."
        )
        return
    labels = {s.id: f"#{s.id} {s.name} ({s.state.value})" for s in studies}
    sid = st.selectbox("Study", list(labels), index=len(labels) - 1, format_func=labels.get, key="vo_study")
    n = open_study(store, sid).summary().n_complete
    res = compute(
        f"vo|{store.path}|{sid}|{n}",
        lessons.validation_overfitting,
        label="Refitting chosen configs",
        store=store,
        study_id=sid,
    )
    if res is None:
        return
    st.plotly_chart(plot_validation_overfit(res), key="vo_chart")
