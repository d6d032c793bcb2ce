# CourseReel. `make run` serves the demo; `make test` runs the whole suite. Both set up .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint migrate clean chromium axe

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	./scripts/run.sh

# The browser tests drive Debian's Chromium (never a downloaded build): installed here when
# missing and we may (root with apt-get), otherwise `make test` stops at once saying how.
CHROMIUM := $(or $(CHROMIUM_PATH),/usr/bin/chromium)
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium not found at $(CHROMIUM): the browser tests need it. Run: sudo apt-get install chromium"; \
	    echo "(or set CHROMIUM_PATH to a Chromium binary)"; \
	    exit 1; \
	  fi; \
	fi
	@# A Chinese font, so the zh-hans screenshots are readable (boxes otherwise); only a warning.
	@if ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null || true; \
	  else \
	    echo "No Chinese font: zh-hans screenshots will show boxes. Run: sudo apt-get install fonts-wqy-microhei"; \
	  fi; \
	fi

# axe-core (accessibility rules the browser tests run in each page): the npm registry's
# package, pinned and checked against its published integrity, unpacked under var/tools.
AXE_VERSION := 4.14.1
AXE_INTEGRITY := sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE_JS := var/tools/axe-core-$(AXE_VERSION)/axe.min.js
axe: $(AXE_JS)
$(AXE_JS):
	@command -v npm >/dev/null || { echo "npm not found: the accessibility tests need it once. Run: sudo apt-get install npm"; exit 1; }
	mkdir -p var/tools/axe-core-$(AXE_VERSION)
	cd var/tools && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	@actual="sha512-$$(openssl dgst -sha512 -binary var/tools/axe-core-$(AXE_VERSION).tgz | base64 -w0)"; \
	  if [ "$$actual" != "$(AXE_INTEGRITY)" ]; then echo "axe-core: integrity mismatch ($$actual)"; exit 1; fi
	tar -xzf var/tools/axe-core-$(AXE_VERSION).tgz -C var/tools/axe-core-$(AXE_VERSION) --strip-components=1 package/axe.min.js
	rm var/tools/axe-core-$(AXE_VERSION).tgz

test: $(STAMP) chromium $(AXE_JS)
	mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks print `bench <name> = <number> <unit>` lines; SCALE multiplies their data sizes.
SCALE ?= 1
BENCH_PACKAGES := var/bench-packages
BENCH_STAMP := $(BENCH_PACKAGES)/.installed

# statsforecast (the forecast bench's reference) pins pandas<3 but runs with the app's pandas:
# installed without its resolver into a folder of its own that only bench_forecast.py reads.
$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(BENCH_PACKAGES) -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP)
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
