import json
import logging

import numpy as np
import pytest

from graphrep.io import atomic_file
from graphrep.utils import numba_compile_clock, seed_everything, write_json


def test_write_json_records_environment_atomically(tmp_path):
    path = write_json(tmp_path / "sub" / "results.json", {"seed": 3, "scores": np.array([0.5, 0.25])})
    payload = json.loads(path.read_text())
    assert payload["scores"] == [0.5, 0.25]
    assert payload["environment"]["versions"]["numpy"] == np.__version__
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


def test_seed_everything_repeats_numpy_draws():
    seed_everything(7)
    first = np.random.rand(3)
    seed_everything(7)
    np.testing.assert_array_equal(first, np.random.rand(3))


def test_atomic_file_leaves_the_target_alone_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(FileExistsError, match="use --overwrite"):
        with atomic_file(target):
            pass
    with pytest.raises(RuntimeError):
        with atomic_file(target, overwrite=True) as temporary:
            temporary.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_file(target, overwrite=True) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


KERNELS = """
import numba

@numba.njit
def inner(x):
    return x + 1

@numba.njit
def outer(x):
    return inner(x) * 2
"""


def test_numba_compile_clock_times_graphrep_kernels_and_says_so_once(caplog, monkeypatch):
    import numba

    import graphrep.utils

    monkeypatch.setattr(graphrep.utils, "_compile_notice_given", False)
    kernels = {"__name__": "graphrep.kernels_under_test"}  # as if defined in a graphrep module
    exec(KERNELS, kernels)
    outer = kernels["outer"]

    @numba.njit
    def not_graphrep(x):
        return x - 1

    with caplog.at_level(logging.INFO, logger="graphrep"):
        with numba_compile_clock() as elsewhere:
            assert not_graphrep(1) == 0  # compiles, but is not graphrep's kernel
        with numba_compile_clock() as first:
            assert outer(1) == 4
        with numba_compile_clock() as second:
            assert outer(2.5) == 7.0  # a new signature compiles again, silently
        with numba_compile_clock() as third:
            assert outer(3) == 8  # compiled: nothing to do
    assert elsewhere.seconds == 0.0 and first.seconds > 0 and second.seconds > 0 and third.seconds == 0.0
    notices = [record.getMessage() for record in caplog.records if "compiling the Numba kernels" in record.getMessage()]
    assert notices == ["compiling the Numba kernels (first run only: they are cached for next time)"]
