"""Charts of "Why iterate, and when to stop": the info in display units, the traces, the bands and the stops."""

from __future__ import annotations

import numpy as np
import pytest

import tuning.charts.learn as C
from tuning.lessons.iterating import IterateLesson, SearchRun, WinnersCurse, best_of
from tuning.space import SearchSpace


def make_curse(metric: str = "accuracy") -> WinnersCurse:
    rng = np.random.default_rng(0)
    cv = 0.8 + 0.05 * rng.standard_normal((3, 12))
    held = 0.8 + 0.3 * (cv - 0.8) + 0.01 * rng.standard_normal((3, 12))
    best, winner = best_of(cv, held)
    return WinnersCurse("decision_tree", "classification", metric, 60, 300, 5, ((),) * 3, cv, held, best, winner)


def make_run(name: str, scores: list[float], n_seeded: int = 0) -> SearchRun:
    s = np.asarray(scores)
    folds = s[:, None] + np.array([-0.02, 0.0, 0.02, -0.01, 0.01])[None, :]
    best = np.maximum.accumulate(s)
    holder = np.array([int(np.argmax(s[: i + 1])) for i in range(s.size)])
    se = np.array([np.std(folds[h], ddof=1) / np.sqrt(5) for h in holder])
    seconds = np.full(s.size, 0.01 if name == "cold" else 0.02)
    return SearchRun(name, ({},) * s.size, s, folds, best, se, holder + 1, seconds, n_seeded)


def make_lesson() -> IterateLesson:
    space = SearchSpace.from_dict({"max_depth": {"type": "int", "low": 1, "high": 20}})
    climbing = list(0.5 + 0.02 * np.arange(24))
    runs = (make_run("cold", climbing), make_run("refined", [0.85] * 24), make_run("seeded", [0.9] * 24, 3))
    return IterateLesson("decision_tree", "classification", "neg_log_loss", 100, 5, space, space, runs)


def names(fig) -> list[str]:
    return [t.name or "" for t in fig.data]


def test_winners_curse_info_and_figure():
    w = make_curse()
    info = C._get_winners_curse_info(w, 8)
    np.testing.assert_allclose(info.best_mean, w.best_cv.mean(axis=0))
    np.testing.assert_allclose(info.held_std, w.winner_held.std(axis=0))
    assert info.current == 8 and info.optimism == pytest.approx(w.optimism_at(8))
    assert C._get_winners_curse_info(w, 99).current == 12
    fig = C.plot_winners_curse(w, 8)
    got = names(fig)
    assert "winner's CV score (mean ± std over splits)" in got and "same models on held-out rows" in got
    assert "CV band" in got and "held-out band" in got and "optimism (CV − held-out)" in got
    band = fig.data[got.index("CV band")]
    assert band.fill == "toself" and len(band.x) == 24  # the mean ± std polygon, there and back
    (held,) = [t for t in fig.data if t.name == "same models on held-out rows"]
    assert held.line.color == C.TEST and held.line.dash == "dash"
    assert any("best of 8: optimism" in a.text for a in fig.layout.annotations)


def test_top_k_pairs_each_rank_for_each_split():
    w = make_curse()
    info = C._get_top_k_info(w, 10, 4)
    assert info.cv.shape == info.held.shape == (3, 4) and list(info.ranks) == [1, 2, 3, 4]
    assert np.all(np.diff(info.cv, axis=1) <= 0)
    fig = C.plot_top_k(w, 10, 4)
    assert "CV score, mean of 3 splits" in names(fig) and "held-out score, mean of 3 splits" in names(fig)
    assert sum(1 for t in fig.data if t.legendgroup == "pairs") == 3


def test_iterate_info_bands_and_plateau_stops():
    lesson = make_lesson()
    info = C._get_iterate_info(lesson, 20)
    cold, refined, seeded = info.runs
    # Losses shown positive; steps hold each best for its trial, the band is the best trial's standard error.
    np.testing.assert_allclose(seeded.best_steps, -0.9)
    np.testing.assert_allclose(cold.best_steps[-1], -(0.5 + 0.02 * 23))
    assert cold.stop is None and refined.stop == 20 and seeded.stop == 20
    assert refined.stop_best == pytest.approx(-0.85)
    assert np.all(seeded.se_steps > 0) and seeded.step_x[0] == 0.5
    lo, hi = info.y_range
    assert -0.9 < hi and lo < -(0.5 + 0.02 * 4) + 0.01  # every band from trial 5 on (losses shown positive)
    assert C._get_iterate_info(lesson, 10).runs[1].stop == 11  # the window of 10 needs a trial before it
    fig = C.plot_iterate_search(lesson, 20)
    got = names(fig)
    for label in ("cold search", "refined box", "seeded with the cold best"):
        assert any(n.startswith(f"{label} (best so far") for n in got)
    # One band, the cold search's by default, outlined: three overlapping bands read as one block.
    assert [n for n in got if n.endswith("noise band")] == ["cold search noise band"]
    band = fig.data[got.index("cold search noise band")]
    assert band.fill == "toself" and band.line.width == 1
    assert "refined box: plateau stop" in got and "cold search: plateau stop" not in got
    assert "✕ plateau stop (after ≥ 20 trials)" in got
    # The dotted target: the cold search's final best less its noise (a loss, shown positive, so plus).
    cold_run = lesson.run("cold")
    assert info.target == pytest.approx(-(cold_run.final_best - cold_run.best_se[-1]))
    assert any(s.y0 == pytest.approx(info.target) for s in fig.layout.shapes)


def test_iterate_band_choice_and_seconds_axis():
    lesson = make_lesson()
    fig = C.plot_iterate_search(lesson, 20, band="refined")
    assert [n for n in names(fig) if n.endswith("noise band")] == ["refined box noise band"]
    assert not [n for n in names(C.plot_iterate_search(lesson, 20, band=None)) if n.endswith("noise band")]
    info = C._get_iterate_info(lesson, 20, x_axis="seconds")
    cold, refined, _ = info.runs
    np.testing.assert_allclose(cold.x, 0.01 * np.arange(1, 25))
    assert cold.step_x[0] == pytest.approx(0.01) and cold.step_x[-1] == pytest.approx(0.24)
    assert refined.stop == 20 and refined.stop_x == pytest.approx(0.4)
    fig = C.plot_iterate_search(lesson, 20, x_axis="seconds")
    assert fig.layout.xaxis.title.text.startswith("seconds")
    (stop,) = [t for t in fig.data if t.name == "refined box: plateau stop"]
    assert stop.x[0] == pytest.approx(0.4)
