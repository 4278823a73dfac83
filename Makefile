# The README's two commands are `make demo` and `make test`; both install
# what is missing first and are safe to repeat.
PYTHON ?= python3
TORCH_CPU ?= torch==2.13.0
STAMP := .make/installed

.PHONY: install demo test docs clean

$(STAMP): setup.cfg setup.py pyproject.toml $(wildcard csrc/*.cpp csrc/*.h)
	$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install "$(TORCH_CPU)"
	$(PYTHON) -m pip install -e ".[test,docs,bench]"
	@mkdir -p .make && touch $(STAMP)

install: $(STAMP)

demo: install
	$(PYTHON) -m graphrep orbits --dataset karate -o karate-orbits --overwrite

test: install
	$(PYTHON) -m pytest -q
	$(MAKE) docs

docs: install
	$(PYTHON) -m sphinx -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf .make build docs/_build karate-orbits graphrep/_core*.so
