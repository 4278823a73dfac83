"""examples/node_class/lagnn.py end to end, offline: a tiny dataset written
in OGB's format with ogb.io.DatasetSaver, read back by ogb's own loader."""
import json

import numpy as np
import pytest
import torch

from graphrep.datasets import DatasetNotFoundError, load_ogb
from tests.conftest import load_example

NAME = "ogbn-lagnntiny"


pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.fixture(scope="module")
def lagnn():
    return load_example("node_class/lagnn.py")


def write_tiny_ogb_dataset(folder):
    """40 nodes, 3 classes, 8 continuous features, directed edges (as OGB stores arxiv)."""
    from ogb.io import DatasetSaver

    rng = np.random.default_rng(0)
    num_nodes, num_classes = 40, 3
    labels = np.arange(num_nodes) % num_classes
    features = (rng.normal(size=(num_nodes, 8)) * 0.3 + np.eye(num_classes, 8)[labels]).astype(np.float32)
    edges = [(u, v) for u in range(num_nodes) for v in range(u + 1, num_nodes)
             if labels[u] == labels[v] and rng.random() < 0.3]
    graph = {"edge_index": np.array(edges, dtype=np.int64).T, "edge_feat": None, "node_feat": features,
             "num_nodes": num_nodes}
    saver = DatasetSaver(dataset_name=NAME, is_hetero=False, version=1, root=str(folder / "submission"))
    saver.save_graph_list([graph])
    saver.save_target_labels(labels.reshape(-1, 1))
    order = rng.permutation(num_nodes)
    saver.save_split({"train": order[:15], "valid": order[15:25], "test": order[25:]}, split_name="random")
    mapping = folder / "mapping"
    mapping.mkdir()
    (mapping / "README.md").write_text("tiny test dataset\n")
    saver.copy_mapping_dir(str(mapping))
    saver.save_task_info(task_type="multiclass classification", eval_metric="acc", num_classes=num_classes)
    return saver.get_meta_dict()


def test_trainer_end_to_end_on_an_ogb_format_dataset(tmp_path, lagnn):
    meta = write_tiny_ogb_dataset(tmp_path)
    dataset = load_ogb(NAME, meta_dict=meta)
    data, split = lagnn.prepare_ogb(dataset)
    assert data.y.dim() == 1 and data.is_undirected()
    cache = tmp_path / "cvae.pt"
    argv = ["--dataset", NAME, "--model", "sage", "--runs", "2", "--epochs", "8", "--hidden", "8",
            "--num-layers", "2", "--cvae-epochs", "2", "--cvae-hidden", "16", "--pool-size", "3",
            "--num-generated", "2", "--samples", "2", "--cvae-cache", str(cache), "-q"]
    payload = lagnn.run(lagnn.parse_args(argv), data, split)
    assert payload["seeds"] == [0, 1]
    assert set(payload["results"]) == {"plain", "augmented"}
    for result in payload["results"].values():
        accuracies = [r["test_acc"] for r in result["runs"]]
        assert len(accuracies) == 2 and all(0.0 <= a <= 1.0 for a in accuracies)
        assert result["test_acc"]["mean"] == pytest.approx(np.mean(accuracies))
    assert payload["cvae"]["loaded"] is False and cache.exists()
    assert payload["cvae"]["settings"]["epochs"] == 2
    json.dumps(payload)  # storable as results JSON
    # a second run reuses the saved weights (weights-only load)
    again = lagnn.run(lagnn.parse_args([*argv, "--runs", "1"]), data, split)
    assert again["cvae"]["loaded"] is True


def test_missing_ogb_data_fails_fast(tmp_path, lagnn):
    args = lagnn.parse_args(["--dataset", "ogbn-arxiv", "--data-root", str(tmp_path)])
    with pytest.raises(DatasetNotFoundError, match="ogbn_arxiv"):
        lagnn.load_dataset(args)


def test_argument_errors(lagnn):
    with pytest.raises(SystemExit):
        lagnn.parse_args(["--dataset", "karate"])
    with pytest.raises(SystemExit):
        lagnn.parse_args(["--pool-size", "1", "--num-generated", "2"])


def test_agreement_selection_scores_and_drives_the_cvae_fit(tmp_path, lagnn):
    """The paper's selection rule on the tiny dataset: scores are <= 0 (Jensen:
    the NLL of the mean prediction never exceeds the mean NLL), the classifier
    trains further only on improvements, and the example fits with it."""
    meta = write_tiny_ogb_dataset(tmp_path)
    data, split = lagnn.prepare_ogb(load_ogb(NAME, meta_dict=meta))
    from graphrep.nn import LocalAugmenter

    augmenter = LocalAugmenter(data.num_features, 16, 2).fit(data.x, data.edge_index, epochs=1, seed=0)
    score = lagnn.AgreementScore(data, split["train"], False, passes=4, seed=0)
    before = [p.detach().clone() for p in score.model.parameters()]
    first = score(augmenter)
    assert first <= 1e-6 and score.best == first
    assert any(not torch.equal(a, b) for a, b in zip(before, score.model.parameters()))  # trained on improvement
    argv = ["--dataset", NAME, "--model", "gcn", "--runs", "1", "--epochs", "3", "--hidden", "8",
            "--cvae-epochs", "2", "--cvae-hidden", "16", "--pool-size", "2", "--samples", "1",
            "--cvae-select", "agreement", "--cvae-warmup", "1", "--cvae-eval-every", "1", "--cvae-passes", "3",
            "--cvae-cache", str(tmp_path / "cvae.pt"), "-q"]
    payload = lagnn.run(lagnn.parse_args(argv), data, split)
    scores = [entry["score"] for entry in payload["cvae"]["history"] if "score" in entry]
    assert scores and all(value <= 1e-6 for value in scores)
    assert payload["cvae"]["settings"]["select"] == "agreement"
