"""examples/link_pred/ncn.py end to end on Cora with a tiny training budget."""
import json

import pytest

from graphrep.nn.link import NCNCPredictor
from tests.conftest import load_example

pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.fixture(scope="module")
def ncn_example():
    return load_example("link_pred/ncn.py")


def test_ncnc_uses_the_published_completion_input_unless_told_otherwise(ncn_example, shared_data, tmp_path):
    out = tmp_path / "ncnc.json"
    payload = ncn_example.main(["--dataset", "Cora", "--model", "ncnc", "--runs", "2", "--seed", "3",
                                "--epochs", "1", "--train-fraction", "0.05", "--data-root", str(shared_data),
                                "--out", str(out), "-q"])
    saved = json.loads(out.read_text())
    assert saved["completion_input"] == "published" and saved["seeds"] == [3, 4]
    assert [run["seed"] for run in saved["runs"]] == [3, 4]
    assert saved["summary"]["test"]["hits@100"] == payload["summary"]["test"]["hits@100"]
    assert 0.0 < saved["summary"]["test"]["hits@100"]["mean"] <= 100.0

    split = ncn_example.load_task("Cora", str(shared_data), seed=0)
    for choice, expected in (("published", True), ("plain", False)):
        _, predictor = ncn_example.build_models("Cora", "ncnc", split, depth=1, completion_input=choice)
        assert isinstance(predictor, NCNCPredictor) and predictor.published_completion_input is expected
