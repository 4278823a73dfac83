"""Neural Common Neighbor (NCN / NCNC) link prediction and two baselines, with
the hyperparameters of the published configurations (Wang, Yang, Zhang, ICLR 2024).

    python examples/link_pred/ncn.py --dataset Cora --model ncn --runs 10 --out results.json

Planetoid (Cora, CiteSeer, PubMed): a fresh, seeded random 70 / 10 / 20 link
split per run, HR@100 from OGB's Evaluator. OGB datasets use their official
splits and leaderboard metrics (ddi HR@20, collab HR@50, ppa HR@100,
citation2 MRR; collab uses validation links as graph input at test time).

Several processes, GPUs or machines: start the same command with torchrun
(docs/distributed.rst), e.g.

    torchrun --standalone --nproc-per-node 4 examples/link_pred/ncn.py --dataset ogbl-ddi --model ncn

``--init-from CHECKPOINT`` starts a model from another run's checkpoint
(``--checkpoint-dir``): the published NCNC on ogbl-ddi starts from a trained
NCN and then trains the predictor alone for two epochs (the settings the
example switches to).

Models: ``ncn``, ``ncnc`` (``--depth``; ``--completion-input``, see
docs/ncn.rst), ``gae`` (the graph auto-encoder: a
two-layer GCN encoder, ``P relu(P X W1) W2``, and the inner-product decoder,
trained by the same loop, on the whole training graph) and ``cn0`` (NCN's own
encoder and end-point MLP without the common-neighbour term: the paper's
ablation, which isolates what common neighbours add).
"""
from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
import time

import torch

from graphrep.nn.link import HadamardMLPPredictor, InnerProductPredictor, NCNCPredictor, NCNEncoder, NCNPredictor
from graphrep.train.checkpoint import load_checkpoint, load_matching
from graphrep.train.distributed import World, init_world
from graphrep.train.link import (LinkTrainConfig, ogb_link_split, random_link_split, summarize_runs,
                                 train_link_predictor)
from graphrep.utils import seed_everything, set_quiet, write_json

PLANETOID = ("Cora", "CiteSeer", "PubMed")
OGB = ("ogbl-ddi", "ogbl-collab", "ogbl-ppa", "ogbl-citation2")

