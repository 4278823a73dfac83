"""Argument checks at the boundary: integer arguments that are not ints,
float and bool index tensors, negative counts, wrongly shaped edge_index."""
import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphrep import GraphFormatError, as_graph
from graphrep._validate import ArgumentTypeError, check_int
from graphrep.nn.aggr import LCMAggregation
from graphrep.nn.link import NCNCPredictor, NCNPredictor, common_neighbors, link_adjacency
from graphrep.orbits import orbit_adjacency
from graphrep.train.link import LinkSplit, random_link_split
from graphrep.walks import sample_walks

PATH = np.array([[0, 1], [1, 2], [2, 3]])


@pytest.mark.parametrize("value, shown", [(True, "bool True"), (1.5, "float 1.5"), (2.0, "float 2.0"),
                                          ("2", "str '2'"), (None, "NoneType None"), (np.float64(3), "float64 3.0")])
def test_check_int_rejects_non_integers(value, shown):
    with pytest.raises(TypeError, match=rf"^count must be an int, got {shown}$") as error:
        check_int(value, "count")
    assert isinstance(error.value, ValueError)  # callers that catch ValueError for bad arguments still do


def test_check_int_accepts_integers():
    assert check_int(np.int64(4), "count", minimum=0) == 4 and type(check_int(np.int32(4), "count")) is int
    with pytest.raises(ValueError, match=r"^count must be >= 1, got 0$"):
        check_int(0, "count", minimum=1)


@pytest.mark.parametrize("num_threads, error, match", [
    (1.5, TypeError, "num_threads must be an int, got float 1.5"),
    ("2", TypeError, "num_threads must be an int, got str '2'"),
    (True, TypeError, "num_threads must be an int, got bool True"),
    (0, ValueError, "num_threads must be >= 1, got 0"),
])
def test_num_threads(num_threads, error, match):
    with pytest.raises(error, match=match):
        orbit_adjacency(PATH, num_threads=num_threads)


def test_lcm_index_and_dim_size():
    aggr = LCMAggregation(2, 2)
    x = torch.randn(3, 2)
    with pytest.raises(TypeError, match=r"^index must hold integers, got float32$"):
        aggr(x, torch.tensor([0.0, 1.0, 1.9]))  # used to be truncated to [0, 1, 1]
    with pytest.raises(TypeError, match=r"^index must hold integers, got bool$"):
        aggr(x, torch.tensor([True, False, True]))
    with pytest.raises(TypeError, match=r"^ptr must hold integers, got float64$"):
        aggr(x, ptr=torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64))
    with pytest.raises(ValueError, match=r"^dim_size must be >= 0, got -1$"):
        aggr(x, torch.tensor([0, 1, 1]), dim_size=-1)
    with pytest.raises(TypeError, match=r"^dim_size must be an int, got float 2.0$"):
        aggr(x, torch.tensor([0, 1, 1]), dim_size=2.0)
    assert aggr(x, torch.tensor([0, 1, 1]), dim_size=np.int64(3)).shape == (3, 2)


def test_ncnc_depth():
    adj = link_adjacency(torch.tensor([[0, 0, 1, 2], [1, 2, 2, 3]]), 4)
    predictor = NCNCPredictor(8, 16)
    x, pairs = torch.randn(4, 8), torch.tensor([[0, 1], [3, 3]])
    with pytest.raises(ValueError, match=r"^depth must be >= 0, got -1$"):
        predictor(x, adj, pairs, depth=-1)  # used to recurse until RecursionError
    with pytest.raises(TypeError, match=r"^depth must be an int, got float 1.5$"):
        predictor(x, adj, pairs, depth=1.5)
    with pytest.raises(TypeError, match=r"^depth must be an int, got bool True$"):
        NCNCPredictor(8, 16, depth=True)
    with pytest.raises(ValueError, match=r"^completion_batch_size must be >= 1, got 0$"):
        NCNCPredictor(8, 16, completion_batch_size=0)


def test_link_pairs_and_edge_index_dtypes():
    adj = link_adjacency(torch.tensor([[0, 0, 1, 2], [1, 2, 2, 3]]), 4)
    x = torch.randn(4, 8)
    with pytest.raises(TypeError, match=r"^pairs must hold integers, got bool$"):
        NCNPredictor(8, 16)(x, adj, torch.tensor([[True, False], [True, True]]))
    with pytest.raises(TypeError, match=r"^pairs must hold integers, got float32$"):
        common_neighbors(adj, torch.tensor([[0.0], [1.0]]))
    with pytest.raises(TypeError, match=r"^edge_index must hold integers, got bool$"):
        link_adjacency(torch.tensor([[True], [False]]), 2)
    with pytest.raises(TypeError, match=r"^num_nodes must be an int, got float 4.0$"):
        link_adjacency(torch.tensor([[0], [1]]), 4.0)
    ring = torch.stack([torch.arange(10), (torch.arange(10) + 1) % 10])
    with pytest.raises(TypeError, match=r"^train must hold integers, got bool$"):
        LinkSplit(num_nodes=10, x=None, train=ring.bool(), valid=ring, valid_neg=ring, test=ring, test_neg=ring)
    with pytest.raises(TypeError, match=r"^num_nodes must be an int, got float 10.0$"):
        random_link_split(ring, 10.0)
    with pytest.raises(TypeError, match=r"^seed must be an int, got str '1'$"):
        random_link_split(ring, 10, seed="1")


def test_walk_arguments():
    with pytest.raises(TypeError, match=r"^walk_length must be an int, got bool True$"):
        sample_walks(PATH, [0], True)
    with pytest.raises(TypeError, match=r"^seed must be an int, got float 1.0$"):
        sample_walks(PATH, [0], 3, seed=1.0)


@pytest.mark.parametrize("graph", [Data(edge_index=torch.zeros(3, 3, dtype=torch.long)),
                                   torch.zeros(3, 3, dtype=torch.long), np.zeros((3, 3), dtype=np.int64).T])
def test_edge_index_shape_message(graph):
    if isinstance(graph, np.ndarray):
        with pytest.raises(GraphFormatError, match=r"^edge array must have shape \(E, 2\), got \(3, 3\)$"):
            as_graph(graph)
        return
    with pytest.raises(GraphFormatError, match=r"^edge_index must have shape \[2, E\], got \[3, 3\]$"):
        as_graph(graph)


def test_as_graph_num_nodes_and_bool_edges():
    with pytest.raises(TypeError, match=r"^num_nodes must be an int, got float 4.0$"):
        as_graph(PATH, num_nodes=4.0)
    with pytest.raises(GraphFormatError, match=r"edge array must hold integer node ids, got dtype bool"):
        as_graph(np.array([[True, False]]))
    with pytest.raises(ValueError, match=r"encoding and id_type apply to edge-list paths only"):
        as_graph(PATH, id_type="str")
