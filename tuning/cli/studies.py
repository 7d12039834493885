"""Study commands: run, next, resume, list, show, models, delete, delete-dataset; the progress bar and the wait."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tuning.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    confirm,
    open_store,
    print_summary,
    safe_text,
    say,
)
from tuning.errors import ConfigError, SpaceError
from tuning.protocol import StudyState


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int | None, metric: str) -> None:
        self.total, self.metric, self.t0 = total, metric, time.monotonic()
        self.tty = sys.stderr.isatty()

    def __call__(self, ev: dict[str, Any]) -> None:
        from tuning.analysis import display_score

        if ev.get("event") != "trial":
            return
        done, total = ev["n_done"], ev.get("budget") or self.total or 0
        width = 24
        frac = min(1.0, done / total) if total else 0.0
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        best = display_score(self.metric, ev.get("best"))
        elapsed = time.monotonic() - self.t0
        eta = f" eta {elapsed / max(done, 1) * (total - done):.0f}s" if total and total < 10**8 and done < total else ""
        line = f"[{bar}] {done}/{total if total < 10**8 else '?'} best {self.metric}={best if best is None else f'{best:.5g}'}{eta}"
        line = safe_text(line)
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def run_study(store: Any, runner: Any, as_json: bool, progress: Progress) -> int:
    """Wait for the runner's final state (``progress`` draws it and is closed at the end), then print the
    summary. Ctrl-C only asks the study to stop (a signal handler sets a flag; the wait is on an Event, which a
    KeyboardInterrupt cannot corrupt as it can Thread.join): the study ends ``stopped`` with its finished
    trials, resumable. A second Ctrl-C leaves at once."""
    import signal

    def on_sigint(signum: int, frame: Any) -> None:
        if runner.stop_requested:
            raise KeyboardInterrupt
        sys.stderr.write(
            f"\nstopping... (finished trials are kept; resume with 'python -m tuning resume {runner.study_id}')\n"
        )
        runner.stop(wait=False)

    previous = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    try:
        while not runner.finished.wait(0.2):
            pass
    finally:
        progress.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    from tuning.study import open_study

    summary = open_study(store, runner.study_id).summary()
    print_summary(summary, as_json)
    if summary.state in (StudyState.COMPLETE, StudyState.STOPPED):
        return EXIT_OK
    sys.stderr.write(f"error: {summary.error or 'the study ended ' + summary.state.value}\n")
    internal = summary.state is not StudyState.FAILED or str(summary.error or "").startswith("internal error")
    return EXIT_INTERNAL if internal else EXIT_BAD_INPUT


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


#: ``run`` options that are StudyConfig fields of the same name; the others are mapped in cmd_run.
RUN_OPTIONS = (
    "target", "model", "task", "strategy", "timeout", "target_score", "patience", "cheap_start", "cv", "test_size",
    "metric", "grid_points", "workers", "seed", "device", "name", "pruner", "scheduler",
)  # fmt: skip


def cmd_run(args: argparse.Namespace) -> int:
    from tuning.config import StudyConfig
    from tuning.data import parse_table, read_bytes
    from tuning.device import cuda_status
    from tuning.executors import preflight
    from tuning.runner import start
    from tuning.space import SearchSpace
    from tuning.store import Store

    content = read_bytes(args.data)
    name = Path(args.data).name
    df = parse_table(content, name=name)
    space = None
    if args.space:
        path = Path(args.space)
        if not path.exists():
            raise SpaceError(f"Search-space file not found: {path.name}.", fix="Check the path.")
        parsed = SearchSpace.from_json(path.read_text(encoding="utf-8"), grid_points=args.grid_points)
        if args.strategy == "grid":
            parsed.check_grid()
        space = parsed.to_dict()
    executor = args.executor or ("dask" if args.scheduler else "threads")
    cluster = preflight(executor, scheduler=args.scheduler, device=args.device)
    if args.device == "cuda" and cluster is None:  # on a cluster, the GPU probe ran on its workers
        ok, why = cuda_status()
        if not ok:
            raise ConfigError(f"--device cuda is not usable: {why}", fix="Use --device cpu.")
    trials = args.trials
    if trials is None and args.strategy != "grid" and args.timeout is None:
        trials = 50
    store = Store(args.db)
    ds = store.add_dataset(name, content, n_rows=len(df), n_cols=df.shape[1])
    config = StudyConfig(
        dataset_id=ds,
        n_trials=trials,
        trial_timeout=args.trial_timeout or None,
        plateau=args.stop_on_plateau,
        space=space,
        early_stopping_rounds=args.early_stopping,
        record_curves=not args.no_curves,
        executor=executor,
        **{field: getattr(args, field) for field in RUN_OPTIONS},
    )
    progress = Progress(config.n_trials, config.metric or "")
    runner = start(store, config, on_progress=progress)  # the one start path: the table is parsed there, once
    cfg = runner.config
    progress.total, progress.metric = cfg.n_trials, cfg.metric
    sys.stderr.write(f"study {runner.study_id}: {cfg.model} on {name}, {cfg.strategy.value}, metric {cfg.metric}\n")
    _say_where(executor, cluster)
    return run_study(store, runner, args.json, progress)


def _say_where(executor: str, cluster: Any) -> None:
    """One line on stderr naming where trials run (and the Dask dashboard)."""
    if cluster is not None:
        dash = f"; dashboard {cluster.dashboard}" if cluster.dashboard else ""
        sys.stderr.write(f"trials on the Dask cluster at {cluster.address}: {cluster.summary()}{dash}\n")
    elif executor != "threads":
        sys.stderr.write(f"trials on {'a local Dask cluster' if executor == 'dask' else 'local processes'}\n")


def cmd_next(args: argparse.Namespace) -> int:
    from tuning.iterate import propose
    from tuning.runner import start
    from tuning.store import Store

    if args.trials is not None and args.trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {args.trials}.")
    store = Store(args.db)
    proposal = propose(
        store,
        args.study_id,
        args.mode,
        strategy=args.strategy,
        pruner=args.pruner,
        n_trials=args.trials,
        dataset_id=args.dataset,
        name=args.name or None,
        zero_shot=not args.no_zero_shot,
    )
    for line in proposal.lines():
        say(line, err=True)
    if args.dry_run:
        if args.json:
            print(json.dumps(proposal.to_json(), default=str))
        return EXIT_OK
    progress = Progress(proposal.config.n_trials, proposal.config.metric or "")
    runner = start(store, proposal.config, on_progress=progress)  # the one start path
    cfg = runner.config
    sys.stderr.write(f"study {runner.study_id}: {cfg.model}, {cfg.strategy.value}, metric {cfg.metric}\n")
    return run_study(store, runner, args.json, progress)


def cmd_resume(args: argparse.Namespace) -> int:
    from tuning.executors import preflight
    from tuning.runner import resume
    from tuning.store import Store
    from tuning.study import open_study

    store = Store(args.db)
    cfg = open_study(store, args.study_id).config
    if cfg.scheduler and not args.yes and args.scheduler != cfg.scheduler:
        # a stored address may come from an imported or edited store: a client trusts its scheduler with code
        raise ConfigError(
            f"Study {args.study_id} runs on the Dask scheduler at {cfg.scheduler}; resuming contacts it, and a "
            "Dask client runs what its scheduler sends.",
            fix=f"Confirm with --scheduler {cfg.scheduler} (or --yes) if you trust it.",
        )
    executor = cfg.executor.value
    cluster = preflight(executor, scheduler=cfg.scheduler, device=cfg.device.value)
    _say_where(executor, cluster)
    progress = Progress(cfg.n_trials, cfg.metric)
    runner = resume(store, args.study_id, on_progress=progress)
    return run_study(store, runner, args.json, progress)


def cmd_list(args: argparse.Namespace) -> int:
    from tuning.store import Store
    from tuning.study import summaries as study_summaries

    store = Store(args.db)
    summaries = [s.to_json() for s in study_summaries(store)]
    if args.json:
        print(json.dumps(summaries))
        return EXIT_OK
    if not summaries:
        print(f"no studies in {args.db}")
    for s in summaries:
        best = "-" if s["best_score"] is None else f"{s['best_score']:.6g}"
        say(f"{s['study_id']:>4}  {s['state']:<11} {s['n_trials']:>5} trials  best {s['metric']}={best}  {s['name']}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from tuning.store import Store
    from tuning.study import open_study

    store = Store(args.db)
    study = open_study(store, args.study_id)
    summary = study.summary()
    trials = [t.to_summary() for t in study.trials()]
    if args.json:
        print(json.dumps({**summary.to_json(), "trials": trials}))
        return EXIT_OK
    print_summary(summary, False)
    for t in trials:
        score = "-" if t["score"] is None else f"{t['score']:.6g}"
        say(
            f"  #{t['number']:<4} {t['state']:<9} {score:>10}  {json.dumps(t['params'])}"
            + (f"  {t['error']}" if t["error"] else "")
        )
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from tuning.models import MODELS

    rows = [
        {
            "name": m.name,
            "label": m.label,
            "description": m.description,
            "tasks": list(m.tasks),
            "gpu": m.gpu,
            "early_stopping": m.early_stopping,
            "curves": m.curves,
            "coefficients": m.coefficients,
            "default_space": m.default_space,
            "params": {k: {"help": d.help, "regularizes": d.regularizes} for k, d in m.params.items()},
        }
        for m in MODELS.values()
    ]
    if args.json:
        print(json.dumps(rows))
        return EXIT_OK
    for r in rows:
        print(f"{r['name']:<20} {'/'.join(r['tasks']):<27} {r['description']}")  # type: ignore[arg-type]
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    from tuning.study import open_study

    store = open_store(args)
    summary = open_study(store, args.study_id).summary()
    if summary.state is StudyState.RUNNING:
        raise ConfigError(
            f"Study {args.study_id} is running.", fix="Stop it first (Ctrl-C in its terminal, or Stop in the app)."
        )
    confirm(f"Delete study {args.study_id} ({summary.name}) and its {summary.n_trials} trials?", args)
    store.delete_study(args.study_id)
    say(f"deleted study {args.study_id}", err=True)
    return EXIT_OK


def cmd_delete_dataset(args: argparse.Namespace) -> int:
    store = open_store(args)
    name, _ = store.dataset_content(args.dataset_id)
    studies = [s for s in store.list_studies() if s.dataset_id == args.dataset_id]
    running = [s.id for s in studies if s.state is StudyState.RUNNING]
    if running:
        raise ConfigError(f"Study {running[0]} on this dataset is running.", fix="Stop it first.")
    confirm(f"Delete dataset {args.dataset_id} ({name}) and the {len(studies)} studies made on it?", args)
    ids = store.delete_dataset(args.dataset_id)
    say(f"deleted dataset {args.dataset_id} and {len(ids)} studies", err=True)
    return EXIT_OK
