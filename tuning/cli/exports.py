"""Export and import commands: export (files, models, Optuna, MLflow, W&B), import-optuna, artifacts,
delete-artifact, and finetune (which adapts a kept or exported model to new rows)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tuning.cli._common import EXIT_OK, confirm, open_store, print_summary, say
from tuning.cli.parser import INTEROP_FORMATS
from tuning.errors import ConfigError


def cmd_export(args: argparse.Namespace) -> int:
    from tuning.export import export_model, standalone_script, trials_csv, trials_json

    if args.format in INTEROP_FORMATS:
        return _export_interop(args)
    store = open_store(args)
    if args.format == "model":
        folder = Path(args.output or ".")
        if not folder.is_dir():
            raise ConfigError(
                f"The folder {folder} does not exist.", fix="Create it, or give an existing folder to -o."
            )
        for item in export_model(store, args.study_id):
            (folder / item.filename).write_bytes(item.content)
            say(f"wrote {folder / item.filename}: {item.note}", err=True)
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
        say(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def storage_url(target: str) -> str:
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

        url = storage_url(args.output or f"study_{args.study_id}_optuna.db")
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
    done = import_optuna(store, storage_url(args.storage), study_name=args.study)
    if done.n_skipped:  # trials that failed a check are left out, and said so
        say(done.skipped_text(), err=True)
    print_summary(open_study(store, done.study_id).summary(), args.json)
    return EXIT_OK


def cmd_artifacts(args: argparse.Namespace) -> int:
    kept = open_store(args).list_artifacts(study_id=args.study)
    rows = [{k: a[k] for k in ("id", "study_id", "kind", "name", "created", "size")} for a in kept]
    if args.json:
        print(json.dumps(rows))
        return EXIT_OK
    for r in rows:
        study = "-" if r["study_id"] is None else f"study {r['study_id']}"
        print(f"{r['id']:>5}  {r['kind']:<15} {study:<10} {r['size'] / 1e6:8.2f} MB  {r['created']}  {r['name']}")
    if not rows:
        say("no kept models", err=True)
    return EXIT_OK


def cmd_delete_artifact(args: argparse.Namespace) -> int:
    store = open_store(args)
    info, content = store.load_artifact(args.artifact_id)
    confirm(f"Delete kept model {args.artifact_id} ({info['kind']} {info['name']}, {len(content) / 1e6:.2f} MB)?", args)
    store.delete_artifact(args.artifact_id)
    say(f"deleted artifact {args.artifact_id}", err=True)
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
    same = ("holdout", "seed", "patience", "tpe_trials", "metric", "base_learning_rate")  # FinetuneSettings fields
    settings = FinetuneSettings(
        learning_rates=rates, max_rounds=args.rounds, arms=arms, **{k: getattr(args, k) for k in same}
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
