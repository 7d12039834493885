"""Command line: ``python -m tuning run | resume | list | show | export | import-optuna | models | finetune |
delete | delete-dataset``.

Exit 0 on success, 2 on bad input (one plain line on stderr), 1 on an internal error. Progress
goes to stderr; ``--json`` prints one JSON object as the last line of stdout.

Over 600 lines because it is the one argparse tree: each subcommand is a short function beside its parser, and splitting them would scatter the contract in DESIGN.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tuning.errors import ConfigError, SpaceError, TuningError
from tuning.protocol import DEFAULT_TRIAL_TIMEOUT, StudyState

if TYPE_CHECKING:
    from tuning.study import StudySummary

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXPORT_FORMATS = ("csv", "json", "script", "model")
MAX_SEED = 2**32 - 1
# Terminal control: C0/C1 controls (ESC starts a colour, cursor or title sequence), DEL, and the
# bidirectional overrides that reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: Any) -> str:
    """``text`` with terminal control characters shown as escapes (``\\x1b``), so data cannot drive the terminal."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _say(line: str, *, err: bool = False) -> None:
    """Print one line of human-readable output, made safe for the terminal."""
    (sys.stderr if err else sys.stdout).write(safe_text(line) + "\n")


def max_workers() -> int:
    """More workers than 4 per core only queue up (and multiply model threads): a plain cap."""
    return 4 * (os.cpu_count() or 1)


