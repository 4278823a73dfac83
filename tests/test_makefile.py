"""The install logic behind ``make demo`` and ``make test``, run against two
fresh interpreters (virtual environments) in one checkout.

Each environment gets a stand-in ``pip`` that records its arguments, so the
test checks what ``make`` asks each interpreter to install without
downloading anything; a stand-in ``torch`` plays a GPU build installed
beforehand.
"""
import os
import shutil
import subprocess
import venv

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

RECORDING_PIP = """import os, sys
with open(os.path.join(sys.prefix, "pip-calls.txt"), "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
"""


def _environment(folder, *, torch=False):
    """A fresh virtual environment whose ``python -m pip`` only records."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (pip := folder / site / "pip").mkdir(parents=True)
    (pip / "__init__.py").write_text("")
    (pip / "__main__.py").write_text(RECORDING_PIP)
    if torch:
        (folder / site / "torch.py").write_text("")
    return python


def _pip_calls(python):
    log = python.parent.parent / "pip-calls.txt"
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


@pytest.fixture
def checkout(tmp_path):
    folder = tmp_path / "checkout"
    folder.mkdir()
    for name in ("Makefile", "setup.cfg", "setup.py", "pyproject.toml"):
        shutil.copy(REPO / name, folder / name)
    return folder


def _make(checkout, *targets, python=None, virtual_env=None):
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHON", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    if virtual_env is not None:
        env["VIRTUAL_ENV"] = str(virtual_env)
    command = ["make", "--no-print-directory", *targets] + ([f"PYTHON={python}"] if python else [])
    result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_each_interpreter_gets_its_own_install(tmp_path, checkout):
    first = _environment(tmp_path / "first")
    second = _environment(tmp_path / "second", torch=True)

    _make(checkout, "install", python=first)
    assert _pip_calls(first) == ["install torch==2.13.0", "install -e .[test,docs,bench]"]
    _make(checkout, "install", python=first)
    assert _pip_calls(first) == []  # installed: nothing to do

    # Another interpreter in the same checkout installs again; its torch is kept.
    _make(checkout, "install", python=second)
    assert _pip_calls(second) == ["install -e .[test,docs,bench]"]
    assert _pip_calls(first) == []
    stamps = sorted((checkout / ".make").iterdir())
    assert len(stamps) == 2
    assert sorted(stamp.read_text().strip() for stamp in stamps) == sorted([str(first), str(second)])


def test_active_virtual_environment_is_the_default(tmp_path, checkout):
    active = _environment(tmp_path / "active")
    planned = _make(checkout, "-n", "demo", virtual_env=tmp_path / "active")
    assert f"{active} -m pip install -e" in planned
    assert f"{active} -m graphrep orbits --dataset karate" in planned


def test_changed_setup_files_install_again(tmp_path, checkout):
    python = _environment(tmp_path / "env", torch=True)
    _make(checkout, "install", python=python)
    assert _pip_calls(python) == ["install -e .[test,docs,bench]"]
    with open(checkout / "setup.cfg", "a") as handle:
        handle.write("\n# a new dependency\n")
    _make(checkout, "install", python=python)
    assert _pip_calls(python) == ["install -e .[test,docs,bench]"]


def test_missing_interpreter_is_named(checkout):
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHON", "VIRTUAL_ENV"}}
    result = subprocess.run(["make", "install", "PYTHON=/nonexistent/python"], cwd=checkout, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert 'cannot run "/nonexistent/python"' in result.stderr and "python3 -m venv .venv" in result.stderr

