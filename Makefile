# Two commands matter (README's quick start): `make explore` and `make test`.
# Both create the virtual environment .venv on first use and reinstall when pyproject.toml changes,
# installing the package editable with every extra: [lab] (JupyterLab), [classroom] (Voila), [test],
# [hub] (JupyterHub); and JupyterHub's proxy from npm into .venv/node_modules.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOK ?= notebooks/00_tour.ipynb
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup proxy explore classroom hub browser test bench train clean

CLASSROOM_PORT ?= 8866

# PYTHONWARNINGS silences one note only: setuptools' "Editable installation" reminder, which it
# prints for every editable install of a flat layout (the package beside tests/ and notebooks/);
# it is not about our metadata, which tests/test_package.py checks prints no warning.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[lab,classroom,test,hub]"
	touch $(STAMP)

# JupyterHub's proxy is a node program, configurable-http-proxy, pinned and installed from its npm
# release beside the virtual environment's Python (deploy/jupyterhub_config.py looks there).
# 5.2.0: 5.3.0 depends on a commander that asks for node >= 22.12. Without npm the hub test is
# skipped with a message (under CI it fails instead).
CHP_VERSION := 5.2.0
$(VENV)/node_modules/.chp-$(CHP_VERSION): | $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix $(VENV) --no-save --no-audit --no-fund --loglevel=error configurable-http-proxy@$(CHP_VERSION) \
	  && touch $@; \
	else echo "npm is missing: configurable-http-proxy not installed, the JupyterHub test will be skipped (apt-get install npm)"; fi

proxy: $(VENV)/node_modules/.chp-$(CHP_VERSION)

setup: $(STAMP) proxy

explore: setup  ## set up and open the explorer in JupyterLab
	$(BIN)/jupyter lab $(ROOT_FLAG) $(NOTEBOOK)

classroom: setup  ## serve the classroom app with Voila on localhost (it prints one address per scenario)
	$(BIN)/python -m explorer classroom --port=$(CLASSROOM_PORT)

HUB_DATA ?= hub-data
hub: setup  ## a JupyterHub on port 8000 giving each student the classroom app (set BACKPROP_CLASS_PASSWORD)
	mkdir -p $(HUB_DATA) && cd $(HUB_DATA) && $(abspath $(BIN))/jupyterhub -f $(abspath deploy/jupyterhub_config.py)

# The browser tests drive Debian's chromium (no browser download). Installed when missing and
# this is a root shell with apt-get (CI, fresh machines); otherwise those tests are skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: the browser tests will be skipped (sudo apt-get install chromium)"; fi; }

test: setup browser  ## set up and run every test, notebooks, browser and the wheel's own (slow) test included
	$(BIN)/python -m pytest

bench: setup  ## print the speed figures quoted in README
	$(BIN)/python -m explorer bench

train: setup  ## train [784, 30, 10] on the shipped digits, as in the book
	$(BIN)/python -m explorer train

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info build dist
