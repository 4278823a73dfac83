"""The source distribution and the wheel built from it: complete, and built
without a single warning (``python -m build``, no network: the build
requirements come from the test extra)."""
import os
import re
import subprocess
import sys
import tarfile
import zipfile

import pytest

from tests.conftest import REPO

pytest.importorskip("build", reason="the packaging check needs the 'build' package (test extra)")

# What a user of the sdist needs to build, test and document graphrep.
SDIST_MUST_HOLD = [
    "LICENSE", "README.md", "Makefile", "setup.cfg", "setup.py", "pyproject.toml", ".ci/run",
    "csrc/orbits.cpp", "tests/conftest.py", "tests/test_cli.py", "tests/orbits/test_adjacency.py",
    "docs/conf.py", "docs/index.rst", "docs/results.rst", "docs/_orbits_benchmark.inc", "docs/_orbits_scale_benchmark.inc",
    "examples/irwe.py", "examples/results/orbits_benchmark.json", "benchmarks/orbits.py",
    "graphrep/datasets/data/karate.edgelist",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # Without PYTHONDONTWRITEBYTECODE, as a user builds (with it, setuptools
    # says it skips byte-compiling, which is no packaging problem).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout + result.stderr


def test_build_prints_no_warning(built):
    _, log = built
    warnings = [line for line in log.splitlines() if re.search(r"warn", line, re.IGNORECASE)]
    assert warnings == []


def test_sdist_carries_tests_docs_examples_and_licence(built):
    out, _ = built
    (sdist,) = out.glob("graphrep-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    missing = [name for name in SDIST_MUST_HOLD if name not in names]
    assert missing == []
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".so"))]
    assert not [name for name in names if name.startswith("docs/_build")]


def test_wheel_carries_package_data_and_licence(built):
    out, _ = built
    (wheel,) = out.glob("graphrep-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "graphrep/datasets/data/karate.edgelist" in names
    assert any(name.endswith("licenses/LICENSE") for name in names)
    assert not [name for name in names if name.startswith(("tests/", "docs/", "examples/"))]
