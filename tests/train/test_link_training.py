import pytest
import torch

from graphrep.nn.link import NCNCPredictor, NCNEncoder, NCNPredictor
from graphrep.nn.link import link_adjacency
from graphrep.train.link import (LinkSplit, LinkTrainConfig, evaluate_link_predictor, random_link_split,
                                 summarize_runs, train_link_predictor)
from graphrep.train.link import _negative_pairs
from graphrep.utils import seed_everything, set_quiet
from tests.train.graphs import community_graph


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def test_random_link_split_is_a_partition_with_true_negatives():
    edge_index, n = community_graph()
    split = random_link_split(edge_index, n, seed=3)
    keys = lambda pairs: set((pairs.min(0).values * n + pairs.max(0).values).tolist())
    train, valid, test = keys(split.train), keys(split.valid), keys(split.test)
    assert not (train & valid or train & test or valid & test)
    assert train | valid | test == keys(edge_index)
    assert len(valid) == int(0.1 * len(keys(edge_index))) and len(test) == int(0.2 * len(keys(edge_index)))
    negatives = keys(split.valid_neg) | keys(split.test_neg)
    # Twice as many validation negatives as positives (the published split), as many for test.
    assert split.valid_neg.size(1) == 2 * len(valid) and split.test_neg.size(1) == len(test)
    assert len(negatives) == 2 * len(valid) + len(test) and not negatives & keys(edge_index)
    assert random_link_split(edge_index, n, seed=3, valid_neg_ratio=1.0).valid_neg.size(1) == len(valid)
    assert torch.equal(random_link_split(edge_index, n, seed=3).test, split.test)
    assert not torch.equal(random_link_split(edge_index, n, seed=4).test, split.test)


def test_featureless_node_input_follows_the_split_device():
    # The id input of an embedding-table encoder must live where the split lives
    # (it did not, and ogbl-ddi failed on CUDA); "meta" stands in for a GPU here.
    edge_index, n = community_graph()
    split = random_link_split(edge_index, n, seed=0)
    split.train = split.train.to("meta")
    assert split.node_input().device.type == "meta"
    assert split.node_input().shape == (n,)


def test_training_negatives_are_never_training_links():
    # A dense graph (half of all pairs are links), as ogbl-ddi is denser than
    # the Planetoid graphs: uniform pairs would hit a link half the time.
    torch.manual_seed(0)
    n = 40
    dense = (torch.rand(n, n) < 0.5).triu(1)
    adj = link_adjacency(dense.nonzero().t(), n)
    links = adj.to_dense().bool()
    negatives = _negative_pairs(adj, 5000)
    assert negatives.shape == (2, 5000)
    assert not links[negatives[0], negatives[1]].any()
    assert not (negatives[0] == negatives[1]).any()
    # Every non-link can come up, in both orientations.
    drawn = torch.zeros(n, n, dtype=torch.bool)
    drawn[negatives[0], negatives[1]] = True
    assert drawn.sum() > 0.9 * (~links).fill_diagonal_(False).sum()
    complete = link_adjacency(torch.ones(n, n).triu(1).nonzero().t(), n)
    with pytest.raises(ValueError, match="nearly complete"):
        _negative_pairs(complete, 10, max_rounds=5)


def models(n, predictor_class=NCNPredictor, **kwargs):
    return NCNEncoder(None, 16, num_embeddings=n, aggr="gcn"), predictor_class(16, 16, **kwargs)


CONFIG = LinkTrainConfig(epochs=6, batch_size=32, encoder_lr=0.01, predictor_lr=0.01,
                         metrics=("hits@10",), metric="hits@10")


@pytest.mark.parametrize("predictor_class", [NCNPredictor, NCNCPredictor])
def test_training_raises_validation_hits(predictor_class):
    edge_index, n = community_graph()
    split = random_link_split(edge_index, n, seed=0)
    seed_everything(0)
    encoder, predictor = models(n, predictor_class)
    before = evaluate_link_predictor(encoder, predictor, split, CONFIG)["valid"]["hits@10"]
    result = train_link_predictor(encoder, predictor, split, CONFIG)
    assert result["epochs_run"] == 6 and len(result["history"]) == 6
    assert result["valid"]["hits@10"] >= before + 0.2


def test_resume_from_checkpoint_reaches_the_same_result(tmp_path):
    edge_index, n = community_graph(1)
    split = random_link_split(edge_index, n, seed=1)
    seed_everything(5)
    straight = train_link_predictor(*models(n, edge_dropout=0.2, dropout=0.2), split, CONFIG)

    checkpoint = tmp_path / "run.pt"
    seed_everything(5)
    encoder, predictor = models(n, edge_dropout=0.2, dropout=0.2)
    first = LinkTrainConfig(**{**CONFIG.__dict__, "epochs": 3})
    train_link_predictor(encoder, predictor, split, first, checkpoint=checkpoint)
    seed_everything(123)  # a fresh process: other models, other generator state
    encoder, predictor = models(n, edge_dropout=0.2, dropout=0.2)
    resumed = train_link_predictor(encoder, predictor, split, CONFIG, checkpoint=checkpoint, resume=True)
    assert resumed["history"] == straight["history"]
    assert resumed["test"] == straight["test"] and resumed["best_epoch"] == straight["best_epoch"]

    other = LinkTrainConfig(**{**CONFIG.__dict__, "batch_size": 16})
    with pytest.raises(ValueError, match="another configuration"):
        train_link_predictor(encoder, predictor, split, other, checkpoint=checkpoint, resume=True)


def test_early_stopping_and_summary():
    edge_index, n = community_graph(2)
    split = random_link_split(edge_index, n, seed=2)
    seed_everything(0)
    config = LinkTrainConfig(**{**CONFIG.__dict__, "epochs": 50, "patience": 1, "encoder_lr": 0.0,
                                "predictor_lr": 0.0})
    result = train_link_predictor(*models(n), split, config)
    assert result["stopped"] == "patience" and result["epochs_run"] == 2
    summary = summarize_runs([result, result])
    assert summary["test"]["hits@10"]["std"] == 0.0


def test_split_and_config_validation():
    with pytest.raises(ValueError, match="train"):
        LinkSplit(3, None, torch.tensor([0, 1]), *(torch.zeros(2, 1, dtype=torch.long),) * 4)
    with pytest.raises(ValueError, match="valid_neg_ratio"):
        random_link_split(*community_graph(), valid_neg_ratio=0)
    with pytest.raises(ValueError, match="metric"):
        LinkTrainConfig(metrics=("hits@20",), metric="mrr")
    with pytest.raises(ValueError, match="batch_size"):
        LinkTrainConfig(batch_size=0)


def test_progress_bar_advances_every_epoch_with_the_loss(captured_bars):
    edge_index, n = community_graph()
    split = random_link_split(edge_index, n, seed=0)
    seed_everything(0)
    config = LinkTrainConfig(**{**CONFIG.__dict__, "epochs": 4, "eval_every": 2})
    result = train_link_predictor(*models(n), split, config, desc="links")
    frames = captured_bars.getvalue().split("\r")
    for epoch in range(1, 5):
        shown = [frame for frame in frames if f"| {epoch}/4 [" in frame]
        assert shown, f"epoch {epoch} never shown"
        loss = result["history"][epoch - 1]["loss"]
        assert any(f"loss={loss:.4f}" in frame for frame in shown)
    assert any("valid=" in frame for frame in frames if "| 2/4 [" in frame)

    captured_bars.truncate(0)
    set_quiet(True)
    train_link_predictor(*models(n), split, config)
    assert captured_bars.getvalue() == ""
