"""The second-minimum task of "Learnable Commutative Monoids for Graph Neural
Networks" (Ong and Velickovic, LoG 2022): read a multiset of 8-bit integers
(each as its 8 binary digits, in {-1, +1}) and output the binary digits of its
second-smallest element (8 logits, binary cross-entropy); a prediction counts
as correct when all 8 digits are right. Models train on sets of 2 to 16
elements and are tested on larger sets (32, 64 and 128 elements), where sum
aggregation is known to fail.

Compared aggregators, each between the same element encoder (a two-layer ReLU
MLP; the LCM aggregations apply its second layer themselves) and the same
classifier:

* ``sum`` and ``max``: Deep Sets;
* ``pyg-gru``: PyG's GRUAggregation (a GRU read over the set);
* ``pyg-lcm``: PyG's LCMAggregation (dense, zero-padded tree);
* ``graphrep-lcm``: graphrep.nn.LCMAggregation (symmetrised GRU operator,
  segment-wise tree, random permutation of the sets while training; the
  associativity regulariser is available with ``--assoc-weight`` and off by
  default: it slowed training at every weight tried, 0.1 and 0.01).

The comparison rule: every model gets the same hidden size, the same Adam
optimiser with the same one-cycle learning-rate schedule (warm-up over the
first 30% of the steps to ``--lr``, cosine decay to zero), the same batch
size, the same number of steps and the same sequence of training batches (the
batch generator is seeded with ``--seed`` for every model). Only the
aggregation differs. The defaults were chosen by the in-distribution
validation loss of graphrep's LCM; docs/lcm.rst lists the alternatives tried
and the measured results.

The models train in parallel, one single-threaded process per core
(``--jobs``, default: the cores this process may use; ``--threads`` per
process). Each model's training depends only on its seed, so the results do
not depend on ``--jobs``.

The number of steps is ``--steps`` when given. By default it is derived from
the time budget (``--time-budget``, 14 minutes for the whole script): every
model is timed on a few training steps first (in the worker processes, so
the timing sees the same sharing of the cores as the training), and the
steps are the largest multiple of 100 that lets all models finish within the
budget when the longest jobs start first, keeping a reserve for evaluation.
The steps actually used are recorded; rerun with ``--steps`` to reproduce a
result on another machine.

    python examples/lcm_second_minimum.py --out results.json
    python examples/lcm_second_minimum.py --models graphrep-lcm sum --steps 500 -q
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import aggr as pyg_aggr

import graphrep.nn as gnn
from graphrep.utils import progress, seed_everything, set_quiet, write_json

MODELS = ("sum", "max", "pyg-gru", "pyg-lcm", "graphrep-lcm")
BITS = 8
TEST_SIZES = (32, 64, 128)
SHIFTS = torch.arange(BITS - 1, -1, -1)


def make_sets(num_sets: int, min_size: int, max_size: int, generator: torch.Generator):
    """Random multisets of integers in [0, 256): their binary digits as
    +-1 ``[E, 8]``, the sorted set index ``[E]`` and the second minima ``[B]``."""
    sizes = torch.randint(min_size, max_size + 1, (num_sets,), generator=generator)
    values = torch.randint(0, 2**BITS, (int(sizes.sum()),), generator=generator)
    index = torch.repeat_interleave(torch.arange(num_sets), sizes)
    # Second minimum: sort by (set, value); the second element of every set.
    order = (index * 2**BITS + values).argsort()
    starts = torch.cumsum(sizes, 0) - sizes
    labels = values[order][starts + 1]
    return 2.0 * to_digits(values) - 1, index, labels


def to_digits(values: Tensor) -> Tensor:
    """Binary digits, most significant first: ``[n]`` to ``[n, 8]`` floats."""
    return ((values.unsqueeze(-1) >> SHIFTS) & 1).float()


class SetClassifier(torch.nn.Module):
    """Element encoder, aggregator, classifier."""

    def __init__(self, kind: str, hidden: int):
        super().__init__()
        self.kind = kind
        # Every model embeds an element with the same two-layer ReLU MLP: the
        # LCM aggregations apply the second layer themselves (project=True).
        if kind in MODELS[:3]:
            self.encoder = torch.nn.Sequential(
                torch.nn.Linear(BITS, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                torch.nn.ReLU())
        else:
            self.encoder = torch.nn.Sequential(torch.nn.Linear(BITS, hidden), torch.nn.ReLU())
        if kind == "sum":
            self.aggr = pyg_aggr.SumAggregation()
        elif kind == "max":
            self.aggr = pyg_aggr.MaxAggregation()
        elif kind == "pyg-gru":
            self.aggr = pyg_aggr.GRUAggregation(hidden, hidden)
        elif kind == "pyg-lcm":
            self.aggr = pyg_aggr.LCMAggregation(hidden, hidden, project=True)
        elif kind == "graphrep-lcm":
            self.aggr = gnn.LCMAggregation(hidden, hidden, project=True, permute=True)
        else:
            raise ValueError(f"unknown model {kind!r}; known: {', '.join(MODELS)}")
        self.classifier = torch.nn.Sequential(
            torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, BITS))

    def forward(self, digits: Tensor, index: Tensor, num_sets: int) -> Tensor:
        return self.classifier(self.aggr(self.encoder(digits), index, dim_size=num_sets))


def evaluate(model: SetClassifier, data) -> tuple[float, float]:
    """Accuracy (all 8 digits right) and mean binary cross-entropy on ``data``."""
    digits, index, labels = data
    model.eval()
    with torch.no_grad():
        logits = model(digits, index, labels.numel())
        loss = F.binary_cross_entropy_with_logits(logits, to_digits(labels))
        predicted = ((logits > 0).long() << SHIFTS).sum(-1)
    model.train()
    return float((predicted == labels).float().mean()), float(loss)


class Trainer:
    """One model with its optimiser, learning-rate schedule and batch stream."""

    def __init__(self, kind: str, seed: int, args, steps: int):
        seed_everything(seed)
        self.kind, self.args = kind, args
        self.generator = torch.Generator().manual_seed(seed)
        self.model = SetClassifier(kind, args.hidden)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=args.lr)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=args.lr, total_steps=steps, pct_start=0.3)

    def step(self) -> float:
        digits, index, labels = make_sets(self.args.batch_size, 2, 16, self.generator)
        logits = self.model(digits, index, labels.numel())
        loss = F.binary_cross_entropy_with_logits(logits, to_digits(labels))
        if self.kind == "graphrep-lcm" and self.args.assoc_weight > 0:
            elements = self.model.encoder(digits)
            loss = loss + self.args.assoc_weight * gnn.associativity_loss(
                self.model.aggr, elements, num_triples=self.args.batch_size,
                generator=self.generator)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        return loss.item()


def seconds_per_step(kind: str, args, timed_steps: int = 60, warmup_steps: int = 20) -> float:
    """Wall-clock seconds of one training step of ``kind``, after warm-up steps
    (a 5 + 20-step calibration overestimated the steady-state cost by 20%)."""
    trainer = Trainer(kind, args.seed, args, steps=warmup_steps + timed_steps)
    for _ in range(warmup_steps):
        trainer.step()
    start = time.perf_counter()
    for _ in range(timed_steps):
        trainer.step()
    return (time.perf_counter() - start) / timed_steps


def make_test_sets(args) -> dict:
    """1000 (``--test-sets``) sets per column, the same for every model and seed."""
    generator = torch.Generator().manual_seed(10_000 + args.seed)
    test_sets = {"2-16": make_sets(args.test_sets, 2, 16, generator)}
    for size in TEST_SIZES:
        test_sets[str(size)] = make_sets(args.test_sets, size, size, generator)
    return test_sets


# Where a worker process sends its progress (number of steps done since the last report).
_progress_queue = None


def _init_worker(threads: int, progress_queue) -> None:
    global _progress_queue
    torch.set_num_threads(threads)
    _progress_queue = progress_queue


def train_one(kind: str, seed: int, args, steps: int, report: Callable[[int], None] | None = None) -> dict:
    if report is None and _progress_queue is not None:
        report = _progress_queue.put
    trainer = Trainer(kind, seed, args, steps)
    start, cpu_start = time.perf_counter(), time.process_time()
    for step in range(1, steps + 1):
        loss = trainer.step()
        if report is not None and (step % 100 == 0 or step == steps):
            report(step % 100 or 100)
    result = {"model": kind, "seed": seed, "steps": steps,
              "train_seconds": time.perf_counter() - start,
              "train_cpu_seconds": time.process_time() - cpu_start,
              "final_loss": loss, "accuracy": {}, "loss": {}}
    for name, data in make_test_sets(args).items():
        result["accuracy"][name], result["loss"][name] = evaluate(trainer.model, data)
    return result


def usable_cores() -> int:
    """The cores this process may run on (all of them where that is unknown)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def makespan(costs: list[float], workers: int) -> float:
    """Finishing time of jobs of these costs on ``workers`` workers when the
    longest start first and each goes to the first free worker."""
    loads = [0.0] * workers
    for cost in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += cost
    return max(loads)


