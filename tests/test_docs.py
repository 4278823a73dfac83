"""Every example on the docs pages runs.

How a page's examples are tested (for whoever writes a page):

* Python examples are doctests (``>>>`` lines with their output, no
  ``.. code-block:: python``): pytest runs every ``docs/*.rst`` page as one
  doctest (``--doctest-glob=*.rst`` in setup.cfg), so the examples must be
  complete, fast and use the built-in karate graph (PyG's ``KarateClub`` or
  ``graphrep.datasets.load_graph("karate")``) or generated graphs.
* Command-line examples go in ``.. code-block:: console`` blocks: this file
  runs each ``$ ...`` line in order, in a fresh folder per page (``graphrep``
  is the command of the interpreter running the tests), and compares the
  lines after a command with its stdout (``...`` matches anything).
* Commands that reproduce a measured result (``python examples/...``,
  ``python benchmarks/...``) take minutes to hours and real data, so they
  are not run: this file checks that each script exists and accepts every
  option the page passes it.
* No page, README included, names a path of a particular machine.
"""
import doctest
import functools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
TEXTS = PAGES + sorted(DOCS.glob("*.inc")) + [REPO / "README.md"]


def _console_blocks(text):
    """``[(command, expected stdout lines)]`` of every console block, in order."""
    steps = []
    for block in re.finditer(r"^\.\. code-block:: console\n\n((?:(?:    .*)?\n)+)", text, re.MULTILINE):
        for line in block.group(1).splitlines():
            if line.startswith("    $ "):
                steps.append((line[6:], []))
            elif line.strip() and steps:
                steps[-1][1].append(line[4:])
    return steps


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_python_examples_are_doctests(page):
    text = page.read_text()
    assert not re.search(r"^\.\. (code-block|code|sourcecode):: (python|py|pycon)\b", text, re.MULTILINE), \
        f"{page.name}: write Python examples as >>> doctests so that they run with the tests"


@pytest.mark.parametrize("page", [page for page in PAGES if _console_blocks(page.read_text())],
                         ids=lambda path: path.name)
def test_console_examples_run(page, tmp_path):
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    prelude = f'graphrep() {{ {shlex.quote(sys.executable)} -m graphrep "$@"; }}\nset -e\n'
    for command, expected in _console_blocks(page.read_text()):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        result = subprocess.run(["bash", "-c", prelude + command], cwd=tmp_path, capture_output=True, text=True,
                                env=env)
        assert result.returncode == 0, f"{page.name}: $ {command}\n{result.stderr}"
        if expected:
            want = "\n".join(expected) + "\n"
            assert checker.check_output(want, result.stdout, flags), \
                f"{page.name}: $ {command}\nexpected:\n{want}got:\n{result.stdout}"


def _script_commands(text):
    """``(script, options)`` of every ``python examples/...`` or ``python
    benchmarks/...`` command, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    for match in re.finditer(r"python ((?:examples|benchmarks)/[\w/]+\.py)([^\n`]*)", joined):
        yield match.group(1), re.findall(r"(?<![\w-])(--[a-z][\w-]*)", match.group(2))


@functools.lru_cache(maxsize=None)
def _help_text(script):
    result = subprocess.run([sys.executable, str(REPO / script), "--help"], capture_output=True, text=True,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: path.name)
def test_result_commands_name_real_scripts_and_options(text):
    for script, options in _script_commands(text.read_text()):
        path = REPO / script
        assert path.is_file(), f"{text.name}: {script} does not exist"
        source = path.read_text()
        # An option spelled out in the source is there; one built at run time must show in --help.
        unknown = [option for option in options if f'"{option}"' not in source
                   and not re.search(rf"{option}\b", _help_text(script))]
        assert unknown == [], f"{text.name}: {script} has no option {unknown}"


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: path.name)
def test_no_machine_specific_paths(text):
    assert not re.findall(r"/work/|/home/\w+|/Users/\w+", text.read_text())


def test_benchmark_include_is_not_a_page():
    assert not (DOCS / "_orbits_benchmark.rst").exists()
    assert ".. include:: _orbits_benchmark.inc" in (DOCS / "orbits.rst").read_text()


def test_every_page_is_in_the_table_of_contents():
    index = (DOCS / "index.rst").read_text()
    assert [page.stem for page in PAGES if page.stem != "index" and f"   {page.stem}\n" not in index] == []
