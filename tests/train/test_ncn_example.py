"""examples/link_pred/ncn.py end to end on Cora with a tiny training budget."""
import json

import pytest
import torch

from graphrep.nn.link import NCNCPredictor, NCNEncoder, NCNPredictor
from graphrep.train.checkpoint import load_checkpoint, save_checkpoint
from graphrep.train.link import LinkTrainConfig, random_link_split, train_link_predictor
from graphrep.utils import seed_everything
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


def test_init_from_loads_the_best_ncn_weights_into_ncnc(ncn_example, tmp_path):
    ring = torch.stack([torch.arange(40), (torch.arange(40) + 1) % 40])
    chords = torch.stack([torch.arange(0, 40, 2), (torch.arange(0, 40, 2) + 5) % 40])
    split = random_link_split(torch.cat([ring, chords], 1), 40, seed=0)
    seed_everything(0)
    config = LinkTrainConfig(epochs=3, batch_size=8, encoder_lr=0.05, predictor_lr=0.05, metrics=("hits@5",),
                             metric="hits@5")
    path = tmp_path / "ncn.pt"
    result = train_link_predictor(NCNEncoder(None, 8, num_embeddings=40), NCNPredictor(8, 8, node_transform=True),
                                  split, config, checkpoint=path)
    best = load_checkpoint(path)["best_models"]
    assert best["epoch"] == result["best_epoch"]

    encoder, predictor = NCNEncoder(None, 8, num_embeddings=40), NCNCPredictor(8, 8, node_transform=True)
    report = ncn_example.init_from(encoder, predictor, str(path))
    assert report["epoch"] == result["best_epoch"]
    for name, module in (("encoder", encoder), ("predictor", predictor)):
        assert report[name]["loaded"] == sorted(module.state_dict()) and not report[name]["missing"]
        for key, value in module.state_dict().items():
            assert torch.equal(value, best[name][key])
    total = len(predictor.state_dict())
    assert f"predictor {total}/{total} tensors" in ncn_example._describe(report)

    # Wider models: only the tensors whose shapes do not depend on the width load (beta, the output bias).
    wide = NCNCPredictor(16, 16, node_transform=True)
    same_shape = sorted(key for key, value in wide.state_dict().items() if value.shape == best["predictor"][key].shape)
    wider = ncn_example.init_from(NCNEncoder(None, 16, num_embeddings=40), wide, str(path))
    assert wider["encoder"]["mismatched"] == ["embedding.weight"] and wider["predictor"]["loaded"] == same_shape
    assert "beta" in same_shape and "not loaded: embedding.weight" in ncn_example._describe(wider)
    unrelated = tmp_path / "unrelated.pt"
    save_checkpoint(unrelated, {"encoder": torch.nn.Linear(2, 2).state_dict(), "predictor": {}})
    with pytest.raises(ncn_example.InitError, match="no weight in .* matches"):
        ncn_example.init_from(encoder, predictor, str(unrelated))
    with pytest.raises(ncn_example.InitError, match="not found"):
        ncn_example.init_from(encoder, predictor, str(tmp_path / "missing.pt"))
    save_checkpoint(unrelated, {"epoch": 3})
    with pytest.raises(ncn_example.InitError, match="no 'encoder' and 'predictor'"):
        ncn_example.init_from(encoder, predictor, str(unrelated))


def test_ncnc_on_ddi_from_ncn_uses_the_published_settings(ncn_example):
    args = ncn_example.parse_args(["--dataset", "ogbl-ddi", "--model", "ncnc", "--init-from", "ncn.pt"])
    config = ncn_example.train_config_for(args, ncn_example.CONFIGS["ogbl-ddi"])
    assert (config.epochs, config.encoder_lr, config.predictor_lr, config.eval_batch_size) == (2, 0.0, 0.0025, 24576)
    args = ncn_example.parse_args(["--dataset", "ogbl-ddi", "--model", "ncnc", "--init-from", "x", "--epochs", "5",
                                   "--batch-size", "1000", "--eval-batch-size", "512"])
    config = ncn_example.train_config_for(args, ncn_example.CONFIGS["ogbl-ddi"])
    assert (config.epochs, config.batch_size, config.eval_batch_size) == (5, 1000, 512)
    plain = ncn_example.train_config_for(ncn_example.parse_args(["--dataset", "ogbl-ddi", "--model", "ncnc"]),
                                         ncn_example.CONFIGS["ogbl-ddi"])
    assert (plain.epochs, plain.encoder_lr) == (100, 0.0021)


def test_example_starts_ncnc_from_its_own_ncn_checkpoint(ncn_example, shared_data, tmp_path):
    common = ["--dataset", "Cora", "--runs", "1", "--seed", "2", "--epochs", "1", "--train-fraction", "0.05",
              "--data-root", str(shared_data), "-q"]
    ncn_example.main([*common, "--model", "ncn", "--checkpoint-dir", str(tmp_path / "ckpt")])
    out = tmp_path / "ncnc.json"
    ncn_example.main([*common, "--model", "ncnc", "--init-from", str(tmp_path / "ckpt" / "Cora_ncn_seed{seed}.pt"),
                      "--out", str(out)])
    saved = json.loads(out.read_text())
    run = saved["runs"][0]
    assert run["init_from"]["path"].endswith("Cora_ncn_seed2.pt") and run["init_from"]["epoch"] == 1
    assert "beta" in run["init_from"]["predictor"] and run["init_from"]["encoder"]
    assert saved["world_size"] == 1 and saved["init_from"].endswith("Cora_ncn_seed{seed}.pt")
