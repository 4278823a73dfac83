"""Five-node graphlet counts: tables, brute force, kernel columns, system, and
the counts against the brute force, ORCA and the four-node counts."""
from itertools import permutations
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from graphrep import as_graph
from graphrep.orbits import edge_orbit_adjacency, edge_orbit_counts, orbit_counts
from graphrep.orbits import _system5
from graphrep.orbits._counts5 import MAX_DEGREE, rooted_columns
from graphrep.orbits.brute import edge_orbit_counts_brute, orbit_counts_brute
from graphrep.orbits.graphlets import GRAPHLETS, GRAPHLET_OF_NODE_ORBIT, identify
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT

from .conftest import BACKENDS, disjoint_union, needs_orca, run_orca


def orbit_counts5(graph, **options):
    return orbit_counts(graph, graphlet_size=5, **options)


def edge_orbit_counts5(graph, **options):
    return edge_orbit_counts(graph, graphlet_size=5, **options)


def _brute(graph):
    return orbit_counts_brute(graph, 5), edge_orbit_counts_brute(graph, 5)[1]


@pytest.fixture(scope="module")
def atlas7(atlas_union):
    return as_graph(atlas_union), _brute(atlas_union)


@pytest.fixture(scope="module")
def random200():
    """200 random graphs of 5-14 nodes and density 0.1-0.9, 40 random
    8-node graphs, and a few extreme ones."""
    rng = np.random.default_rng(17)
    graphs = [nx.gnp_random_graph(int(rng.integers(5, 15)), float(rng.uniform(0.1, 0.9)), seed=i)
              for i in range(200)]
    graphs += [nx.gnp_random_graph(8, float(rng.uniform(0.2, 0.9)), seed=1000 + i) for i in range(40)]
    graphs += [nx.complete_graph(8), nx.star_graph(9), nx.wheel_graph(9), nx.empty_graph(3),
               nx.complete_bipartite_graph(3, 5), nx.petersen_graph()]
    graph = disjoint_union(graphs)
    return as_graph(graph), _brute(graph)


def test_tables_are_the_automorphism_orbits_and_extend_the_four_node_numbering():
    assert [g.index for g in GRAPHLETS] == list(range(30))
    assert [sum(g.num_nodes == k for g in GRAPHLETS) for k in (2, 3, 4, 5)] == [1, 2, 6, 21]
    assert GRAPHLET_OF_NODE_ORBIT[:15] == GRAPHLET_OF_ORBIT
    for g in GRAPHLETS:
        assert nx.is_connected(nx.Graph(g.edges))
        edges = {frozenset(e) for e in g.edges}
        autos = [p for p in permutations(range(g.num_nodes))
                 if all(frozenset((p[a], p[b])) in edges for a, b in g.edges)]
        for a in range(g.num_nodes):
            assert {p[a] for p in autos} == {b for b in range(g.num_nodes) if g.node_orbits[b] == g.node_orbits[a]}
        edge_orbit = dict(zip(g.edges, g.edge_orbits))
        for e in g.edges:
            image = {tuple(sorted((p[e[0]], p[e[1]]))) for p in autos}
            assert image == {f for f in g.edges if edge_orbit[f] == edge_orbit[e]}
    # every labelled connected graph on 5 nodes is identified, each isomorphism class once
    labelled = [identify(5, mask) for mask in range(1 << 10)]
    assert sum(found is not None for found in labelled) == 728
    assert {found.graphlet for found in labelled if found} == set(range(9, 30))


@pytest.mark.parametrize("backend", BACKENDS)
def test_kernel_columns_are_the_rooted_homomorphism_counts(backend):
    graph = nx.disjoint_union(nx.gnp_random_graph(8, 0.6, seed=5), nx.gnp_random_graph(7, 0.8, seed=6))
    g = as_graph(graph)
    columns, _, _ = rooted_columns(g, per_slot=True, backend=backend)
    rows = np.repeat(np.arange(g.num_nodes), g.degrees)
    neighbours = [set(g.neighbors(v).tolist()) for v in range(g.num_nodes)]
    for j, quantity in enumerate(_system5.QUANTITIES):
        pattern = GRAPHLETS[quantity.graphlet]
        for slot in range(0, g.indices.shape[0], 3):
            expected = _homomorphisms(pattern, quantity.a, quantity.b, rows[slot], g.indices[slot], neighbours)
            assert columns[slot, j] == expected, (j, quantity, slot)


