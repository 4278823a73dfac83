"""Data-parallel training on 2 CPU ranks (gloo), against one process.

One spawn of two ranks (module fixture) runs every distributed scenario and
saves what it saw; the tests compare that with one process doing the same
work here. The reference for a training step is one process stepping on the
whole global batch (both ranks' parts together) with the same loss
normalisation: a mean over the batch's links, or over all training nodes.
"""
import json
import os
import socket
import time
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from graphrep.nn import LAGCN, LocalAugmenter
from graphrep.nn.link import NCNCPredictor, NCNEncoder, NCNPredictor
from graphrep.train.distributed import World, _rank_device, init_world
from graphrep.train.link import (LinkSplit, LinkTrainConfig, _link_scores, evaluate_link_predictor,
                                 random_link_split, train_link_predictor)
from graphrep.train.node import train_node_classifier
from graphrep.utils import seed_everything, set_quiet
from tests.train.graphs import community_graph, separable_graph

pytestmark = pytest.mark.usefixtures("single_torch_thread")

WORLD_SIZE = 2
LINK_CONFIG = LinkTrainConfig(epochs=3, batch_size=37, eval_batch_size=10, encoder_lr=0.01, predictor_lr=0.01,
                              metrics=("hits@10", "hits@20"), metric="hits@10")


def link_split():
    """A split whose test graph adds the validation links (as ogbl-collab's)."""
    split = random_link_split(*community_graph(), seed=0)
    split.test_graph = torch.cat([split.train, split.valid], 1)
    return split


def mrr_split():
    """Two negatives per positive, positive-major (ogbl-citation2's layout)."""
    split = link_split()
    per = lambda pairs, neg: torch.stack([pairs[0].repeat_interleave(2), neg[1].repeat(2)[:2 * pairs.size(1)]])
    return LinkSplit(split.num_nodes, None, split.train, split.valid, per(split.valid, split.valid_neg),
                     split.test, per(split.test, split.test_neg), negatives_per_positive=2)


def link_models(n, predictor_class, dropout=0.0):
    seed_everything(7)
    encoder = NCNEncoder(None, 16, num_embeddings=n, aggr="gcn", dropout=dropout)
    return encoder, predictor_class(16, 16, dropout=dropout, node_transform=True)


def record_training_weights(module, params):
    """Snapshots of ``params`` at every training forward of ``module``: the
    weights after each optimisation step (and before the first)."""
    snapshots = []

    def hook(mod, args):
        if mod.training:
            snapshots.append(torch.cat([p.detach().flatten() for p in params]).clone())

    module.register_forward_pre_hook(hook)
    return snapshots


def train_links(predictor_class, world):
    split = link_split()
    encoder, predictor = link_models(split.num_nodes, predictor_class)
    params = [*encoder.parameters(), *predictor.parameters()]
    snapshots = record_training_weights(encoder, params)
    result = train_link_predictor(encoder, predictor, split, LINK_CONFIG, world=world)
    snapshots.append(torch.cat([p.detach().flatten() for p in params]))
    return {"snapshots": torch.stack(snapshots), "history": result["history"], "test": result["test"]}


def evaluate_links(world):
    out = {}
    for name, split, metrics in (("hits", link_split(), ("hits@10", "hits@20")), ("mrr", mrr_split(), ("mrr",))):
        encoder, predictor = link_models(split.num_nodes, NCNCPredictor)
        config = LinkTrainConfig(eval_batch_size=7, metrics=metrics, metric=metrics[0])
        out[name] = {"scores": _link_scores(encoder, predictor, split, config, None, None, world),
                     "metrics": evaluate_link_predictor(encoder, predictor, split, config, world=world)}
    return out


