"""The docs pages run as doctests (``pytest docs``): each page runs in a
fresh folder, so files its examples write land there."""
import pytest


@pytest.fixture(autouse=True)
def _page_in_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
