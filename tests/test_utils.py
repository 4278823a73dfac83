import json

import numpy as np

from graphrep.utils import seed_everything, write_json


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