def _homomorphisms(pattern, a, b, x, y, neighbours) -> int:
    adjacency = [set() for _ in range(pattern.num_nodes)]
    for u, v in pattern.edges:
        adjacency[u].add(v)
        adjacency[v].add(u)
    order = [v for v in range(pattern.num_nodes) if v not in (a, b)]
    image = {a: x, b: y}

    def extend(i):
        if i == len(order):
            return 1
        v = order[i]
        candidates = set(range(len(neighbours)))
        for u in adjacency[v]:
            if u in image:
                candidates &= neighbours[image[u]]
        total = 0
        for w in candidates:
            image[v] = w
            total += extend(i + 1)
        image.pop(v, None)
        return total

    return extend(0) if y in neighbours[x] else 0


def test_system_is_triangular_with_automorphism_counts_on_the_diagonal():
    node_system, edge_system = _system5.derive()
    for system in (node_system, edge_system):
        order = list(system.order)
        permuted = system.matrix[np.ix_(order, order)]
        assert not np.triu(permuted, 1).any()
    for o, (kind, *column) in enumerate(node_system.sources):
        g = GRAPHLETS[GRAPHLET_OF_NODE_ORBIT[o]]
        root = g.node_orbits.index(o)
        assert node_system.matrix[o, o] == _stabiliser(g, [root])
    for k, orbit in enumerate(_system5.directed_orbits()):
        assert edge_system.matrix[k, k] == _stabiliser(GRAPHLETS[orbit.graphlet], [orbit.r, orbit.s])


