import subprocess
import sys

import pytest
import torch

from graphrep.nn.link import common_neighbors, drop_adjacency_entries, link_adjacency, remove_links
from tests.conftest import REPO


def random_graph(n, p, seed):
    generator = torch.Generator().manual_seed(seed)
    dense = (torch.rand(n, n, generator=generator) < p).triu(1)
    dense = dense | dense.t()
    return dense, dense.nonzero().t()


def random_pairs(n, count, seed):
    generator = torch.Generator().manual_seed(seed + 1)
    return torch.randint(0, n, (2, count), generator=generator)


@pytest.mark.parametrize("seed, n, p, chunk_size", [(0, 30, 0.2, 1), (1, 50, 0.5, 17), (2, 80, 0.05, 2**22),
                                                      (3, 40, 0.9, 64)])
def test_common_neighbors_match_dense_reference(seed, n, p, chunk_size):
    dense, edge_index = random_graph(n, p, seed)
    adj = link_adjacency(edge_index, n)
    assert torch.equal(adj.to_dense().bool(), dense)
    pairs = random_pairs(n, 200, seed)
    common, only_u, only_v = common_neighbors(adj, pairs, residual=True, chunk_size=chunk_size)
    a_u, a_v = dense[pairs[0]], dense[pairs[1]]
    expected_only_u, expected_only_v = a_u & ~a_v, a_v & ~a_u
    expected_only_u[torch.arange(pairs.size(1)), pairs[1]] = False
    expected_only_v[torch.arange(pairs.size(1)), pairs[0]] = False
    assert torch.equal(common.to_dense().bool(), a_u & a_v)
    assert torch.equal(only_u.to_dense().bool(), expected_only_u)
    assert torch.equal(only_v.to_dense().bool(), expected_only_v)
    assert torch.equal(common_neighbors(adj, pairs, chunk_size=chunk_size).to_dense(), common.to_dense())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_target_link_removal_matches_dense_reference(seed):
    n = 40
    dense, edge_index = random_graph(n, 0.3, seed)
    links = edge_index[:, edge_index[0] < edge_index[1]]
    removed = links[:, torch.randperm(links.size(1), generator=torch.Generator().manual_seed(seed))[:25]]
    reduced = dense.clone()
    reduced[removed[0], removed[1]] = False
    reduced[removed[1], removed[0]] = False
    adj = remove_links(link_adjacency(edge_index, n), torch.cat([removed, torch.tensor([[0], [0]])], 1))
    assert torch.equal(adj.to_dense().bool(), reduced)
    pairs = torch.cat([removed, random_pairs(n, 100, seed)], 1)
    common = common_neighbors(adj, pairs, chunk_size=7)
    assert torch.equal(common.to_dense().bool(), reduced[pairs[0]] & reduced[pairs[1]])


def test_link_adjacency_symmetrises_and_drops_self_loops():
    adj = link_adjacency(torch.tensor([[0, 1, 2, 2], [1, 0, 2, 3]]), 4)
    assert adj.to_dense().int().tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]


def test_bad_input_names_the_argument():
    adj = link_adjacency(torch.tensor([[0], [1]]), 2)
    with pytest.raises(ValueError, match="edge_index"):
        link_adjacency(torch.tensor([0, 1]), 2)
    with pytest.raises(ValueError, match="outside"):
        link_adjacency(torch.tensor([[0], [5]]), 2)
    with pytest.raises(ValueError, match="pairs"):
        common_neighbors(adj, torch.tensor([[0], [7]]))
    with pytest.raises(ValueError, match="adj"):
        common_neighbors(adj.to_dense(), torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="chunk_size"):
        common_neighbors(adj, torch.tensor([[0], [1]]), chunk_size=0)


def test_edge_dropout_keeps_a_subset():
    dense, edge_index = random_graph(30, 0.3, 0)
    torch.manual_seed(0)
    dropped = drop_adjacency_entries(link_adjacency(edge_index, 30), 0.5).to_dense().bool()
    assert not (dropped & ~dense).any()
    assert 0.3 < dropped.sum() / dense.sum() < 0.7


def test_pyg_layers_take_the_adjacency_without_the_invariant_check_warning():
    # torch warns once per process, so the check runs in a fresh one.
    script = (
        "import torch\n"
        "from torch_geometric.nn import GCNConv\n"
        "from graphrep.nn.link import link_adjacency\n"
        "adj = link_adjacency(torch.tensor([[0, 1, 2], [1, 2, 3]]), 4)\n"
        "out = GCNConv(3, 2)(torch.randn(4, 3), adj)\n"
        "assert out.shape == (4, 2)\n"
    )
    result = subprocess.run([sys.executable, "-W", "always", "-c", script], capture_output=True, text=True,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "Sparse invariant checks" not in result.stderr


def test_invariant_checks_turned_on_stay_on():
    with torch.sparse.check_sparse_tensor_invariants(True):
        link_adjacency(torch.tensor([[0, 1], [1, 2]]), 3)
        assert torch.sparse.check_sparse_tensor_invariants.is_enabled()
