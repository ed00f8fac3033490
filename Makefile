# Two entry points: `make demo` and `make test`. Each bootstraps itself
# (apt packages, virtualenv, pip) through scripts/bootstrap.sh, which is
# idempotent and cheap when nothing changed.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.bootstrapped

.PHONY: demo test test-slow bench schema screenshots console-screenshots image clean lock

$(STAMP): pyproject.toml scripts/bootstrap.sh requirements/build.txt requirements/dev.txt
	VENV=$(VENV) bash scripts/bootstrap.sh

demo: $(STAMP)
	$(VENV)/bin/kiosk demo

test: $(STAMP)
	$(VENV)/bin/kiosk flows check flows/
	$(VENV)/bin/kiosk flows test flows/
	$(PY) -m pytest

# Slow tests include building the OS image and booting it under qemu (as root).
test-slow: $(STAMP)
	IMAGE=1 VENV=$(VENV) bash scripts/bootstrap.sh
	$(PY) -m pytest -m slow

# build/image/kiosk.cpio.zst and build/image/vmlinuz (as root; see docs/image.md)
image: $(STAMP)
	IMAGE=1 VENV=$(VENV) bash scripts/bootstrap.sh
	PYTHON=$(PY) image/build.sh

bench: $(STAMP)
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

schema: $(STAMP)
	$(VENV)/bin/kiosk flows schema > kiosk/schema/flow.schema.json
	$(VENV)/bin/kiosk flows schema --scenario > kiosk/schema/flow-test.schema.json
	$(VENV)/bin/kiosk flows schema --markdown > docs/flow-reference.md

# The console's pages, seeded, signed in through /login and photographed in Chromium, into docs/screenshots/console/.
console-screenshots: $(STAMP)
	PYTHONPATH=. $(PY) scripts/console_screenshots.py
	PYTHONPATH=. $(PY) scripts/shoot_alerts_stats.py

# The lock (requirements/*.txt, hashed) from pyproject.toml and requirements/build.in.
# dev.txt holds the back office's group too (the suite tests it); runtime.txt, the kiosk image's, does not.
# Keeps every pin it can; `make lock LOCK_ARGS=--upgrade` takes the newest allowed
# versions, `LOCK_ARGS="--upgrade-package aiohttp"` just one. Then run make test.
UV_VERSION := 0.13.9
UV := build/uv-$(UV_VERSION)/bin/uv
LOCK := $(UV) pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --index-url https://pypi.org/simple \
	--custom-compile-command "make lock" $(LOCK_ARGS)

$(UV):
	python3 -m venv build/uv-$(UV_VERSION)
	build/uv-$(UV_VERSION)/bin/pip install -q uv==$(UV_VERSION)

lock: $(UV)
	$(LOCK) pyproject.toml --extra dev --extra backoffice -o requirements/dev.txt
	$(LOCK) pyproject.toml -c requirements/dev.txt -o requirements/runtime.txt
	$(LOCK) requirements/build.in -c requirements/dev.txt -o requirements/build.txt

clean:
	rm -rf $(VENV) build *.egg-info

screenshots: $(STAMP)
	rm -rf build/shots && xvfb-run -a -s "-screen 0 1920x1920x24" $(VENV)/bin/kiosk flows test --ui --screenshots build/shots flows/
	for d in build/shots/*; do n=$$(basename $$d); rm -rf docs/screenshots/$$n; mkdir -p docs/screenshots/$$n; \
	  cp $$d/01-*.png docs/screenshots/$$n/; done
	rm -rf docs/screenshots/after-visit && mkdir -p docs/screenshots/after-visit
	xvfb-run -a -s "-screen 0 1920x1920x24" $(PY) tests/ui/endings_probe.py 1080x1920 docs/screenshots/after-visit docs
	xvfb-run -a -s "-screen 0 1920x1920x24" $(PY) tests/ui/endings_probe.py 1920x1080 docs/screenshots/after-visit elderly docs
	rm -rf docs/screenshots/home && for size in 1080x1920 1920x1080; do xvfb-run -a -s "-screen 0 1920x1920x24" \
	  $(PY) scripts/home_screenshots.py docs/screenshots/home $$size || exit 1; done
	$(PY) -c "from pathlib import Path; from PIL import Image; [(lambda im: (im.thumbnail((540, 960)), im.save(p, optimize=True)))(Image.open(p)) for p in Path('docs/screenshots').rglob('*.png')]"
