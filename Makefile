# One entry point for set-up, the demo, the tests and the reports. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := api,forecast,sentiment,vision,notebooks,dev
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/constraints.txt | sha256sum | cut -c1-12)

.PHONY: install lint format test demo notebooks lock clean acquire refresh monitor serve bench-refresh bench-backfill bench-load bench-vision-training

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c requirements/constraints.txt pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

## install: create .venv and install the package with every pinned dependency
install: $(STAMP)

## lint: ruff check and ruff format --check
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## format: apply ruff's fixes and formatting
format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## test: install, lint, run every test (and, when CI=true, the container suite)
test: lint slides-tools
	$(BIN)/pytest
	@if [ "$${CI:-}" = true ] && [ -z "$${GITHUB_ACTIONS:-}" ]; then $(MAKE) container-test; fi

## notebooks: execute the three notebooks end to end, in place, with their outputs
notebooks: install
	for nb in notebooks/*.ipynb; do \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=3600 "$$nb"; \
	done

## lock: re-resolve every dependency into requirements/constraints.txt
lock:
	rm -rf /tmp/bihar-lock && $(PYTHON) -m venv /tmp/bihar-lock
	/tmp/bihar-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/bihar-lock/bin/python -m pip install --quiet -e ".[$(EXTRAS)]"
	/tmp/bihar-lock/bin/python -m pip freeze --exclude-editable --all | grep -v "^bihar" | sed "s/+cpu$$//" > requirements/constraints.txt

## clean: remove the virtual environment and caches (not the database)
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis edge/build

# --- forecast ---
# DATE: a local day of LOCATION; empty = the last full local day its weather source holds.
DATE ?=
LOCATION ?= boston
DATE_ARG = $(if $(DATE),--date $(DATE))
MONITOR_START ?= $(if $(DATE),$(shell date -d "$(DATE) -29 days" +%F))
MONITOR_END ?= $(if $(DATE),$(shell date -d "$(DATE) +1 day" +%F))

## acquire: store the 30 days ending at DATE in the default database (offline snapshot when present)
acquire: install
	$(BIN)/python data/acquire.py $(DATE_ARG) --location $(LOCATION)

## refresh: the brief's workflow for DATE: acquire → train a new model → predict 30 days + next → store
refresh: install
	$(BIN)/python -m bihar.cli refresh $(DATE_ARG) --location $(LOCATION)

## monitor: predicted vs observed figure of the refreshed period (default: the last 30 predicted
##   days) → monitoring/output/
monitor: install
	$(BIN)/python monitoring/plot.py $(if $(MONITOR_START),--start $(MONITOR_START)) \
	  $(if $(MONITOR_END),--end $(MONITOR_END)) --location $(LOCATION)

## browser-tools: headless Chromium and fonts (apt) when missing, or the browser CHROME_PATH names
.PHONY: browser-tools
browser-tools:
	scripts/browser/tools.sh

## serve: the API and its demo page on http://127.0.0.1:8000 (docs at /docs)
serve: install
	$(BIN)/uvicorn api.main:app --host 127.0.0.1 --port 8000

## demo: install, then run the main job offline for LOCATION and DATE (scripts/demo_state.sh:
##   acquire → train → predict → monitor) into DEMO_ROOT and serve the API and its demo page from
##   it on http://127.0.0.1:8000; committed files stay as they are (make serve serves those)
DEMO_ROOT ?= .cache/demo
DEMO_DIR = $(abspath $(DEMO_ROOT))
demo: install
	DATE=$(DATE) LOCATION=$(LOCATION) scripts/demo_state.sh $(DEMO_DIR)
	BIHAR_ROOT_DIR=$(DEMO_DIR) DATABASE_URL=sqlite:///$(DEMO_DIR)/data/weather.db \
	  BIHAR_DEFAULT_LOCATION=$(LOCATION) $(BIN)/uvicorn api.main:app --host 127.0.0.1 --port 8000

## bench-refresh: time the whole refresh on 6 years of Boston history → reports/refresh.*
bench-refresh: install
	$(BIN)/python benchmarks/refresh.py $(DATE_ARG)

## bench-load: wrk at 64 connections on /predictions and /predictions/observed, cached and not, and
##   a bare endpoint → reports/load.*
bench-load: install data/weather.db
	@command -v wrk >/dev/null || apt-get install -y -q wrk
	$(BIN)/python benchmarks/load.py $(DATE_ARG)

## bench-backfill: time the 6-year Boston backfill into SQLite and PostgreSQL → reports/backfill.*
bench-backfill: install
	$(BIN)/python benchmarks/backfill.py

# --- the slide deck ---
.PHONY: slides slides-tools
MARP_STAMP := presentation/node_modules/.package-lock.json

$(MARP_STAMP): presentation/package.json presentation/package-lock.json
	cd presentation && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

## slides-tools: the pinned Marp CLI (npm, into presentation/node_modules) and headless Chromium
slides-tools: browser-tools $(MARP_STAMP)

## slides: fill presentation/deck.md from reports/ and the figures (bihar deck), then build
##   presentation/build/deck.html, deck.pdf and deck.pptx, offline
slides: install slides-tools data/weather.db
	$(BIN)/bihar deck
	scripts/slides.sh presentation/build

# --- container ---
CONTAINER := scripts/container
.PHONY: container-tools runtime-requirements container-lint container-test bench-container container-demo demo-state

## container-tools: install docker.io, docker-registry, debootstrap, shellcheck, docker-compose
##   (apt) and the npm linters (under ~/.cache/bihar) when missing
container-tools:
	$(CONTAINER)/tools.sh

## runtime-requirements: regenerate requirements/runtime.txt, the image's exact pins
runtime-requirements: install
	$(BIN)/python $(CONTAINER)/runtime_requirements.py

## container-lint: actionlint + shellcheck on the workflow, dockerfilelint, shellcheck on scripts
container-lint: install container-tools
	PYTHON=$(BIN)/python $(CONTAINER)/lint.sh

## container-test: own dockerd, debootstrap base, cold build, rebuild after a code change,
##   registry round trip, contract tests (writes no report)
container-test: install container-tools data/weather.db
	BIHAR_CONTAINER=1 $(BIN)/pytest -m container tests/container

## bench-container: the container suite, writing its build, push and pull times to
##   reports/container.{json,md}
bench-container: install container-tools data/weather.db
	BIHAR_CONTAINER=1 BIHAR_CONTAINER_REPORTS=reports $(BIN)/pytest -m container tests/container

## demo-state: the committed demo state, remade (deterministic: same rows, same model SHA-256):
##   data/weather.db with the years the model uses, refreshed for DATE, one version in
##   model/registry/, the monitoring figure in monitoring/output/
demo-state: install
	DATE=$(DATE) LOCATION=$(LOCATION) scripts/demo_state.sh

# The demo state when it is missing (it is committed): what the image and the demo serve.
data/weather.db:
	$(MAKE) demo-state

## container-demo: build the image here and serve it on 127.0.0.1:$(PORT) until Ctrl-C
PORT ?= 8000
container-demo: install container-tools data/weather.db
	PYTHON=$(BIN)/python $(CONTAINER)/demo.sh $(PORT)

# --- French review sentiment ---
.PHONY: sentiment-corpus notebook-sentiment sentiment-candidates

## sentiment-corpus: download the French Debian packages (Littré, manpages, help pages), build the
##   corpus and train its word2vec vectors into .cache/sentiment (outside git)
sentiment-corpus: install
	$(BIN)/python -m bihar.sentiment.corpus

## notebook-sentiment: execute notebooks/02_review_sentiment.ipynb in place (writes reports/sentiment.json)
notebook-sentiment: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=3600 \
	  notebooks/02_review_sentiment.ipynb

## sentiment-candidates: the candidate stacking bases on validation, the paired folds and a second
##   5-fold split (~16 min; never reads test) → reports/sentiment_stack_candidates.json
sentiment-candidates: install
	$(BIN)/python scripts/sentiment_stack_candidates.py

# --- the review classifier as a product ---
.PHONY: sentiment-selection sentiment-model bench-sentiment

## sentiment-selection: 3 x 5-fold CV of the cheap candidates on train + validation (~10 min, never
##   reads test) → model/review_sentiment.json and the `selection` section of reports/sentiment.json
sentiment-selection: install
	$(BIN)/bihar sentiment select

## sentiment-model: fit model/review_sentiment.json on train + validation, score it once on test,
##   publish model/registry/review-sentiment/<version>/ (+ `shipped_model` in reports/sentiment.json)
sentiment-model: install
	$(BIN)/bihar sentiment train

## bench-sentiment: reviews per second of `bihar sentiment classify --file` on the 1,000 test reviews
##   (one thread), load time and size on disk of the newest version → reports/sentiment_bench.*
bench-sentiment: install
	@test -d model/registry/review-sentiment || $(MAKE) sentiment-model
	$(BIN)/python benchmarks/sentiment.py

# --- time-series experiments ---
.PHONY: notebook-forecast

## notebook-forecast: execute notebooks/03_temperature_forecasting.ipynb in place (Boston
##   experiments, ~5 min): writes model/config.json and reports/forecast_experiments.json
notebook-forecast: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=3600 notebooks/03_temperature_forecasting.ipynb

# --- vision (field-image classification) ---
.PHONY: vision-tiles notebook-vision

## vision-tiles: build (or reuse) the cached CWFID tile dataset under .cache/vision
vision-tiles: install
	$(BIN)/python -m bihar.vision.tiles

## notebook-vision: execute notebooks/01_field_image_classification.ipynb in place (writes reports/vision.json)
notebook-vision: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=3600 notebooks/01_field_image_classification.ipynb

## bench-vision-training: one training epoch of notebook 01's costliest networks, layout × allocator → reports/vision_training.*
bench-vision-training: install
	$(BIN)/python benchmarks/vision_training.py

# --- the field-image model as a product, and its C runtime (edge/) ---
.PHONY: vision-model edge edge-tools bench-edge

## vision-model: train the model notebook 01 chose (model/field_images.json) on the training +
##   validation photos, score it on test, publish model/registry/field-images/<version>/
vision-model: install
	$(BIN)/bihar vision train

## edge-tools: clang, the aarch64 cross compiler, qemu-user, libpng, valgrind (apt) when missing
edge-tools:
	scripts/edge/tools.sh

## edge: build the C runtime — library, CLI and C unit tests (make -C edge)
edge: edge-tools
	$(MAKE) -C edge

## bench-edge: the C runtime against PyTorch and onnxruntime (one thread) on the newest trained
##   version, sizes, peak RSS, agreement on the 21 test photos → reports/edge.*
bench-edge: install edge
	$(BIN)/python benchmarks/edge.py
