"""The "Iterating and stopping" page's views: the winner's curse, and cold vs refined vs seeded searches."""

from __future__ import annotations

import streamlit as st

from tuning.charts.learn import plot_iterate_search, plot_top_k, plot_winners_curse
from tuning.charts.learn.iterating import X_AXES
from tuning.lessons.iterating import (
    MIN_HELD_OUT,
    TREE_SPACE,
    compare_searches,
    curse_sentence,
    iterate_search,
    winners_curse,
)
from tuning.stoprule import MIN_TRIALS
from ui.learn_data import LessonData, compute_on, pick_data
from ui.learn_overfit_views import explain
from ui.text import esc

MODEL = "decision_tree"  # cheap to fit hundreds of times; the searches use the richer TREE_SPACE
ROWS = (60, 100, 150, 250, 400)
POOL = 40  # candidates per split: the N slider reads the curse at any N up to this without refitting
SPLITS = 4
TOP_K = 10
SEARCH_ROWS = (100, 150, 250, 400)
TRIALS = (30, 40, 60, 80)
BANDS = ("cold", "refined", "seeded")
WAIT = (10, 15, 20, 25, 30)


def shared_controls() -> tuple[LessonData, int] | None:
    """The data (both lessons) and the rows the winner's-curse searches see (the second lesson has its own)."""
    c1, c2 = st.columns(2)
    with c1:
        data = pick_data("it_data", default_file="breast_cancer.csv")
    if data is None:
        return None
    options = [r for r in ROWS if r <= len(data.y) - MIN_HELD_OUT]
    if not options:
        st.warning(f"This table has {len(data.y)} rows; these lessons need at least {ROWS[0] + MIN_HELD_OUT}.")
        return None
    default = 60 if 60 in options else options[0]  # few rows: the curse is large and easy to see
    rows = c2.select_slider(
        "Rows the winner's-curse searches see (the rest are held out)", options=options, value=default, key="it_rows"
    )
    st.caption(
        f"{esc(data.label)}: {len(data.y)} rows; the model is a decision tree, with its default search space in the "
        "first lesson and a richer one in the second."
    )
    return data, int(rows)


def winners_curse_view(data: LessonData, rows: int) -> None:
    explain(
        "**What you see.** Random configurations scored by 5-fold CV on the rows the search sees, and the very "
        "same fold models scored on held-out rows no fold saw. The orange line is the best CV score among N "
        "candidates, the green one what that winner scores on fresh rows; the shaded gap is the *winner's curse*. "
        "**Why.** Every CV score is the truth plus luck; the maximum of many picks the luckiest, so the more "
        "candidates (and the fewer rows, the noisier each score), the more its score flatters it. "
        "**What to do.** Report a held-out score the search never saw, and do not read small gains at the top "
        "of a big search as real.",
        "move the rows from 60 to 250: with more rows each CV score is less noisy and the gap closes.",
    )
    res = compute_on(
        data,
        winners_curse,
        label="Scoring random configurations",
        model=MODEL,
        n_rows=rows,
        n_candidates=POOL,
        repeats=SPLITS,
    )
    if res is None:
        return
    n = st.slider("Candidates searched (N)", 1, res.n_candidates, min(30, res.n_candidates), key="it_n")
    st.markdown(f"**{esc(curse_sentence(res, n))}**")
    st.plotly_chart(plot_winners_curse(res, n), key="it_curse_chart")
    st.markdown(
        "The top ranks by CV, each paired with its held-out score: the CV score falls steeply with rank, the "
        "held-out score hardly at all, so the winner's lead is mostly luck."
    )
    st.plotly_chart(plot_top_k(res, n, TOP_K), key="it_topk_chart")


def iterate_view(data: LessonData) -> None:
    explain(
        "**What you see.** Three searches of the same length on the same folds, over a richer decision-tree space "
        "than the default (few features per split or heavy pruning ruin a tree, so a random search has room to "
        "be wrong): a *cold* random search; a *refined* one inside the box the cold search's best quarter spans "
        "(the engine's own refine step, padded a little, in log space for log ranges); and a *seeded* one that "
        "first re-runs the cold search's three best configurations, then samples the whole space. Each line is "
        "the best score so far; the band, for the search you pick, is ± the standard error of that trial's fold "
        "scores (the CV noise); the dotted line is the cold search's final best less that noise; ✕ marks where "
        "the plateau rule stops: when the second half of the trials (at least 10) raised the best by less than "
        "half the noise. **Why.** Refining spends trials where good ones were found; seeding keeps what was found. "
        "Once gains are smaller than the folds can tell apart, more trials mostly buy a luckier winner (see "
        "above). **What to do.** Refine or seed a second search rather than run the first one longer; stop when "
        "the rule fires, and spend the time on more rows or a better model instead.",
        "switch the x axis to seconds, then lower the rows: fewer rows, more noise, and the rule stops sooner.",
    )
    options = [r for r in SEARCH_ROWS if r <= len(data.y) - MIN_HELD_OUT]
    if not options:
        st.warning(f"This table has {len(data.y)} rows; this lesson needs at least {SEARCH_ROWS[0] + MIN_HELD_OUT}.")
        return
    c1, c2, c3 = st.columns(3)
    rows = c1.select_slider("Rows for these searches", options=options, value=options[-1], key="it_search_rows")
    trials = c2.select_slider("Trials per search", options=TRIALS, value=60, key="it_trials")
    seed = int(c3.number_input("Seed", 0, 100, 0, key="it_seed"))
    res = compute_on(
        data,
        iterate_search,
        label="Running three searches",
        model=MODEL,
        space=TREE_SPACE,
        n_rows=int(rows),
        trials=trials,
        seed=seed,
    )
    if res is None:
        return
    c1, c2, c3 = st.columns(3)
    band = c1.radio("Noise band of", BANDS, index=0, horizontal=True, key="it_band")
    x_axis = c2.radio("x axis", X_AXES, index=0, horizontal=True, key="it_x")
    wait = c3.select_slider("Plateau rule: wait at least (trials)", options=WAIT, value=MIN_TRIALS, key="it_wait")
    st.plotly_chart(plot_iterate_search(res, wait, band=band, x_axis=x_axis), key="it_search_chart")
    st.markdown("\n".join(f"- {esc(line)}" for line in compare_searches(res, wait)))
    with st.expander("The refined box", expanded=False):
        if res.changes:
            st.markdown("\n".join(f"- {esc(c.line())}" for c in res.changes))
        else:
            st.markdown("The refined box is the whole space: the best trials spread over every range.")
