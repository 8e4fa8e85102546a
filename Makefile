# OneWindow: every check goes through here; CI runs `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_OUT ?= demo-out

.PHONY: setup demo test bench lint clean wheelhouse deb lock

setup: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

demo: setup
	$(VENV)/bin/onewindow demo $(if $(DISPLAY),,--headless) --out $(DEMO_OUT)

test: setup
	bash scripts/run-tests.sh

bench: setup
	bash scripts/run-bench.sh

lint: setup
	$(VENV)/bin/ruff check .

# Packaging (docs/deploy.md). The lock is packaging/constraints.txt; `make lock` refreshes it.
wheelhouse: setup
	$(PY) packaging/wheelhouse.py --tar

deb: setup
	$(PY) packaging/build_deb.py

lock: setup
	$(PY) packaging/lock.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) build dist *.egg-info .pytest_cache
