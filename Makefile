# Staybook — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# A throw-away key for production-settings runs (tests, checks, bench): the settings refuse placeholders.
RANDOM_KEY = $$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')

.PHONY: run run-prod test bench lint install migrate check messages compilemessages

$(STAMP): requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

## A development checkout's .env (DEBUG=1, a generated SECRET_KEY), written once; an existing .env is never touched.
.env:
	$(PYTHON) scripts/dev_env.py .env

## Translations (README, Languages): collect the marked strings of every shipped language into locale/*/django.po
## (Django's makemessages, which needs GNU gettext's xgettext: translators' machines only), then compile them
## with Babel (pure Python: what `make run` and `make test` do, so a fresh machine needs no gettext).
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=staticfiles --ignore=media --ignore=tests --ignore=bench \
	--ignore=templates/styleguide.html --ignore=payments/sandbox_bank
messages: install
	$(PY) scripts/i18n.py fragments
	DEBUG=1 $(PY) manage.py makemessages --no-obsolete -e html,txt,py $(MESSAGES_IGNORE) \
		$$($(PY) scripts/i18n.py languages | sed 's/[^ ][^ ]*/-l &/g'); status=$$?; rm -f fragments/_messages.py; exit $$status

compilemessages: install
	$(PY) scripts/i18n.py compile

migrate: install .env compilemessages
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py setup_periodic_tasks
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo --if-empty
	DEBUG=$${DEBUG:-1} $(PY) manage.py supplier_demo

## Set everything up and serve the site on http://127.0.0.1:8000 with Celery worker, beat, the sandbox bank and the
## sandbox supplier (partner hotels in search, port 8002).
run: migrate
	mkdir -p var/celery/queue var/celery/processed var/celery/control var/mail
	DEBUG=$${DEBUG:-1} $(VENV)/bin/honcho start

## The whole test suite: on a throw-away embedded PostgreSQL, or on DATABASE_URL when it is set.
test: install compilemessages
	mkdir -p var
	EMBEDDED_PG_DIR=$${EMBEDDED_PG_DIR:-$(CURDIR)/var/postgres-test} DEBUG=0 SECRET_KEY=$(RANDOM_KEY) PAYMENT_SANDBOX=1 SECURE_SSL_REDIRECT=0 \
		$(PY) -m pytest $(PYTEST_ARGS)

## Production profile: gunicorn, Celery worker and one beat; settings from the environment (docs/deploy.md).
run-prod:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements/prod.txt
	$(PY) scripts/i18n.py compile
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 $(PY) manage.py collectstatic --noinput
	DEBUG=0 $(PY) manage.py setup_periodic_tasks
	DEBUG=0 $(VENV)/bin/honcho -f Procfile.prod start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -r config accounts hotels bookings payments notifications partners suppliers -ll

## Production-settings checks CI runs: lint, bandit, complete translations (scripts/i18n.py check), `check --deploy`, no missing migrations, and pip-audit over the
## pinned requirements (a warning, not a failure, when no advisory source can be reached).
check: lint
	$(PY) scripts/i18n.py check
	$(PY) scripts/audit_requirements.py
	DEBUG=0 SECRET_KEY=$(RANDOM_KEY) ALLOWED_HOSTS=staybook.example \
		PAYMENT_BANK_URL=https://bank.example PAYMENT_BANK_API_KEY=$(RANDOM_KEY) PAYMENT_WEBHOOK_SECRET=$(RANDOM_KEY) \
		EMBEDDED_PG_DIR=$${EMBEDDED_PG_DIR:-$(CURDIR)/var/postgres-test} \
		$(PY) manage.py check --deploy --fail-level WARNING
	DEBUG=0 SECRET_KEY=$(RANDOM_KEY) PAYMENT_SANDBOX=1 EMBEDDED_PG_DIR=$${EMBEDDED_PG_DIR:-$(CURDIR)/var/postgres-test} \
		$(PY) manage.py makemigrations --check --dry-run

bench: install
	DEBUG=0 SECRET_KEY=$(RANDOM_KEY) PAYMENT_SANDBOX=1 SEARCH_RATE_ANONYMOUS= $(PY) -m bench $(BENCH_ARGS)
