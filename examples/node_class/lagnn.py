"""LA-GNN node classification: pretrain (or load) the neighbour-feature CVAE,
then train the backbone with and without local augmentation, several seeds
each, and report mean +- std test accuracy.

    python examples/node_class/lagnn.py --dataset Cora --model gcn --runs 10 \\
        --data-root DATA --out results.json

Planetoid datasets use the public split and row-normalised features (the
generated features are row-normalised the same way); ogbn-* datasets use
OGB's split, an undirected graph and raw features. The plain baseline is the
same architecture with no generated copies, as wide after its first layer
as the augmented model (``(K + 1) * hidden``), trained by the same loop
without consistency loss; both select the epoch with the lowest validation
loss (best validation accuracy on OGB).

On Planetoid the CVAE weights kept are those the paper's code keeps: the
ones whose samples a label-trained GCN reads most consistently across dropout
passes (``AgreementScore``; ``--cvae-select elbo`` keeps the best validation
ELBO instead, the default on OGB).

Generated features are drawn for every forward pass from a pool of
``--pool-size`` CVAE samples made once per run: sampling a CVAE costs about
as much as a training step, the pool keeps training at the backbone's cost.

Several processes, GPUs or machines: start the same command with torchrun
(docs/distributed.rst). The CVAE pretraining pairs and the training nodes
are split between the processes; every process runs the full-graph forward
passes, with its own dropout and generated draws.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F

from graphrep.datasets import cache_root, load_ogb, load_planetoid
from graphrep.nn import LAGAT, LAGCN, LAGCNII, LASAGE, LocalAugmenter
from graphrep.train.distributed import World, init_world
from graphrep.train.node import pool_sampler, train_node_classifier
from graphrep.utils import progress, seed_everything, set_quiet, write_json

PLANETOID = ("Cora", "CiteSeer", "PubMed")

# The paper's settings (its semi.sh / OGB scripts), per dataset family.
DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("planetoid", "gcn"): dict(hidden=8, num_layers=2, dropout=0.5, lr=0.01, weight_decay=5e-4, epochs=2000),
    ("planetoid", "gat"): dict(hidden=8, heads=4, num_layers=2, dropout=0.6, lr=0.01, weight_decay=5e-4,
                               epochs=1000),
    ("planetoid", "sage"): dict(hidden=8, num_layers=2, dropout=0.5, lr=0.01, weight_decay=5e-4, epochs=2000),
    ("planetoid", "gcnii"): dict(hidden=32, num_layers=64, dropout=0.6, lr=0.01, weight_decay=5e-4,
                                 epochs=1000, alpha=0.1, theta=0.5),
    ("ogb", "gcn"): dict(hidden=256, num_layers=3, dropout=0.5, lr=0.01, weight_decay=0.0, epochs=500),
    ("ogb", "sage"): dict(hidden=256, num_layers=3, dropout=0.5, lr=0.01, weight_decay=0.0, epochs=500),
    ("ogb", "gat"): dict(hidden=64, heads=4, num_layers=3, dropout=0.5, lr=0.01, weight_decay=0.0, epochs=500),
    ("ogb", "gcnii"): dict(hidden=256, num_layers=16, dropout=0.5, lr=0.01, weight_decay=0.0, epochs=500,
                           alpha=0.1, theta=0.5),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="Cora", help="Cora, CiteSeer, PubMed or an ogbn-* name")
    parser.add_argument("--model", default="gcn", choices=["gcn", "gat", "sage", "gcnii"])
    parser.add_argument("--no-augment", action="store_true", help="train only the plain backbone")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="run r uses seed + r")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", default=None, help="results JSON (written by rank 0)")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                        help="under torchrun, 'cuda' means each process's GPU (LOCAL_RANK)")
    # backbone (defaults: DEFAULTS for the dataset family and model)
    for name, kind in (("hidden", int), ("num-layers", int), ("heads", int), ("dropout", float),
                       ("lr", float), ("weight-decay", float), ("epochs", int), ("patience", int)):
        parser.add_argument(f"--{name}", type=kind, default=None)
    parser.add_argument("--mode", default="concat", choices=["concat", "average"])
    # augmentation
    parser.add_argument("--num-generated", type=int, default=1, help="generated copies K per forward")
    parser.add_argument("--samples", type=int, default=4, help="forward passes S per step")
    parser.add_argument("--consistency", type=float, default=1.0, help="consistency weight lambda")
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument("--pool-size", type=int, default=16)
    # CVAE
    parser.add_argument("--cvae-hidden", type=int, default=256)
    parser.add_argument("--cvae-latent", type=int, default=10)
    parser.add_argument("--cvae-epochs", type=int, default=10)
    parser.add_argument("--cvae-batch-size", type=int, default=64)
    parser.add_argument("--cvae-lr", type=float, default=0.01)
    parser.add_argument("--cvae-seed", type=int, default=None, help="CVAE seed (default: --seed)")
    parser.add_argument("--cvae-select", default=None, choices=["agreement", "elbo"],
                        help="keep the CVAE weights on which a classifier agrees most (the paper's rule for "
                             "Planetoid, the default there) or those with the best validation ELBO (default on OGB)")
    parser.add_argument("--cvae-eval-every", type=int, default=10, help="CVAE steps between selection measurements")
    parser.add_argument("--cvae-warmup", type=int, default=200, help="CVAE steps before agreement selection starts")
    parser.add_argument("--cvae-passes", type=int, default=50, help="dropout passes of the agreement score")
    parser.add_argument("--cvae-cache", default=None,
                        help="CVAE weights file (default: a file in graphrep's cache keyed by the settings)")
    args = parser.parse_args(argv)
    family = "planetoid" if args.dataset.lower() in {n.lower() for n in PLANETOID} else "ogb"
    if family == "ogb" and not args.dataset.startswith("ogbn-"):
        parser.error(f"--dataset must be one of {', '.join(PLANETOID)} or ogbn-*, got {args.dataset!r}")
    args.family = family
    for key, value in DEFAULTS[(family, args.model)].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for key in ("alpha", "theta"):
        if not hasattr(args, key):
            setattr(args, key, None)
    if args.cvae_select is None:
        args.cvae_select = "agreement" if family == "planetoid" else "elbo"
    if args.heads is None:
        args.heads = 1
    if args.runs <= 0 or args.num_generated < 0 or args.samples <= 0 or args.pool_size < args.num_generated:
        parser.error("need --runs > 0, --samples > 0 and --pool-size >= --num-generated >= 0")
    return args


def load_dataset(args: argparse.Namespace, world: World = World()):
    """``(data, split)`` for the named dataset; ``data.x`` holds the raw
    features the CVAE models. With several processes they load in turns (the
    loaders stage files in a cache)."""
    return world.in_turns(lambda: _load_dataset(args))


def _load_dataset(args: argparse.Namespace):
    if args.family == "planetoid":
        data = load_planetoid(args.dataset, args.data_root)[0]
        split = {"train": data.train_mask, "valid": data.val_mask, "test": data.test_mask}
        return data, split
    return prepare_ogb(load_ogb(args.dataset, args.data_root))


def prepare_ogb(dataset) -> tuple[Any, dict[str, torch.Tensor]]:
    """An OGB node-property dataset as ``(data, split)``: undirected edges,
    labels ``[N]``, OGB's split indices."""
    from torch_geometric.utils import to_undirected

    data = dataset[0]
    data.edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
    data.y = data.y.view(-1)
    split = dataset.get_idx_split()
    return data, {name: torch.as_tensor(split[name]).long() for name in ("train", "valid", "test")}


