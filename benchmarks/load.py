"""Load benchmark of the API with wrk: requests/s and p50/p99 latency at 64 connections for
`/predictions` and a 30-day `/predictions/observed`, each with the cache (repeated requests) and
without it (every request a miss: a second server with BIHAR_API_CACHE_SECONDS=0), and a bare
FastAPI endpoint returning a constant (the reference, same run, same server settings). Writes
reports/load.{json,md}.

wrk and the servers share the machine, so one measurement moves with whatever else runs. The
targets are therefore measured in several rounds, interleaved (each round measures every
target once, after a short discarded warm-up), and the report gives the median over rounds,
each round's ratio to the bare app measured in that same round, and the worst p99.

    make bench-load        (needs the demo database: make refresh first)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from report import machine, write_report

from bihar.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: str, port: int, log: Path, **env: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT), **env},
        stderr=log.open("w"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{app} did not start")


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Latency Distribution" not in out:
        raise RuntimeError(f"wrk gave no latency distribution for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        p: float(v) * UNITS[u]
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    }
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"cannot read the latencies of wrk for {url}:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "requests_per_second": rps,
        "p50_ms": round(latency["50"], 2),
        "p99_ms": round(latency["99"], 2),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


REFERENCE = "bare constant (reference)"
AIMED = "/predictions"
UNCACHED_DAY = "/predictions, cache disabled"
UNCACHED_PERIOD = "/predictions/observed (30 days), cache disabled"
#: The least ratio to the bare app each cache miss is to reach, in the median round.
MISS_AIMS = {UNCACHED_DAY: 0.2, UNCACHED_PERIOD: 0.1}


def measure(
    targets: dict[str, str], rounds: int, seconds: int, connections: int
) -> dict[str, list[dict[str, float]]]:
    """Each target once per round, in the same order, after a discarded 2-second warm-up."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, url in targets.items():
            wrk(url, 2, connections)
            runs[name].append(wrk(url, seconds, connections))
    return runs


def summarise(runs: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, Any]]:
    """Median figures per target; ratios to the bare app of the same round; the worst p99."""
    bare = [r["requests_per_second"] for r in runs[REFERENCE]]
    summary = {}
    for name, results in runs.items():
        ratios = [r["requests_per_second"] / b for r, b in zip(results, bare, strict=True)]
        summary[name] = {
            "requests_per_second": round(
                statistics.median(r["requests_per_second"] for r in results)
            ),
            "ratio_to_bare": round(statistics.median(ratios), 3),
            "ratio_to_bare_per_round": [round(x, 3) for x in ratios],
            "p50_ms": round(statistics.median(r["p50_ms"] for r in results), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in results), 2),
            "p99_ms_worst": max(r["p99_ms"] for r in results),
            "non_2xx": sum(int(r["non_2xx"]) for r in results),
            "timeouts": sum(int(r["timeouts"]) for r in results),
            "rounds": results,
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--date", default="2025-10-30", help="a day with stored predictions")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    if args.rounds < 1 or args.seconds < 1:
        sys.exit("--rounds and --seconds must be at least 1")
    day = date.fromisoformat(args.date)
    start = date.fromordinal(day.toordinal() - 29)
    api_port, uncached_port, bare_port = free_port(), free_port(), free_port()
    logs = Path(tempfile.mkdtemp(prefix="bihar-load-"))
    servers = [
        serve("api.main:app", api_port, logs / "api.log"),
        serve(
            "api.main:app", uncached_port, logs / "api-uncached.log", BIHAR_API_CACHE_SECONDS="0"
        ),
        serve("benchmarks.bare_app:app", bare_port, logs / "bare.log"),
    ]
    try:
        api = f"http://127.0.0.1:{api_port}"
        check = httpx.get(f"{api}/predictions", params={"date": args.date})
        if check.status_code != 200:
            sys.exit(f"no predictions for {args.date} ({check.text}); run make refresh first")
        uncached = f"http://127.0.0.1:{uncached_port}"
        period = f"predictions/observed?start={start}&end={day}"
        targets = {
            REFERENCE: f"http://127.0.0.1:{bare_port}/constant",
            AIMED: f"{api}/predictions?date={args.date}",
            UNCACHED_DAY: f"{uncached}/predictions?date={args.date}",
            "/predictions/observed (30 days)": f"{api}/{period}",
            UNCACHED_PERIOD: f"{uncached}/{period}",
            "/version": f"{api}/version",
        }
        conditions = machine()
        results = summarise(measure(targets, args.rounds, args.seconds, args.connections))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    aimed = results[AIMED]
    aims = {
        "median ratio to bare >= 0.5": aimed["ratio_to_bare"] >= 0.5,
        "ratio to bare >= 0.5 in every round": min(aimed["ratio_to_bare_per_round"]) >= 0.5,
        "p99 < 50 ms in every round": aimed["p99_ms_worst"] < 50,
    }
    miss_aims = {
        f"{name}: median ratio to bare >= {least}": results[name]["ratio_to_bare"] >= least
        for name, least in MISS_AIMS.items()
    }
    report = {
        "benchmark": "wrk -t2 -c64 against uvicorn (1 worker, uvloop/httptools, no access log; "
        "the API logs its INFO line per request to a file)",
        "command": "make bench-load",
        **conditions,
        "note": "wrk and the server share the cores; medians over interleaved rounds",
        "database": get_settings().database_url,
        "seconds_per_target": args.seconds,
        "rounds": args.rounds,
        "connections": args.connections,
        "aims_for_predictions": aims,
        "aims_for_cache_misses": miss_aims,
        "results": results,
    }
    lines = [
        "# API load benchmark",
        "",
        f"`make bench-load` on {report['measured_on']} ({report['machine']}, shared by wrk and "
        f"the server; 1-minute load average {report['load_average_1min_at_start']} at the "
        f"start), {args.connections} connections, {args.rounds} interleaved rounds of "
        f"{args.seconds} s per endpoint; medians over the rounds, the ratio to the bare app "
        "of the same round, and the worst round's p99.",
        "",
        "| endpoint | req/s | ratio to bare (per round) | p50 (ms) | p99 (ms) | worst p99 (ms) "
        "| non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | {r['requests_per_second']} | {r['ratio_to_bare']:.2f} "
            f"({' / '.join(f'{x:.2f}' for x in r['ratio_to_bare_per_round'])}) | "
            f"{r['p50_ms']} | {r['p99_ms']} | {r['p99_ms_worst']} | {r['non_2xx']} |"
            for name, r in results.items()
        ],
        "",
        "Aims for `/predictions` (at least half the bare throughput, p99 under 50 ms): "
        + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in aims.items())
        + ".",
        "",
        "Aims for cache misses (every request read from the database): "
        + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in miss_aims.items())
        + ".",
    ]
    write_report("load", report, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