def _stabiliser(g, fixed) -> int:
    edges = {frozenset(e) for e in g.edges}
    return sum(all(p[v] == v for v in fixed) and all(frozenset((p[a], p[b])) in edges for a, b in g.edges)
               for p in permutations(range(g.num_nodes)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_graph_atlas_up_to_7_nodes_matches_brute_force(atlas7, backend):
    g, (nodes, edges) = atlas7
    np.testing.assert_array_equal(orbit_counts5(g, backend=backend), nodes)
    found_edges, counts = edge_orbit_counts5(g, backend=backend)
    np.testing.assert_array_equal(found_edges, g.edge_list())
    np.testing.assert_array_equal(counts, edges)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_graphs_match_brute_force(random200, backend):
    g, (nodes, edges) = random200
    np.testing.assert_array_equal(orbit_counts5(g, backend=backend), nodes)
    np.testing.assert_array_equal(edge_orbit_counts5(g, backend=backend)[1], edges)


def test_brute_force_extends_the_four_node_brute_force(random200):
    g, (nodes, edges) = random200
    np.testing.assert_array_equal(nodes[:, :15], orbit_counts_brute(g))
    np.testing.assert_array_equal(edges[:, :12], edge_orbit_counts_brute(g, 4)[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_columns_equal_the_four_node_counts(backend):
    graph = nx.barabasi_albert_graph(400, 5, seed=2)
    np.testing.assert_array_equal(orbit_counts5(graph, backend=backend)[:, :15], orbit_counts(graph, backend=backend))
    np.testing.assert_array_equal(edge_orbit_counts5(graph, backend=backend)[1][:, :12],
                                  edge_orbit_counts(graph, backend=backend)[1])


def test_cpp_equals_numba_and_thread_count_does_not_matter():
    if "cpp" not in BACKENDS:
        pytest.skip("the C++ core is not built")
    g = as_graph(disjoint_union([nx.barabasi_albert_graph(1500, 6, seed=4), nx.gnp_random_graph(120, 0.2, seed=4)]))
    reference = rooted_columns(g, per_slot=True, backend="numba", num_threads=1)
    for backend, threads in [("numba", 2), ("numba", 3), ("cpp", 1), ("cpp", 2), ("cpp", 3)]:
        result = rooted_columns(g, per_slot=True, backend=backend, num_threads=threads)
        for ours, theirs in zip(result, reference):
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{backend} {threads}")
    nodes = orbit_counts5(g, backend="numba", num_threads=1)
    for backend, threads in [("numba", 3), ("cpp", 1), ("cpp", 3)]:
        np.testing.assert_array_equal(orbit_counts5(g, backend=backend, num_threads=threads), nodes)


@pytest.mark.parametrize("backend", BACKENDS)
def test_small_and_edgeless_graphs(backend):
    assert orbit_counts5(np.array([[0, 0]]), backend=backend).tolist() == [[0] * 73]
    single = orbit_counts5(np.array([[0, 1]]), backend=backend)
    assert single[:, 0].tolist() == [1, 1] and single[:, 1:].sum() == 0
    edges, counts = edge_orbit_counts5(np.array([[0, 1]]), backend=backend)
    assert edges.tolist() == [[0, 1]] and counts.shape == (1, 68) and counts.sum() == 0
    k5 = orbit_counts5(nx.complete_graph(5), backend=backend)
    assert k5[:, 72].tolist() == [1] * 5 and k5[:, 14].tolist() == [4] * 5


@pytest.mark.parametrize("size", [3, 6, "5", 5.0, True, None])
def test_graphlet_size_is_4_or_5(size):
    for count in (orbit_counts, edge_orbit_counts, edge_orbit_adjacency):
        with pytest.raises(ValueError, match=r"graphlet_size must be 4 or 5, got"):
            count(nx.path_graph(3), graphlet_size=size)


def test_edge_orbit_adjacency_lays_the_68_counts_on_the_edges():
    graph = nx.gnp_random_graph(30, 0.3, seed=3)
    edges, counts = edge_orbit_counts5(graph)
    adjacency = edge_orbit_adjacency(graph, graphlet_size=5)
    assert list(adjacency) == list(range(68))
    for orbit in (0, 12, 28, 40, 67):
        matrix = adjacency[f"e{orbit}"]
        np.testing.assert_array_equal(matrix[edges[:, 0], edges[:, 1]], counts[:, orbit])
        assert (matrix != matrix.T).nnz == 0 and matrix.nnz == 2 * np.count_nonzero(counts[:, orbit])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="backend must be one of"):
        orbit_counts5(nx.path_graph(3), backend="gpu")
    with pytest.raises(ValueError, match="num_threads must be >= 1"):
        edge_orbit_counts5(nx.path_graph(3), num_threads=0)
    with pytest.raises(ValueError, match=f"degree {MAX_DEGREE + 1}.*up to degree {MAX_DEGREE}"):
        orbit_counts5(nx.star_graph(MAX_DEGREE + 1))


@needs_orca
@pytest.mark.parametrize("seed", [0, 1])
def test_node_and_edge_counts_equal_orca(tmp_path, seed):
    rng = np.random.default_rng(seed)
    graph = as_graph(disjoint_union([nx.gnp_random_graph(60, float(rng.uniform(0.05, 0.3)), seed=seed),
                                     nx.barabasi_albert_graph(300, 4, seed=seed)]))
    edges = graph.edge_list().tolist()
    for mode, ours in [("node", orbit_counts5(graph)), ("edge", edge_orbit_counts5(graph)[1])]:
        np.testing.assert_array_equal(run_orca(graph.num_nodes, edges, mode, 5, tmp_path), ours, err_msg=mode)


@needs_orca
def test_graphlet_tables_match_orca_numbering(tmp_path):
    for g in GRAPHLETS:
        for mode, expected in [("node", g.node_orbits), ("edge", g.edge_orbits)]:
            rows = run_orca(g.num_nodes, g.edges, mode, 5, tmp_path)
            # the graphlet's own orbit is the last nonzero column (-1 for G0's edge)
            got = tuple(int(np.flatnonzero(row).max()) if row.any() else -1 for row in rows)
            assert got == expected, (g.index, mode)


def graphlet_table_rows() -> list[str]:
    """The rows of the graphlet table in docs/counts5.rst, from the data."""
    rows = []
    for g in GRAPHLETS:
        edges = ", ".join(f"{a}-{b}" for a, b in g.edges)
        node_orbits = " ".join(str(o) for o in g.node_orbits)
        edge_orbits = " ".join(str(o) for o in g.edge_orbits) if g.index else "(none)"
        rows.append(f"   * - G{g.index}\n     - {g.name}\n     - {edges}\n     - {node_orbits}\n     - {edge_orbits}")
    return rows


def column_table_rows() -> list[str]:
    """The rows of the kernel column table in docs/counts5.rst, from the data."""
    rows = []
    for j, q in enumerate(_system5.QUANTITIES):
        g = GRAPHLETS[q.graphlet]
        rows.append(f"   * - {j}\n     - G{q.graphlet}\n     - {q.a} -> {q.b}\n"
                    f"     - {g.node_orbits[q.a]} -> {g.node_orbits[q.b]}\n     - :math:`{q.formula}`")
    return rows


def test_docs_tables_are_the_data():
    text = (Path(__file__).resolve().parents[2] / "docs" / "counts5.rst").read_text()
    for row in graphlet_table_rows() + column_table_rows():
        assert row in text, row


def test_refuses_with_the_estimate_when_memory_is_short(monkeypatch):
    from graphrep.orbits import _counts5
    from graphrep.orbits.budget import OutputTooLargeError

    graph = nx.barabasi_albert_graph(2000, 5, seed=0)
    g = as_graph(graph)
    need = _counts5.estimate_bytes(g, per_slot=True, num_threads=1)
    assert need > 2 * g.indices.shape[0] * 8 * _system5.NUM_QUANTITIES // 2
    monkeypatch.setattr(_counts5, "available_memory", lambda: need)   # 80% of it is too little
    with pytest.raises(OutputTooLargeError, match=r"five-node edge orbit counts .* need about .* count node orbits"):
        edge_orbit_counts5(graph, num_threads=1)
    assert orbit_counts5(graph, num_threads=1).shape == (2000, 73)
