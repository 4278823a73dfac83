import logging

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphrep import CSRGraph, GraphFormatError, as_graph

TRIANGLE_PLUS_TAIL = [[0, 1], [1, 2], [2, 0], [2, 3]]


def assert_canonical(g: CSRGraph):
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int64
    assert g.indptr[0] == 0 and g.indptr[-1] == g.indices.shape[0]
    dense = np.zeros((g.num_nodes, g.num_nodes), dtype=int)
    for u in range(g.num_nodes):
        row = g.neighbors(u)
        assert np.all(np.diff(row) > 0), "sorted, no duplicates"
        assert u not in row, "no self-loops"
        dense[u, row] = 1
    np.testing.assert_array_equal(dense, dense.T)


def expected_triangle_plus_tail(g: CSRGraph):
    assert_canonical(g)
    assert g.num_nodes == 4 and g.num_edges == 4
    assert g.degrees.tolist() == [2, 2, 3, 1]


def test_numpy_edge_array():
    expected_triangle_plus_tail(as_graph(np.array(TRIANGLE_PLUS_TAIL)))


def test_edge_index_tensor_and_data():
    edge_index = torch.tensor(TRIANGLE_PLUS_TAIL).T
    expected_triangle_plus_tail(as_graph(edge_index))
    g = as_graph(Data(edge_index=edge_index, num_nodes=6))
    assert g.num_nodes == 6 and g.degrees.tolist() == [2, 2, 3, 1, 0, 0]


def test_scipy_matrix_directed_is_symmetrised():
    rows, cols = np.array(TRIANGLE_PLUS_TAIL).T
    matrix = sp.coo_matrix((np.ones(4), (rows, cols)), shape=(4, 4))
    expected_triangle_plus_tail(as_graph(matrix))
    expected_triangle_plus_tail(as_graph(sp.csr_array(matrix)))


def test_networkx_keeps_node_ids_and_order():
    G = nx.DiGraph()
    G.add_nodes_from(["x", "isolated"])
    G.add_edges_from([("x", "y"), ("y", "x"), ("y", "z")])
    g = as_graph(G)
    assert_canonical(g)
    assert g.node_ids.tolist() == ["x", "isolated", "y", "z"]
    assert g.degrees.tolist() == [1, 0, 2, 1]
    assert as_graph(nx.path_graph(3)).node_ids.dtype == np.int64


def test_edge_list_file_separators_comments_and_weights(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("# comment\n% another\n\n10\t20\t0.5\n20,30,1\n30 10 2\n30   40 7\n")
    with pytest.warns(UserWarning, match=r"g.tsv:4: columns after the second \(weights\?\) are ignored"):
        g = as_graph(path)
    assert_canonical(g)
    assert g.node_ids.tolist() == [10, 20, 30, 40]
    assert g.degrees.tolist() == [2, 2, 3, 1]


def test_edge_list_string_ids_in_first_seen_order(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("bob alice\nalice 7\n")
    g = as_graph(str(path))
    assert g.node_ids.tolist() == ["bob", "alice", "7"]
    assert g.num_edges == 2


def test_self_loops_and_duplicates_are_normalised_and_logged(caplog):
    with caplog.at_level(logging.INFO, logger="graphrep"):
        g = as_graph(np.array([[0, 0], [0, 1], [1, 0], [0, 1], [1, 2]]))
    assert g.num_edges == 2
    assert "dropped 1 self-loops, merged 2 duplicate or reciprocal edges" in caplog.text


def test_csr_views_round_trip():
    g = as_graph(np.array(TRIANGLE_PLUS_TAIL))
    assert g.edge_list().tolist() == [[0, 1], [0, 2], [1, 2], [2, 3]]
    assert g.edge_index().shape == (2, 8)
    assert (g.to_scipy() != as_graph(g.to_scipy()).to_scipy()).nnz == 0
    assert as_graph(g) is g


@pytest.mark.parametrize(
    "content, match",
    [
        ("0 1\n2\n", r"bad.txt:2: expected two node ids"),
        ("0 1\n-3 4\n", r"bad.txt:2: node id -3 is negative"),
        ("0 1\n1 9223372036854775808\n", r"bad.txt:2: node id 9223372036854775808 overflows int64"),
        ("# only a comment\n\n", r"bad.txt: empty graph"),
    ],
)
def test_bad_edge_list_files_name_file_and_line(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(GraphFormatError, match=match):
        as_graph(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        as_graph(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    "graph, kwargs, match",
    [
        (sp.csr_array((3, 4)), {}, r"must be square, got shape \(3, 4\)"),
        (np.array([[0, 1], [-1, 2]]), {}, "negative node id -1"),
        (np.array([[0, 2**63 + 5]], dtype=np.uint64), {}, "overflow int64"),
        (np.array([[0.0, 1.5]]), {}, "non-integer"),
        (np.array([[0, 1, 2]]), {}, r"shape \(E, 2\)"),
        (np.zeros((0, 2), dtype=np.int64), {}, "empty graph"),
        (np.array([[0, 5]]), {"num_nodes": 3}, "num_nodes=3 but edge array holds node id 5"),
        (torch.zeros(3, 4, dtype=torch.long), {}, r"shape \[2, E\]"),
        (nx.Graph(), {}, "empty graph"),
    ],
)
def test_bad_inputs_raise_graph_format_error(graph, kwargs, match):
    with pytest.raises(GraphFormatError, match=match):
        as_graph(graph, **kwargs)


def test_graph_format_error_is_a_value_error():
    assert issubclass(GraphFormatError, ValueError)


def test_unsupported_type():
    with pytest.raises(TypeError, match="cannot read a graph from dict"):
        as_graph({0: [1]})


def test_import_is_fast_and_light():
    import subprocess
    import sys

    code = "import sys, graphrep; print(sorted(m for m in ('torch', 'numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
