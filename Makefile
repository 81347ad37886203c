# The README's two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REPORTS ?= reports

.PHONY: demo test install clean-reports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	touch $@

install: $(VENV)/.installed

# Profile every bundled sample dataset; write one HTML and one JSON report each into reports/.
demo: install
	@mkdir -p $(REPORTS)
	@for d in sample_data/clean_* sample_data/defect_*; do \
	  case "$$d" in *.json|*.md) continue;; esac; \
	  name=$$(basename "$$d"); name=$${name%.*}; \
	  echo "== datacheck profile $$d"; \
	  $(BIN)/datacheck profile "$$d" --html $(REPORTS)/$$name.html --json $(REPORTS)/$$name.json --fail-on never || exit 2; \
	  echo; \
	done
	@echo "Reports written to $(REPORTS)/ (open $(REPORTS)/defect_imbalance.html in a browser)."

test: install
	$(BIN)/python -m pytest -q

clean-reports:
	rm -rf $(REPORTS)
