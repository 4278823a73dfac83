"""IRWE evidence: identity (structural roles on Airports) and position
(departments on email-Eu-core, link prediction on Cora's topology), each
transductive and inductive, against log-degree, orbit-count, random-walk
encoding and node2vec baselines.

    python examples/irwe.py --out results.json --data-root DATA

Every classification score below uses the same nested cross-validation,
for every feature set alike: stratified 5-fold CV (micro-F1 on the outer
test folds); inside each outer training fold, a grid search with its own
stratified 5-fold CV picks the inverse regularisation strength C of a
logistic regression on standardised features from ``C_GRID``, then refits
on the whole outer training fold. The outer test fold never touches C or
the scaler.

Identity: structural-role classification on usa / europe / brazil; IRWE
fitted on the same graph (transductive) and fitted on usa only, then
applied to europe and brazil (inductive). Baselines: log-degree, orbit
counts, random-walk structural encodings (return probabilities) and a
node2vec-style skip-gram on graphrep's walks.

Position: email-Eu-core department prediction (same protocol) and KMeans
NMI with 42 clusters; Cora link prediction AUC (inner products) on test
edges incident to 20% held-out nodes. Inductive runs fit IRWE on the graph
induced by the other 80% of the nodes and embed the full graph afterwards.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score, roc_auc_score
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from graphrep import CSRGraph, as_graph
from graphrep.datasets import load_airports, load_email_eu, load_planetoid
from graphrep.nn import IRWE
from graphrep.utils import progress, seed_everything, set_quiet, write_json
from graphrep.walks import return_probabilities, sample_walks

RWSE_STEPS = 16
OUTER_FOLDS = 5
INNER_FOLDS = 5
C_GRID = np.logspace(-3, 2, 6)  # inverse L2 strength of the logistic regression
MAX_ITER = 1000


def classifier(seed: int) -> GridSearchCV:
    """Standardise, then logistic regression whose C is chosen by an inner
    stratified CV (micro-F1) on the data it is fitted on, then refitted there
    with that C; ties go to the smallest C (the first in ``C_GRID``)."""
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=MAX_ITER))
    inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=seed)
    return GridSearchCV(pipeline, {"logisticregression__C": C_GRID}, cv=inner, scoring="f1_micro")


PROTOCOL = {
    "classifier": "GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter="
                  f"{MAX_ITER})), C in C_grid, inner StratifiedKFold({INNER_FOLDS}, shuffle=True, "
                  "random_state=seed), scoring='f1_micro', refit on the outer training fold)",
    "C_grid": C_GRID.tolist(),
    "inner_folds": INNER_FOLDS,
    "outer_cv": f"StratifiedKFold({OUTER_FOLDS}, shuffle=True, random_state=seed), scoring='f1_micro'",
    "applies_to": "every classification score (all feature sets, Airports and email-Eu-core)",
    "before": "until this version: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), "
              "C = 1.0 fixed, same outer folds",
}


def micro_f1_cv(features: np.ndarray, labels: np.ndarray, seed: int) -> dict:
    """Nested CV: outer stratified folds score, inner folds (within each outer
    training fold only) choose C; see ``classifier``."""
    folds = StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        # email-Eu-core has departments with fewer than 5 members (outer and
        # inner folds warn about it); count convergence warnings instead.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        result = cross_validate(classifier(seed), features, labels, cv=folds, scoring="f1_micro",
                                return_estimator=True)
    scores = result["test_score"]
    return {"folds": scores.tolist(), "mean": float(scores.mean()), "std": float(scores.std()),
            "chosen_C": [float(model.best_params_["logisticregression__C"]) for model in result["estimator"]],
            "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning) for w in caught)}


def kmeans_nmi(features: np.ndarray, labels: np.ndarray, seed: int) -> float:
    clusters = KMeans(len(np.unique(labels)), n_init=10, random_state=seed).fit_predict(
        StandardScaler().fit_transform(features))
    return float(normalized_mutual_info_score(labels, clusters))


def skipgram_embedding(graph: CSRGraph, seed: int, dim: int = 64, walks_per_node: int = 10,
                       walk_length: int = 20, window: int = 5, negatives: int = 5, epochs: int = 1) -> np.ndarray:
    """node2vec-style embedding (p = q = 1): graphrep's walks, then skip-gram
    with negative sampling over a per-node table (transductive only)."""
    n = graph.num_nodes
    walks = sample_walks(graph, np.repeat(np.arange(n), walks_per_node), walk_length, seed=seed)
    centre, context = [], []
    for offset in range(1, window + 1):
        centre += [walks[:, :-offset].ravel(), walks[:, offset:].ravel()]
        context += [walks[:, offset:].ravel(), walks[:, :-offset].ravel()]
    centre, context = np.concatenate(centre), np.concatenate(context)
    noise = np.bincount(walks.ravel(), minlength=n).astype(np.float64) ** 0.75
    noise = torch.from_numpy(noise / noise.sum())
    generator = torch.Generator().manual_seed(seed)
    node_table = torch.nn.Embedding(n, dim, sparse=True)
    context_table = torch.nn.Embedding(n, dim, sparse=True)
    torch.nn.init.uniform_(node_table.weight, -0.5 / dim, 0.5 / dim, generator=generator)
    torch.nn.init.zeros_(context_table.weight)
    optimizer = torch.optim.SparseAdam(list(node_table.parameters()) + list(context_table.parameters()), lr=0.01)
    rng = np.random.default_rng(seed)
    batch = 8192
    for _ in range(epochs):
        order = rng.permutation(centre.shape[0])
        for start in progress(range(0, order.shape[0], batch), desc="skip-gram"):
            pick = order[start:start + batch]
            u = torch.from_numpy(centre[pick])
            v = torch.from_numpy(context[pick])
            neg = torch.multinomial(noise, pick.shape[0] * negatives, replacement=True, generator=generator)
            hu = node_table(u)
            positive = torch.nn.functional.logsigmoid((hu * context_table(v)).sum(-1))
            negative = torch.nn.functional.logsigmoid(
                -(hu.unsqueeze(1) * context_table(neg).view(pick.shape[0], negatives, dim)).sum(-1)).sum(-1)
            loss = -(positive + negative).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return node_table.weight.detach().numpy().copy()


def induced_subgraph(graph: CSRGraph, keep: np.ndarray) -> CSRGraph:
    """The graph induced by the nodes ``keep`` (sorted), renumbered 0..k-1."""
    position = np.full(graph.num_nodes, -1)
    position[keep] = np.arange(keep.shape[0])
    edges = position[graph.edge_list()]
    edges = edges[(edges >= 0).all(axis=1)]
    return CSRGraph.from_edges(edges, keep.shape[0])


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def irwe_model(args, epochs: int) -> IRWE:
    return IRWE(epochs=epochs, seed=args.seed)


def identity_study(args, log) -> dict:
    graphs, labels = {}, {}
    for name in ("usa", "europe", "brazil"):
        data = load_airports(name, args.data_root)[0]
        graphs[name], labels[name] = as_graph(data), data.y.numpy()
    from graphrep.orbits import orbit_counts

    results: dict = {}
    usa_model, usa_fit_s = timed(irwe_model(args, args.airport_epochs).fit, graphs["usa"])
    for name, graph in graphs.items():
        y = labels[name]
        rows: dict = {}
        rows["degree"] = micro_f1_cv(np.log1p(graph.degrees)[:, None].astype(float), y, args.seed)
        rows["orbit_counts"] = micro_f1_cv(np.log1p(orbit_counts(graph).astype(float)), y, args.seed)
        rows["rw_encoding"] = micro_f1_cv(return_probabilities(graph, RWSE_STEPS), y, args.seed)
        rows["node2vec"] = micro_f1_cv(skipgram_embedding(graph, args.seed), y, args.seed)
        if name == "usa":
            model, fit_s = usa_model, usa_fit_s
        else:
            model, fit_s = timed(irwe_model(args, args.airport_epochs).fit, graph)
        identity, position = model.embed(graph)
        rows["irwe_identity_transductive"] = {**micro_f1_cv(identity.numpy(), y, args.seed), "fit_s": fit_s}
        rows["irwe_position_transductive"] = micro_f1_cv(position.numpy(), y, args.seed)
        if name != "usa":
            identity, _ = usa_model.embed(graph)
            rows["irwe_identity_inductive_from_usa"] = micro_f1_cv(identity.numpy(), y, args.seed)
        results[name] = rows
        log(f"airports-{name}: " + ", ".join(f"{key} {value['mean']:.3f}" for key, value in rows.items()))
    return results


def email_study(args, log) -> dict:
    data = load_email_eu(args.data_root)
    graph, y = as_graph(data), data.y.numpy()
    rows: dict = {}

    def score(features: np.ndarray) -> dict:
        return {"department_micro_f1": micro_f1_cv(features, y, args.seed),
                "kmeans_nmi": kmeans_nmi(features, y, args.seed)}

    rows["node2vec"] = score(skipgram_embedding(graph, args.seed))
    rows["rw_encoding"] = score(return_probabilities(graph, RWSE_STEPS))
    model, fit_s = timed(irwe_model(args, args.email_epochs).fit, graph)
    identity, position = model.embed(graph)
    rows["irwe_position_transductive"] = {**score(position.numpy()), "fit_s": fit_s}
    rows["irwe_identity_transductive"] = score(identity.numpy())
    rng = np.random.default_rng(args.seed)
    held_out = rng.choice(graph.num_nodes, graph.num_nodes // 5, replace=False)
    keep = np.setdiff1d(np.arange(graph.num_nodes), held_out)
    model, fit_s = timed(irwe_model(args, args.email_epochs).fit, induced_subgraph(graph, keep))
    _, position = model.embed(graph)
    rows["irwe_position_inductive_20pct_held_out"] = {**score(position.numpy()), "fit_s": fit_s,
                                                       "held_out_nodes": int(held_out.shape[0])}
    log("email-eu: " + ", ".join(
        f"{key} F1 {value['department_micro_f1']['mean']:.3f} NMI {value['kmeans_nmi']:.3f}"
        for key, value in rows.items()))
    return rows


def link_study(args, log) -> dict:
    graph = as_graph(load_planetoid("cora", args.data_root)[0])
    n = graph.num_nodes
    rng = np.random.default_rng(args.seed)
    held_out = np.zeros(n, dtype=bool)
    held_out[rng.choice(n, n // 5, replace=False)] = True
    edges = graph.edge_list()
    incident = np.flatnonzero(held_out[edges].any(axis=1))
    test = rng.choice(incident, int(0.3 * incident.shape[0]), replace=False)
    test_pos = edges[test]
    observed = CSRGraph.from_edges(np.delete(edges, test, axis=0), n)
    existing = set(map(tuple, edges.tolist()))
    negatives = []
    new_nodes = np.flatnonzero(held_out)
    while len(negatives) < test_pos.shape[0]:
        u, v = int(rng.choice(new_nodes)), int(rng.integers(n))
        if u != v and (min(u, v), max(u, v)) not in existing:
            negatives.append((u, v))
    pairs = np.concatenate([test_pos, np.array(negatives)])
    truth = np.r_[np.ones(test_pos.shape[0]), np.zeros(len(negatives))]

    def auc(embedding: np.ndarray, cosine: bool = False) -> float:
        if cosine:
            embedding = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-12)
        return float(roc_auc_score(truth, (embedding[pairs[:, 0]] * embedding[pairs[:, 1]]).sum(1)))

    rows: dict = {"test_edges": int(test_pos.shape[0]), "held_out_nodes": int(new_nodes.shape[0])}
    rows["node2vec"] = auc(skipgram_embedding(observed, args.seed))
    rows["rw_encoding_cosine"] = auc(return_probabilities(observed, RWSE_STEPS), cosine=True)
    model, fit_s = timed(irwe_model(args, args.cora_epochs).fit, observed)
    identity, position = model.embed(observed)
    rows["irwe_position_transductive"] = auc(position.numpy())
    rows["irwe_identity_transductive_cosine"] = auc(identity.numpy(), cosine=True)
    rows["irwe_transductive_fit_s"] = fit_s
    keep = np.flatnonzero(~held_out)
    model, fit_s = timed(irwe_model(args, args.cora_epochs).fit, induced_subgraph(observed, keep))
    _, position = model.embed(observed)
    rows["irwe_position_inductive_20pct_held_out"] = auc(position.numpy())
    rows["irwe_inductive_fit_s"] = fit_s
    log("cora link AUC: " + ", ".join(f"{k} {v:.3f}" for k, v in rows.items() if isinstance(v, float)))
    return rows


STUDIES = {"identity_airports": identity_study, "position_email_eu": email_study,
           "link_prediction_cora": link_study}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="results.json", help="where to write the results JSON")
    parser.add_argument("--data-root", default=None, help="dataset root (default: $GRAPHREP_DATA or the cache)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--airport-epochs", type=int, default=30)
    parser.add_argument("--email-epochs", type=int, default=30)
    parser.add_argument("--cora-epochs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES),
                        help="which studies to run (default: all)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log lines")
    args = parser.parse_args(argv)
    set_quiet(args.quiet)
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # BLAS threads beside torch's, for sklearn

    def log(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    start = time.perf_counter()
    results = {
        "config": {**{key: value for key, value in vars(args).items() if key not in ("out", "quiet")},
                   "evaluation_protocol": PROTOCOL},
        "seeds": [args.seed],
        "irwe": repr(IRWE()),
    }
    for name in args.studies:
        results[name], seconds = timed(STUDIES[name], args, log)
        results[f"{name}_wall_time_s"] = seconds
        results["wall_time_s"] = time.perf_counter() - start
        write_json(args.out, results)  # after every study, so a long run keeps what it measured
    log(f"wrote {args.out} in {results['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
