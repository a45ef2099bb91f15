# account_dunning: the README's commands. The repository root is the addon.
ODOO_BIN ?= odoo
PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
DEMO_DB ?= account_dunning_demo
HTTP_PORT ?= 8069

export ODOO_BIN PYTHON

.PHONY: help tools lint test demo serve bench pot screenshots

help:
	@echo "make test   - run every test on a fresh database (needs Odoo 18 and PostgreSQL)"
	@echo "make demo   - create or refresh the '$(DEMO_DB)' database with demo data"
	@echo "make serve  - serve '$(DEMO_DB)' on localhost:$(HTTP_PORT)"
	@echo "make lint   - ruff and pylint-odoo's mandatory checks"
	@echo "make tools  - install the lint and unit-test tools from PyPI into .venv"
	@echo "make bench  - time a dunning run against OCA credit control (BENCH_N=20000)"
	@echo "make pot    - regenerate i18n/account_dunning.pot from the demo database"
	@echo "make screenshots - the letters, the worklist, a customer's history, a held notice's preview, a statement, the forecast and trend charts and a customer's risk into static/description/"

tools:
	@test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/python -m pip install --quiet --upgrade pip
	.venv/bin/python -m pip install --quiet -r .ci/requirements-tools.txt

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pylint --rcfile=.pylintrc-mandatory --recursive=y --ignore=.venv,.ci,scripts .

test:
	@.ci/odoo-test

bench:
	@scripts/odoo-bench

demo:
	@scripts/odoo-demo "$(DEMO_DB)"

pot:
	@.ci/odoo-env-check
	@.ci/odoo-test-deps --manifest
	$(ODOO_BIN) -d "$(DEMO_DB)" --addons-path="$$(.ci/odoo-addons-path)" -u account_dunning \
		--stop-after-init --no-http
	$(ODOO_BIN) -d "$(DEMO_DB)" --addons-path="$$(.ci/odoo-addons-path)" --modules=account_dunning \
		--i18n-export="$(CURDIR)/i18n/account_dunning.pot" --stop-after-init --no-http

serve:
	@scripts/odoo-serve "$(DEMO_DB)" "$(HTTP_PORT)"

screenshots:
	ACCOUNT_DUNNING_SCREENSHOTS="$(CURDIR)/static/description" SKIP_LIFECYCLE=1 SKIP_ODOO_SUITES=1 \
		TEST_TAGS=/account_dunning:TestDunningLetters.test_each_letter_kind,/account_dunning:TestDunningUi.test_collector_logs_a_call_with_a_promise_from_the_worklist,/account_dunning:TestDunningUi.test_held_final_demand_previewed_then_sent,/account_dunning:TestCollectionDocuments.test_the_statement_shows_the_aging_the_payments_and_the_total,/account_dunning:TestPaymentPlanDocuments.test_the_agreement_shows_the_schedule_the_words_and_the_next_installments_qr,/account_dunning:TestAnalysisCharts .ci/odoo-test
