"""Small synthetic graphs shared by the trainer tests."""
import torch
from torch_geometric.data import Data


def community_graph(seed=0, groups=6, size=12, p_in=0.5, p_out=0.01):
    """A planted-partition graph: links are predictable from common neighbours."""
    generator = torch.Generator().manual_seed(seed)
    n = groups * size
    block = torch.arange(n) // size
    p = torch.where(block[:, None] == block[None, :], p_in, p_out)
    dense = (torch.rand(n, n, generator=generator) < p).triu(1)
    return dense.nonzero().t(), n


def separable_graph(num_nodes=80, seed=0, train=20, valid=20):
    """Two classes with informative features and homophilous edges, and a random node split."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % 2
    x = torch.randn(num_nodes, 6, generator=generator) * 0.5
    x[:, 0] += y * 2.0 - 1.0
    same = y[:, None] == y[None, :]
    links = torch.triu((torch.rand(num_nodes, num_nodes, generator=generator) < 0.1) & same, diagonal=1)
    edge_index = torch.cat([links.nonzero().T, links.nonzero().T.flip(0)], dim=1)
    order = torch.randperm(num_nodes, generator=generator)
    split = {"train": order[:train], "valid": order[train:train + valid], "test": order[train + valid:]}
    return Data(x=x, edge_index=edge_index, y=y), split