def train_nodes(world):
    data, split = separable_graph(81, train=21)  # 21 training nodes: parts of 11 and 10
    pool = data.x.unsqueeze(0) + 0.1 * torch.randn(1, *data.x.shape, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    model = LAGCN(6, 8, 2, num_generated=1, dropout=0.0)
    params = list(model.parameters())
    snapshots = record_training_weights(model, params)
    run = train_node_classifier(model, data, split, epochs=4, generated=lambda: pool, num_forward=2,
                                consistency=1.0, world=world)
    snapshots.append(torch.cat([p.detach().flatten() for p in params]))
    return {"snapshots": torch.stack(snapshots), "history": run.history, "test_acc": run.test_acc}


def cvae_graph():
    """One-hot features: a pair's rows name its nodes."""
    edge_index, n = community_graph(2)
    return torch.eye(n), torch.cat([edge_index, edge_index.flip(0)], 1)


def fit_cvae(world):
    x, edge_index = cvae_graph()
    torch.manual_seed(0)
    augmenter = LocalAugmenter(x.size(1), 8, 2)
    batches, negative_elbo = [], augmenter.negative_elbo

    def recording(x_neighbour, x_centre, generator=None):
        if augmenter.training:  # a training step's pairs (the held-out loss runs in eval mode)
            batches.append(list(zip(x_neighbour.argmax(1).tolist(), x_centre.argmax(1).tolist())))
        return negative_elbo(x_neighbour, x_centre, generator)

    augmenter.negative_elbo = recording
    augmenter.fit(x, edge_index, epochs=2, batch_size=25, seed=3, world=world)
    return {"batches": batches, "history": augmenter.history_,
            "weights": torch.cat([p.detach().flatten() for p in augmenter.parameters()])}


def resume_links(world, folder):
    """Two epochs, then a 'restarted' job resuming from the checkpoint, against four epochs straight."""
    split = link_split()
    config = LinkTrainConfig(**{**LINK_CONFIG.__dict__, "epochs": 4})
    straight = train_link_predictor(*link_models(split.num_nodes, NCNPredictor, 0.3), split, config, world=world)
    checkpoint = Path(folder) / "resume.pt"
    first = LinkTrainConfig(**{**config.__dict__, "epochs": 2})
    train_link_predictor(*link_models(split.num_nodes, NCNPredictor, 0.3), split, first, checkpoint=checkpoint,
                         world=world)
    encoder, predictor = link_models(split.num_nodes, NCNPredictor, 0.3)
    seed_everything(99)  # the restarted job: other generator states
    resumed = train_link_predictor(encoder, predictor, split, config, checkpoint=checkpoint, resume=True,
                                   world=world)
    return {"straight": straight["history"], "resumed": resumed["history"]}


def run_examples(world, folder, shared_data, tiny_ogb):
    """Both example trainers, end to end: rank 0 alone writes."""
    from graphrep.datasets import load_ogb
    from tests.conftest import load_example

    out = {}
    if shared_data:
        ncn = load_example("link_pred/ncn.py")
        out["ncn"] = ncn.main(["--dataset", "Cora", "--model", "ncn", "--runs", "1", "--epochs", "1",
                               "--train-fraction", "0.1", "--device", "cpu", "--data-root", shared_data,
                               "--out", f"{folder}/ncn_rank{world.rank}.json", "-q"])["summary"]
    lagnn = load_example("node_class/lagnn.py")
    data, split = world.in_turns(lambda: lagnn.prepare_ogb(load_ogb(tiny_ogb["name"], meta_dict=tiny_ogb)))
    argv = ["--dataset", tiny_ogb["name"], "--model", "gcn", "--runs", "2", "--epochs", "3", "--hidden", "8",
            "--cvae-epochs", "2", "--cvae-hidden", "16", "--pool-size", "2", "--samples", "2",
            "--cvae-select", "agreement", "--cvae-warmup", "1", "--cvae-eval-every", "1", "--cvae-passes", "3",
            "--cvae-cache", f"{folder}/cvae.pt", "--device", "cpu", "-q"]
    payload = lagnn.run(lagnn.parse_args(argv), data, split, world=world)
    out["lagnn"] = {"world_size": payload["world_size"], "results": payload["results"],
                    "cvae_history": payload["cvae"]["history"]}
    return out


def _worker(rank, port, folder, shared_data, tiny_ogb):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD_SIZE), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    set_quiet(True)
    with init_world("cpu") as world:
        assert (world.rank, world.size, world.backend) == (rank, WORLD_SIZE, "gloo")
        results = {"ncn": train_links(NCNPredictor, world), "ncnc": train_links(NCNCPredictor, world),
                   "eval": evaluate_links(world), "node": train_nodes(world), "cvae": fit_cvae(world),
                   "resume": resume_links(world, folder), "examples": run_examples(world, folder, shared_data, tiny_ogb)}
    torch.save(results, Path(folder) / f"rank{rank}.pt")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each of the two ranks computed (one spawn for all tests here)."""
    from tests.conftest import SHARED_DATA

    from tests.nn.augment.test_lagnn_example import NAME, write_tiny_ogb_dataset

    folder = tmp_path_factory.mktemp("ddp")
    tiny_ogb = {**write_tiny_ogb_dataset(folder), "name": NAME}
    # A fork server imports torch, PyG and this module once for both ranks (spawning each costs that import).
    mp.get_context("forkserver").set_forkserver_preload([__name__])
    context = mp.start_processes(_worker, args=(_free_port(), str(folder), str(SHARED_DATA or ""), tiny_ogb),
                                 nprocs=WORLD_SIZE, join=False, start_method="forkserver")
    deadline = time.monotonic() + 240
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail("the two ranks did not finish within 240 s (a collective hung?)")
    return folder, [torch.load(folder / f"rank{rank}.pt", weights_only=False) for rank in range(WORLD_SIZE)]


@pytest.mark.parametrize("model", ["ncn", "ncnc"])
def test_link_steps_equal_one_process_on_the_whole_batch(ranks, model):
    _, results = ranks
    single = train_links(NCNPredictor if model == "ncn" else NCNCPredictor, World())
    for rank in results:
        # 3 epochs of ceil(train links / 37) steps, each rank scoring 19 or 18 links of a batch.
        assert rank[model]["snapshots"].shape == single["snapshots"].shape
        torch.testing.assert_close(rank[model]["snapshots"], single["snapshots"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(results[0][model]["snapshots"], results[1][model]["snapshots"], rtol=0, atol=0)
    for ours, theirs in zip(results[0][model]["history"], single["history"]):
        assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-5)


def test_gathered_evaluation_is_exactly_one_process(ranks):
    _, results = ranks
    single = evaluate_links(World())
    for name in ("hits", "mrr"):
        for rank in results:
            for part in ("valid", "test"):
                assert torch.equal(rank["eval"][name]["scores"][part], single[name]["scores"][part])
            assert rank["eval"][name]["metrics"] == single[name]["metrics"]


def test_node_steps_equal_one_process_on_all_training_nodes(ranks):
    _, results = ranks
    single = train_nodes(World())
    for rank in results:
        torch.testing.assert_close(rank["node"]["snapshots"], single["snapshots"], rtol=1e-5, atol=1e-6)
        assert rank["node"]["test_acc"] == single["test_acc"]
        for ours, theirs in zip(rank["node"]["history"], single["history"]):
            assert ours["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-5)
            assert ours["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-5)


def test_cvae_pretraining_splits_every_batch_between_the_ranks(ranks):
    _, results = ranks
    single = fit_cvae(World())
    seen = [rank["cvae"]["batches"] for rank in results]
    # 2 epochs of the same global batches (measured once per epoch: history[1]["step"] steps).
    assert len(seen[0]) == len(seen[1]) == len(single["batches"]) == 2 * single["history"][1]["step"]
    for step, whole in enumerate(single["batches"]):
        parts = [set(rank_batches[step]) for rank_batches in seen]
        assert not parts[0] & parts[1]
        assert parts[0] | parts[1] == set(whole)
        assert abs(len(parts[0]) - len(parts[1])) <= 1
    assert torch.equal(results[0]["cvae"]["weights"], results[1]["cvae"]["weights"])
    assert results[0]["cvae"]["history"] == results[1]["cvae"]["history"]
    assert [h["step"] for h in results[0]["cvae"]["history"]] == [h["step"] for h in single["history"]]


def test_resume_with_the_same_world_size_and_refusal_of_another(ranks):
    folder, results = ranks
    for rank in results:
        assert rank["resume"]["resumed"] == rank["resume"]["straight"]
    assert results[0]["resume"]["straight"] == results[1]["resume"]["straight"]
    split = link_split()
    with pytest.raises(ValueError, match="written by a run on 2 process"):
        train_link_predictor(*link_models(split.num_nodes, NCNPredictor), split,
                             LinkTrainConfig(**{**LINK_CONFIG.__dict__, "epochs": 4}),
                             checkpoint=folder / "resume.pt", resume=True)


def test_ncn_example_writes_results_on_rank_zero_only(ranks, shared_data):
    folder, results = ranks
    assert not (folder / "ncn_rank1.json").exists()
    saved = json.loads((folder / "ncn_rank0.json").read_text())
    assert saved["world_size"] == 2 and saved["backend"] == "gloo" and saved["seeds"] == [0]
    assert saved["summary"] == results[0]["examples"]["ncn"] == results[1]["examples"]["ncn"]
    assert saved["environment"]["versions"]["torch"] and saved["wall_time_s"] > 0


def test_lagnn_example_on_two_ranks(ranks):
    folder, results = ranks
    lagnn = [rank["examples"]["lagnn"] for rank in results]
    assert lagnn[0]["world_size"] == 2 and (folder / "cvae.pt").exists()
    assert lagnn[0]["cvae_history"] == lagnn[1]["cvae_history"]
    assert any("score" in entry for entry in lagnn[0]["cvae_history"])
    for name in ("plain", "augmented"):  # rank 0 evaluates and sends: the same numbers everywhere
        assert [run["test_acc"] for run in lagnn[0]["results"][name]["runs"]] == \
            [run["test_acc"] for run in lagnn[1]["results"][name]["runs"]]


def test_one_process_sets_nothing_up(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with init_world("cpu") as world:
        assert (world.size, world.rank, world.backend) == (1, 0, None)
        assert not torch.distributed.is_initialized()
        assert world.from_main(lambda: 5) == 5 and world.in_turns(lambda: 6) == 6
        tensor = torch.ones(3)
        assert world.all_reduce(tensor) is tensor and world.all_gather(tensor) == [tensor]
        module = torch.nn.Linear(2, 2)
        assert world.wrap(module) is module
    assert World.current().size == 1


def test_parts_cover_every_item_once():
    for size in range(1, 6):
        for count in range(0, 13):
            parts = [range(count)[World(rank=rank, size=size).part(count)] for rank in range(size)]
            assert [i for part in parts for i in part] == list(range(count))
            assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_rank_seeds_differ_and_rank_zero_keeps_its_own():
    seeds = [World(rank=rank, size=4).rank_seed(11) for rank in range(4)]
    assert seeds[0] == 11 and len(set(seeds)) == 4 and all(0 <= seed < 2**64 for seed in seeds)


def test_each_rank_takes_the_gpu_of_its_local_rank(monkeypatch):
    chosen = []
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    assert _rank_device("cuda", 1) == torch.device("cuda", 1) and chosen == [1]
    assert _rank_device("cpu", 1) == torch.device("cpu")
    with pytest.raises(RuntimeError, match="at most 2 processes per machine"):
        _rank_device("cuda", 2)
    with pytest.raises(ValueError, match="LOCAL_RANK"):
        _rank_device("cuda:0", 1)
    with pytest.raises(ValueError, match="cpu \\(gloo\\) or cuda \\(nccl\\)"):
        _rank_device("meta", 0)


def test_torchrun_environment_must_be_complete(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(RuntimeError, match="RANK is not"):
        init_world("cpu")
