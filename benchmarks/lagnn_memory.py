"""Peak memory of LA-GNN's CVAE pretraining (LocalAugmenter.fit) on a
synthetic graph, against what materialising every (neighbour, centre) pair
as dense arrays would need (the published code's approach).

    python benchmarks/lagnn_memory.py --edges 2000000 --features 128

``--edges`` counts ``edge_index`` columns, i.e. (neighbour, centre) pairs.
The peak is the process's maximum resident set size (``ru_maxrss``), so it
includes the interpreter, torch and the graph itself.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time

import torch

from graphrep.nn import LocalAugmenter
from graphrep.utils import set_quiet, write_json


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    set_quiet(args.quiet)
    if args.threads:
        torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    x = torch.randn(args.nodes, args.features, generator=generator)
    edge_index = torch.randint(0, args.nodes, (2, args.edges), generator=generator)
    augmenter = LocalAugmenter(args.features)
    before = rss_mib()
    start = time.perf_counter()
    augmenter.fit(x, edge_index, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    elapsed = time.perf_counter() - start
    peak = peak_rss_mib()
    dense_pairs = 2 * args.edges * args.features * 4 / 2**20  # float32 neighbour + centre arrays
    rows = [
        ("pairs (edge_index columns)", f"{args.edges:,}"),
        ("nodes x features", f"{args.nodes:,} x {args.features}"),
        ("batch size / epochs", f"{args.batch_size} / {args.epochs}"),
        ("likelihood", augmenter.likelihood),
        ("fit wall time (s)", f"{elapsed:.1f}"),
        ("RSS before fit (MiB)", f"{before:.0f}"),
        ("peak RSS of the process (MiB)", f"{peak:.0f}"),
        ("peak increase during fit (MiB)", f"{peak - before:.0f}"),
        ("dense pair arrays would need (MiB)", f"{dense_pairs:.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    result = {"edges": args.edges, "nodes": args.nodes, "features": args.features, "batch_size": args.batch_size,
              "epochs": args.epochs, "seeds": [args.seed], "wall_time_s": elapsed, "rss_before_mib": before,
              "peak_rss_mib": peak, "dense_pairs_mib": dense_pairs, "history": augmenter.history_}
    if args.out:
        write_json(args.out, result)
    return result


if __name__ == "__main__":
    sys.exit(main() and 0)
