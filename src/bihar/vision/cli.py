"""`bihar vision …`: the field-image classifier as a product.

- `bihar vision train [--config FILE]`: train the model chosen in notebook 01 on the training +
  validation photos and publish a new version (`make vision-model`);
- `bihar vision classify PHOTO… [--out DIR] [--version V]`: one JSON and one spray map per photo;
- `bihar vision export-edge [--version V] [--out FILE]`: the weight file of the C runtime (edge/).

Exit codes (`bihar.cli`): 2 for a bad photo, an invalid configuration or no registered model
(the message says which; with several photos the others are still classified).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bihar.cli import EXIT_BAD_INPUT, ErrorMap, UsageError
from bihar.settings import get_settings

log = logging.getLogger("bihar.cli")


def errors() -> ErrorMap:
    from bihar.file_registry import RegistryError
    from bihar.vision.cwfid import CwfidError
    from bihar.vision.model_config import ModelConfigError
    from bihar.vision.photos import PhotoError

    return [((RegistryError, ModelConfigError, PhotoError, CwfidError), EXIT_BAD_INPUT)]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `vision` group to `bihar`'s commands."""
    group = sub.add_parser("vision", help="field-image classifier: train, classify, export-edge")
    commands = group.add_subparsers(dest="vision_command", required=True)

    p = commands.add_parser("train", help="train the configured model and publish a version")
    p.add_argument("--config", type=Path, help="default: model/field_images.json")
    p.add_argument("--source", choices=["auto", "local", "online"], default="auto")
    p.add_argument(
        "--photos", type=_photo_ids, help="only these CWFID photo ids, e.g. 1,2,3 (quick checks)"
    )
    p.set_defaults(handler=_train, errors=errors)

    p = commands.add_parser("classify", help="classify the tiles of photos (JSON + spray map)")
    p.add_argument("photos", type=Path, nargs="+", metavar="PHOTO", help="JPEG or PNG files")
    p.add_argument("--out", type=Path, default=Path("classified"), help="default: ./classified")
    p.add_argument("--version", type=int, help="registry version (default: the newest)")
    p.set_defaults(handler=_classify, errors=errors)

    p = commands.add_parser("export-edge", help="write the C runtime's weight file")
    p.add_argument("--version", type=int, help="registry version (default: the newest)")
    p.add_argument("--out", type=Path, help="default: edge/models/field-images-v<V>.bhe")
    p.set_defaults(handler=_export_edge, errors=errors)


def _photo_ids(text: str) -> list[int]:
    try:
        ids = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of photo ids (1,2,3)") from None
    if not ids or min(ids) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: photo ids start at 1")
    return ids


def _train(args: argparse.Namespace) -> int:
    from bihar.cpu import tune_allocator
    from bihar.vision.model_config import load_model_config
    from bihar.vision.release import train_and_publish

    settings = get_settings()
    config = args.config or settings.vision_config_path
    load_model_config(config)  # a bad file is refused before any data is read
    tune_allocator()  # one training job per process: freed batch buffers are reused
    train_and_publish(settings, config, args.source, args.photos)
    return 0


def _load(version: int | None):  # -> (FieldModel, StoredVersion)
    from bihar.file_registry import RegistryError
    from bihar.vision.versions import MODEL_NAME, load_field_model

    registry = get_settings().registry_dir
    try:
        return load_field_model(registry, version)
    except RegistryError as exc:
        if version is None and str(exc).startswith("no version"):
            raise RegistryError(
                f"no {MODEL_NAME} model in {registry}; train one with `make vision-model`"
            ) from None
        raise


def _classify(args: argparse.Namespace) -> int:
    from bihar.cpu import tune_allocator
    from bihar.vision.classify import classify_photo, unique_stems, write_outputs
    from bihar.vision.photos import PhotoError, read_photo

    clashes = unique_stems(args.photos)
    if clashes:
        raise UsageError(f"photos share the names {clashes}: their outputs would overwrite")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file, not a folder")
    model, stored = _load(args.version)
    tune_allocator()
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in args.photos:
        try:
            photo = read_photo(path, min_size=model.tile)
        except PhotoError as exc:
            log.error("%s", exc)
            failed += 1
            continue
        result = classify_photo(model, stored, photo)
        json_path, png_path = write_outputs(result, args.out, model.config.tiles.stride)
        counts = ", ".join(f"{k} {v}" for k, v in result.document["counts"].items())
        n = len(result.boxes)
        sys.stdout.write(f"{path}: {n} tiles ({counts}) -> {json_path}, {png_path}\n")
    return EXIT_BAD_INPUT if failed else 0


def _export_edge(args: argparse.Namespace) -> int:
    from bihar.vision.edge_export import export_edge

    model, stored = _load(args.version)
    name = f"{stored.name}-v{stored.version}.bhe"
    out = args.out or get_settings().root_dir / "edge" / "models" / name
    export_edge(model, stored, out)
    sys.stdout.write(f"{out}\n")
    return 0
