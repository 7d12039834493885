"""What should TPE learn from a pruned candidate? Its last rung's score, or nothing (as if it failed)?

A simulation with the engine's own TPE adapter and ASHA pruner on a synthetic objective whose score
at a partial budget is the full score less a learning-speed penalty plus noise (as boosting at few
rounds is). 60 candidates, rungs at budgets 1, 3, 9, 27 (full), eta 3; medians over 30 seeds of the
best full-budget score found. Not a test; prints the comparison.

    python benchmarks/bench_pruned_tell.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tuning.space import SearchSpace  # noqa: E402
from tuning.strategies import make_strategy  # noqa: E402
from tuning.strategies.pruners import ASHAPruner  # noqa: E402

SPACE = SearchSpace.from_dict(
    {
        "a": {"type": "float", "low": -3.0, "high": 3.0},
        "b": {"type": "float", "low": 0.01, "high": 1.0, "log": True},
        "c": {"type": "int", "low": 1, "high": 10},
    }
)
LADDER = [1, 3, 9, 27]


def full_score(p: dict) -> float:
    return float(-((p["a"] - 1.2) ** 2) - 0.5 * (np.log10(p["b"]) + 1.0) ** 2 - 0.05 * (p["c"] - 7) ** 2)


def score_at(p: dict, budget: int, rng: np.random.Generator) -> float:
    speed = p["b"]  # a 'learning rate': slow learners look worse early
    return full_score(p) - 2.0 * np.exp(-speed * budget) + rng.normal(0, 0.05)


def run(seed: int, policy: str, n: int = 60) -> float:
    rng = np.random.default_rng(seed)
    strat = make_strategy("tpe", SPACE, seed=seed)
    pruner = ASHAPruner(eta=3)
    best = -np.inf
    for number in range(n):
        p = strat.ask()
        told = False
        for rung, budget in enumerate(LADDER):
            s = score_at(p, budget, rng) if budget < LADDER[-1] else full_score(p)
            if rung == len(LADDER) - 1:
                best = max(best, s)
                strat.tell(p, s)
                told = True
                break
            if not pruner.report(number, rung, s, budget=budget, unit="rounds").promote:
                strat.tell(p, s if policy == "rung score" else None)
                told = True
                break
        assert told
    return best


def main() -> None:
    seeds = range(30)
    for policy in ("rung score", "nothing (as failed)"):
        bests = [run(s, policy) for s in seeds]
        print(f"TPE told {policy:22s}: median best {np.median(bests):.4f}  (mean {np.mean(bests):.4f})")


if __name__ == "__main__":
    main()
