# The forecast API image: pinned runtime dependencies, the bihar package, the API code and the
# demo state it serves (SQLite database, monitoring figures, registry metadata) when present.
# Build: docker build --build-arg GIT_SHA="$(git rev-parse HEAD)" -t bihar-api .
# BASE_IMAGE defaults to the official slim Python; the local suite passes a debootstrap-made one.
ARG BASE_IMAGE=python:3.12-slim

# --- deps: the runtime dependencies in a virtual environment without pip (a separate tools venv
# installs into it). Only requirements/runtime.txt enters this stage, so a code change never
# reinstalls them. The test suites numpy and pandas ship are dropped (60 MB, never imported).
FROM ${BASE_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/runtime.txt /tmp/runtime.txt
RUN python3 -m venv /opt/tools \
 && python3 -m venv --without-pip /opt/venv \
 && /opt/tools/bin/pip --python /opt/venv/bin/python install --no-deps --only-binary=:all: -r /tmp/runtime.txt \
 && /opt/tools/bin/pip --python /opt/venv/bin/python check \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
 && rm -rf "$site/pandas/tests" \
 && find "$site/numpy" -depth -type d -name tests -exec rm -rf {} +

# --- build: the bihar package as a wheel (rebuilt when src/ changes; the build tools are pinned
# by constraints.txt and stay out of the runtime).
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/constraints.txt /tmp/constraints.txt
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip install -c /tmp/constraints.txt setuptools wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src/ src/
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# --- runtime: dependencies first, then the demo state, the package and the API code, from the
# least to the most often changed, so each change rebuilds only the layers after it.
FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BIHAR_ROOT_DIR=/app \
    LOG_LEVEL=INFO
RUN useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
 && mkdir -p /app/data \
 && chown app:app /app/data
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# Demo state, each copied only when the build context has it (an empty wildcard copies nothing):
# the database, the monitoring figures and the model registry committed with the repository
# (remade by `make demo-state`).
# Without a baked database, mount one on /app/data or set DATABASE_URL (see README).
COPY --chown=app:app dat[a]/weather.d[b] data/
COPY monitorin[g]/outpu[t]/ monitoring/output/
COPY mode[l]/registr[y]/ model/registry/
RUN --mount=type=bind,from=deps,source=/opt/tools,target=/opt/tools \
    --mount=type=bind,from=build,source=/wheels,target=/wheels \
    /opt/tools/bin/pip --python /opt/venv/bin/python install --no-cache-dir --no-deps --no-index \
        /wheels/bihar-*.whl
COPY api/ api/
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
# Last, so a new commit id only rebuilds these metadata layers.
ARG GIT_SHA=0.0.0
ENV APP_VERSION=${GIT_SHA}
LABEL org.opencontainers.image.title="bihar forecast API" \
      org.opencontainers.image.revision=${GIT_SHA}
# Handlers log one line per request with its request id, so the access log is off.
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
