"""The demo scenario of the forecast API, in order: the calls the demo page makes, what the
audience should see at each. `scripts/api_demo.py` runs it and the slide deck shows it.

Parameters are templates: `{last}` is the newest day with forecasts (read from step 4's
answer), `{start}` the first of the 30 days ending at `{last}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

#: The days the page's chart covers, ending at the chosen day.
WINDOW_DAYS = 30
#: A day the store holds no forecast for: the API's answer names the days it has.
DAY_WITHOUT_FORECASTS = "1999-12-31"


@dataclass(frozen=True)
class Step:
    title: str
    path: str
    shows: str
    params: dict[str, str] = field(default_factory=dict)
    status: int = 200

    def query(self, last: date | None) -> dict[str, str]:
        """The parameters with `{last}` and `{start}` filled in."""
        if last is None:
            return dict(self.params)
        start = last - timedelta(days=WINDOW_DAYS - 1)
        return {k: v.format(last=last, start=start) for k, v in self.params.items()}


SCENARIO: tuple[Step, ...] = (
    Step("The demo page", "/", "the page below, drawn from the calls that follow"),
    Step("Is the service up?", "/health", "status ok, database ok"),
    Step("Which version runs?", "/version", "the software version, the commit id in the image"),
    Step("Registered models", "/models", "one version in production, its backtest MAE"),
    Step(
        "A day without forecasts",
        "/predictions",
        "a clear message naming the days that have forecasts",
        {"date": DAY_WITHOUT_FORECASTS},
        status=404,
    ),
    Step("The newest day", "/predictions", "its eight 3-hour slots", {"date": "{last}"}),
    Step(
        "Last 30 days",
        "/predictions/observed",
        "predicted vs observed, MAE, RMSE, bias",
        {"start": "{start}", "end": "{last}"},
    ),
    Step(
        "The baseline",
        "/baselines/seasonal-naive",
        "the seasonal-naive MAE on the same slots",
        {"start": "{start}", "end": "{last}"},
    ),
    Step(
        "Bad input",
        "/predictions/observed",
        "a one-line reason",
        {"start": "{last}", "end": "{start}"},
        status=422,
    ),
    Step("Monitoring", "/monitoring/plot.png", "the figure of the refreshed period"),
)
