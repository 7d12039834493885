"""The argparse tree: one subparser per command, with its options and their help."""

from __future__ import annotations

import argparse
from typing import NoReturn

from tuning.cli._common import EXIT_BAD_INPUT
from tuning.protocol import DEFAULT_TRIAL_TIMEOUT

EXPORT_FORMATS = ("csv", "json", "script", "model")
INTEROP_FORMATS = ("optuna", "mlflow", "wandb")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_BAD_INPUT,
            f"error: {message} (see 'python -m tuning {self.prog.split()[-1]} --help')\n"
            if " " in self.prog
            else f"error: {message} (see 'python -m tuning --help')\n",
        )


def build_parser() -> argparse.ArgumentParser:
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
        action=argparse.BooleanOptionalAction,
        default=None,
        help="XGBoost: the first trial at the fewest rounds and shallowest trees, a first score in about a second "
        "(default: on for random, tpe and anneal; off for grid)",
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
    _shared_options(r)

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
    _shared_options(nx)

    s = sub.add_parser("resume", help="continue a stopped or interrupted study")
    s.add_argument("study_id", type=int)
    s.add_argument("--scheduler", help="confirm the Dask scheduler the study was started on (it will be contacted)")
    s.add_argument("--yes", action="store_true", help="contact the study's stored Dask scheduler without asking")
    _shared_options(s)

    ls = sub.add_parser("list", help="list the studies")
    _shared_options(ls)

    sh = sub.add_parser("show", help="show one study and its trials")
    sh.add_argument("study_id", type=int)
    _shared_options(sh)

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
    _shared_options(io)

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
    _shared_options(ft)

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
    _shared_options(a)

    da = sub.add_parser("delete-artifact", help="delete a kept model from the store")
    da.add_argument("artifact_id", type=int)
    da.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    da.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")
    return p


def _shared_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default="tuning.db", help="SQLite file (default tuning.db)")
    p.add_argument("--json", action="store_true", help="print a JSON object as the last line")
