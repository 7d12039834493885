"""Cost-frugal start: time to the first score within 1 % of the final best, engine with and without
``--cheap-start`` against Optuna TPE and FLAML's BlendSearch on the same space (``../shared/bench/peers.py``).

Per table, peers.py runs once with ``--cheap-start`` (now the default; engine, Optuna TPE, FLAML BlendSearch:
one run, so the ratios are against peers measured beside it) and once more for the engine with
``--no-cheap-start``. From each study's trace
(finish time, score) it prints the medians over seeds of: the time of the first trial, the time to the first
score within 1 % of that study's own final best, the time to within 1 % of the best any contender reached in
the run, and the final best. Run on a quiet machine; ``uptime`` is printed before and after.

Usage: python benchmarks/bench_cheapstart.py [--trials 40] [--seeds 0,1,2] [--tables cps1988,credit]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._tables import DATA, ROOT, uptime  # noqa: E402

PEERS = ROOT.parent / "shared" / "bench" / "peers.py"
TABLES = {  # name: (file, target, task)
    "cps1988": ("cps1988_wage.csv", "wage", "regression"),
    "credit": ("credit_status.csv", "Status", "classification"),
    "ames": ("ames_housing.csv", "Sale_Price", "regression"),
    "hotel": ("hotel_rates.csv", "avg_price_per_room", "regression"),
}
SHARE = 0.01


def _within(trace: list[list[float]], target: float) -> float:
    """Seconds to the first finished trial whose score reaches ``target`` (inf: never)."""
    return next((t for t, v in sorted(trace) if v >= target), float("inf"))


def _peers(file: Path, target: str, task: str, a: argparse.Namespace, only: str, engine_args: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, str(PEERS), str(file), target, task, "--trials", str(a.trials), "--seeds", a.seeds]
        cmd += ["--engine", f"{sys.executable} -m tuning", "--only", only, "--out", out.name]
        if engine_args:
            cmd += [f"--engine-args={engine_args}"]
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())["methods"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--tables", default="cps1988,credit")
    a = ap.parse_args()
    print(uptime())
    for name in a.tables.split(","):
        file, target, task = TABLES[name]
        race = _peers(DATA / file, target, task, a, "engine,optuna,flaml", "--cheap-start")
        race["engine (cheap start)"] = race.pop("engine")
        race["engine (cold start)"] = _peers(DATA / file, target, task, a, "engine", "--no-cheap-start")["engine"]
        top = max(v for m in race.values() for tr in m["traces"] for _, v in tr)
        print(f"\n{name}: {a.trials} trials, seeds {a.seeds}; run best {top:.4f}")
        print(f"  {'contender':32s} first trial  to 1% of own best  to 1% of run best  final best")
        for label, m in race.items():
            first = [min(t for t, _ in tr) for tr in m["traces"]]
            own = [_within(tr, b - SHARE * abs(b)) for tr, b in zip(m["traces"], m["best"], strict=True)]
            run = [_within(tr, top - SHARE * abs(top)) for tr in m["traces"]]
            print(
                f"  {(label if label.startswith('engine') else m['name'])[:32]:32s} {statistics.median(first):9.1f}s  {statistics.median(own):15.1f}s  "
                f"{statistics.median(run):15.1f}s  {statistics.median(m['best']):.4f}"
            )
    print(uptime())


if __name__ == "__main__":
    main()
