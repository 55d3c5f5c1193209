"""Demo scenario of the forecast API: the calls the demo page (GET /) makes, in order, answers
shown. The scenario is `bihar.web.demo_scenario`, which the slide deck shows too.

make serve                     # in one terminal (or a running container)
.venv/bin/python scripts/api_demo.py [--base-url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import json
from datetime import date

import httpx

from bihar.web.demo_scenario import DAY_WITHOUT_FORECASTS, SCENARIO, Step


def show(client: httpx.Client, number: int, step: Step, last: date | None) -> httpx.Response:
    params = step.query(last)
    answer = client.get(step.path, params=params)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    print(f"\n## {number}. {step.title}: {step.shows}")
    print(f"GET {step.path}{'?' + query if query else ''} -> {answer.status_code}")
    kind = answer.headers.get("content-type", "")
    if kind.startswith("application/json"):
        text = json.dumps(answer.json(), indent=2, ensure_ascii=False)
        lines = text.splitlines()
        print("\n".join(lines[:24] + (["  …"] if len(lines) > 24 else [])))
        if isinstance(answer.json(), dict) and "summary" in answer.json():
            print("summary:", answer.json()["summary"])
    else:
        print(f"{kind}, {len(answer.content)} bytes")
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    last: date | None = None
    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        for number, step in enumerate(SCENARIO, 1):
            answer = show(client, number, step, last)
            if step.params.get("date") == DAY_WITHOUT_FORECASTS:
                last = date.fromisoformat(answer.json()["available"]["last"])
    print(f"\nThe page: {args.base_url}/   interactive documentation: {args.base_url}/docs")


if __name__ == "__main__":
    main()
