"""The demo page (GET /) in headless Chromium, against the API served by uvicorn over a store
filled by the pipeline: what the chart drew, what a day without forecasts shows, a screenshot
in reports/."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from bihar.forecast.monitoring import plot_monitoring
from bihar.web.demo_scenario import SCENARIO, WINDOW_DAYS
from tests.api_server import api_server
from tests.browser import dom_after_scripts, screenshot
from tests.pipeline import PipelineStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(sqlite_pipeline: PipelineStore) -> Iterator[str]:
    """The API as `make serve` runs it, on a free port, over the pipeline's SQLite store."""
    settings = sqlite_pipeline.settings
    plot_monitoring(
        sqlite_pipeline.engine,
        settings.monitoring_dir,
        "boston",
        date(2025, 10, 3),
        date(2025, 11, 1),
    )
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BIHAR_ROOT_DIR": str(settings.root_dir),
    }
    with api_server(env) as base:
        yield base


def _element_text(dom: str, element_id: str) -> str:
    match = re.search(rf'<(\w+) [^>]*id="{element_id}"[^>]*>(.*?)</\1>', dom, re.S)
    assert match, f"no #{element_id} in the page"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip()


def _drawn_points(dom: str) -> dict[str, int]:
    match = re.search(r'<div id="chart"[^>]*data-points="([^"]*)"', dom)
    assert match, "the chart records no drawn points"
    return json.loads(html.unescape(match.group(1)) or "{}")


def test_the_page_shows_the_day_the_chart_and_the_models(served):
    api = httpx.Client(base_url=served)
    last = api.get("/predictions", params={"date": "1999-12-31"}).json()["available"]["last"]
    start = str(date.fromisoformat(last) - timedelta(days=WINDOW_DAYS - 1))
    model = api.get("/predictions/observed", params={"start": start, "end": last}).json()
    naive = api.get("/baselines/seasonal-naive", params={"start": start, "end": last}).json()

    dom = dom_after_scripts(f"{served}/")  # no day asked: the newest day with forecasts
    assert '<body data-state="ready"' in dom
    assert _element_text(dom, "day-title") == f"Forecast of {last} (boston)"
    points = _drawn_points(dom)
    assert points == {
        "observed": sum(s["observed_celsius"] is not None for s in model["slots"]),
        "predicted": WINDOW_DAYS * 8,  # the refresh predicted every day of the window
        "seasonal_naive": sum(s["predicted_celsius"] is not None for s in naive["slots"]),
    }
    assert points["observed"] == (WINDOW_DAYS - 1) * 8  # the newest day is not observed yet
    scores = _element_text(dom, "scores")
    assert f"Model MAE {model['summary']['mae']:.2f} °C" in scores
    assert f"seasonal naive MAE {naive['summary']['mae']:.2f} °C" in scores
    day = api.get("/predictions", params={"date": last}).json()
    slot_rows = re.findall(r"<tr>(.*?)</tr>", dom.split('id="slots"')[1].split("</table>")[0], re.S)
    assert len(slot_rows) == 1 + len(day["slots"]) == 9  # the header and eight slots
    first = [
        html.unescape(re.sub(r"<[^>]+>", "", c))
        for c in re.findall(r"<td[^>]*>.*?</td>", slot_rows[1])
    ]
    assert first[:3] == [
        "00:00",
        f"{day['slots'][0]['predicted_celsius']:.1f}",
        day["slots"][0]["model_version"],
    ]
    models = api.get("/models").json()
    ratio = f"{models[0]['metrics']['mae_ratio_vs_seasonal_naive']:.2f}"
    assert f'<td class="number">{ratio}</td>' in dom.split('id="models"')[1]
    assert len(re.findall(r"<tr>", dom.split('id="models"')[1].split("</table>")[0])) == 1 + len(
        models
    )
    for link in ("/docs", "/monitoring/plot.png?location=boston"):
        assert f'href="{link}"' in dom
        assert api.get(link).status_code == 200

    screenshot(f"{served}/", ROOT / "reports" / "demo_page.png", 1280, 1000)


def test_a_day_without_forecasts_shows_the_api_message(served):
    api = httpx.Client(base_url=served)
    day, start = "1999-12-31", "1999-12-02"
    dom = dom_after_scripts(f"{served}/?location=boston&date={day}")
    assert '<body data-state="ready"' in dom
    expected = api.get("/predictions", params={"date": day}).json()["detail"]
    assert expected.startswith(f"no predictions for {day} (boston); predictions exist from")
    assert _element_text(dom, "day-message") == expected
    period = api.get("/predictions/observed", params={"start": start, "end": day}).json()["detail"]
    assert _element_text(dom, "period-message") == period
    assert re.search(r'id="slots"[^>]* hidden', dom)
    assert _drawn_points(dom) == {}


def test_the_demo_script_runs_the_scenario(served):
    done = subprocess.run(
        [sys.executable, "scripts/api_demo.py", "--base-url", served],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    statuses = [int(s) for s in re.findall(r"^GET \S+ -> (\d+)$", done.stdout, re.M)]
    assert statuses == [step.status for step in SCENARIO]
    assert statuses.count(200) == len(SCENARIO) - 2  # all but the two error examples
    assert "no predictions for 1999-12-31 (boston); predictions exist from" in done.stdout
    newest = httpx.get(f"{served}/predictions", params={"date": "1999-12-31"}).json()
    assert f"GET /predictions?date={newest['available']['last']} -> 200" in done.stdout
