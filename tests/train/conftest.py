"""Fixtures of the trainer tests."""
import io

import pytest

from graphrep import utils


@pytest.fixture
def captured_bars(monkeypatch):
    """Every graphrep progress bar, drawn at every update (no delay, no rate
    limit) into a buffer; the quiet setting is restored afterwards."""
    import tqdm.auto
    import tqdm.std

    buffer = io.StringIO()

    class Captured(tqdm.std.tqdm):
        def __init__(self, *args, **kwargs):
            kwargs.update(file=buffer, delay=0, mininterval=0, dynamic_ncols=False, ncols=200)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Captured)
    quiet = utils._quiet  # an example run with -q earlier in the session leaves it on
    utils.set_quiet(False)
    yield buffer
    utils.set_quiet(quiet)
