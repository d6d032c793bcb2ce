# CourseReel. `make run` serves the demo; `make test` runs the whole suite. Both set up .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint migrate clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	./scripts/run.sh

test: $(STAMP)
	mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks print `bench <name> = <number> <unit>` lines; SCALE multiplies their data sizes.
SCALE ?= 1
bench: $(STAMP)
	mkdir -p var
	@for script in bench/bench_*.py; do \
	  echo "== $$script"; \
	  SCALE=$(SCALE) $(BIN)/python $$script || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

clean:
	rm -rf var db.sqlite3 db.sqlite3-* staticfiles .pytest_cache