# The published command lines (README of GraphPKU/NeuralCommonNeighbor), in graphrep's names:
# encoder: aggr / linear ("gcn" model = GCN with weights, "pure*" = parameter-free), dropouts, residual, jk;
# predictor: dropout, edge dropout, node transform (use_xlin), tail_act, two-layer output MLP;
# NCNC completion: prior (pt), scale (probscale), offset (proboffset), alpha.
CONFIGS = {
    "Cora": dict(
        hidden=256, layers=1, epochs=100, batch_size=1152, eval_batch_size=8192, encoder_lr=0.0043,
        predictor_lr=0.0024, metric="hits@100",
        encoder=dict(aggr="gcn", input_dropout=0.7, dropout=0.05, tail_dropout=0.3, jk=True),
        predictor=dict(dropout=0.05, edge_dropout=0.4, node_transform=True, tail_act=True),
        completion=dict(prior=0.75, scale=4.3, offset=2.8, alpha=1.0)),
    "CiteSeer": dict(
        hidden=256, layers=1, epochs=100, batch_size=384, eval_batch_size=4096, encoder_lr=0.0085,
        predictor_lr=0.0078, metric="hits@100",
        encoder=dict(aggr="gcn", input_dropout=0.4, dropout=0.75, tail_dropout=0.0, jk=True),
        predictor=dict(dropout=0.55, edge_dropout=0.0, node_transform=True, tail_act=True, two_layer_out=True),
        completion=dict(prior=0.75, scale=6.5, offset=4.4, alpha=0.4)),
    "PubMed": dict(
        hidden=256, layers=1, epochs=100, batch_size=2048, eval_batch_size=8192, encoder_lr=0.0097,
        predictor_lr=0.002, metric="hits@100",
        encoder=dict(aggr="gcn", input_dropout=0.3, dropout=0.1, tail_dropout=0.0, jk=True),
        predictor=dict(dropout=0.05, edge_dropout=0.0, node_transform=True, tail_act=True),
        completion=dict(prior=0.5, scale=5.3, offset=0.5, alpha=0.3)),
    "ogbl-ddi": dict(
        hidden=224, layers=1, epochs=100, batch_size=24576, eval_batch_size=131072, encoder_lr=0.0021,
        predictor_lr=0.0018, metric="hits@20",
        encoder=dict(aggr="sum", dropout=0.4, residual=True),
        predictor=dict(dropout=0.6, edge_dropout=0.0, node_transform=True, two_layer_out=True),
        completion=dict(prior=0.1, scale=10.0, offset=3.0, alpha=0.5),
        # The published NCNC starts from a trained NCN (--init-from) and trains the predictor alone.
        ncnc_from_ncn=dict(epochs=2, encoder_lr=0.0, predictor_lr=0.0025, eval_batch_size=24576)),
    "ogbl-collab": dict(
        hidden=64, layers=1, epochs=100, batch_size=65536, eval_batch_size=131072, encoder_lr=0.0082,
        predictor_lr=0.0037, metric="hits@50", valid_as_input=True,
        encoder=dict(aggr="gcn", linear=True, input_dropout=0.25, dropout=0.1, tail_dropout=0.05,
                     edge_dropout=0.25, residual=True),
        predictor=dict(dropout=0.3, edge_dropout=0.0, node_transform=True, tail_act=True),
        completion=dict(prior=0.1, scale=2.5, offset=6.0, alpha=1.05)),
    "ogbl-ppa": dict(
        hidden=64, layers=3, epochs=25, batch_size=16384, eval_batch_size=65536, encoder_lr=0.0013,
        predictor_lr=0.0013, metric="hits@100", embeddings=True,
        encoder=dict(aggr="gcn", linear=True, edge_dropout=0.1, residual=True),
        predictor=dict(dropout=0.1, edge_dropout=0.0, tail_act=True),
        completion=dict(prior=0.1, scale=4.0, offset=8.5, alpha=0.9)),
    "ogbl-citation2": dict(
        hidden=64, layers=3, epochs=20, batch_size=32768, eval_batch_size=65536, encoder_lr=0.0088,
        predictor_lr=0.0058, metric="mrr",
        encoder=dict(aggr="gcn", tail_dropout=0.3, dropout=0.2, residual=True),
        predictor=dict(dropout=0.2, edge_dropout=0.0, node_transform=True, tail_act=True),
        completion=dict(prior=0.3, scale=7.0, offset=4.7, alpha=1.0)),
}
# GAE (Kipf and Welling, 2016): a two-layer GCN encoder (NCNEncoder's input
# projection followed by a linear GCN round composes to GCN's first layer) and
# the parameter-free inner-product decoder. Dropout 0.5 and learning rate 0.003
# were the best of three settings tried on Cora, seed 0 (HR@100 34.9 at lr
# 0.01 with dropout, which diverges after one epoch; 74.1 at lr 0.001 without
# dropout; 78.7 with these).
GAE_ENCODER = dict(aggr="gcn", linear=True, input_dropout=0.5, dropout=0.5)
GAE_LAYERS = 2
GAE_LR = 0.003
METRICS = {"hits@20": ("hits@20", "hits@50", "hits@100"), "hits@50": ("hits@20", "hits@50", "hits@100"),
           "hits@100": ("hits@20", "hits@50", "hits@100"), "mrr": ("mrr",)}


def load_task(dataset: str, data_root: str | None, seed: int):
    """The link split: a fresh random one per seed for Planetoid, else OGB's."""
    if dataset in PLANETOID:
        from graphrep.datasets import load_planetoid

        data = load_planetoid(dataset, data_root)[0]
        # Bag-of-words features are ~1% dense: a sparse input makes the encoder's projection cheap.
        return random_link_split(data.edge_index, data.num_nodes, x=data.x.to_sparse(), seed=seed)
    from graphrep.datasets import load_ogb

    return ogb_link_split(load_ogb(dataset, data_root), valid_as_input=CONFIGS[dataset].get("valid_as_input", False))


def build_models(dataset: str, model: str, split, depth: int, completion_input: str = "published"):
    config = CONFIGS[dataset]
    hidden = config["hidden"]
    x = split.x
    layers, encoder_options = (GAE_LAYERS, GAE_ENCODER) if model == "gae" else (config["layers"], config["encoder"])
    if x is None or config.get("embeddings"):
        num_embeddings = split.num_nodes if x is None else int(x.max()) + 1
        encoder = NCNEncoder(None, hidden, layers, num_embeddings=num_embeddings, **encoder_options)
    else:
        encoder = NCNEncoder(x.size(1), hidden, layers, **encoder_options)
    if model == "gae":
        predictor = InnerProductPredictor()
    elif model == "cn0":
        options = {k: v for k, v in config["predictor"].items() if k in ("dropout", "tail_act", "two_layer_out")}
        predictor = HadamardMLPPredictor(hidden, hidden, **options)
    elif model == "ncn":
        predictor = NCNPredictor(hidden, hidden, **config["predictor"])
    else:
        predictor = NCNCPredictor(hidden, hidden, depth=depth, **config["predictor"], **config["completion"],
                                  published_completion_input=completion_input == "published")
    return encoder, predictor


