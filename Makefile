# Two commands do everything on a fresh Debian 12 machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
FLASK := FLASK_APP=shop.app:create_app $(VENV)/bin/flask
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test serve setup system lint format messages bench-catalogue bench-invoices bench-quotas bench-load

## Set up what is missing, prepare the SQLite database with the demo city, serve on http://127.0.0.1:5000
run: setup
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo; echo "Demo logins (role, username, password):"; $(FLASK) demo users; echo
	$(FLASK) run --host 127.0.0.1 --port 5000

## Serve as in production: gunicorn with several workers (gunicorn.conf.py) on DATABASE_URL (PostgreSQL), after
## the migrations; the demo city when the database has no account yet (not with SHOP_ENV=production);
## http://127.0.0.1:8000 (PORT, WEB_CONCURRENCY); one log line per request on stdout. See docs/deploy.md
serve: setup
	scripts/serve.sh

## Set up what is missing, lint, and run every test on SQLite and on a throwaway PostgreSQL
test: setup lint
	scripts/test.sh

setup: system $(VENV)/.installed $(MO)

system:
	@scripts/install-system-packages.sh

$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -f -i $< -o $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Re-extract the interface strings into the catalogues (then translate the new ones in messages.po)
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ -o translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

## Benchmark the catalogue, a Chinese search and a checkout on 100,000 products (throwaway PostgreSQL, gunicorn,
## wrk on loopback; about a minute); see bench/README.md
bench-catalogue: setup
	$(VENV)/bin/python bench/catalogue.py

## Benchmark invoice PDFs (WeasyPrint, Chinese) and a month's ZIP of 1,000 invoices against a trivial page
## (throwaway SQLite; a few minutes); see bench/README.md
bench-invoices: setup
	$(VENV)/bin/python bench/invoices.py

## Benchmark the finance report for a city and a province (50,000 units, 2,000,000 paid orders; throwaway
## PostgreSQL; about four minutes); see bench/README.md
bench-quotas: setup
	$(VENV)/bin/python bench/quota_report.py

## Load test: gunicorn on a throwaway PostgreSQL with the province's catalogue and a city's year of orders,
## driven by locust (headless, a second process) with a mix of browse, search, product, checkout, pay and
## report, against /healthz as the baseline (about three minutes); see bench/README.md
bench-load: setup
	$(VENV)/bin/python bench/load.py