def row_normalise(x: torch.Tensor) -> torch.Tensor:
    return x / x.sum(-1, keepdim=True).clamp_min(1e-12)


def build_model(args: argparse.Namespace, in_channels: int, out_channels: int, num_generated: int):
    """The LA model with ``num_generated`` copies; the plain baseline (0
    copies) gets ``(K + 1)`` times the first-layer width."""
    hidden = args.hidden if num_generated else args.hidden * (args.num_generated + 1)
    common = dict(num_generated=num_generated, num_layers=args.num_layers, dropout=args.dropout, mode=args.mode)
    batch_norm = args.family == "ogb"
    if args.model == "gcn":
        return LAGCN(in_channels, hidden, out_channels, batch_norm=batch_norm, cached=True, **common)
    if args.model == "sage":
        return LASAGE(in_channels, hidden, out_channels, batch_norm=batch_norm, **common)
    if args.model == "gat":
        return LAGAT(in_channels, hidden, out_channels, heads=args.heads, **common)
    return LAGCNII(in_channels, hidden, out_channels, alpha=args.alpha, theta=args.theta, cached=True, **common)


def cvae_settings(args: argparse.Namespace) -> dict[str, Any]:
    settings = dict(hidden_channels=args.cvae_hidden, latent_channels=args.cvae_latent, epochs=args.cvae_epochs,
                    batch_size=args.cvae_batch_size, lr=args.cvae_lr,
                    seed=args.seed if args.cvae_seed is None else args.cvae_seed, select=args.cvae_select)
    if args.cvae_select == "agreement":
        settings.update(eval_every=args.cvae_eval_every, warmup=args.cvae_warmup, passes=args.cvae_passes)
    return settings


