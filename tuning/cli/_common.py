"""What every command shares: exit codes, terminal-safe output, the store, confirmation, the summary line."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuning.errors import ConfigError

if TYPE_CHECKING:
    from tuning.study import StudySummary

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
MAX_SEED = 2**32 - 1
# Terminal control: C0/C1 controls (ESC starts a colour, cursor or title sequence), DEL, and the
# bidirectional overrides that reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: Any) -> str:
    """``text`` with terminal control characters shown as escapes (``\\x1b``), so data cannot drive the terminal."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def say(line: str, *, err: bool = False) -> None:
    """Print one line of human-readable output, made safe for the terminal."""
    (sys.stderr if err else sys.stdout).write(safe_text(line) + "\n")


def max_workers() -> int:
    """More workers than 4 per core only queue up (and multiply model threads): a plain cap."""
    return 4 * (os.cpu_count() or 1)


def open_store(args: argparse.Namespace) -> Any:
    from tuning.store import Store

    return Store(Path(args.db).expanduser())


def confirm(question: str, args: argparse.Namespace) -> None:
    """Ask on a terminal; without one, ``--yes`` is required (a script must say what it means)."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise ConfigError(f"{question} Nothing was deleted.", fix="Add --yes to confirm.")
    sys.stderr.write(safe_text(question) + " [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise ConfigError("Nothing was deleted.")


def print_summary(study_summary: StudySummary, as_json: bool) -> None:
    summary = study_summary.to_json()  # DESIGN.md's keys first, in order
    if as_json:
        print(json.dumps(summary))
        return
    say(
        f"study {summary['study_id']} ({summary['name']}): {summary['state']}, {summary['n_trials']} trials "
        f"({summary['n_complete']} complete, {summary['n_failed']} failed) in {summary['duration_s']:.1f}s"
    )
    if summary["best_score"] is not None:
        say(f"best {summary['metric']} = {summary['best_score']:.6g} with {json.dumps(summary['best_params'])}")
    if summary.get("test_score") is not None:
        say(f"held-out test {summary['metric']} of the best = {summary['test_score']:.6g}")