def run_parallel(function: Callable, calls: list[tuple], args, total_steps: int = 0) -> list:
    """``function(*call)`` for every call, on ``args.jobs`` processes in
    submission order; a progress bar over ``total_steps`` training steps."""
    if args.jobs == 1:
        with progress(total=total_steps, desc="training steps", disable=args.quiet or not total_steps) as bar:
            return [function(*call, report=bar.update) if total_steps else function(*call) for call in calls]
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    with ProcessPoolExecutor(args.jobs, mp_context=context, initializer=_init_worker,
                             initargs=(args.threads, progress_queue)) as pool:
        futures = [pool.submit(function, *call) for call in calls]
        with progress(total=total_steps, desc="training steps", disable=args.quiet or not total_steps) as bar:
            while not all(future.done() for future in futures):
                try:
                    bar.update(progress_queue.get(timeout=0.5))
                except queue.Empty:
                    pass
        return [future.result() for future in futures]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the results JSON here")
    parser.add_argument("--data-root", default=None, help="unused: the task's data is synthetic")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--runs", type=int, default=1, help="seeds per model: seed, seed + 1, ...")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps of every model (default: fit --time-budget)")
    parser.add_argument("--time-budget", type=float, default=14.0,
                        help="minutes for the whole script when --steps is not given")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3, help="peak learning rate")
    parser.add_argument("--assoc-weight", type=float, default=0.0,
                        help="weight of graphrep.nn.associativity_loss (graphrep-lcm only; default off)")
    parser.add_argument("--test-sets", type=int, default=1000, help="test sets per size")
    parser.add_argument("--jobs", type=int, default=None,
                        help="models trained at once, one process each (default: the usable cores)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    for name in ("steps", "batch_size", "hidden", "test_sets", "threads", "runs", "jobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
    if args.time_budget <= 0 or args.lr <= 0:
        parser.error("--time-budget and --lr must be positive")
    set_quiet(args.quiet)
    torch.set_num_threads(args.threads)
    wall_start = time.perf_counter()
    load_start = os.getloadavg()

    seeds = [args.seed + offset for offset in range(args.runs)]
    jobs = [(kind, seed) for kind in args.models for seed in seeds]
    args.jobs = min(args.jobs or usable_cores(), len(jobs))
    steps, timings = args.steps, None
    if steps is None:
        timings = dict(zip(args.models, run_parallel(seconds_per_step, [(k, args) for k in args.models], args)))
        # Keep 10% of the budget and 30 s for evaluation and changes in load.
        left = 60 * args.time_budget * 0.9 - 30 - (time.perf_counter() - wall_start)
        per_step = makespan([timings[kind] for kind, _ in jobs], args.jobs)
        steps = max(100, int(left / per_step) // 100 * 100)
        if not args.quiet:
            print(f"{steps} steps per model fit the {args.time_budget:g}-minute budget on {args.jobs} "
                  f"processes (ms per step: {', '.join(f'{k} {1000 * v:.1f}' for k, v in timings.items())})",
                  file=sys.stderr)
        # The longest jobs first, so that the schedule is the one the steps were fitted to.
        jobs.sort(key=lambda job: -timings[job[0]])

    results = run_parallel(train_one, [(kind, seed, args, steps) for kind, seed in jobs], args,
                           total_steps=steps * len(jobs))
    runs = sorted(results, key=lambda run: (args.models.index(run["model"]), run["seed"]))
    if not args.quiet:
        for run in runs:
            accuracies = "  ".join(f"{k}: {v:.3f}" for k, v in run["accuracy"].items())
            print(f"{run['model']:>13} seed {run['seed']}: {accuracies}  ({run['train_seconds']:.0f} s)",
                  file=sys.stderr)
    test_sets = list(runs[0]["accuracy"])

    summary = {}
    for kind in args.models:
        mine = [run for run in runs if run["model"] == kind]
        summary[kind] = {}
        for name in test_sets:
            values = [run["accuracy"][name] for run in mine]
            summary[kind][name] = {"mean": statistics.fmean(values),
                                   "std": statistics.pstdev(values) if len(values) > 1 else 0.0}
    print(format_table(summary, test_sets))
    result = {
        "task": "second minimum of 8-bit integers; train sizes 2-16",
        "config": {key: value for key, value in vars(args).items() if key not in ("out", "quiet")},
        "steps": steps,
        "calibration_seconds_per_step": timings,
        "seeds": seeds, "runs": runs, "summary": summary,
        "load_average_start": load_start, "load_average_end": os.getloadavg(),
        "wall_time_s": time.perf_counter() - wall_start,
    }
    if args.out:
        write_json(args.out, result)
    return result


def format_table(summary: dict, sizes: list[str]) -> str:
    header = "| model         | " + " | ".join(f"size {size:>5}" for size in sizes) + " |"
    lines = [header, "|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|"]
    for kind, row in summary.items():
        cells = " | ".join(f"{100 * row[size]['mean']:>9.1f}%" for size in sizes)
        lines.append(f"| {kind:<13} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
