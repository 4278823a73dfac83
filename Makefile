# The README's two commands are `make demo` and `make test`; both install
# what is missing first and are safe to repeat.
#
# PYTHON is the interpreter everything is installed into and run with: the
# active virtual environment's python, else python3. Another one:
# `make test PYTHON=/path/to/python`.
ifneq ($(VIRTUAL_ENV),)
PYTHON ?= $(VIRTUAL_ENV)/bin/python
endif
PYTHON ?= python3
# Installed only when no torch is importable, so a CUDA build installed
# beforehand is kept.
TORCH_CPU ?= torch==2.13.0

# One install stamp per interpreter (its path) and per content of the setup
# files: another interpreter, or an edited setup.cfg, installs again.
SETUP_FILES := setup.cfg setup.py pyproject.toml
INSTALL_KEY := $(shell $(PYTHON) -c "import hashlib, sys; digest = lambda data: hashlib.sha256(data).hexdigest()[:16]; print(digest(sys.executable.encode()) + '-' + digest(b''.join(open(name, 'rb').read() for name in sys.argv[1:])))" $(SETUP_FILES) 2>/dev/null)
ifeq ($(INSTALL_KEY),)
ifneq ($(MAKECMDGOALS),clean)
$(error cannot run "$(PYTHON)": activate a virtual environment first (python3 -m venv .venv && . .venv/bin/activate) or pass PYTHON=/path/to/python)
endif
endif
STAMP := .make/$(INSTALL_KEY).installed

.PHONY: install demo test docs clean

$(STAMP): $(SETUP_FILES) $(wildcard csrc/*.cpp csrc/*.h)
	$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install "$(TORCH_CPU)"
	$(PYTHON) -m pip install -e ".[test,docs,bench]"
	@mkdir -p .make
	@$(PYTHON) -c "import sys; print(sys.executable)" > $(STAMP)

install: $(STAMP)

demo: install
	$(PYTHON) -m graphrep orbits --dataset karate -o karate-orbits --overwrite

# pytest runs the unit tests, every docstring example, every example on the
# docs pages (docs/*.rst) and the packaging check; then the docs are built
# with warnings as errors.
test: install
	$(PYTHON) -m pytest -q
	$(MAKE) --no-print-directory docs

# The site works offline: no page loads a script or a stylesheet from the network.
docs: install
	$(PYTHON) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@! grep -rlE '<(script|link)[^>]*(src|href)="(https?:)?//' docs/_build/html --include=*.html \
		|| { echo "docs: the pages above load a script or stylesheet from the network"; exit 1; }

clean:
	rm -rf .make build dist docs/_build karate-orbits graphrep/_core*.so
