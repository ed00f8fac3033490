# Two entry points: `make demo` and `make test`. Each bootstraps itself
# (apt packages, virtualenv, pip) through scripts/bootstrap.sh, which is
# idempotent and cheap when nothing changed.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.bootstrapped

.PHONY: demo test test-slow bench lint-flows schema clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	VENV=$(VENV) bash scripts/bootstrap.sh

demo: $(STAMP)
	$(VENV)/bin/kiosk demo

test: $(STAMP)
	$(VENV)/bin/kiosk flows check flows/
	$(VENV)/bin/kiosk flows test flows/
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

bench: $(STAMP)
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

schema: $(STAMP)
	$(VENV)/bin/kiosk flows schema > kiosk/schema/flow.schema.json

clean:
	rm -rf $(VENV) build *.egg-info
