# Two entry points for a fresh clone; both create .venv and install what they need.
#   make demo   -> numbers-bot search US LOCAL --sandbox (built-in Sinch sandbox, no credentials)
#   make test   -> lock check, ruff, mypy (strict) and the whole pytest suite
# Dependencies: edit pyproject.toml, then `make lock`; `make upgrade [PACKAGE=name]` moves pins.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The project on top of the locked dependencies: editable (the checkout is what runs), without
# dependencies (the lock has them all) and without build isolation (setuptools comes from the
# lock too, so nothing unpinned is fetched). setuptools reports the editable mode it chose as a
# warning, "Editable installation. Please be careful with folders ...", on every install; it is
# information only (setuptools.warnings.InformationOnly), so this one message is filtered.
INSTALL_PROJECT := PYTHONWARNINGS="ignore:Editable installation:UserWarning" \
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
# uv compiles both locks from pyproject.toml, with hashes, for every platform (--universal),
# keeping the pins it already has unless pyproject.toml or UPGRADE asks otherwise.
COMPILE := $(BIN)/uv pip compile --quiet pyproject.toml --universal --generate-hashes \
	--custom-compile-command "make lock"

.PHONY: demo test lockcheck lint typecheck postgres pytest serve bench lock upgrade clean

$(STAMP): requirements-dev.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	$(INSTALL_PROJECT)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/numbers-bot search US LOCAL --sandbox

serve: $(STAMP)
	$(BIN)/numbers-bot serve --sandbox

# Standard library only: runs before (and without) the virtualenv.
lockcheck:
	$(PY) tools/lock.py check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The store tests start their own PostgreSQL server (tests/pg_server.py) from the system's
# initdb/pg_ctl. A machine without them gets Debian's package when make runs as root with apt
# (CI, a fresh PaaS-like box); anywhere else, one line says what to install.
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } || \
	{ echo "make test needs PostgreSQL's initdb and pg_ctl (the tests start their own server):" \
	  "apt-get install postgresql, brew install postgresql, or put them on PATH" >&2; exit 2; }

pytest: $(STAMP) postgres
	$(BIN)/pytest

test: lockcheck lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# requirements.txt is what the buildpack deploys; requirements-dev.txt adds the dev tools and
# is constrained to the same runtime pins, so `make test` tests exactly what is deployed.
lock: $(STAMP)
	$(COMPILE) $(UPGRADE) -o requirements.txt
	$(COMPILE) $(UPGRADE) --extra dev -c requirements.txt -o requirements-dev.txt
	$(PY) tools/lock.py stamp

upgrade:
	$(MAKE) lock UPGRADE="$(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)"

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
