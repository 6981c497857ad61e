# The two commands of the README. Each does all of its own setup on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test lint bench demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: install, build the Boli demo twin if missing, start the app on localhost
run: $(STAMP)
	$(BIN)/twin layers --json | grep -q '"name"' || $(BIN)/twin demo  # the store $$TWIN_STORE names
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address 127.0.0.1 \
	  --server.maxUploadSize $$($(BIN)/python -c 'import math; from twin.config import upload_limit_mb; print(math.ceil(upload_limit_mb()))')

## make test: install and run the whole suite (ruff first)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q; s=$$?; \
	if [ $$s -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$s

lint: $(STAMP)
	$(BIN)/ruff check .

demo: $(STAMP)
	$(BIN)/twin demo

bench: $(STAMP)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
