import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graphrep import GraphFormatError
from graphrep.orbits import ORBIT_ADJACENCY_KEYS, orbit_adjacency, orbit_counts
from graphrep.orbits.brute import orbit_adjacency_brute, orbit_counts_brute
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, GRAPHLET_SIZE

from .conftest import BACKENDS, assert_same, disjoint_union


@pytest.fixture(scope="module")
def atlas_reference(atlas_union):
    return orbit_adjacency_brute(atlas_union)


@pytest.fixture(scope="module")
def random_reference(random_union):
    return orbit_adjacency_brute(random_union)


def test_both_backends_are_built():
    assert BACKENDS == ["cpp", "numba"], "the C++ core should build in this environment"


@pytest.mark.parametrize("backend", BACKENDS)
def test_graph_atlas_2_to_7_nodes_matches_brute_force(atlas_union, atlas_reference, backend):
    assert_same(orbit_adjacency(atlas_union, backend=backend), atlas_reference)


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_graphs_stars_cliques_isolated_nodes_match_brute_force(random_union, random_reference, backend):
    result = orbit_adjacency(random_union, backend=backend)
    assert_same(result, random_reference)
    assert all(matrix.dtype == np.int64 and matrix.indices.dtype == np.int64 for matrix in result.values())


@pytest.mark.parametrize("backend", BACKENDS)
def test_orbit_counts_match_brute_force(random_union, backend):
    np.testing.assert_array_equal(orbit_counts(random_union, backend=backend), orbit_counts_brute(random_union))


@pytest.mark.parametrize("backend", BACKENDS)
def test_result_is_independent_of_thread_count(backend):
    graph = nx.barabasi_albert_graph(600, 4, seed=3)
    one = orbit_adjacency(graph, backend=backend, num_threads=1)
    assert_same(orbit_adjacency(graph, backend=backend, num_threads=2), one)
    assert_same(orbit_adjacency(graph, backend=backend, num_threads=3), one)


def test_key_subset_equals_full_result(random_union, random_reference):
    keys = [(1, 0, 0), "h3_o4_o4", (2, 12, 12)]
    result = orbit_adjacency(random_union, keys=keys)
    assert list(result) == [(1, 0, 0), (3, 4, 4), (2, 12, 12)]
    for key in result:
        assert (result[key] != random_reference[key]).nnz == 0


def test_mapping_is_read_only_and_keyed_in_order():
    result = orbit_adjacency(nx.karate_club_graph())
    assert list(result) == list(ORBIT_ADJACENCY_KEYS)
    assert result["h1_o0_o0"] is result[(1, 0, 0)]
    with pytest.raises(TypeError):
        result[(1, 0, 0)] = None
    assert "keys=28" in repr(result)


def test_structure_hop1_on_edges_hop23_off_edges_and_transposes(random_union, random_reference):
    adjacency = nx.to_scipy_sparse_array(random_union, dtype=np.int64, format="csr")
    off_edges = sp.csr_array(np.ones(adjacency.shape, dtype=np.int64)) - adjacency
    for hop, o1, o2 in ORBIT_ADJACENCY_KEYS:
        matrix = random_reference[hop, o1, o2]
        support = (matrix != 0).astype(np.int64)
        outside = support.multiply(off_edges if hop == 1 else adjacency)
        assert outside.nnz == 0 or outside.sum() == 0, (hop, o1, o2)
        assert (matrix.T != random_reference[hop, o2, o1]).nnz == 0


