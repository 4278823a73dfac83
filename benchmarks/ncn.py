"""NCN / NCNC cost: time per training epoch and peak memory (Cora, ogbl-ddi),
and common-neighbour throughput for batch sizes 1k-64k.

    python benchmarks/ncn.py --data-root DATA

Each measurement runs in a fresh process, so "peak RSS" is that
measurement's own peak resident memory (CPU) or peak allocated CUDA memory.
ogbl-ddi epochs are long on a CPU: ``--ddi-batches`` training steps are timed
and the epoch time is extrapolated to all 1,067,911 training links (marked
"est.").
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time


def _peak_mb(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _task(dataset: str, data_root: str | None):
    sys.path.insert(0, "examples/link_pred")
    from ncn import load_task

    return load_task(dataset, data_root, seed=0)


def measure_epoch(dataset: str, model: str, data_root: str | None, device: str, threads: int,
                  max_batches: int | None) -> dict:
    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, "examples/link_pred")
    from ncn import CONFIGS, build_models

    from graphrep.nn.link import link_adjacency
    from graphrep.train.link import LinkTrainConfig, _LinkModel, _train_epoch

    torch.manual_seed(0)
    split = _task(dataset, data_root).to(device)
    encoder, predictor = build_models(dataset, model, split, depth=1)
    encoder.to(device), predictor.to(device)
    config = CONFIGS[dataset]
    num_train = split.train.size(1)
    fraction = 1.0 if max_batches is None else min(1.0, max_batches * config["batch_size"] / num_train)
    train_config = LinkTrainConfig(batch_size=config["batch_size"], train_fraction=fraction,
                                   metrics=("hits@20",), metric="hits@20")
    adj = link_adjacency(split.train, split.num_nodes)
    optimizer = torch.optim.Adam([*encoder.parameters(), *predictor.parameters()], lr=1e-3)
    start = time.perf_counter()
    _train_epoch(_LinkModel(encoder, predictor), split, adj, split.node_input(), optimizer, train_config)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / fraction
    return {"dataset": dataset, "model": model, "epoch_s": seconds, "estimated": fraction < 1.0,
            "peak_mb": _peak_mb(device)}


def measure_throughput(dataset: str, data_root: str | None, device: str, threads: int,
                       batch_sizes: list[int], repeats: int) -> list[dict]:
    import torch

    torch.set_num_threads(threads)
    from graphrep.nn.link import common_neighbors, link_adjacency

    split = _task(dataset, data_root)
    adj = link_adjacency(split.train, split.num_nodes).to(device)
    generator = torch.Generator().manual_seed(0)
    rows = []
    for batch_size in batch_sizes:
        pairs = torch.randint(0, split.num_nodes, (2, batch_size), generator=generator).to(device)
        common_neighbors(adj, pairs)  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            common = common_neighbors(adj, pairs)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = (time.perf_counter() - start) / repeats
        rows.append({"dataset": dataset, "batch_size": batch_size, "pairs_per_s": batch_size / seconds,
                     "mean_common": common._nnz() / batch_size})
    return rows


def _isolated(function, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ddi-batches", type=int, default=2, help="timed ogbl-ddi training steps")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-ddi", action="store_true")
    args = parser.parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    datasets = ["Cora"] + ([] if args.skip_ddi else ["ogbl-ddi"])
    print(f"device {device}, {args.threads} thread(s), torch {torch.__version__}\n")
    print(f"{'dataset':<10} {'model':<6} {'s / epoch':>14} {'peak RSS MB':>12}")
    for dataset in datasets:
        for model in ("cn0", "ncn", "ncnc"):
            if dataset == "ogbl-ddi" and model == "ncnc":
                continue  # completion scores ~B * degree extra pairs per step: a GPU workload on ddi
            row = _isolated(measure_epoch, dataset, model, args.data_root, device, args.threads,
                            args.ddi_batches if dataset == "ogbl-ddi" else None)
            epoch = f"{row['epoch_s']:.2f}" + (" (est.)" if row["estimated"] else "")
            print(f"{dataset:<10} {model:<6} {epoch:>14} {row['peak_mb']:>12.0f}", flush=True)
    print(f"\n{'dataset':<10} {'batch':>7} {'pairs / s':>12} {'mean |CN|':>10}")
    for dataset in datasets:
        for row in _isolated(measure_throughput, dataset, args.data_root, device, args.threads,
                             [1024, 4096, 16384, 65536], args.repeats):
            print(f"{dataset:<10} {row['batch_size']:>7} {row['pairs_per_s']:>12.0f} {row['mean_common']:>10.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
