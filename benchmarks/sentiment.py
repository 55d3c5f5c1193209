"""Benchmark: the review classifier as its users run it, one thread.

1. `bihar sentiment classify --file <the 1,000 offline test reviews> --json` as a process of its
   own (start-up, imports, loading with the SHA-256 checks, reading the file, scoring), timed
   end to end: reviews per second as a user sees them.
2. In one worker process: the import of the package, the model's load time (SHA-256 checks +
   unpickling) and the scoring of the same 1,000 reviews once loaded: reviews per second of the
   model itself, the reference the end-to-end figure is compared with.
3. The version's size on disk (each file and in all).

Rounds are interleaved (CLI, worker, CLI, …) so that the shared machine's load falls on both
alike; medians are reported. Writes reports/sentiment_bench.{json,md}.

    .venv/bin/python benchmarks/sentiment.py [--version V] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from report import machine, write_report

from bihar.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

WORKER = """
import json, sys, time
t0 = time.perf_counter()
from bihar.sentiment.review_files import read_reviews_file
from bihar.sentiment.versions import load_review_model
from bihar.settings import get_settings
t1 = time.perf_counter()
version = None if sys.argv[2] == "newest" else int(sys.argv[2])
pipeline, stored = load_review_model(get_settings().registry_dir, version)
t2 = time.perf_counter()
texts = read_reviews_file(__import__("pathlib").Path(sys.argv[1])).texts
t3 = time.perf_counter()
pipeline.predict_proba(texts)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "read_s": t3 - t2,
                  "predict_s": t4 - t3, "reviews": len(texts), "version": stored.version}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, **SINGLE_THREAD, "LOG_LEVEL": "WARNING"}


def run_cli(test_file: Path, version: str) -> tuple[float, int]:
    """Wall seconds of one `classify --file` process and the number of lines it printed."""
    cmd = [str(ROOT / ".venv" / "bin" / "bihar"), "sentiment", "classify", "--file",
           str(test_file), "--json"]  # fmt: skip
    if version != "newest":
        cmd += ["--version", version]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=True)
    return time.perf_counter() - start, len(done.stdout.splitlines())


def run_worker(test_file: Path, version: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(test_file), version],
        capture_output=True, text=True, env=_env(), check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="newest")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    settings = get_settings()
    test_file = Path(settings.data_dir or "") / "allocine" / "test_data_allocine_full.csv"
    conditions = machine()
    cli, workers = [], []
    for _ in range(args.rounds):
        seconds, lines = run_cli(test_file, args.version)
        cli.append(seconds)
        workers.append(run_worker(test_file, args.version))
    reviews = int(workers[0]["reviews"])
    if lines != reviews:
        raise SystemExit(f"classify printed {lines} lines for {reviews} reviews")
    version = int(workers[0]["version"])
    folder = settings.registry_dir / "review-sentiment" / str(version)
    sizes = {p.name: p.stat().st_size for p in sorted(folder.iterdir())}
    med = {k: statistics.median(w[k] for w in workers) for k in ("import_s", "load_s", "predict_s")}
    cli_s = statistics.median(cli)
    report = {
        **conditions,
        "version": f"review-sentiment v{version}",
        "reviews": reviews,
        "threads": 1,
        "rounds": args.rounds,
        "classify_file_seconds": round(cli_s, 3),
        "classify_file_reviews_per_second": round(reviews / cli_s, 1),
        "import_seconds": round(med["import_s"], 3),
        "load_seconds": round(med["load_s"], 3),
        "predict_seconds": round(med["predict_s"], 3),
        "model_reviews_per_second": round(reviews / med["predict_s"], 1),
        "end_to_end_over_model_time": round(cli_s / med["predict_s"], 2),
        "size_bytes": sizes,
        "size_total_bytes": sum(sizes.values()),
        "command": "make bench-sentiment",
    }
    md = [
        "# Review classifier: speed and size",
        "",
        f"`make bench-sentiment` — {report['version']}, {reviews} offline test reviews, "
        "one thread, "
        f"median of {args.rounds} interleaved rounds; {conditions['machine']}, load average "
        f"{conditions['load_average_1min_at_start']} at start ({conditions['measured_on']}).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| `bihar sentiment classify --file` (whole process) | {cli_s:.2f} s → "
        f"**{reviews / cli_s:.0f} reviews/s** |",
        f"| scoring once loaded (reference) | {med['predict_s']:.2f} s → "
        f"{reviews / med['predict_s']:.0f} reviews/s |",
        f"| whole process / scoring alone | {cli_s / med['predict_s']:.2f} × |",
        f"| package import | {med['import_s']:.2f} s |",
        f"| model load (SHA-256 checks + unpickling) | {med['load_s']:.2f} s |",
        f"| size on disk | {sum(sizes.values()) / 1e6:.2f} MB ("
        + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in sizes.items())
        + ") |",
    ]
    write_report("sentiment_bench", report, md)
    print("\n".join(md))


if __name__ == "__main__":
    main()