def test_no_32_bit_overflow_beyond_46341_nodes():
    n = 70_000
    result = orbit_adjacency(nx.path_graph(n), keys=["h3_o4_o4", "h1_o5_o5"])
    long_paths = result[(3, 4, 4)]
    assert long_paths.shape == (n, n) and long_paths.nnz == 2 * (n - 3)
    assert long_paths[n - 1, n - 4] == 1 and long_paths[n - 1, n - 3] == 0
    assert result[(1, 5, 5)][n - 3, n - 2] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_string_ids_from_file_keep_input_order(tmp_path, backend):
    path = tmp_path / "names.tsv"
    path.write_text("# a square with a tail\nann\tbob\nbob\tcid\ncid\tdan\ndan\tann\ndan\teve\n")
    result = orbit_adjacency(path, backend=backend)
    assert result.node_ids.tolist() == ["ann", "bob", "cid", "dan", "eve"]
    expected = orbit_adjacency_brute(nx.Graph([("ann", "bob"), ("bob", "cid"), ("cid", "dan"),
                                               ("dan", "ann"), ("dan", "eve")]))
    assert_same(result, expected)


def test_bad_arguments():
    with pytest.raises(ValueError, match="backend must be one of"):
        orbit_adjacency(nx.path_graph(3), backend="gpu")
    with pytest.raises(ValueError, match="keys: h9_o1_o1 is not one of"):
        orbit_adjacency(nx.path_graph(3), keys=[(9, 1, 1)])
    with pytest.raises(ValueError, match="keys: cannot parse"):
        orbit_adjacency(nx.path_graph(3), keys=["triangle"])
    with pytest.raises(GraphFormatError, match="empty graph"):
        orbit_adjacency(nx.Graph())


@pytest.mark.parametrize("dataset", ["airports-usa", "email-eu"])
def test_real_graphs_square_identity_and_orbit_count_row_sums(shared_data, dataset):
    from graphrep import as_graph
    from graphrep.datasets import load_graph

    graph = as_graph(load_graph(dataset, root=shared_data))
    matrices = orbit_adjacency(graph, backend="cpp")
    assert_same(orbit_adjacency(graph, backend="numba"), matrices)

    adjacency = graph.to_scipy()
    square = sp.csr_array(adjacency @ adjacency)
    square.setdiag(0)
    square.eliminate_zeros()
    assert (square != matrices[2, 1, 1] + matrices[1, 3, 3]).nnz == 0

    counts = orbit_counts(graph)
    sums = np.zeros_like(counts)
    for (_, o1, _), matrix in matrices.items():
        sums[:, o1] += matrix.sum(axis=1)
    others = np.array([GRAPHLET_SIZE[GRAPHLET_OF_ORBIT[o]] - 1 for o in range(15)])
    np.testing.assert_array_equal(sums, counts * others)
    np.testing.assert_array_equal(counts[:, 0], graph.degrees)


@pytest.mark.parametrize("keys", [None, ["h2_o12_o12"], ["h1_o14_o14"], ["h1_o13_o13", "h1_o14_o14"]])
def test_hub_bitset_paths_match_the_numba_kernel(keys):
    """Graphs whose nodes of degree >= n / 64 (hubs) get neighbourhood
    bitsets in the C++ core: dense parts count EC per column, stars and
    sparse parts per edge; the Numba kernel has neither."""
    if "cpp" not in BACKENDS:
        pytest.skip("the C++ core is not built")
    hub_on_clique = nx.complete_graph(5)  # rows of degree 5 (not hubs here) beside a hub of degree 8
    hub_on_clique.add_edges_from([(5, v) for v in range(5)] + [(5, 6), (5, 7), (5, 8)])
    graph = disjoint_union([nx.gnp_random_graph(90, 0.35, seed=4), nx.complete_graph(12), nx.star_graph(40),
                            nx.barabasi_albert_graph(150, 2, seed=5), nx.gnp_random_graph(40, 0.8, seed=6),
                            nx.complete_graph(5), nx.wheel_graph(8), hub_on_clique])
    assert -(-graph.number_of_nodes() // 64) == 6  # hubs: degree >= 6
    assert_same(orbit_adjacency(graph, backend="cpp", keys=keys), orbit_adjacency(graph, backend="numba", keys=keys))
    small = nx.gnp_random_graph(30, 0.5, seed=7)  # every node a hub
    assert_same(orbit_adjacency(small, backend="cpp", keys=keys), orbit_adjacency_brute(small) if keys is None
                else orbit_adjacency(small, backend="numba", keys=keys))
