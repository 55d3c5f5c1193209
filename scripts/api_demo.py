"""Demo scenario of the forecast API: each endpoint in a sensible order, answers shown.

make serve                     # in one terminal (or a running container)
.venv/bin/python scripts/api_demo.py [--base-url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

import httpx


def show(client: httpx.Client, title: str, path: str, **params: str) -> httpx.Response:
    answer = client.get(path, params=params)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    print(f"\n## {title}\nGET {path}{'?' + query if query else ''} -> {answer.status_code}")
    if answer.headers.get("content-type", "").startswith("application/json"):
        text = json.dumps(answer.json(), indent=2, ensure_ascii=False)
        lines = text.splitlines()
        print("\n".join(lines[:24] + (["  …"] if len(lines) > 24 else [])))
    else:
        print(f"{answer.headers.get('content-type')}, {len(answer.content)} bytes")
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        show(client, "1. Is the service up, and its database?", "/health")
        show(client, "2. Which software version is running?", "/version")
        show(client, "3. Which models are registered, which one serves?", "/models")
        span = show(client, "4. A day without forecasts says which days have one",
                    "/predictions", date="1999-12-31").json()["available"]  # fmt: skip
        last = date.fromisoformat(span["last"])
        show(client, "5. The forecast of the newest day (issued at 00:00 UTC)",
             "/predictions", date=str(last))  # fmt: skip
        week = str(last - timedelta(days=7))
        observed = show(client, "6. The last week: predicted vs observed, with MAE/RMSE/bias",
                        "/predictions/observed", start=week, end=str(last))  # fmt: skip
        print("summary:", observed.json()["summary"])
        show(client, "7. Bad input gets a clear 4xx", "/predictions/observed",
             start=str(last), end=week)  # fmt: skip
        show(client, "8. Unknown place", "/predictions", date=str(last), location="atlantis")
        show(client, "9. The monitoring figure", "/monitoring/plot.png")
    print(f"\nInteractive documentation: {args.base_url}/docs")


if __name__ == "__main__":
    main()