class AgreementScore:
    r"""The paper's CVAE selection rule (its ``cvae_pretrain.py``): a GCN
    (hidden 32, dropout 0.5) pretrained for 100 epochs on the original
    features reads one generated matrix ``passes`` times with dropout on, and
    the score is :math:`\mathrm{NLL}(\bar{p}) - \overline{\mathrm{NLL}(p)}`
    on the training nodes (at most 0; 0 when all passes agree). Each time the
    score improves, the GCN trains 20 more epochs on those generated features,
    so later candidates must beat a classifier that has seen the earlier ones.
    """

    def __init__(self, data, train: torch.Tensor, normalise: bool, passes: int, seed: int):
        """``data.x`` holds the raw features the CVAE models; ``train``
        indexes (or masks) the training nodes; ``normalise`` row-normalises
        the classifier's inputs, original and generated alike."""
        seed_everything(seed)
        self.features, self.train, self.normalise, self.passes = data.x, train, normalise, passes
        self.edge_index, self.y = data.edge_index, data.y
        num_classes = int(data.y.max()) + 1
        self.model = LAGCN(data.num_features, 32, num_classes, num_generated=0, dropout=0.5).to(data.x.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=0.01, weight_decay=5e-4)
        self.generator = torch.Generator(device=data.x.device).manual_seed(seed)
        self.fit_classifier(row_normalise(data.x) if normalise else data.x, 100)
        self.best = -float("inf")

    def fit_classifier(self, inputs: torch.Tensor, epochs: int) -> None:
        self.model.train()
        for _ in range(epochs):
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(inputs, self.edge_index)[self.train], self.y[self.train])
            loss.backward()
            self.optimizer.step()

    def __call__(self, augmenter: LocalAugmenter) -> float:
        generated = augmenter.sample(self.features, 1, generator=self.generator)[0]
        generated = row_normalise(generated) if self.normalise else generated
        self.model.train()  # dropout on: the passes differ
        with torch.no_grad():
            probabilities = torch.stack([self.model(generated, self.edge_index)[self.train].softmax(-1)
                                         for _ in range(self.passes)])  # [passes, train, C]
        labels = self.y[self.train]
        mean_nll = F.nll_loss(probabilities.clamp_min(1e-12).log().flatten(0, 1), labels.repeat(self.passes))
        score = float(F.nll_loss(probabilities.mean(0).clamp_min(1e-12).log(), labels) - mean_nll)
        if score > self.best:
            self.best = score
            self.fit_classifier(generated, 20)
        return score


def pretrained_augmenter(args: argparse.Namespace, data, split: dict[str, torch.Tensor], world: World = World()
                         ) -> tuple[LocalAugmenter, dict[str, Any]]:
    """Loads the CVAE from its cache file, or fits and saves it (weights
    only). With several processes, rank 0 reads and writes the file, and all
    fit together."""
    settings = cvae_settings(args)
    key = hashlib.sha1(json.dumps([args.dataset, int(data.num_nodes), int(data.num_edges), settings],
                                  sort_keys=True).encode()).hexdigest()[:12]
    path = Path(args.cvae_cache or cache_root() / "lagnn" / f"{args.dataset}-{key}.pt")
    seed_everything(settings["seed"])  # the initial weights too: the fit is reproducible
    augmenter = LocalAugmenter(data.num_features, settings["hidden_channels"], settings["latent_channels"])
    augmenter.to(world.device)
    info: dict[str, Any] = {"settings": settings, "path": str(path)}
    cached = world.from_main(lambda: torch.load(path, map_location="cpu", weights_only=True)
                             if path.exists() else None)
    if cached is not None:
        augmenter.load_state_dict(cached)
        augmenter.eval()
        info["loaded"] = True
        return augmenter, info
    start = time.perf_counter()
    fit = dict(epochs=settings["epochs"], batch_size=settings["batch_size"], lr=settings["lr"], seed=settings["seed"])
    if settings["select"] == "agreement":
        score = AgreementScore(data, split["train"].to(data.x.device), args.family == "planetoid",
                               settings["passes"], settings["seed"])
        # Selection, not the ELBO, decides: train all epochs (the patience can never run out).
        steps = settings["epochs"] * -(-data.edge_index.shape[1] // settings["batch_size"])
        fit.update(score=score, warmup=settings["warmup"], eval_every=settings["eval_every"], patience=steps + 1)
    augmenter.fit(data.x, data.edge_index, **fit, world=world)
    info.update(loaded=False, fit_time_s=time.perf_counter() - start, history=augmenter.history_)
    if world.is_main:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(augmenter.state_dict(), temporary)
        os.replace(temporary, path)
    return augmenter, info


def summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values) if len(values) > 1 else 0.0}


