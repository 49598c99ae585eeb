# Two commands on a fresh machine: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres,mysql]'
	touch $(STAMP)

## Run the main job on the bundled sample data with the embedded SQLite default.
demo: $(STAMP)
	$(VENV)/bin/pii-audit demo --dir demo-output

## Set up and run the whole test suite.
test: $(STAMP)
	$(VENV)/bin/pytest -q

## Print the accuracy and speed figures.
bench: $(STAMP)
	$(PY) bench/accuracy.py

clean:
	rm -rf $(VENV) build dist *.egg-info demo-output
