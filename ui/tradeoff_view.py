"""Trade-offs and importance on the Results and Compare pages (called with one line from each page).

- ``render_tradeoff_section``: score against fit time and model size with the Pareto front, the best trial
  and the simplest trial within one standard error, the sentence on what the simpler choice costs, the
  front's trials; and parameter importance three ways (forest, PED-ANOVA, fANOVA) with their questions.
- ``render_compare_tradeoff``: the same trade-off charts over several studies.

Results are cached by the number of complete trials; importance that takes long (fANOVA above a few
hundred trials, any method on very large studies) runs in a background thread and the page polls for it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd
import streamlit as st

from tuning import charts
from tuning.analysis import display_metric_name, display_score
from tuning.charts.tradeoff import TradeoffInfo, _get_tradeoff_info, draw_tradeoff
from tuning.config import ResolvedConfig
from tuning.errors import TuningError
from tuning.importance import FANOVA_BACKGROUND_ABOVE, ImportanceResult, Method, compute_importance, n_complete
from tuning.tradeoff import Cost
from ui.text import esc

#: any importance method runs in the background above this many complete trials
BACKGROUND_ABOVE = 5000
POLL_S = 1.5
_MAX_JOBS = 32
X_TITLES = {
    Method.FOREST: "importance (random-forest impurity, sums to 1)",
    Method.PED_ANOVA: "importance (PED-ANOVA, normalized to sum to 1)",
    Method.FANOVA: "importance (fANOVA variance share, normalized to sum to 1)",
}


# -- trade-off ------------------------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def _info(
    key: tuple, _frames: pd.DataFrame | Mapping[str, pd.DataFrame], metric: str, cost: Cost, _n_folds: Any
) -> TradeoffInfo:
    """Cached by ``key`` (studies and their trial counts), never by hashing 100,000-row frames."""
    return _get_tradeoff_info(_frames, metric=metric, cost=cost, n_folds=_n_folds)


def _front_table(info: TradeoffInfo, frames: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    rows = []
    for m in info.front:
        f = frames[m.study]
        r = f.loc[f["number"] == m.number].iloc[0]
        params = {c.removeprefix("param_"): r[c] for c in f.columns if c.startswith("param_")}
        rows.append(
            {
                **({"study": m.study} if m.study else {}),
                "number": m.number,
                f"validation {display_metric_name(metric)}": display_score(metric, float(r["mean_test_score"])),
                "fit time (s)": r.get("mean_fit_time"),
                "model size": r.get("model_size"),
                "unit": r.get("model_size_unit"),
                **{k: (v if not isinstance(v, (list, dict)) else str(v)) for k, v in params.items()},
            }
        )
    out = pd.DataFrame(rows)
    for c in out.columns:  # parameter columns mix numbers and text across studies: show as text
        if out[c].dtype == object and c not in ("study", "unit"):
            out[c] = out[c].map(lambda v: "" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) else str(v))
    return out


def _render_tradeoff(
    frames: Mapping[str, pd.DataFrame] | pd.DataFrame, key: tuple, metric: str, n_folds: Any, prefix: str
) -> None:
    infos = {c: _info(key, frames, metric, c, n_folds) for c in (Cost.FIT_TIME, Cost.MODEL_SIZE)}
    cols = st.columns(2)
    for col, (cost, info) in zip(cols, infos.items(), strict=True):
        col.plotly_chart(draw_tradeoff(info, metric=metric), key=f"{prefix}_{cost.value}")
    info = infos[Cost.MODEL_SIZE] if infos[Cost.MODEL_SIZE].n_points else infos[Cost.FIT_TIME]
    if info.sentence:
        st.info(esc(info.sentence), icon=":material/balance:")  # it quotes study names: keep them literal
    left = sorted(set(infos[Cost.MODEL_SIZE].left_out) - set(infos[Cost.FIT_TIME].left_out))
    if left and infos[Cost.MODEL_SIZE].n_points:
        st.caption(f"Not on the size chart (no size, or sizes in another unit): {esc(', '.join(left))}.")
    st.caption(
        "Each point is a complete trial. The dark line is the Pareto front (no other trial is both cheaper and "
        "better); the star is the best trial, the diamond the simplest trial within one standard error of it "
        "(one-standard-error rule, from the fold spread). Sampled charts say how many points they draw."
    )
    front = infos[Cost.MODEL_SIZE] if infos[Cost.MODEL_SIZE].n_points else infos[Cost.FIT_TIME]
    if front.front:
        by = "model size" if front.cost is Cost.MODEL_SIZE else "fit time"
        st.markdown(f"**Pareto front by {by}** ({len(front.front)} trials, cheapest first)")
        named = frames if isinstance(frames, Mapping) else {"": frames}
        st.dataframe(
            _front_table(front, named, metric),
            hide_index=True,
            key=f"{prefix}_front",
            height=min(300, 38 + 35 * len(front.front)),
        )


def render_tradeoff(frame: pd.DataFrame, cfg: ResolvedConfig, study_id: int) -> None:
    """Score against fit time and model size for one study."""
    _render_tradeoff(frame, ("study", study_id, len(frame), n_complete(frame)), cfg.metric or "", cfg.cv, "tr")


def render_compare_tradeoff(frames: Mapping[str, pd.DataFrame], *, metric: str, n_folds: Mapping[str, int]) -> None:
    """The trade-off charts over several studies (e.g. L1 vs L2 vs DART), one front over all of them."""
    st.markdown("### Trade-offs across studies")
    key = ("compare", tuple((name, len(f), n_complete(f)) for name, f in frames.items()))
    _render_tradeoff(dict(frames), key, metric, dict(n_folds), "cmp_tr")


# -- importance -----------------------------------------------------------------------------------------


@st.cache_resource
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="importance")


@st.cache_resource
def _jobs() -> OrderedDict[tuple, Future]:
    """Process-wide: (db, study, complete trials, method) -> the computation (done or running)."""
    return OrderedDict()


def background(method: Method, n: int) -> bool:
    return n > BACKGROUND_ABOVE or (method is Method.FANOVA and n > FANOVA_BACKGROUND_ABOVE)


def importance_job(db: str, study_id: int, frame: pd.DataFrame, cfg: ResolvedConfig, method: Method) -> Future:
    """The cached computation for this many complete trials; started in the background when it is slow."""
    n = n_complete(frame)
    key = (db, study_id, n, method.value)
    jobs = _jobs()
    job = jobs.get(key)
    if job is not None and not (job.done() and job.exception() is not None):
        return job
    space = cfg.search_space()
    if background(method, n):
        job = _executor().submit(compute_importance, frame.copy(), space, method, seed=cfg.seed)
    else:
        job = Future()
        try:
            job.set_result(compute_importance(frame, space, method, seed=cfg.seed))
        except Exception as exc:  # shown on the page, and retried on the next run
            job.set_exception(exc)
    jobs[key] = job
    while len(jobs) > _MAX_JOBS:
        jobs.popitem(last=False)
    return job


def _show_importance(result: ImportanceResult, prefix: str) -> None:
    for w in result.warnings:
        st.warning(w, icon=":material/warning:")
    # An empty chart says nothing more than the warning above (two messages contradicted each other)
    fig = charts.plot_importance(result.table, why_empty="Nothing to draw yet" if result.warnings else None)
    if not result.table.empty:
        fig.update_xaxes(title_text=X_TITLES[result.method])
        fig.update_layout(title={"text": f"Parameter importance: {result.method.label}"})
    st.plotly_chart(fig, key=f"{prefix}_imp_{result.method.value}")


def render_importance(frame: pd.DataFrame, cfg: ResolvedConfig, study_id: int, *, db: str, prefix: str = "tr") -> None:
    """Importance by the chosen method, labelled with its question; slow ones computed in the background."""
    method = Method(
        st.radio(
            "Importance method",
            [m.value for m in Method],
            format_func=lambda v: Method(v).label,
            horizontal=True,
            key=f"{prefix}_imp_method",
        )
    )
    st.caption(f"**Question:** {method.question}")
    job = importance_job(db, study_id, frame, cfg, method)
    if job.done():
        exc = job.exception()
        if isinstance(exc, TuningError):  # e.g. optuna missing: the plain message naming the package
            st.error(str(exc), icon=":material/error:")
        elif exc is not None:
            st.error(f"Importance could not be computed: {type(exc).__name__}: {exc}", icon=":material/bug_report:")
        else:
            _show_importance(job.result(), prefix)
        return
    n = n_complete(frame)

    @st.fragment(run_every=POLL_S)
    def wait() -> None:
        if job.done():
            st.rerun()  # the whole page, so the chart takes the place of this note
        st.info(
            f"Computing {method.label} on {n:,} complete trials in the background...", icon=":material/hourglass_top:"
        )

    wait()


def render_tradeoff_section(frame: pd.DataFrame, cfg: ResolvedConfig, study_id: int, *, db: str) -> None:
    """The Results page's section: trade-off charts and importance three ways, in two tabs."""
    st.markdown("### Trade-offs and importance")
    tabs = st.tabs(["Score vs cost", "Importance, three ways"])
    with tabs[0]:
        render_tradeoff(frame, cfg, study_id)
    with tabs[1]:
        render_importance(frame, cfg, study_id, db=db)


__all__ = ["render_compare_tradeoff", "render_importance", "render_tradeoff", "render_tradeoff_section"]