def run(args: argparse.Namespace, data, split: dict[str, torch.Tensor],
        on_seed: Callable[[dict[str, Any]], None] | None = None, world: World | None = None) -> dict[str, Any]:
    """Trains the configurations over ``args.runs`` seeds and returns the
    results; ``on_seed`` gets the results so far after every seed (on rank 0)."""
    start = time.perf_counter()
    world = World(device=args.device) if world is None else world
    log = world.is_main and not args.quiet
    data = data.to(world.device)
    features = data.x
    planetoid = args.family == "planetoid"
    inputs = data.clone()
    inputs.x = row_normalise(features) if planetoid else features
    num_classes = int(data.y.max()) + 1
    configs = ["plain"] if args.no_augment else ["plain", "augmented"]
    augmenter, cvae_info = (None, None) if args.no_augment else pretrained_augmenter(args, data, split, world)
    seeds = [args.seed + r for r in range(args.runs)]
    per_run: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    train_options = dict(epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay, patience=args.patience,
                         select="loss" if planetoid else "acc")
    for seed in progress(seeds, desc="runs", disable=None if world.is_main else True):
        for name in configs:
            seed_everything(seed)
            run_start = time.perf_counter()
            if name == "plain":
                model = build_model(args, data.num_features, num_classes, 0).to(world.device)
                result = train_node_classifier(model, inputs, split, **train_options, world=world)
            else:
                pool = augmenter.sample(features, args.pool_size, seed=seed)
                if planetoid:
                    pool = row_normalise(pool)
                model = build_model(args, data.num_features, num_classes, args.num_generated).to(world.device)
                # Each rank draws its own generated copies from the (common) pool.
                draw = pool_sampler(pool, args.num_generated, seed=world.rank_seed(seed))
                result = train_node_classifier(
                    model, inputs, split, generated=draw, num_forward=args.samples, consistency=args.consistency,
                    temperature=args.temperature, **train_options, world=world,
                )
                del pool
            per_run[name].append({"seed": seed, "val_acc": result.val_acc, "test_acc": result.test_acc,
                                  "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
                                  "wall_time_s": time.perf_counter() - run_start})
            if log:
                print(f"seed {seed} {name:9s} val {result.val_acc:.4f} test {result.test_acc:.4f} "
                      f"(best epoch {result.best_epoch})", file=sys.stderr, flush=True)
        if on_seed is not None and world.is_main:
            on_seed(payload(args, cvae_info, per_run, start, world))
    return payload(args, cvae_info, per_run, start, world)


def payload(args: argparse.Namespace, cvae_info: dict[str, Any] | None, per_run: dict[str, list[dict[str, Any]]],
            start: float, world: World = World()) -> dict[str, Any]:
    results = {}
    for name, runs in per_run.items():
        results[name] = {"test_acc": summary([r["test_acc"] for r in runs]),
                         "val_acc": summary([r["val_acc"] for r in runs]), "runs": runs}
    config = {k: v for k, v in vars(args).items() if k not in ("out", "quiet", "data_root")}
    return {"dataset": args.dataset, "model": args.model, "config": config,
            "seeds": [r["seed"] for r in next(iter(per_run.values()))], "cvae": cvae_info,
            "results": results, "wall_time_s": time.perf_counter() - start, "world_size": world.size,
            "backend": world.backend}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with init_world(args.device) as world:
        set_quiet(args.quiet or not world.is_main)
        data, split = load_dataset(args, world)
        results = run(args, data, split, on_seed=(lambda partial: write_json(args.out, partial)) if args.out else None,
                      world=world)
        if world.is_main:
            for name, result in results["results"].items():
                test = result["test_acc"]
                print(f"{args.dataset} {args.model} {name}: test accuracy {100 * test['mean']:.2f} +- "
                      f"{100 * test['std']:.2f} over {args.runs} runs")
        return results


if __name__ == "__main__":
    main()