class InitError(ValueError):
    """``--init-from`` names a checkpoint that cannot start these models."""


def init_from(encoder, predictor, path: str, world: World = World()) -> dict:
    """Loads into ``encoder`` and ``predictor`` the weights of the checkpoint
    at ``path`` (written with ``--checkpoint-dir``: its best-validation
    weights when it has them, else its last) that match them by name and
    shape, and returns what was loaded. Rank 0 reads the file.

    Raises:
        InitError: no weights in the file, or none that match.
    """
    def read() -> dict:
        try:
            return load_checkpoint(path)
        except FileNotFoundError:
            raise InitError(f"--init-from: checkpoint not found: {path}") from None
        except (pickle.UnpicklingError, RuntimeError, EOFError) as error:
            raise InitError(f"--init-from: cannot read {path} as a checkpoint: {error}") from None

    saved = world.from_main(read)
    weights = (saved.get("best_models") or saved) if isinstance(saved, dict) else {}
    if not {"encoder", "predictor"} <= set(weights):
        raise InitError(f"{path} holds no 'encoder' and 'predictor' weights; give a checkpoint written "
                        "with --checkpoint-dir")
    report = {name: load_matching(module, weights[name]) for name, module in
              (("encoder", encoder), ("predictor", predictor))}
    if not any(part["loaded"] for part in report.values()):
        raise InitError(f"no weight in {path} matches these models by name and shape (mismatched shapes: "
                        f"{report['encoder']['mismatched'] + report['predictor']['mismatched'] or 'none'}); "
                        "was it written for another dataset or hidden size?")
    return {"path": str(path), "epoch": weights.get("epoch"), **report}


def _describe(report: dict) -> str:
    source = f"epoch {report['epoch']}" if report["epoch"] is not None else "its last epoch"
    parts = []
    for name in ("encoder", "predictor"):
        part = report[name]
        total = len(part["loaded"]) + len(part["mismatched"]) + len(part["missing"])
        left = part["mismatched"] + part["missing"]
        parts.append(f"{name} {len(part['loaded'])}/{total} tensors" + (f" (not loaded: {', '.join(left)})"
                                                                         if left else ""))
    return f"initialised from {report['path']} ({source}): " + "; ".join(parts)


def train_config_for(args, config: dict) -> LinkTrainConfig:
    """The trainer's settings: the published ones, with the command line's overrides."""
    settings = dict(epochs=config["epochs"], batch_size=config["batch_size"],
                    eval_batch_size=config["eval_batch_size"],
                    encoder_lr=GAE_LR if args.model == "gae" else config["encoder_lr"],
                    predictor_lr=GAE_LR if args.model == "gae" else config["predictor_lr"])
    if args.model == "ncnc" and args.init_from:
        settings.update(config.get("ncnc_from_ncn", {}))
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "eval_batch_size": args.eval_batch_size}
    settings.update({key: value for key, value in overrides.items() if value is not None})
    return LinkTrainConfig(
        **settings, target_link_removal=not args.no_target_link_removal and args.model != "gae",
        metrics=METRICS[config["metric"]], metric=config["metric"], eval_every=args.eval_every,
        time_budget_s=args.time_budget, train_fraction=args.train_fraction)


