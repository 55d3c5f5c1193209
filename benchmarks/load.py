"""Load benchmark of the API with wrk: requests/s and p50/p99 latency at 64 connections for
`/predictions`, a 30-day `/predictions/observed`, and a bare FastAPI endpoint returning a
constant (the reference, same run, same server settings). Writes reports/load.{json,md}.

    make bench-load        (needs the demo database: make refresh first)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--date", default="2025-10-31", help="a day with stored predictions")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
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
        targets = {
            "bare constant (reference)": f"http://127.0.0.1:{bare_port}/constant",
            "/predictions": f"{api}/predictions?date={args.date}",
            "/predictions, cache disabled": (
                f"http://127.0.0.1:{uncached_port}/predictions?date={args.date}"
            ),
            "/predictions/observed (30 days)": (
                f"{api}/predictions/observed?start={start}&end={day}"
            ),
            "/version": f"{api}/version",
        }
        conditions = machine()
        results = {name: wrk(url, args.seconds, args.connections) for name, url in targets.items()}
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    reference = results["bare constant (reference)"]["requests_per_second"]
    for result in results.values():
        result["ratio_to_bare"] = round(result["requests_per_second"] / reference, 3)
    report = {
        "benchmark": "wrk -t2 -c64 against uvicorn (1 worker, uvloop/httptools, no access log; "
        "the API logs its INFO line per request to a file)",
        "command": "make bench-load",
        **conditions,
        "note": "wrk and the server share the cores",
        "database": get_settings().database_url,
        "seconds_per_target": args.seconds,
        "connections": args.connections,
        "results": results,
    }
    lines = [
        "# API load benchmark",
        "",
        f"`make bench-load` on {report['measured_on']} ({report['machine']}, shared by wrk and "
        f"the server; 1-minute load average {report['load_average_1min_at_start']} at the "
        f"start), {args.connections} connections, {args.seconds} s per endpoint.",
        "",
        "| endpoint | req/s | ratio to bare | p50 (ms) | p99 (ms) | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | {r['requests_per_second']:.0f} | {r['ratio_to_bare']:.2f} | "
            f"{r['p50_ms']} | {r['p99_ms']} | {r['non_2xx']} |"
            for name, r in results.items()
        ],
    ]
    write_report("load", report, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
