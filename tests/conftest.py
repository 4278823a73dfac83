"""Shared fixtures.

Real data comes from the read-only ``../shared/data`` beside the checkout
(or ``$GRAPHREP_SHARED_DATA``); tests that need it are skipped with a reason
when it is absent. Loaders stage copies into a per-session cache, never
into the shared folder.
"""
import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path | None:
    candidate = Path(os.environ.get("GRAPHREP_SHARED_DATA", REPO.parent / "shared" / "data"))
    return candidate if (candidate / "README.md").exists() else None


SHARED_DATA = _shared_data()
needs_shared_data = pytest.mark.skipif(
    SHARED_DATA is None, reason="real data not found (../shared/data or $GRAPHREP_SHARED_DATA)"
)


def load_example(relative_path: str) -> ModuleType:
    """An example script (``examples/...py``, not a package) imported as a module."""
    path = REPO / "examples" / relative_path
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Point graphrep's cache at a per-session folder."""
    cache = tmp_path_factory.mktemp("graphrep-cache")
    previous = {key: os.environ.get(key) for key in ("GRAPHREP_CACHE", "GRAPHREP_DATA")}
    os.environ["GRAPHREP_CACHE"] = str(cache)
    os.environ.pop("GRAPHREP_DATA", None)
    yield cache
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real-data root; skips the test when it is absent."""
    if SHARED_DATA is None:
        pytest.skip("real data not found (../shared/data or $GRAPHREP_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def square_with_tail(tmp_path):
    """An edge list with string ids: a 4-cycle ann-bob-cid-dan and the tail dan-eve."""
    path = tmp_path / "g.txt"
    path.write_text("ann bob\nbob cid\ncid dan\ndan ann\ndan eve\n")
    return path


@pytest.fixture
def single_torch_thread():
    """For tests of tiny tensors: one intra-op thread, restored afterwards
    (a second thread only adds synchronisation on 2 cores)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
