"""Command line: ``python -m tuning run | next | resume | list | show | export | import-optuna | models | artifacts |
delete-artifact | finetune | delete | delete-dataset``.

Exit 0 on success, 2 on bad input (one plain line on stderr), 1 on an internal error. Progress
goes to stderr; ``--json`` prints one JSON object as the last line of stdout.

The package by job: ``parser`` (the argparse tree), ``studies`` (commands that run and read studies), ``exports``
(commands that move studies and models out and in), ``_common`` (exit codes, safe output, the store). This module
dispatches and guards: every command's output goes through a stream that escapes terminal controls, and every
error becomes one line and an exit code.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from tuning.cli import exports, studies
from tuning.cli._common import EXIT_BAD_INPUT, EXIT_INTERNAL, MAX_SEED, max_workers, safe_text, say
from tuning.cli.parser import build_parser
from tuning.errors import ConfigError, TuningError

__all__ = ["COMMANDS", "main", "max_workers", "safe_text"]

COMMANDS = {
    "run": studies.cmd_run,
    "resume": studies.cmd_resume,
    "next": studies.cmd_next,
    "list": studies.cmd_list,
    "show": studies.cmd_show,
    "export": exports.cmd_export,
    "import-optuna": exports.cmd_import_optuna,
    "models": studies.cmd_models,
    "artifacts": exports.cmd_artifacts,
    "delete-artifact": exports.cmd_delete_artifact,
    "finetune": exports.cmd_finetune,
    "delete": studies.cmd_delete,
    "delete-dataset": studies.cmd_delete_dataset,
}

# Streams keep newlines, carriage returns (the progress bar) and tabs; every other control goes out escaped.
_UNSAFE_STREAM = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class _SafeStream:
    """A text stream that escapes terminal control sequences coming from data (names, errors)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(_UNSAFE_STREAM.sub(lambda m: safe_text(m.group()), text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _check_args(args: argparse.Namespace) -> None:
    """Plain limits on numbers argparse accepts as ints; paths with ~ expanded."""
    from tuning.space import check_grid_points

    for attr in ("db", "data", "space", "output"):
        if getattr(args, attr, None):
            setattr(args, attr, str(Path(getattr(args, attr)).expanduser()))
    if args.command == "export" and args.output and "://" not in args.output:
        parent = Path(args.output).parent
        if not parent.is_dir():
            raise ConfigError(f"The folder {parent} does not exist.", fix="Create it, or write somewhere else.")
    if args.command != "run":
        return
    if not 1 <= args.workers <= max_workers():
        raise ConfigError(
            f"--workers must be from 1 to {max_workers()} (4 per core on this machine), got {args.workers}."
        )
    if not 0 <= args.seed <= MAX_SEED:
        raise ConfigError(f"--seed must be from 0 to 2**32-1 ({MAX_SEED}), got {args.seed}.")
    check_grid_points(args.grid_points)
    if args.strategy == "grid" and not args.space:
        # Refuse an impossible grid before reading the data (a --space file is checked when it is read).
        from tuning.models import get_model
        from tuning.space import SearchSpace

        SearchSpace.from_dict(get_model(args.model).default_space, grid_points=args.grid_points).check_grid()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)
    try:
        _check_args(args)
        return COMMANDS[args.command](args)
    except TuningError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_BAD_INPUT
    except Exception as exc:
        say(f"internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_INTERNAL
    finally:
        sys.stdout, sys.stderr = out, err