def _payload(args, config: dict, train_config: LinkTrainConfig, seeds: list[int], runs: list[dict],
             started: float, world: World) -> dict:
    return {
        "dataset": args.dataset, "model": args.model, "depth": args.depth if args.model == "ncnc" else None,
        "completion_input": args.completion_input if args.model == "ncnc" else None,
        "metric": config["metric"], "seeds": seeds, "config": {**config, "train": dataclasses.asdict(train_config)},
        "runs": runs, "summary": summarize_runs(runs), "wall_time_s": time.perf_counter() - started,
        "device": str(world.device), "threads": torch.get_num_threads(), "world_size": world.size,
        "backend": world.backend, "init_from": args.init_from,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=[*PLANETOID, *OGB], default="Cora")
    parser.add_argument("--model", choices=["ncn", "ncnc", "gae", "cn0"], default="ncn")
    parser.add_argument("--depth", type=int, default=1, help="NCNC completion depth")
    parser.add_argument("--completion-input", choices=["published", "plain"], default="published",
                        help="NCNC: score completion links from the transformed embeddings as the published code "
                             "does (its completion hyperparameters were tuned so), or from the plain ones")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="run r uses seed + r")
    parser.add_argument("--epochs", type=int, default=None, help="override the published epoch count")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="override the published batch size (positive links per step, over all processes)")
    parser.add_argument("--eval-batch-size", type=int, default=None,
                        help="override the published evaluation batch (pairs scored at once; several processes "
                             "split evaluation by these batches)")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="stop each run after this many seconds of training (budgeted CPU runs)")
    parser.add_argument("--train-fraction", type=float, default=1.0,
                        help="fraction of the training links used per epoch")
    parser.add_argument("--eval-every", type=int, default=1)
    parser.add_argument("--no-target-link-removal", action="store_true")
    parser.add_argument("--checkpoint-dir", default=None, help="checkpoint every epoch; resume what is there")
    parser.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                        help="start from the matching weights of a --checkpoint-dir checkpoint (its best epoch); "
                             "{seed} in the path becomes each run's seed. NCNC on ogbl-ddi then uses the "
                             "published settings for starting from NCN (2 epochs, encoder frozen)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                        help="under torchrun, 'cuda' means each process's GPU (LOCAL_RANK)")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", default=None, help="results JSON (written by rank 0)")
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Parses ``argv``, joins the torchrun job if there is one, and runs."""
    args = parse_args(argv)
    with init_world(args.device) as world:
        return run(args, world)


def run(args: argparse.Namespace, world: World) -> dict:
    """The runs of ``args`` on ``world`` (one process, or this rank of several)."""
    set_quiet(args.quiet or not world.is_main)
    log = world.is_main and not args.quiet
    config = CONFIGS[args.dataset]
    train_config = train_config_for(args, config)
    started = time.perf_counter()
    runs, seeds = [], [args.seed + run for run in range(args.runs)]
    for run, seed in enumerate(seeds):
        seed_everything(seed)
        split = world.in_turns(lambda: load_task(args.dataset, args.data_root, seed))
        encoder, predictor = build_models(args.dataset, args.model, split, args.depth, args.completion_input)
        report = None
        if args.init_from:
            report = init_from(encoder, predictor, args.init_from.replace("{seed}", str(seed)), world)
            if log:
                print(_describe(report), file=sys.stderr)
        checkpoint = None if args.checkpoint_dir is None else \
            f"{args.checkpoint_dir}/{args.dataset}_{args.model}_seed{seed}.pt"
        result = train_link_predictor(encoder, predictor, split, train_config, device=world.device,
                                      checkpoint=checkpoint, resume=checkpoint is not None,
                                      desc=f"{args.dataset} {args.model} run {run + 1}/{args.runs}", world=world)
        result["seed"] = seed
        if report is not None:
            result["init_from"] = {"path": report["path"], "epoch": report["epoch"],
                                   **{name: report[name]["loaded"] for name in ("encoder", "predictor")}}
        runs.append(result)
        if args.out and world.is_main:  # after every run, so a long experiment that is stopped keeps its runs
            write_json(args.out, _payload(args, config, train_config, seeds[:len(runs)], runs, started, world))
        if log:
            test = result["test"][config["metric"]] * 100
            print(f"run {run + 1:2d} seed {seed}: best epoch {result['best_epoch']}, "
                  f"test {config['metric']} {test:.2f} ({result['train_time_s']:.0f} s training, "
                  f"{result['epoch_time_s']:.2f} s / epoch)", file=sys.stderr)
    payload = _payload(args, config, train_config, seeds, runs, started, world)
    test = payload["summary"]["test"][config["metric"]]
    if world.is_main:
        ranks = f", {world.size} processes" if world.size > 1 else ""
        print(f"{args.dataset} {args.model}: test {config['metric']} {test['mean']:.2f} ± {test['std']:.2f} "
              f"over {len(runs)} runs ({payload['wall_time_s']:.0f} s{ranks})")
        if args.out:
            write_json(args.out, payload)
    return payload


if __name__ == "__main__":
    from graphrep.datasets import DatasetNotFoundError

    try:
        main()
    except (DatasetNotFoundError, InitError) as error:
        sys.exit(f"error: {error}")
