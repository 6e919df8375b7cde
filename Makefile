# The two commands of the README: `make run` and `make test`. Both run `make setup` first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PORT ?= 5000
VENDOR := consult/static/vendor
DSFR := node_modules/@gouvfr/dsfr/dist

.PHONY: install setup run serve-prod worker test system-deps bench lint translations clean

# The demo (public password) is seeded by `make run` only, and `consult seed-demo` refuses outside development:
# neither `install` (what production runs, README "Running in production") nor `setup` ever creates it.
install: $(STAMPS)/python $(STAMPS)/frontend ## install Python and front-end packages, compile translations; no database
	$(BIN)/pybabel compile --use-fuzzy --statistics -d consult/translations

setup: install ## install, then migrate the development database
	$(BIN)/consult db upgrade

$(STAMPS)/python: pyproject.toml constraints.txt
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# DSFR's terms of use reserve it for State services; .dsfr.yml records the DNS's acceptance (see README).
$(STAMPS)/frontend: package.json package-lock.json .dsfr.yml
	@mkdir -p $(STAMPS)
	DSFR_ACCEPT_LICENSE=1 npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/dsfr/utility/icons $(VENDOR)/htmx
	cp $(DSFR)/dsfr.min.css $(DSFR)/dsfr.module.min.js $(DSFR)/dsfr.nomodule.min.js $(VENDOR)/dsfr/
	cp -r $(DSFR)/fonts $(DSFR)/favicon $(DSFR)/icons $(VENDOR)/dsfr/
	cp $(DSFR)/utility/icons/icons.min.css $(VENDOR)/dsfr/utility/icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	@touch $@

run: setup ## seed the demo and serve it on http://127.0.0.1:$(PORT) (development only)
	$(BIN)/consult seed-demo
	$(BIN)/consult run --host 127.0.0.1 --port $(PORT)

# Production web server (README "Running in production"): gunicorn, $(WORKERS) workers on $(BIND), behind the TLS
# proxy. Refuses to start unless CONSULT_ENV=production, PostgreSQL, Redis and a strong secret key are configured.
WORKERS ?= 4
BIND ?= 127.0.0.1:8000
serve-prod: install ## production server (gunicorn, several workers; needs the production environment, see README)
	$(BIN)/gunicorn --config config/gunicorn.conf.py --workers $(WORKERS) --bind $(BIND)

worker: setup ## run background jobs from Redis (needs CONSULT_REDIS_URL; without it `make run` runs them itself)
	$(BIN)/consult worker

test: system-deps setup ## the whole suite: unit, web, PostgreSQL, browser
	bash scripts/test.sh

system-deps: ## install (as root) or name the Debian packages the suite needs: chromium, redis, postgresql, poppler
	bash scripts/system-deps.sh

bench: setup ## list the benchmarks and the command that runs each (bench/RESULTS.md holds the figures)
	$(BIN)/python -m bench

lint:
	$(BIN)/ruff check consult nlp tests bench

translations: ## refresh the English catalogue from the French strings in code and templates
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o consult/translations/messages.pot .
	$(BIN)/pybabel update -i consult/translations/messages.pot -d consult/translations --no-fuzzy-matching --width 110
	$(BIN)/python scripts/fr_plurals.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) $(STAMPS)