def _db(args: argparse.Namespace) -> Any:
    from tuning.store import Store

    return Store(Path(args.db).expanduser())


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_BAD_INPUT,
            f"error: {message} (see 'python -m tuning {self.prog.split()[-1]} --help')\n"
            if " " in self.prog
            else f"error: {message} (see 'python -m tuning --help')\n",
        )


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m tuning", description="Hyperparameter tuning from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a new study")
    r.add_argument("--data", required=True, help="CSV/TSV/Parquet/XLSX file")
    r.add_argument("--target", required=True, help="column to predict")
    r.add_argument("--model", required=True, help="model family (see 'models')")
    r.add_argument("--task", choices=["classification", "regression"])
    r.add_argument("--strategy", default="tpe", choices=["grid", "random", "tpe", "anneal"])
    r.add_argument("--trials", type=int, help="number of trials (default 50; the whole grid for grid)")
    r.add_argument("--timeout", type=float, help="stop after this many seconds")
    r.add_argument(
        "--trial-timeout",
        type=float,
        default=DEFAULT_TRIAL_TIMEOUT,
        help=f"seconds one trial may take before it is recorded as failed (default {DEFAULT_TRIAL_TIMEOUT:g}; "
        "0: no cap)",
    )
    r.add_argument("--target-score", type=float, help="stop once the best score reaches this")
    r.add_argument("--patience", type=int, help="stop after N trials without improvement")
    r.add_argument(
        "--stop-on-plateau",
        action="store_true",
        help="also stop when the last trials improved the best by less than its fold-to-fold noise",
    )
    r.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    r.add_argument(
        "--test-size",
        type=float,
        default=None,
        help="held-out test fraction (default: 0.2 from 1,000 rows up, else 0; 0 uses every row for CV)",
    )
    r.add_argument(
        "--metric", help="scikit-learn scorer name (default: roc_auc / accuracy / neg_root_mean_squared_error)"
    )
    r.add_argument("--space", help="search-space JSON file (default: the model's space)")
    r.add_argument("--grid-points", type=int, default=5, help="points per range for grid search (default 5)")
    r.add_argument("--workers", type=int, default=1, help="trials evaluated at once (default 1)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    r.add_argument("--early-stopping", type=int, help="XGBoost: stop boosting after N rounds without improvement")
    r.add_argument(
        "--cheap-start",
        action="store_true",
        help="XGBoost: the first trial at the fewest rounds and shallowest trees (a first score in about a second)",
    )
    r.add_argument("--no-curves", action="store_true", help="XGBoost: do not record per-round curves (faster)")
    r.add_argument(
        "--pruner",
        default="none",
        choices=["none", "asha", "hyperband"],
        help="early cutting: stop unpromising candidates after a few boosting rounds (XGBoost) or rows (others)",
    )
    r.add_argument("--name", default="", help="a name for the study")
    r.add_argument(
        "--executor",
        choices=["threads", "processes", "dask"],
        help="where trials run: threads of this process (default), local processes, or Dask "
        "(a local cluster of --workers processes, or the cluster at --scheduler)",
    )
    r.add_argument("--scheduler", help="a Dask scheduler address, tcp://HOST:8786 (implies --executor dask)")
    _common(r)

    nx = sub.add_parser(
        "next", help="the next study from an earlier one: continue, refine, expand or seed (the space diff first)"
    )
    nx.add_argument("study_id", type=int)
    nx.add_argument(
        "--mode",
        required=True,
        choices=["continue", "refine", "expand", "seed"],
        help="continue: same space, warm-started; refine: the box of the best quarter; expand: widen ranges "
        "whose best sits at an edge; seed: start from the best settings of this and similar studies",
    )
    nx.add_argument("--strategy", choices=["grid", "random", "tpe", "anneal"], help="default: the parent's")
    nx.add_argument("--pruner", choices=["none", "asha", "hyperband"], help="default: the parent's")
    nx.add_argument("--trials", type=int, help="number of trials (default: the parent's)")
    nx.add_argument("--dataset", help="seed mode: a stored dataset id to start on instead of the parent's")
    nx.add_argument("--name", default="", help="a name for the new study")
    nx.add_argument("--no-zero-shot", action="store_true", help="seed mode: leave FLAML's configuration out")
    nx.add_argument("--dry-run", action="store_true", help="print the proposed study and stop")
    _common(nx)

    s = sub.add_parser("resume", help="continue a stopped or interrupted study")
    s.add_argument("study_id", type=int)
    s.add_argument("--scheduler", help="confirm the Dask scheduler the study was started on (it will be contacted)")
    s.add_argument("--yes", action="store_true", help="contact the study's stored Dask scheduler without asking")
    _common(s)

    ls = sub.add_parser("list", help="list the studies")
    _common(ls)

    sh = sub.add_parser("show", help="show one study and its trials")
    sh.add_argument("study_id", type=int)
    _common(sh)

    ex = sub.add_parser("export", help="export a study's trials, a refit script or the refit model")
    ex.add_argument("study_id", type=int)
    ex.add_argument("--format", required=True, choices=[*EXPORT_FORMATS, *INTEROP_FORMATS])
    ex.add_argument(
        "-o", "--output", help="file to write (default: stdout); for 'model', a folder (default: the current one)"
    )
    ex.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")
    ex.add_argument("--no-model", action="store_true", help="mlflow: do not refit and log the best model")

    io = sub.add_parser("import-optuna", help="bring an Optuna study (RDB storage) into the store")
    io.add_argument("storage", help="Optuna storage URL, e.g. sqlite:///study.db (or a path to an SQLite file)")
    io.add_argument("--study", help="study name (needed when the storage holds several)")
    _common(io)

    ft = sub.add_parser("finetune", help="adapt a trained model to new data: continue, refresh, stack, retrain")
    src = ft.add_mutually_exclusive_group(required=True)
    src.add_argument("--study", type=int, help="base model: the refit best model of this study")
    src.add_argument("--base", help="base model: an XGBoost model file (.json or .ubj)")
    ft.add_argument("--data", required=True, help="the new data (CSV/TSV/Parquet/XLSX)")
    ft.add_argument("--old-data", help="the old data, to measure forgetting")
    ft.add_argument("--target", help="column to predict (default: the study's target)")
    ft.add_argument(
        "--learning-rates", help="continue's learning rates, comma-separated (default 0.1x,0.3x,1x the base's)"
    )
    ft.add_argument(
        "--base-learning-rate", type=float, help="the model file's learning rate (a file does not record it)"
    )
    ft.add_argument("--rounds", type=int, default=200, help="most rounds an arm may add (default 200)")
    ft.add_argument("--patience", type=int, default=20, help="early-stopping patience in rounds (default 20)")
    ft.add_argument("--holdout", type=float, default=0.3, help="held-out fraction of the new data (default 0.3)")
    ft.add_argument("--tpe-trials", type=int, default=0, help="a short TPE search over continue (default 0: none)")
    ft.add_argument("--metric", help="scorer name (default: the study's, or the task's default)")
    ft.add_argument("--arms", help="comma-separated arms (default: all): base,continue,refresh,stack,retrain_new,...")
    ft.add_argument("--seed", type=int, default=0)
    ft.add_argument("--save", metavar="ARM_LABEL", help="write this arm's adapted model (XGBoost JSON) to -o")
    ft.add_argument("-o", "--output", help="file for --save (default adapted.json)")
    _common(ft)

    d = sub.add_parser("delete", help="delete a study with its trials and saved models")
    d.add_argument("study_id", type=int)
    d.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    d.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")

    dd = sub.add_parser("delete-dataset", help="delete a stored dataset and every study made on it")
    dd.add_argument("dataset_id")
    dd.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    dd.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")

    m = sub.add_parser("models", help="list the model families")
    m.add_argument("--json", action="store_true")

    a = sub.add_parser("artifacts", help="list the models kept in the store (refits, adapted models)")
    a.add_argument("--study", type=int, default=None, help="only this study's")
    _common(a)

    da = sub.add_parser("delete-artifact", help="delete a kept model from the store")
    da.add_argument("artifact_id", type=int)
    da.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    da.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")
    p.add_argument("--json", action="store_true", help="print a JSON object as the last line")


class _Progress:
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


def _run_study(store: Any, runner: Any, as_json: bool, progress: _Progress) -> int:
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
    _print_summary(summary, as_json)
    if summary.state in (StudyState.COMPLETE, StudyState.STOPPED):
        return EXIT_OK
    sys.stderr.write(f"error: {summary.error or 'the study ended ' + summary.state.value}\n")
    internal = summary.state is not StudyState.FAILED or str(summary.error or "").startswith("internal error")
    return EXIT_INTERNAL if internal else EXIT_BAD_INPUT


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _print_summary(study_summary: StudySummary, as_json: bool) -> None:
    summary = study_summary.to_json()  # DESIGN.md's keys first, in order
    if as_json:
        print(json.dumps(summary))
        return
    _say(
        f"study {summary['study_id']} ({summary['name']}): {summary['state']}, {summary['n_trials']} trials "
        f"({summary['n_complete']} complete, {summary['n_failed']} failed) in {summary['duration_s']:.1f}s"
    )
    if summary["best_score"] is not None:
        _say(f"best {summary['metric']} = {summary['best_score']:.6g} with {json.dumps(summary['best_params'])}")
    if summary.get("test_score") is not None:
        _say(f"held-out test {summary['metric']} of the best = {summary['test_score']:.6g}")


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
        target=args.target,
        model=args.model,
        task=args.task,
        strategy=args.strategy,
        n_trials=trials,
        timeout=args.timeout,
        trial_timeout=args.trial_timeout or None,
        target_score=args.target_score,
        patience=args.patience,
        plateau=args.stop_on_plateau,
        cheap_start=args.cheap_start,
        cv=args.cv,
        test_size=args.test_size,
        metric=args.metric,
        space=space,
        grid_points=args.grid_points,
        workers=args.workers,
        seed=args.seed,
        device=args.device,
        early_stopping_rounds=args.early_stopping,
        name=args.name,
        record_curves=not args.no_curves,
        pruner=args.pruner,
        executor=executor,
        scheduler=args.scheduler,
    )
    progress = _Progress(config.n_trials, config.metric or "")
    runner = start(store, config, on_progress=progress)  # the one start path: the table is parsed there, once
    cfg = runner.config
    progress.total, progress.metric = cfg.n_trials, cfg.metric
    sys.stderr.write(f"study {runner.study_id}: {cfg.model} on {name}, {cfg.strategy.value}, metric {cfg.metric}\n")
    _say_where(executor, cluster)
    return _run_study(store, runner, args.json, progress)


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
        _say(line, err=True)
    if args.dry_run:
        if args.json:
            print(json.dumps(proposal.to_json(), default=str))
        return EXIT_OK
    progress = _Progress(proposal.config.n_trials, proposal.config.metric or "")
    runner = start(store, proposal.config, on_progress=progress)  # the one start path
    cfg = runner.config
    sys.stderr.write(f"study {runner.study_id}: {cfg.model}, {cfg.strategy.value}, metric {cfg.metric}\n")
    return _run_study(store, runner, args.json, progress)


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
    progress = _Progress(cfg.n_trials, cfg.metric)
    runner = resume(store, args.study_id, on_progress=progress)
    return _run_study(store, runner, args.json, progress)


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
        _say(f"{s['study_id']:>4}  {s['state']:<11} {s['n_trials']:>5} trials  best {s['metric']}={best}  {s['name']}")
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
    _print_summary(summary, False)
    for t in trials:
        score = "-" if t["score"] is None else f"{t['score']:.6g}"
        _say(
            f"  #{t['number']:<4} {t['state']:<9} {score:>10}  {json.dumps(t['params'])}"
            + (f"  {t['error']}" if t["error"] else "")
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from tuning.export import export_model, standalone_script, trials_csv, trials_json

    if args.format in INTEROP_FORMATS:
        return _export_interop(args)
    store = _db(args)
    if args.format == "model":
        folder = Path(args.output or ".")
        if not folder.is_dir():
            raise ConfigError(
                f"The folder {folder} does not exist.", fix="Create it, or give an existing folder to -o."
            )
        for item in export_model(store, args.study_id):
            (folder / item.filename).write_bytes(item.content)
            _say(f"wrote {folder / item.filename}: {item.note}", err=True)
        return EXIT_OK
    make = {"csv": trials_csv, "json": trials_json, "script": standalone_script}[args.format]
    text = make(store, args.study_id)
    if args.output:
        out = Path(args.output)
        if not out.parent.is_dir():
            raise ConfigError(
                f"The folder {out.parent} does not exist.", fix="Create it, or write the file somewhere else."
            )
        if out.is_dir():
            raise ConfigError(f"{out} is a folder.", fix="Give a file name to -o.")
        out.write_text(text, encoding="utf-8")
        _say(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _confirm(question: str, args: argparse.Namespace) -> None:
    """Ask on a terminal; without one, ``--yes`` is required (a script must say what it means)."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise ConfigError(f"{question} Nothing was deleted.", fix="Add --yes to confirm.")
    sys.stderr.write(safe_text(question) + " [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise ConfigError("Nothing was deleted.")


def cmd_delete(args: argparse.Namespace) -> int:
    from tuning.study import open_study

    store = _db(args)
    summary = open_study(store, args.study_id).summary()
    if summary.state is StudyState.RUNNING:
        raise ConfigError(
            f"Study {args.study_id} is running.", fix="Stop it first (Ctrl-C in its terminal, or Stop in the app)."
        )
    _confirm(f"Delete study {args.study_id} ({summary.name}) and its {summary.n_trials} trials?", args)
    store.delete_study(args.study_id)
    _say(f"deleted study {args.study_id}", err=True)
    return EXIT_OK


def cmd_delete_dataset(args: argparse.Namespace) -> int:
    store = _db(args)
    name, _ = store.dataset_content(args.dataset_id)
    studies = [s for s in store.list_studies() if s.dataset_id == args.dataset_id]
    running = [s.id for s in studies if s.state is StudyState.RUNNING]
    if running:
        raise ConfigError(f"Study {running[0]} on this dataset is running.", fix="Stop it first.")
    _confirm(f"Delete dataset {args.dataset_id} ({name}) and the {len(studies)} studies made on it?", args)
    ids = store.delete_dataset(args.dataset_id)
    _say(f"deleted dataset {args.dataset_id} and {len(ids)} studies", err=True)
    return EXIT_OK


INTEROP_FORMATS = ("optuna", "mlflow", "wandb")


def _storage_url(target: str) -> str:
    """An Optuna storage URL from a URL or a plain path to an SQLite file."""
    return target if "://" in target else f"sqlite:///{Path(target).expanduser().resolve()}"


def _export_interop(args: argparse.Namespace) -> int:
    """export --format optuna|mlflow|wandb (each optional package imported only by its own module)."""
    from tuning.store import Store
    from tuning.study import open_study

    store = Store(args.db)
    store.get_study(args.study_id)  # a plain error for an unknown id, before any optional import
    if args.format == "optuna":
        from tuning.export.optuna import export_study

        url = _storage_url(args.output or f"study_{args.study_id}_optuna.db")
        name = export_study(store, args.study_id, url)
        sys.stderr.write(f"wrote study {name!r} to {url} (open it with: optuna-dashboard {url})\n")
    elif args.format == "mlflow":
        from tuning.export.mlflow import export_mlflow, tracking_uri

        out = args.output or f"study_{args.study_id}_mlflow"
        run_id = export_mlflow(store, args.study_id, out, log_model=not args.no_model)
        sys.stderr.write(
            f"wrote run {run_id} to {out} (open it with: mlflow ui --backend-store-uri {tracking_uri(out)})\n"
        )
    else:
        from tuning.export.wandb import sweep_yaml

        cfg = open_study(store, args.study_id).config
        text = sweep_yaml(cfg.space, metric=cfg.metric or "score", strategy=cfg.strategy.value, name=cfg.name or None)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            sys.stderr.write(f"wrote {args.output}\n")
        else:
            sys.stdout.write(text)
    return EXIT_OK


def cmd_import_optuna(args: argparse.Namespace) -> int:
    from tuning.export.optuna import import_optuna
    from tuning.store import Store
    from tuning.study import open_study

    store = Store(args.db)
    done = import_optuna(store, _storage_url(args.storage), study_name=args.study)
    if done.n_skipped:  # trials that failed a check are left out, and said so
        _say(done.skipped_text(), err=True)
    _print_summary(open_study(store, done.study_id).summary(), args.json)
    return EXIT_OK


def cmd_artifacts(args: argparse.Namespace) -> int:
    kept = _db(args).list_artifacts(study_id=args.study)
    rows = [{k: a[k] for k in ("id", "study_id", "kind", "name", "created", "size")} for a in kept]
    if args.json:
        print(json.dumps(rows))
        return EXIT_OK
    for r in rows:
        study = "-" if r["study_id"] is None else f"study {r['study_id']}"
        print(f"{r['id']:>5}  {r['kind']:<15} {study:<10} {r['size'] / 1e6:8.2f} MB  {r['created']}  {r['name']}")
    if not rows:
        _say("no kept models", err=True)
    return EXIT_OK


def cmd_delete_artifact(args: argparse.Namespace) -> int:
    store = _db(args)
    info, content = store.load_artifact(args.artifact_id)
    _confirm(
        f"Delete kept model {args.artifact_id} ({info['kind']} {info['name']}, {len(content) / 1e6:.2f} MB)?", args
    )
    store.delete_artifact(args.artifact_id)
    _say(f"deleted artifact {args.artifact_id}", err=True)
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


def cmd_finetune(args: argparse.Namespace) -> int:
    from tuning.data import parse_table, read_bytes
    from tuning.finetune import ArmKind, FinetuneSettings, finetune, load_base_file, load_base_study, ratios_to_retrain
    from tuning.store import Store

    store = Store(args.db) if args.study is not None else None
    if args.study is not None:
        base = load_base_study(store, args.study)
    else:
        path = Path(args.base)
        if not path.is_file():
            raise ConfigError(f"Model file not found: {path}.")
        base = load_base_file(path.read_bytes(), path.name)
    target = args.target or base.target
    if not target:
        raise ConfigError("A model file does not record its target.", fix="Give --target COLUMN.")
    new = parse_table(read_bytes(args.data), name=Path(args.data).name)
    old = parse_table(read_bytes(args.old_data), name=Path(args.old_data).name) if args.old_data else None
    try:
        rates = tuple(float(r) for r in args.learning_rates.split(",") if r.strip()) if args.learning_rates else None
        arms = tuple(ArmKind(a.strip()) for a in args.arms.split(",") if a.strip()) if args.arms else None
    except ValueError as exc:
        raise ConfigError(
            f"Bad --learning-rates or --arms: {exc}.", fix=f"Arms: {', '.join(k.value for k in ArmKind)}."
        ) from None
    settings = FinetuneSettings(
        holdout=args.holdout,
        seed=args.seed,
        learning_rates=rates,
        max_rounds=args.rounds,
        patience=args.patience,
        tpe_trials=args.tpe_trials,
        metric=args.metric,
        arms=arms,
        base_learning_rate=args.base_learning_rate,
    )
    result = finetune(
        base, new, target=target, old=old, settings=settings, progress=lambda m: print(m, file=sys.stderr)
    )
    if args.save:
        if args.save not in result.models:
            raise ConfigError(f"No adapted model for {args.save!r}.", fix=f"Use one of: {', '.join(result.models)}.")
        out = Path(args.output or "adapted.json")
        out.write_bytes(result.models[args.save])
        sys.stderr.write(f"wrote {out}\n")
    summary = {**result.to_summary(), "ratios_to_retrain": ratios_to_retrain(result)}
    if args.json:
        print(json.dumps(summary))
        return EXIT_OK
    print(f"base: {result.base_source} ({result.task}, metric {result.metric})")
    for a in summary["arms"]:
        old_s = "-" if a["old_score"] is None else f"{a['old_score']:.4f}"
        print(
            f"  {a['label']:<22} new {a['new_score']:.4f}  old {old_s:>6}  +{a['trees_added']:<4} trees  "
            f"{a['fit_time_s']:.3f}s"
        )
    print(result.verdict)
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "resume": cmd_resume,
    "next": cmd_next,
    "list": cmd_list,
    "show": cmd_show,
    "export": cmd_export,
    "import-optuna": cmd_import_optuna,
    "models": cmd_models,
    "artifacts": cmd_artifacts,
    "delete-artifact": cmd_delete_artifact,
    "finetune": cmd_finetune,
    "delete": cmd_delete,
    "delete-dataset": cmd_delete_dataset,
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
    args = _build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)
    try:
        _check_args(args)
        return COMMANDS[args.command](args)
    except TuningError as exc:
        _say(f"error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_BAD_INPUT
    except Exception as exc:
        _say(f"internal error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_INTERNAL
    finally:
        sys.stdout, sys.stderr = out, err
