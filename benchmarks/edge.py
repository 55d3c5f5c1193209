"""Benchmark: the field-image model on the camera's terms — the C runtime (edge/) against
PyTorch and onnxruntime running the same networks, one thread each, in one run.

1. The newest trained version (or `--version`) is exported to the C weight file and to ONNX
   (one graph per member network).
2. Three worker processes, one per engine, each pinned to one thread, classify the same tiles
   (one at a time: the camera's case) and the same whole photos, in interleaved rounds, so
   that the machine's load falls on all three alike. Medians, and each worker's peak RSS.
3. The C CLI classifies a photo as a process of its own: its peak RSS is the runtime's.
4. Sizes: the shared library (as built, and stripped), the CLI, the weight file.
5. Agreement: C against PyTorch on every tile of the 21 test photos (same class, max |Δp|).

Writes reports/edge.{json,md}.

    .venv/bin/python benchmarks/edge.py [--version V] [--rounds 5] [--tiles 24] [--photos 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from report import machine, write_report

ENGINES = ("c", "pytorch", "onnxruntime")
ROOT = Path(__file__).resolve().parents[1]
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# --- the workers (one process per engine) --------------------------------------------------


def _onnx_engines(folder: Path, names: list[str]) -> dict[str, Any]:
    import onnxruntime as ort
    import torch

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    engines = {}
    for name in names:
        session = ort.InferenceSession(
            str(folder / f"{name}.onnx"), options, providers=["CPUExecutionProvider"]
        )
        outputs = [o.name for o in session.get_outputs()]

        def run(x: torch.Tensor, session=session, outputs=outputs):
            got = session.run(outputs, {"x": x.numpy()})
            cells = torch.from_numpy(got[1]) if len(got) > 1 else None
            return torch.from_numpy(got[0]), cells

        engines[name] = run
    return engines


def worker(engine: str, folder: Path) -> None:
    """Answer commands on stdin: `tiles`, `photo I`, `quit`; one JSON line per answer."""
    from bihar.cpu import tune_allocator

    tune_allocator()
    tiles = np.load(folder / "tiles.npy")
    photos = [np.load(p) for p in sorted(folder.glob("photo_*.npy"))]
    if engine == "c":
        from bihar.vision.edge_runtime import EdgeModel

        edge = EdgeModel.open(folder / "model.bhe")

        def classify(batch: np.ndarray) -> np.ndarray:
            return edge.classify_tiles(batch)

        def classify_photo(image: np.ndarray) -> np.ndarray:
            return edge.classify_photo(image)[0]

    else:  # PyTorch itself only in these workers: the C worker's memory is its own
        import torch

        from bihar.settings import get_settings
        from bihar.vision.photos import photo_tiles

        torch.set_num_threads(1)
        from bihar.vision.versions import load_field_model

        meta = json.loads((folder / "meta.json").read_text())
        model, _ = load_field_model(get_settings().registry_dir, meta["version"])
        engines = _onnx_engines(folder, list(model.members)) if engine == "onnxruntime" else None

        def classify(batch: np.ndarray) -> np.ndarray:
            return model.predict(batch, engines=engines).proba

        def classify_photo(image: np.ndarray) -> np.ndarray:
            return classify(photo_tiles(image, model.tile, model.config.tiles.stride)[0])

    classify(tiles[:1])  # warm-up: first calls allocate and page in
    for line in sys.stdin:
        command = line.split()
        if command[0] == "quit":
            break
        if command[0] == "tiles":
            times = []
            for tile in tiles:
                start = time.perf_counter()
                classify(tile[None])
                times.append((time.perf_counter() - start) * 1e3)
            answer: dict[str, Any] = {"ms": times}
        else:
            image = photos[int(command[1])]
            start = time.perf_counter()
            classify_photo(image)
            answer = {"ms": [(time.perf_counter() - start) * 1e3]}
        answer["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


# --- the conductor --------------------------------------------------------------------------


def _export(folder: Path, version: int | None) -> tuple[Any, Any]:
    import torch
    from torch import nn

    from bihar.settings import get_settings
    from bihar.vision.edge_export import export_edge
    from bihar.vision.field_model import has_cell_head
    from bihar.vision.versions import load_field_model

    model, stored = load_field_model(get_settings().registry_dir, version)
    export_edge(model, stored, folder / "model.bhe")
    for name, member in model.members.items():
        cells = has_cell_head(member.config)

        class WithCells(nn.Module):
            def __init__(self, network: nn.Module) -> None:
                super().__init__()
                self.network = network

            def forward(self, x: torch.Tensor):
                return self.network.forward_with_cells(x)

        network = WithCells(member.network) if cells else member.network
        size = member.config.input_px
        torch.onnx.export(
            network.eval(),
            (torch.zeros(1, 3, size, size),),
            str(folder / f"{name}.onnx"),
            input_names=["x"],
            output_names=["logits", "cells"] if cells else ["logits"],
            dynamic_axes={"x": {0: "n"}},
            opset_version=17,
            dynamo=False,
        )
    (folder / "meta.json").write_text(json.dumps({"version": stored.version}))
    return model, stored


def _inputs(folder: Path, n_tiles: int, n_photos: int) -> list[Path]:
    from bihar.settings import get_settings
    from bihar.vision.cwfid import read_split
    from bihar.vision.photos import photo_tiles, read_photo

    root = get_settings().data_dir / "cwfid"  # type: ignore[operator]
    _, test_ids = read_split(root)
    paths = [root / "images" / f"{i:03d}_image.png" for i in test_ids]
    rng = np.random.default_rng(0)
    tiles = np.concatenate([photo_tiles(read_photo(p).image, 160, 80)[0] for p in paths[:3]])
    np.save(folder / "tiles.npy", tiles[rng.choice(len(tiles), n_tiles, replace=False)])
    for i, path in enumerate(paths[:n_photos]):
        np.save(folder / f"photo_{i}.npy", read_photo(path).image)
    return paths


def _start(engine: str, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **SINGLE_THREAD, "BIHAR_EDGE_KERNELS": "", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", engine, "--folder", str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip


def _ask(process: subprocess.Popen[str], command: str) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(command + "\n")
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"a worker stopped while answering {command!r}")
    return json.loads(line)


def _cli_rss(build: Path, folder: Path, photo: Path) -> dict[str, float]:
    """Peak RSS of the C CLI classifying one photo, as a process of its own.

    Measured by GNU time: a child started from this (large) Python process would inherit its
    high-water mark in `wait4`'s figure; GNU time's own is about a megabyte.
    """
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M %e", str(build / "bihar-edge"), "--model",
         str(folder / "model.bhe"), str(photo)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
    )  # fmt: skip
    kib, seconds = done.stderr.strip().splitlines()[-1].split()
    return {"peak_rss_mib": int(kib) / 1024, "seconds": float(seconds)}


def _sizes(build: Path, folder: Path) -> dict[str, int]:
    stripped = folder / "libbihar_edge.stripped.so"
    shutil.copy(build / "libbihar_edge.so", stripped)
    subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=True)
    return {
        "library_bytes": (build / "libbihar_edge.so").stat().st_size,
        "library_stripped_bytes": stripped.stat().st_size,
        "cli_bytes": (build / "bihar-edge").stat().st_size,
        "weight_file_bytes": (folder / "model.bhe").stat().st_size,
    }


def _agreement(folder: Path, model: Any, paths: list[Path]) -> dict[str, Any]:
    import torch

    from bihar.vision.edge_runtime import EdgeModel
    from bihar.vision.photos import photo_tiles, read_photo

    torch.set_num_threads(os.cpu_count() or 1)
    same = tiles = 0
    worst = 0.0
    with EdgeModel.open(folder / "model.bhe") as edge:
        for path in paths:
            image = read_photo(path).image
            got, _ = edge.classify_photo(image)
            want = model.predict(photo_tiles(image, edge.tile, edge.stride)[0]).proba
            same += int((got.argmax(1) == want.argmax(1)).sum())
            worst = max(worst, float(np.abs(got - want).max()))
            tiles += len(got)
    return {"photos": len(paths), "tiles": tiles, "same_class": same,
            "same_class_share": round(same / tiles, 6), "max_abs_dp": worst}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", type=int, help="registry version (default: the newest)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tiles", type=int, default=24, help="tiles timed per round")
    parser.add_argument("--photos", type=int, default=2, help="whole photos timed per round")
    parser.add_argument("--no-agreement", action="store_true", help="skip the 21-photo check")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.folder)
        return

    conditions = machine()
    build = ROOT / "edge" / "build"
    subprocess.run(["make", "-s", "-C", str(ROOT / "edge"), "all"], check=True)
    folder = Path(tempfile.mkdtemp(prefix="bihar-edge-bench-"))
    try:
        model, stored = _export(folder, args.version)
        paths = _inputs(folder, args.tiles, args.photos)
        workers = {engine: _start(engine, folder) for engine in ENGINES}
        tile_ms: dict[str, list[float]] = {e: [] for e in ENGINES}
        photo_ms: dict[str, list[float]] = {e: [] for e in ENGINES}
        rss: dict[str, float] = {}
        for r in range(args.rounds):
            order = ENGINES[r % 3 :] + ENGINES[: r % 3]  # who goes first rotates
            for engine in order:
                tile_ms[engine] += _ask(workers[engine], "tiles")["ms"]
            for p in range(args.photos):
                for engine in order:
                    answer = _ask(workers[engine], f"photo {p}")
                    photo_ms[engine] += answer["ms"]
                    rss[engine] = answer["peak_rss_mib"]
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        for process in workers.values():
            _ask_quit(process)
        cli = _cli_rss(build, folder, paths[0])
        sizes = _sizes(build, folder)
        agreement = None if args.no_agreement else _agreement(folder, model, paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    per_tile = {e: round(float(np.median(v)), 2) for e, v in tile_ms.items()}
    per_photo = {e: round(float(np.median(v)) / 1000, 2) for e, v in photo_ms.items()}
    report = {
        **conditions,
        "command": "make bench-edge",
        "model": {"name": stored.name, "version": stored.version, "sha256": stored.sha256,
                  "members": [f"{m.name}: {m.kind}, {m.input_px} px, {len(m.views)} views"
                              for m in model.config.members],
                  "cover_vote": model.config.cover_vote is not None},
        "threads": 1,
        "rounds": args.rounds,
        "tiles_per_round": args.tiles,
        "photos_per_round": args.photos,
        "per_tile_ms_median": per_tile,
        "per_photo_seconds_median": per_photo,
        "c_vs_onnxruntime_per_tile": round(per_tile["c"] / per_tile["onnxruntime"], 3),
        "c_vs_pytorch_per_tile": round(per_tile["c"] / per_tile["pytorch"], 3),
        "worker_peak_rss_mib": {e: round(v, 1) for e, v in rss.items()},
        "c_cli_peak_rss_mib": round(cli["peak_rss_mib"], 1),
        "sizes": sizes,
        "agreement_with_pytorch": agreement,
    }  # fmt: skip
    write_report("edge", report, _markdown(report))


def _ask_quit(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("quit\n")
    process.stdin.flush()
    process.wait(timeout=60)


def _markdown(r: dict[str, Any]) -> list[str]:
    t, p, rss, s = (r["per_tile_ms_median"], r["per_photo_seconds_median"],
                    r["worker_peak_rss_mib"], r["sizes"])  # fmt: skip
    lines = [
        "# The field-image model on the camera's terms (`make bench-edge`)",
        "",
        f"{r['measured_on']}, {r['machine']}, load {r['load_average_1min_at_start']} at start; "
        f"{r['model']['name']} v{r['model']['version']} ({'; '.join(r['model']['members'])}"
        f"{', cover vote' if r['model']['cover_vote'] else ''}). One thread per engine, "
        f"{r['rounds']} interleaved rounds of {r['tiles_per_round']} tiles (one at a time) and "
        f"{r['photos_per_round']} whole photos (1296×966, 165 tiles).",
        "",
        "| engine | per tile (median) | per photo (median) | peak RSS of the process |",
        "|---|---|---|---|",
        f"| C runtime (edge/) | {t['c']} ms | {p['c']} s | {r['c_cli_peak_rss_mib']} MiB "
        f"(the CLI on a photo; the Python worker calling the library: {rss['c']} MiB) |",
        f"| onnxruntime | {t['onnxruntime']} ms | {p['onnxruntime']} s "
        f"| {rss['onnxruntime']} MiB |",
        f"| PyTorch | {t['pytorch']} ms | {p['pytorch']} s | {rss['pytorch']} MiB |",
        "",
        f"C / onnxruntime per tile: **{r['c_vs_onnxruntime_per_tile']}**; C / PyTorch: "
        f"{r['c_vs_pytorch_per_tile']}. Library {s['library_bytes'] / 1024:.0f} KiB "
        f"({s['library_stripped_bytes'] / 1024:.0f} KiB stripped), CLI "
        f"{s['cli_bytes'] / 1024:.0f} KiB, weight file {s['weight_file_bytes'] / 2**20:.1f} MiB.",
    ]
    a = r["agreement_with_pytorch"]
    if a:
        lines += [
            "",
            f"Agreement with PyTorch on every tile of the {a['photos']} test photos: same class "
            f"on {a['same_class']} of {a['tiles']} tiles ({a['same_class_share']:.2%}), max "
            f"|Δp| {a['max_abs_dp']:.1e}.",
        ]
    return lines


if __name__ == "__main__":
    main()
