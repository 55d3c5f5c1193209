"""Forecast API: the endpoint handlers. Queries live in `bihar.forecast.queries`.

uvicorn api.main:app --host 127.0.0.1 --port 8000 --no-access-log
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BeforeValidator
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException as StarletteHTTPException

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import is_current
from bihar.forecast.locations import UnknownLocationError, find_location
from bihar.forecast.monitoring import NothingToMonitorError, seasonal_naive_period
from bihar.forecast.queries import predicted_days, registered_models, served_day, served_period
from bihar.forecast.schemas import (
    BaselinePeriod,
    BaselineSlot,
    DateRange,
    DayPredictions,
    ErrorBody,
    Health,
    ModelInfo,
    PredictionsWithObserved,
)
from bihar.logs import configure_logging
from bihar.settings import get_settings
from bihar.web import demo_page
from bihar.web.cache import TTLCache
from bihar.web.request_context import RequestContextMiddleware
from bihar.web.response_cache import CachedResponse, ResponseCacheMiddleware

log = logging.getLogger("bihar.api")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RANGE_DAYS = 366


class ApiError(Exception):
    """A client error answered as `ErrorBody` with `status`."""

    def __init__(self, status: int, detail: str, available: DateRange | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.available = status, detail, available


def _iso_date(value: object) -> date:
    """Only `YYYY-MM-DD` (no week dates, timestamps or datetimes)."""
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
LocationName = Annotated[
    str | None, Query(description="Location name (default: the service's default location).")
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    configure_logging()
    app.state.engine = make_engine(get_settings().database_url, writer=False)
    seconds, bound = get_settings().api_cache_seconds, int(get_settings().api_cache_megabytes * 1e6)
    app.state.cache = TTLCache[bytes](seconds, max_bytes=bound)
    app.state.response_cache = TTLCache[CachedResponse](seconds, max_bytes=bound)
    app.state.in_flight = {}
    app.state.inline_queries = app.state.engine.dialect.name == "sqlite"
    log.info("serving %s, version %s", app.state.engine.url, get_settings().app_version)
    # Everything loaded so far (pandas, SQLAlchemy, pydantic schemas…) lives as long as the
    # process: moving it out of the collector's generations keeps full collections short.
    gc.collect()
    gc.freeze()
    yield
    app.state.engine.dispose()


app = FastAPI(
    title="bihar temperature forecasts",
    summary="Day-ahead 3-hour temperature forecasts, their observed values and the models.",
    description=(
        "A forecast for day D is the location's local day D: issued at local D 00:00 from 3-hour "
        "values up to D-1 21:00 and predicting the eight 3-hour means of D (00h, 03h, …, 21h on "
        "the local clock; 00h = mean of 00h–02h). Times carry their UTC offset and answers name "
        "the time zone."
    ),
    version=get_settings().app_version,
    lifespan=lifespan,
)
# Outermost last: request ids wrap everything, the response cache sits in front of the routes.
app.add_middleware(ResponseCacheMiddleware, paths=("/predictions", "/predictions/observed"))
app.add_middleware(RequestContextMiddleware)
ERRORS = {404: {"model": ErrorBody}, 422: {"model": ErrorBody}}


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]


async def _cached(
    request: Request, key: Hashable, build: Callable[..., bytes], *args: object
) -> tuple[bytes, bool]:
    """The cached answer for `key`, else `build(engine, *args)` run by `_build` and cached; and
    whether it came from the cache.

    Requests that miss while the same answer is being built wait for that build instead of
    starting their own (when the cache expires under load, one query runs, not one per
    connection); a client that goes away does not cancel the build the others wait for.
    """
    state = request.app.state
    body = state.cache.get(key)
    if body is not None:
        return body, True
    if state.cache.seconds <= 0:
        return await _build(state, build, args), False
    flight = state.in_flight.get(key)
    if flight is None:
        flight = asyncio.ensure_future(_fill(state, key, build, args))
        state.in_flight[key] = flight
        return await asyncio.shield(flight), False
    return await asyncio.shield(flight), True


async def _fill(state: Any, key: Hashable, build: Callable[..., bytes], args: tuple) -> bytes:
    try:
        body = await _build(state, build, args)
        state.cache.put(key, body)
        return body
    finally:
        del state.in_flight[key]


async def _build(state: Any, build: Callable[..., bytes], args: tuple) -> bytes:
    """`build(engine, *args)`: on the event loop for SQLite, whose queries read a local file in
    a fraction of a millisecond (less than handing them to a worker thread costs); in the
    thread pool for a database server, so that waiting on the network never blocks the loop."""
    if state.inline_queries:
        return build(state.engine, *args)
    return await run_in_threadpool(build, state.engine, *args)


def _location(name: str | None) -> str:
    """The name as stored (the request's, else the default); whether the store holds it is
    checked when the answer is built, so a cached answer costs no query."""
    return " ".join((name or get_settings().default_location).strip().lower().split()).replace(
        " ", "-"
    )


def _no_predictions(engine: Engine, location: str, what: str) -> ApiError:
    try:
        with engine.connect() as conn:
            span = predicted_days(conn, location)
    except UnknownLocationError as exc:  # not a stored location: the message lists them
        return ApiError(404, str(exc))
    if span is None:
        return ApiError(404, f"no predictions for {what} ({location}): none are stored")
    first, last = span
    return ApiError(
        404,
        f"no predictions for {what} ({location}); predictions exist from {first} to {last}",
        DateRange(first=first, last=last),
    )


@app.get("/predictions", response_model=DayPredictions, responses=ERRORS, tags=["predictions"])
async def predictions(
    request: Request,
    day: Annotated[IsoDate, Query(alias="date", examples=["2025-10-30"])],
    location: LocationName = None,
) -> Response:
    """The stored forecast of one day: eight 3-hour slots.

    Answers are reused for `BIHAR_API_CACHE_SECONDS` (predictions change once per refresh): an
    identical request is answered by the response cache, an equivalent one (say, the default
    location named) from the serialized answer."""
    name = _location(location)
    body, cached = await _cached(request, ("predictions", name, day), _day_predictions, name, day)
    log.info(
        "predictions date=%s location=%s -> %d bytes%s",
        day,
        name,
        len(body),
        " (cached)" if cached else "",
    )
    return Response(body, media_type="application/json")


def _day_predictions(engine: Engine, name: str, day: date) -> bytes:
    found = served_day(engine, name, day)
    if found is None:
        raise _no_predictions(engine, name, str(day))
    slots, timezone = found
    return _json({"location": name, "timezone": timezone, "date": str(day)}, slots)


def _json(fields: dict[str, object], slots: str, **after: object) -> bytes:
    """One JSON object: `fields`, then `slots` (a JSON array as served), then `after`."""
    head = json.dumps(fields)[:-1]
    tail = "".join(f", {json.dumps(key)}: {json.dumps(value)}" for key, value in after.items())
    return f'{head}, "slots": {slots}{tail}}}'.encode()


@app.get(
    "/predictions/observed",
    response_model=PredictionsWithObserved,
    responses=ERRORS,
    tags=["predictions"],
)
async def predictions_observed(
    request: Request,
    start: Annotated[IsoDate, Query(examples=["2025-10-02"])],
    end: Annotated[IsoDate, Query(examples=["2025-10-30"])],
    location: LocationName = None,
) -> Response:
    """Predictions of a period joined with the observed 3-hour values, and their errors."""
    _check_period(start, end)
    name = _location(location)
    body, cached = await _cached(
        request, ("observed", name, start, end), _predictions_with_observed, name, start, end
    )
    log.info(
        "predictions/observed start=%s end=%s location=%s -> %d bytes%s",
        start,
        end,
        name,
        len(body),
        " (cached)" if cached else "",
    )
    return Response(body, media_type="application/json")


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ApiError(422, f"start {start} is after end {end}")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ApiError(
            422, f"{start} to {end} is {(end - start).days + 1} days; at most {MAX_RANGE_DAYS}"
        )


def _predictions_with_observed(engine: Engine, name: str, start: date, end: date) -> bytes:
    days, summary, timezone = served_period(engine, name, start, end)
    if not days:
        raise _no_predictions(engine, name, f"{start} to {end}")
    slots = "[" + ",".join(day[1:-1] for day in days) + "]"
    fields = {"location": name, "timezone": timezone, "start": str(start), "end": str(end)}
    return _json(fields, slots, summary=summary.__dict__)


@app.get(
    "/baselines/seasonal-naive",
    response_model=BaselinePeriod,
    responses=ERRORS,
    tags=["predictions"],
)
def seasonal_naive(
    engine: EngineDep,
    start: Annotated[IsoDate, Query(examples=["2025-10-02"])],
    end: Annotated[IsoDate, Query(examples=["2025-10-31"])],
    location: LocationName = None,
) -> BaselinePeriod:
    """What the model must beat: the seasonal-naive forecast (each slot gets the same slot one
    day earlier) of the slots of a period that have a stored prediction, with its errors on the
    slots `/predictions/observed` counts."""
    _check_period(start, end)
    name = _location(location)
    try:
        with engine.connect() as conn:
            timezone = find_location(conn, name).timezone
        frame, summary = seasonal_naive_period(engine, name, start, end)
    except UnknownLocationError as exc:
        raise ApiError(404, str(exc)) from None
    except NothingToMonitorError:
        raise _no_predictions(engine, name, f"{start} to {end}") from None
    slots = [
        BaselineSlot(
            target_time=row.target_time,
            predicted_celsius=_rounded(row.predicted),
            observed_celsius=_rounded(row.observed),
            error_celsius=_rounded(row.error),
        )
        for row in frame.itertuples()
    ]
    log.info(
        "baselines/seasonal-naive start=%s end=%s location=%s -> %d slots",
        start,
        end,
        name,
        len(slots),
    )
    return BaselinePeriod(
        location=name,
        timezone=timezone,
        start=start,
        end=end,
        baseline="seasonal_naive",
        slots=slots,
        summary=summary.__dict__,
    )


def _rounded(value: float) -> float | None:
    return None if value != value else round(float(value), 3)  # NaN: unknown


@app.get("/version", response_model=str, tags=["service"])
async def version() -> str:
    """The software version: `0.0.0` locally, the commit id in images built by the pipeline."""
    value = get_settings().app_version
    log.info("version -> %s", value)
    return value


@app.get("/health", response_model=Health, responses={503: {"model": Health}}, tags=["service"])
def health(engine: EngineDep) -> Health | JSONResponse:
    """Liveness, and whether the database answers with the current schema."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok" if is_current(engine) else "schema not at the newest migration"
    except Exception as exc:  # a health check reports, it does not fail
        database = f"unreachable: {type(exc).__name__}"
    status = "ok" if database == "ok" else "unavailable"
    level = logging.INFO if status == "ok" else logging.WARNING
    log.log(level, "health -> %s (database %s)", status, database)
    body = Health(status=status, database=database)
    return body if status == "ok" else JSONResponse(body.model_dump(), status_code=503)


@app.get("/models", response_model=list[ModelInfo], tags=["models"])
def models(engine: EngineDep) -> list[ModelInfo]:
    """Registered model versions (newest first per name) with their backtest metrics."""
    with engine.connect() as conn:
        rows = registered_models(conn)
    log.info("models -> %d versions", len(rows))
    return [ModelInfo.model_validate(row) for row in rows]


@app.get(
    "/monitoring/plot.png",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}, 404: {"model": ErrorBody}},
    tags=["models"],
)
def monitoring_plot(engine: EngineDep, location: LocationName = None) -> FileResponse:
    """The latest monitoring figure (predicted vs observed), made by `monitoring/plot.py`."""
    name = _location(location)
    with engine.connect() as conn:
        try:
            name = find_location(conn, name).name
        except UnknownLocationError as exc:
            raise ApiError(404, str(exc)) from None
    path = get_settings().monitoring_dir / f"{name}_latest.png"
    if not path.is_file():
        raise ApiError(404, f"no monitoring plot for {name}; run monitoring/plot.py")
    log.info("monitoring/plot.png location=%s -> %d bytes", name, path.stat().st_size)
    return FileResponse(path, media_type="image/png")


@app.get("/", include_in_schema=False)
def demo() -> FileResponse:
    """The demo page: a single page over the JSON endpoints above."""
    return FileResponse(demo_page.INDEX, media_type="text/html")


app.mount("/static", StaticFiles(directory=demo_page.STATIC_DIR), name="static")


@app.exception_handler(ApiError)
async def api_error(request: Request, exc: ApiError) -> JSONResponse:
    log.warning("%s %s -> %d: %s", request.method, request.url.path, exc.status, exc.detail)
    body = ErrorBody(detail=exc.detail, available=exc.available)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=exc.status)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: "
        f"{e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )
    log.warning("%s %s -> 422: %s", request.method, request.url.path, problems)
    return JSONResponse({"detail": problems}, status_code=422)


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    log.warning("%s %s -> %d: %s", request.method, request.url.path, exc.status_code, exc.detail)
    # The framework's own headers stay (a 405 names the allowed methods in `Allow`).
    return JSONResponse(
        {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )
