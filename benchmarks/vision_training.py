"""Benchmark: one training epoch (640 samples, batches of 64, Adam) of the two costliest networks
of notebook 01, in the default memory layout or channels-last, with glibc's allocator as it is or
tuned by `bihar.cpu.tune_allocator`. Each setting runs in its own process (the allocator setting
cannot be undone). Writes reports/vision_training.{json,md}.

    .venv/bin/python benchmarks/vision_training.py [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time

import torch
from report import machine, write_report
from torch import nn
from torch.nn import functional

from bihar.cpu import tune_allocator

SAMPLES, BATCH = 640, 64
NETWORKS = {
    "scratch_128px": "ResidualCNN on 128-px tiles (3×128×128 inputs)",
    "effnet_224px_top": "EfficientNet-Lite0 top + cell head, last 2 blocks trained (192×7×7 maps)",
}


def _network(name: str) -> tuple[nn.Module, torch.Tensor, torch.Tensor | None]:
    """(model, inputs, cell targets or None) of one benchmarked network, seeded."""
    if name == "scratch_128px":
        from bihar.vision.cnn import build_cnn

        return build_cnn("residual", 4, 0.0, True), torch.rand(SAMPLES, 3, 128, 128), None
    from bihar.vision.native import CellSupervisedTop
    from bihar.vision.pretrained import load_efficientnet_lite0

    top = CellSupervisedTop(load_efficientnet_lite0(), 4)
    top.freeze(2)
    return top, torch.randn(SAMPLES, 192, 7, 7), torch.rand(SAMPLES, 2, 7, 7)


def worker(name: str, channels_last: bool, tuned: bool, threads: int) -> dict[str, float]:
    """One warm-up epoch, then one timed epoch: wall, user and system seconds, minor faults."""
    torch.set_num_threads(threads)
    if tuned and not tune_allocator():
        raise SystemExit("the allocator cannot be tuned here (not glibc)")
    torch.manual_seed(0)
    model, x, cells = _network(name)
    y = torch.randint(0, 4, (SAMPLES,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], 1e-3)
    model.train()

    def epoch() -> None:
        for i in range(0, SAMPLES, BATCH):
            xb = x[i : i + BATCH]
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            if cells is None:
                loss = functional.cross_entropy(model(xb), y[i : i + BATCH])
            else:
                logits, cell_logits = model.forward_with_cells(xb)
                loss = functional.cross_entropy(logits, y[i : i + BATCH])
                loss = loss + functional.binary_cross_entropy_with_logits(
                    cell_logits, cells[i : i + BATCH]
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    epoch()
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    epoch()
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall_s": round(wall, 2),
        "user_s": round(after.ru_utime - before.ru_utime, 2),
        "system_s": round(after.ru_stime - before.ru_stime, 2),
        "minor_faults": after.ru_minflt - before.ru_minflt,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", nargs=3, metavar=("NETWORK", "LAYOUT", "ALLOCATOR"))
    args = parser.parse_args()
    if args.worker:
        name, layout, allocator = args.worker
        result = worker(name, layout == "channels_last", allocator == "tuned", args.threads)
        print(json.dumps(result))
        return
    results = []
    for row_key in itertools.product(NETWORKS, ("default", "channels_last"), ("default", "tuned")):
        name, layout, allocator = row_key
        out = subprocess.run(
            [sys.executable, __file__, "--threads", str(args.threads), "--worker", *row_key],
            capture_output=True,
            text=True,
            check=True,
        )
        row = {"network": name, "layout": layout, "allocator": allocator}
        row |= json.loads(out.stdout.strip().splitlines()[-1])
        results.append(row)
        print(row)
    for row in results:  # speed-up against the same network with both settings at their default
        first = next(
            r
            for r in results
            if r["network"] == row["network"]
            and r["layout"] == "default"
            and r["allocator"] == "default"
        )
        row["speedup"] = round(first["wall_s"] / row["wall_s"], 2)
    report = {
        "benchmark": f"one training epoch of {SAMPLES} samples in batches of {BATCH} (Adam)",
        "command": "make bench-vision-training",
        **machine(),
        "torch_threads": args.threads,
        "networks": NETWORKS,
        "results": results,
    }
    write_report(
        "vision_training",
        report,
        [
            "# Vision training-step benchmark",
            "",
            f"`{report['command']}` on {report['measured_on']} ({report['machine']}; 1-minute "
            f"load average {report['load_average_1min_at_start']} at the start; "
            f"{args.threads} torch threads). One epoch of {SAMPLES} samples, batches of {BATCH}.",
            "",
            "| network | layout | allocator | wall s | user s | system s | minor faults | speed-up"
            " |",
            "|---|---|---|---:|---:|---:|---:|---:|",
            *[
                f"| {r['network']} | {r['layout']} | {r['allocator']} | {r['wall_s']} | "
                f"{r['user_s']} | {r['system_s']} | {r['minor_faults']:,} | {r['speedup']}× |"
                for r in results
            ],
        ],
    )


if __name__ == "__main__":
    main()
