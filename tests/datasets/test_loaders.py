import os
import stat

import pytest
import torch

from graphrep.datasets import (
    DatasetNotFoundError, load_airports, load_email_eu, load_graph, load_ogb, load_planetoid, load_ppi,
)
from graphrep import as_graph


def test_missing_dataset_fails_fast_naming_files(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"planetoid/Cora: raw/ind.cora.x"):
        load_planetoid("Cora", root=tmp_path)
    with pytest.raises(DatasetNotFoundError, match=r"ogb/ogbl_collab: RELEASE_v1.txt, raw"):
        load_ogb("ogbl-collab", root=tmp_path)


def test_data_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHREP_DATA", str(tmp_path / "envroot"))
    with pytest.raises(DatasetNotFoundError, match="envroot/email_eu"):
        load_email_eu()


def test_unknown_names():
    with pytest.raises(ValueError, match="name must be one of"):
        load_airports("mars")
    with pytest.raises(ValueError, match="unknown dataset"):
        load_graph("nope")


def _tree_snapshot(root):
    return sorted((path, os.stat(os.path.join(path, name)).st_mtime_ns)
                  for path, _, names in os.walk(root) for name in names)


def test_planetoid_from_read_only_root(shared_data):
    before = _tree_snapshot(shared_data)
    cora = load_planetoid("Cora", root=shared_data)[0]
    assert (cora.num_nodes, cora.num_edges, cora.x.shape[1]) == (2708, 10556, 1433)
    assert int(cora.train_mask.sum()) == 140
    citeseer = load_planetoid("citeseer", root=shared_data)[0]
    assert citeseer.num_nodes == 3327
    assert _tree_snapshot(shared_data) == before, "the data root is never written"


@pytest.mark.parametrize("name, nodes", [("usa", 1190), ("europe", 399), ("brazil", 131)])
def test_airports(shared_data, name, nodes):
    data = load_airports(name, root=shared_data)[0]
    assert data.num_nodes == nodes and int(data.y.max()) == 3


def test_email_eu(shared_data):
    data = load_email_eu(root=shared_data)
    assert data.num_nodes == 1005 and int(data.y.max()) == 41
    g = as_graph(data)
    assert g.num_edges == 16064


def test_ppi(shared_data):
    data = load_ppi(root=shared_data)
    assert data.num_nodes == 3890 and tuple(data.y.shape) == (3890, 50)
    assert as_graph(data).num_edges == 38739 - 894


def test_ogbl_ddi_loads_on_current_torch(shared_data):
    dataset = load_ogb("ogbl-ddi", root=shared_data)
    data = dataset[0]
    assert data.num_nodes == 4267 and data.edge_index.shape[1] == 2 * 1067911
    split = dataset.get_edge_split()
    assert split["train"]["edge"].shape == (1067911, 2)
    assert split["valid"]["edge_neg"].shape == (101882, 2)
    assert isinstance(split["test"]["edge"], torch.Tensor)


def test_ogb_safe_globals_do_not_leak(shared_data):
    load_ogb("ogbl-ddi", root=shared_data)
    from torch_geometric.data.data import DataEdgeAttr

    assert DataEdgeAttr not in torch.serialization.get_safe_globals()
