"""Data-parallel training cost: time per NCN training epoch on ogbl-ddi and
the share of it spent communicating, for 1 and 2 ranks (CPU, gloo), and the
time of one evaluation (valid and test, 464,459 pairs in the published
batches of 131,072) split across the ranks.

    python benchmarks/ddp.py --data-root /work/shared/data

Each world size runs as fresh processes joined by a gloo process group
(what torchrun sets up), every rank on ``--threads`` threads, with the
example's published ogbl-ddi configuration (hidden 224, global batch 24,576
links: with 2 ranks, 12,288 per rank and step). One warm-up step, then
``--steps`` steps are timed and the epoch time is extrapolated to the 44
steps of the 1,067,911 training links. The same number of steps then runs
under DistributedDataParallel's ``no_sync`` (gradients not all-reduced):
the difference is the communication the backward pass did not hide
("comm share" adds the epoch's broadcast of its link order and negatives,
which rank 0 draws). One all-reduce of a gradient-sized buffer and the
gathering of the evaluation scores are timed on their own.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import time
from pathlib import Path

DATASET = "ogbl-ddi"


def _worker(rank: int, size: int, port: int, args: argparse.Namespace, out: str) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(size), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    import torch

    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "link_pred"))
    from ncn import CONFIGS, build_models, load_task

    from graphrep.nn.link import link_adjacency
    from graphrep.train.distributed import init_world
    from graphrep.train.link import LinkTrainConfig, _LinkModel, _train_epoch, evaluate_link_predictor
    from graphrep.utils import seed_everything, set_quiet

    set_quiet(True)
    with init_world("cpu") as world:
        start = time.perf_counter()
        split = world.in_turns(lambda: load_task(DATASET, args.data_root, seed=0))
        load_s = time.perf_counter() - start
        seed_everything(0)
        encoder, predictor = build_models(DATASET, "ncn", split, depth=1)
        config = CONFIGS[DATASET]
        num_train = split.train.size(1)
        steps_per_epoch = -(-num_train // config["batch_size"])

        def steps(count: int) -> LinkTrainConfig:
            return LinkTrainConfig(batch_size=config["batch_size"], eval_batch_size=config["eval_batch_size"],
                                   train_fraction=count * config["batch_size"] / num_train,
                                   metrics=("hits@20",), metric="hits@20")

        adj = link_adjacency(split.train, split.num_nodes)
        x = split.node_input()
        model = world.wrap(_LinkModel(encoder, predictor))
        optimizer = torch.optim.Adam(model.parameters(), lr=config["encoder_lr"])

        def timed(count: int, sync: bool) -> float:
            world.barrier()
            start = time.perf_counter()
            with contextlib.nullcontext() if sync or world.size == 1 else model.no_sync():
                _train_epoch(model, split, adj, x, optimizer, steps(count), world)
            world.barrier()
            return (time.perf_counter() - start) / count

        timed(1, True)  # warm-up
        row = {"ranks": world.size, "threads": args.threads, "steps_per_epoch": steps_per_epoch, "load_s": load_s,
               "parameters": sum(p.numel() for p in model.parameters()), "step_s": timed(args.steps, True)}
        row["step_no_sync_s"] = timed(args.steps, False) if world.size > 1 else row["step_s"]
        links = torch.zeros(3, num_train, dtype=torch.long)
        world.barrier()
        start = time.perf_counter()
        world.broadcast(links)
        row["epoch_links_broadcast_s"] = time.perf_counter() - start
        gradients = torch.zeros(row["parameters"])
        world.barrier()
        start = time.perf_counter()
        world.all_reduce(gradients)
        row["all_reduce_s"] = time.perf_counter() - start
        row["epoch_s"] = steps_per_epoch * row["step_s"] + row["epoch_links_broadcast_s"]
        row["communication_share"] = (row["step_s"] - row["step_no_sync_s"] + row["epoch_links_broadcast_s"]
                                      / steps_per_epoch) / row["step_s"]
        evaluation = steps(1)
        world.barrier()
        start = time.perf_counter()
        metrics = evaluate_link_predictor(encoder, predictor, split, evaluation, adj=adj, world=world)
        world.barrier()
        row["eval_s"] = time.perf_counter() - start
        pairs = sum(getattr(split, name).size(1) for name in ("valid", "valid_neg", "test", "test_neg"))
        scores = torch.zeros(world.part(pairs).stop - world.part(pairs).start)
        world.barrier()
        start = time.perf_counter()
        world.all_gather(scores, [pairs // world.size + (rank < pairs % world.size) for rank in range(world.size)])
        row["eval_gather_s"] = time.perf_counter() - start
        row["valid_hits@20"] = metrics["valid"]["hits@20"]
        if world.is_main:
            torch.save(row, out)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(size: int, args: argparse.Namespace) -> dict:
    import tempfile

    import torch
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as folder:
        out = f"{folder}/row.pt"
        mp.start_processes(_worker, args=(size, _free_port(), args, out), nprocs=size, start_method="spawn")
        return torch.load(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="threads per rank")
    parser.add_argument("--steps", type=int, default=2, help="timed training steps per world size")
    parser.add_argument("--out", default=None, help="results JSON")
    args = parser.parse_args(argv)
    import torch

    print(f"{DATASET}, NCN, CPU (gloo), {args.threads} thread(s) per rank, torch {torch.__version__}\n")
    header = (f"{'ranks':>5} {'s / step':>9} {'no sync':>8} {'all-reduce':>11} {'s / epoch':>10} "
              f"{'comm share':>11} {'eval s':>7} {'gather s':>9}")
    print(header)
    rows = []
    for size in args.ranks:
        row = measure(size, args)
        rows.append(row)
        print(f"{row['ranks']:>5} {row['step_s']:>9.2f} {row['step_no_sync_s']:>8.2f} {row['all_reduce_s']:>11.3f} "
              f"{row['epoch_s']:>10.1f} "
              f"{100 * row['communication_share']:>10.1f}% {row['eval_s']:>7.1f} {row['eval_gather_s']:>9.3f}",
              flush=True)
    if args.out:
        from graphrep.utils import write_json

        write_json(args.out, {"dataset": DATASET, "model": "ncn", "args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()
