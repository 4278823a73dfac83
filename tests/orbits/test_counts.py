from itertools import combinations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graphrep import as_graph
from graphrep.orbits import (
    EDGE_ORBIT_ENDPOINTS, ORBIT_ADJACENCY_KEYS, edge_orbit_adjacency, edge_orbit_counts, graphlet_adjacency,
    orbit_adjacency, orbit_counts,
)
from graphrep.orbits.brute import (
    edge_orbit_counts_brute, edge_orbits_of, graphlet_adjacency_brute, orbit_counts_brute, orbits_of,
)
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, GRAPHLET_SIZE
from graphrep.orbits.systems import EDGE_SYSTEM, NODE_SYSTEM

from .conftest import BACKENDS, disjoint_union, needs_orca, run_orca


@pytest.fixture(scope="module")
def atlas_reference(atlas_union):
    return orbit_counts_brute(atlas_union), edge_orbit_counts_brute(atlas_union)


@pytest.fixture(scope="module")
def random_reference(random_union):
    return orbit_counts_brute(random_union), edge_orbit_counts_brute(random_union)


def _hub_graph() -> nx.Graph:
    """Hubs, dense clusters and long tails: every stage has work."""
    return disjoint_union([nx.barabasi_albert_graph(1500, 6, seed=1), nx.powerlaw_cluster_graph(800, 8, 0.6, seed=2),
                           nx.gnp_random_graph(120, 0.4, seed=3), nx.complete_graph(25)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("graphs", ["atlas", "random"])
def test_node_and_edge_counts_match_brute_force(request, backend, graphs):
    graph = request.getfixturevalue(f"{graphs}_union")
    nodes, (edges, per_edge) = request.getfixturevalue(f"{graphs}_reference")
    counts = orbit_counts(graph, backend=backend)
    assert counts.dtype == np.int64 and counts.shape == (graph.number_of_nodes(), 15)
    np.testing.assert_array_equal(counts, nodes)
    found_edges, found = edge_orbit_counts(graph, backend=backend)
    np.testing.assert_array_equal(found_edges, edges)
    assert found.dtype == np.int64 and found.shape == (graph.number_of_edges(), 12)
    np.testing.assert_array_equal(found, per_edge)


def _spanning_coefficients(size: int, edge_orbits: bool) -> dict[int, dict[int, int]]:
    """c[o][o'] by enumeration: in each connected graphlet on ``size`` nodes,
    the connected spanning subgraphs holding a node (edge) of orbit o' on o."""
    found: dict[int, dict[int, int]] = {}
    for graphlet in (g for g in nx.graph_atlas_g() if g.number_of_nodes() == size and nx.is_connected(g)):
        nodes = tuple(graphlet.nodes)
        full = [set(graphlet[a]) for a in nodes]
        full_orbit = edge_orbits_of(nodes, full) if edge_orbits else orbits_of(nodes, full)
        tallies: dict[object, dict[int, int]] = {item: {} for item in full_orbit}
        for count in range(size - 1, graphlet.number_of_edges()):
            for subset in combinations(graphlet.edges, count):
                sub = nx.Graph(list(subset))
                if sub.number_of_nodes() < size or not nx.is_connected(sub):
                    continue
                part = [set(sub[a]) for a in nodes]
                sub_orbit = edge_orbits_of(nodes, part) if edge_orbits else orbits_of(nodes, part)
                for item, orbit in sub_orbit.items():
                    tallies[item][orbit] = tallies[item].get(orbit, 0) + 1
        for item, tally in tallies.items():
            for orbit, count in tally.items():
                column = found.setdefault(orbit, {})
                # every node (edge) of one orbit sees the same subgraphs
                assert column.setdefault(full_orbit[item], count) == count
    return found


@pytest.mark.parametrize("edge_orbits", [False, True])
def test_systems_equal_spanning_subgraph_enumeration(edge_orbits):
    enumerated = {**_spanning_coefficients(3, edge_orbits), **_spanning_coefficients(4, edge_orbits)}
    assert enumerated == (EDGE_SYSTEM if edge_orbits else NODE_SYSTEM)


@pytest.mark.parametrize("edges", [False, True])
def test_cpp_equals_numba_and_thread_count_does_not_matter(edges):
    if BACKENDS != ["cpp", "numba"]:
        pytest.skip("the C++ core is not built")
    graph = as_graph(_hub_graph())
    count = edge_orbit_counts if edges else orbit_counts

    def result(backend, threads):
        out = count(graph, backend=backend, num_threads=threads)
        return out[1] if edges else out

    reference = result("cpp", 1)
    assert reference[:, -1].sum() > 0 and reference[:, -4].sum() > 0     # 4-cliques and 4-cycles are there
    for backend, threads in [("cpp", 2), ("cpp", 3), ("numba", 1), ("numba", 2), ("numba", 3)]:
        np.testing.assert_array_equal(result(backend, threads), reference, err_msg=f"{backend}, {threads} threads")


@pytest.mark.parametrize("backend", BACKENDS)
def test_counts_past_int32_on_a_big_star(backend):
    leaves = 100_000
    star = np.stack([np.zeros(leaves, dtype=np.int64), np.arange(1, leaves + 1)], axis=1)
    counts = orbit_counts(star, backend=backend)
    assert counts[0, 7] == leaves * (leaves - 1) * (leaves - 2) // 6 > 2**63 // 2**20
    assert counts[1, 6] == (leaves - 1) * (leaves - 2) // 2 and counts[1, 1] == leaves - 1
    _, per_edge = edge_orbit_counts(star, backend=backend)
    assert (per_edge[:, 4] == (leaves - 1) * (leaves - 2) // 2).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_graph_without_edges(backend):
    graph = as_graph(np.empty((0, 2), dtype=np.int64), num_nodes=4)
    assert (orbit_counts(graph, backend=backend) == 0).all()
    edges, counts = edge_orbit_counts(graph, backend=backend)
    assert edges.shape == (0, 2) and counts.shape == (0, 12)


@pytest.mark.parametrize("dataset", ["airports-usa", "email-eu"])
def test_real_graphs_agree_with_orbit_adjacency(shared_data, dataset):
    """Node counts are the orbit adjacency row sums; an edge's count on edge
    orbit (a, b) is its entry in the hop-1 matrices (a, b) and (b, a)."""
    from graphrep.datasets import load_graph

    graph = as_graph(load_graph(dataset, root=shared_data))
    matrices = orbit_adjacency(graph)
    counts = orbit_counts(graph, backend="numba")
    np.testing.assert_array_equal(orbit_counts(graph, backend="cpp"), counts)
    sums = np.zeros_like(counts)
    for (_, o1, _), matrix in matrices.items():
        sums[:, o1] += matrix.sum(axis=1)
    others = np.array([GRAPHLET_SIZE[GRAPHLET_OF_ORBIT[o]] - 1 for o in range(15)])
    np.testing.assert_array_equal(sums, counts * others)

    edges, per_edge = edge_orbit_counts(graph, backend="numba")
    np.testing.assert_array_equal(edge_orbit_counts(graph, backend="cpp")[1], per_edge)
    u, v = edges.T
    for orbit, (a, b) in enumerate(EDGE_ORBIT_ENDPOINTS):
        expected = matrices[1, a, b][u, v] + (matrices[1, b, a][u, v] if a != b else 0)
        np.testing.assert_array_equal(per_edge[:, orbit], expected, err_msg=f"edge orbit {orbit}")
    assert per_edge[:, 11].sum() > 0


def test_edge_orbit_adjacency_lays_counts_on_edges(random_union):
    edges, counts = edge_orbit_counts(random_union)
    result = edge_orbit_adjacency(random_union)
    assert list(result) == list(range(12)) and result["e5"] is result[5]
    assert result.num_nodes == random_union.number_of_nodes() and "EdgeOrbitAdjacency" in repr(result)
    adjacency = nx.to_scipy_sparse_array(random_union, dtype=np.int64, format="csr")
    for orbit, matrix in result.items():
        assert matrix.dtype == np.int64 and (matrix != matrix.T).nnz == 0
        assert (matrix.multiply(adjacency) != matrix).nnz == 0              # only on edges
        assert matrix.nnz == 2 * np.count_nonzero(counts[:, orbit])         # zeros not stored
        np.testing.assert_array_equal(matrix[edges[:, 0], edges[:, 1]], counts[:, orbit])
    with pytest.raises(KeyError):
        result[12]


def test_graphlet_adjacency_equals_brute_force_and_orbit_key_sums(random_union):
    result = graphlet_adjacency(random_union)
    reference = graphlet_adjacency_brute(random_union)
    full = orbit_adjacency(random_union)
    assert list(result) == list(range(9)) and result["G3"] is result[3]
    for graphlet in range(9):
        matrix = result[graphlet]
        assert (matrix != reference[graphlet]).nnz == 0, graphlet
        keys = [key for key in ORBIT_ADJACENCY_KEYS if GRAPHLET_OF_ORBIT[key.o1] == graphlet]
        assert (matrix != sum(full[key] for key in keys)).nnz == 0, graphlet
        assert matrix.diagonal().sum() == 0 and (matrix != matrix.T).nnz == 0
    assert (result[0] != nx.to_scipy_sparse_array(random_union, dtype=np.int64)).nnz == 0


def test_graphlet_adjacency_asks_only_for_the_chosen_graphlets(monkeypatch, random_union):
    from graphrep.orbits import counts as module
    from graphrep.orbits.plan import F_A3_FAR, F_EC, F_FAR

    asked = []
    real = module.compute_prepared

    def recording(g, selected, budget, engine, guess, held):
        asked.append(([ORBIT_ADJACENCY_KEYS[i] for i in selected], engine.flags))
        return real(g, selected, budget, engine, guess, held)

    monkeypatch.setattr(module, "compute_prepared", recording)
    result = graphlet_adjacency(random_union, graphlets=["G5", 2])
    assert list(result) == [2, 5]
    assert asked[-1][0] == [(1, 3, 3), (1, 8, 8), (2, 8, 8)]
    assert (result[5] != graphlet_adjacency_brute(random_union)[5]).nnz == 0
    graphlet_adjacency(random_union, graphlets="G0")
    assert asked[-1] == ([(1, 0, 0)], 0)                     # the adjacency itself: no kernel pass
    graphlet_adjacency(random_union, graphlets="G1")
    assert asked[-1][1] & F_FAR and not asked[-1][1] & (F_EC | F_A3_FAR)
    graphlet_adjacency(random_union, graphlets="G3")
    assert asked[-1][1] & F_A3_FAR                           # only G3 reaches distance 3


def test_graphlet_adjacency_refuses_over_budget_before_any_work(monkeypatch):
    from graphrep.orbits import _engine
    from graphrep.orbits.budget import OutputTooLargeError, resident_memory

    star = nx.star_graph(5000)                                # 25M leaf pairs in G1 and in G4
    budget = resident_memory() + 50 * 2**20
    assert graphlet_adjacency(star, "G0", max_memory=budget)[0].nnz == 2 * 5000

    def no_rows(*args, **kwargs):
        raise AssertionError("rows were computed")

    monkeypatch.setattr(_engine.CppEngine, "compute", no_rows)
    monkeypatch.setattr(_engine.NumbaEngine, "compute", no_rows)
    for graphlets in [None, ["G1"], "G4"]:
        with pytest.raises(OutputTooLargeError, match=r"graphlet adjacency output too large.*max_memory=.*"
                                                      r"fewer graphlets.*write_orbit_adjacency"):
            graphlet_adjacency(star, graphlets, max_memory=budget)


def test_bad_arguments():
    with pytest.raises(ValueError, match="backend must be one of"):
        orbit_counts(nx.path_graph(3), backend="gpu")
    with pytest.raises(ValueError, match="backend must be one of"):
        edge_orbit_counts(nx.path_graph(3), backend="gpu")
    with pytest.raises(ValueError, match="num_threads must be >= 1"):
        orbit_counts(nx.path_graph(3), num_threads=0)
    with pytest.raises(ValueError, match="graphlets: 'G9' is not one of G0..G8"):
        graphlet_adjacency(nx.path_graph(3), graphlets=["G9"])
    with pytest.raises(ValueError, match="graphlets: empty selection"):
        graphlet_adjacency(nx.path_graph(3), graphlets=[])


@needs_orca
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_node_and_edge_counts_equal_orca(tmp_path, seed):
    rng = np.random.default_rng(seed)
    graph = as_graph(disjoint_union([nx.gnp_random_graph(80, float(rng.uniform(0.05, 0.3)), seed=seed),
                                     nx.barabasi_albert_graph(300, 4, seed=seed)]))
    edges = graph.edge_list().tolist()
    for mode, ours in [("node", orbit_counts(graph)), ("edge", edge_orbit_counts(graph)[1])]:
        np.testing.assert_array_equal(run_orca(graph.num_nodes, edges, mode, 4, tmp_path), ours, err_msg=mode)
