"""Node-label prediction with random-walk versus graphlet-orbit embeddings,
the comparison of "Graphlets correct for the topological information missed
by random walks" (Windels, Malod-Dognin and Przulj, 2024).

Features compared, each fed to the same classifier:

* ``degree``: log(1 + degree);
* ``orbit-counts``: log(1 + graphlet degree vector), the 15 orbit counts;
* ``rwpmi``: NetMF / random-walk PMI embedding (window T, dimension d);
* ``gopmi``: PMI + SVD of each of the 28 orbit adjacency matrices, concatenated;
* ``rwpmi+gopmi``: both side by side.

Classifier: one-vs-rest logistic regression on standardised features,
5-fold stratified cross-validation, micro- and macro-F1. PPI is multi-label:
folds are plain shuffled 5-fold splits and each test node gets its top-k
scored labels, k being its true number of labels (the DeepWalk / node2vec
protocol). Classes with fewer members than folds (email-Eu-core has a few)
are left out of the evaluation (their nodes still shape the embeddings).

    python examples/orbits_vs_walks.py --data-root DATA --out results.json
    python examples/orbits_vs_walks.py --datasets airports-brazil email-eu -q --out small.json
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

from graphrep import as_graph
from graphrep.utils import progress, seed_everything, set_quiet, write_json

DATASETS = ("airports-usa", "airports-europe", "airports-brazil", "email-eu", "ppi")
FEATURES = ("degree", "orbit-counts", "rwpmi", "gopmi", "rwpmi+gopmi")


def load(name: str, root):
    """``(graph, labels)``: labels ``int[n]``, or ``float[n, L]`` multi-hot for PPI."""
    from graphrep.datasets import load_airports, load_email_eu, load_ppi

    if name.startswith("airports-"):
        data = load_airports(name.split("-", 1)[1], root)[0]
    elif name == "email-eu":
        data = load_email_eu(root)
    elif name == "ppi":
        data = load_ppi(root)
    else:
        raise ValueError(f"unknown dataset {name!r}; choose from {DATASETS}")
    return as_graph(data), data.y.numpy()


def features(graph, args) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Every feature set of one graph, and the seconds each took."""
    from graphrep.embed import gopmi, rwpmi
    from graphrep.orbits import orbit_adjacency, orbit_counts

    seconds = {}
    begin = time.perf_counter()
    degree = np.log1p(graph.degrees.astype(np.float64))[:, None]
    seconds["degree"] = time.perf_counter() - begin
    begin = time.perf_counter()
    counts = np.log1p(orbit_counts(graph).astype(np.float64))
    seconds["orbit-counts"] = time.perf_counter() - begin
    begin = time.perf_counter()
    walk = rwpmi(graph, args.dim, window=args.window, seed=args.seed)
    seconds["rwpmi"] = time.perf_counter() - begin
    begin = time.perf_counter()
    orbit = gopmi(orbit_adjacency(graph), args.gopmi_dim, seed=args.seed)
    seconds["gopmi"] = time.perf_counter() - begin
    seconds["rwpmi+gopmi"] = seconds["rwpmi"] + seconds["gopmi"]
    table = {"degree": degree, "orbit-counts": counts, "rwpmi": walk, "gopmi": orbit,
             "rwpmi+gopmi": np.concatenate([walk, orbit], axis=1)}
    return {name: table[name] for name in args.features}, {name: seconds[name] for name in args.features}


def classifier(seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(),
        OneVsRestClassifier(LogisticRegression(C=1.0, max_iter=500, random_state=seed)),
    )


def evaluate(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> list[dict[str, float]]:
    """Per-fold micro/macro F1 of one-vs-rest logistic regression."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import KFold, StratifiedKFold
    from threadpoolctl import threadpool_limits

    results = []
    multilabel = y.ndim == 2
    splitter = (KFold(folds, shuffle=True, random_state=seed) if multilabel
                else StratifiedKFold(folds, shuffle=True, random_state=seed))
    for train, test in splitter.split(x, y if not multilabel else None):
        model = classifier(seed)
        # One BLAS thread: these small problems spend more time waking threads than computing.
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")  # convergence chatter on tiny folds
            model.fit(x[train], y[train])
        if multilabel:
            scores = model.decision_function(x[test])
            k = y[test].sum(axis=1).astype(int)
            ranks = np.argsort(-scores, axis=1).argsort(axis=1)
            predicted = (ranks < k[:, None]).astype(int)
            truth = y[test].astype(int)
        else:
            predicted, truth = model.predict(x[test]), y[test]
        results.append({
            "micro_f1": float(f1_score(truth, predicted, average="micro")),
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        })
    return results


def summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="results.json")
    parser.add_argument("--data-root", default=None, help="data root (default: $GRAPHREP_DATA, then the cache)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--features", nargs="+", default=list(FEATURES), choices=FEATURES)
    parser.add_argument("--seed", type=int, default=0, help="seeds the folds, the SVDs and the classifier")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--dim", type=int, default=128, help="RWPMI dimension")
    parser.add_argument("--gopmi-dim", type=int, default=16, help="GOPMI dimension per orbit adjacency")
    parser.add_argument("--window", type=int, default=10, help="RWPMI window T")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args()
    set_quiet(args.quiet)
    seed_everything(args.seed)
    wall = time.perf_counter()

    results = {}
    for name in progress(args.datasets, desc="datasets"):
        begin = time.perf_counter()
        graph, labels = load(name, args.data_root)
        table, seconds = features(graph, args)
        evaluated = np.arange(graph.num_nodes)
        if labels.ndim == 1:
            classes, members = np.unique(labels, return_counts=True)
            evaluated = np.flatnonzero(np.isin(labels, classes[members >= args.folds]))
        entry = {"nodes": graph.num_nodes, "edges": graph.num_edges,
                 "evaluated_nodes": int(evaluated.size), "features": {}}
        for feature, x in table.items():
            runs = evaluate(x[evaluated], labels[evaluated], args.folds, args.seed)
            entry["features"][feature] = {
                "dim": int(x.shape[1]), "feature_seconds": seconds[feature], "folds": runs,
                "micro_f1": summary([run["micro_f1"] for run in runs]),
                "macro_f1": summary([run["macro_f1"] for run in runs]),
            }
        entry["seconds"] = time.perf_counter() - begin
        results[name] = entry
        if not args.quiet:
            print(f"{name}: {entry['seconds']:.1f} s", flush=True)

    print(f"{'dataset':16s} {'features':13s} {'dim':>5s} {'micro-F1':>15s} {'macro-F1':>15s}")
    for name, entry in results.items():
        for feature, row in entry["features"].items():
            micro, macro = row["micro_f1"], row["macro_f1"]
            print(f"{name:16s} {feature:13s} {row['dim']:5d} {micro['mean']:8.3f} ± {micro['std']:.3f}"
                  f" {macro['mean']:8.3f} ± {macro['std']:.3f}")
    wall = time.perf_counter() - wall
    cpu = time.process_time()
    print(f"wall time {wall:.1f} s, CPU time {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}")
    write_json(args.out, {
        "experiment": "orbits_vs_walks", "seeds": [args.seed], "args": vars(args),
        "protocol": "one-vs-rest logistic regression on standardised features, "
                    f"{args.folds}-fold (stratified for single-label) cross-validation; "
                    "multi-label: top-k labels with k the true count",
        "results": results, "wall_time_s": wall, "cpu_time_s": cpu,
        "load_average_1min_at_end": os.getloadavg()[0],
    })


if __name__ == "__main__":
    main()
