import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from graphrep.io import atomic_directory, write_matrix


def test_atomic_directory_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as staging:
            (staging / "half.npz").write_text("partial")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_directory_refuses_then_replaces(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "manifest.json").write_text('{"graphrep_version": "0.0.1"}')
    with pytest.raises(FileExistsError, match="already exists"):
        with atomic_directory(target):
            pass
    with atomic_directory(target, overwrite=True) as staging:
        (staging / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("fmt", ["npz", "mtx"])
def test_write_matrix_round_trip(tmp_path, fmt):
    matrix = sp.csr_array(np.array([[0, 2, 0], [2, 0, 7], [0, 7, 0]], dtype=np.int64))
    path = write_matrix(tmp_path / "m", matrix, fmt)
    back = sp.load_npz(path) if fmt == "npz" else scipy.io.mmread(path)
    np.testing.assert_array_equal(sp.csr_array(back).toarray(), matrix.toarray())


def test_write_matrix_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="fmt must be one of"):
        write_matrix(tmp_path / "m", sp.csr_array((2, 2)), "csv")
