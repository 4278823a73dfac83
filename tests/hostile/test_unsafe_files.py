"""No code runs from data files: crafted Planetoid pickles, crafted
processed files in the cache, crafted OGB split files (also with
TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1), and loaders equal to PyG's/ogb's."""
import os
import shutil
import warnings

import numpy as np
import pytest
import torch

from graphrep.cli import main
from graphrep.datasets import (
    DatasetFormatError, UnsafeFileError, load_airports, load_graph, load_ogb, load_planetoid,
)
from tests.hostile._files import crafted_pickle, write_ogbl_ddi, write_planetoid


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "payload-ran"
    yield path
    assert not path.exists(), "the crafted file's payload ran"


@pytest.mark.parametrize("part", ["x", "graph", "ally"])
def test_crafted_planetoid_file_never_runs(tmp_path, marker, part, capsys):
    root = tmp_path / "root"
    raw = write_planetoid(root)
    crafted = raw / f"ind.cora.{part}"
    crafted.write_bytes(crafted_pickle(marker))
    for load in (lambda: load_planetoid("cora", root), lambda: load_graph("cora", root)):
        with pytest.raises(UnsafeFileError) as error:
            load()
        message = str(error.value)
        assert message.startswith(f"{crafted}: refusing to load: the pickle calls posix.system")
        assert len(message) <= 300
    assert main(["orbits", "--dataset", "cora", "--data-root", str(root), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"graphrep: error: {message}"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_other_payloads_and_protocols_are_refused(tmp_path, marker, protocol):
    root = tmp_path / "root"
    raw = write_planetoid(root)
    (raw / "ind.cora.tx").write_bytes(crafted_pickle(marker, protocol))
    with pytest.raises(UnsafeFileError, match="ind.cora.tx: refusing to load"):
        load_planetoid("cora", root)


def test_codecs_encode_is_only_a_bytes_literal(tmp_path):
    """Python 3's protocol-2 spelling of bytes (``_codecs.encode(s, "latin1")``)
    is admitted; any other codec is refused."""
    import pickle

    class Rot13:
        def __reduce__(self):
            import _codecs

            return _codecs.encode, ("text", "rot13")

    root = tmp_path / "root"
    raw = write_planetoid(root)
    (raw / "ind.cora.y").write_bytes(pickle.dumps(Rot13(), protocol=2))
    with pytest.raises(UnsafeFileError, match=r"ind.cora.y: .*_codecs.encode with another codec"):
        load_planetoid("cora", root)


def test_planetoid_written_by_python3_loads_equal_to_pyg(tmp_path):
    """The synthetic files (protocol 2, written by Python 3) through graphrep
    and through PyG's Planetoid give identical data."""
    from torch_geometric.datasets import Planetoid

    root = tmp_path / "root"
    write_planetoid(root)
    ours = load_planetoid("cora", root)
    theirs = _pyg_dataset(Planetoid, root / "planetoid", tmp_path, "Cora")
    _assert_same_data(ours[0], theirs[0])
    assert ours.num_classes == theirs.num_classes == 3
    assert int(ours[0].edge_index.shape[1]) < 2 * 540 + 2 * 30 + 2  # self-loop dropped, duplicate merged


@pytest.mark.parametrize("name", ["Cora", "CiteSeer"])
def test_real_planetoid_equal_to_pyg(shared_data, tmp_path, name):
    from torch_geometric.datasets import Planetoid

    ours = load_planetoid(name, shared_data)
    theirs = _pyg_dataset(Planetoid, shared_data / "planetoid", tmp_path, name)
    _assert_same_data(ours[0], theirs[0])
    assert ours.num_classes == theirs.num_classes and repr(ours) == repr(theirs)


@pytest.mark.parametrize("split", ["full", "random"])
def test_planetoid_splits_match_pyg(shared_data, tmp_path, split):
    from torch_geometric.datasets import Planetoid

    torch.manual_seed(5)
    ours = load_planetoid("cora", shared_data, split=split)[0]
    _pyg_dataset(Planetoid, shared_data / "planetoid", tmp_path, "Cora")  # processed once: the draws below line up
    torch.manual_seed(5)
    theirs = _pyg_dataset(Planetoid, shared_data / "planetoid", tmp_path, "Cora", split=split)[0]
    _assert_same_data(ours, theirs)


@pytest.mark.parametrize("name", ["usa", "brazil"])
def test_real_airports_equal_to_pyg_and_no_fallback_warning(shared_data, tmp_path, name):
    from torch_geometric.datasets import Airports

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Weights only load failed" (or any other) warning
        ours = load_airports(name, shared_data)
    theirs = _pyg_dataset(Airports, shared_data / "airports", tmp_path, name)
    _assert_same_data(ours[0], theirs[0])


def test_crafted_processed_files_in_the_default_root_are_never_read(tmp_path, marker, monkeypatch):
    """With the default data root (the cache), PyG's ``processed/data.pt``
    beside the raw files is not read at all: graphrep builds from raw."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GRAPHREP_CACHE", str(cache))
    monkeypatch.delenv("GRAPHREP_DATA", raising=False)
    write_planetoid(cache)
    for folder in (cache / "planetoid" / "Cora" / "processed", cache / "ogb" / "ogbl_ddi" / "processed"):
        folder.mkdir(parents=True)
        for name in ("data.pt", "geometric_data_processed.pt", "pre_filter.pt", "pre_transform.pt"):
            (folder / name).write_bytes(crafted_pickle(marker))
    write_ogbl_ddi(cache)
    assert load_planetoid("cora")[0].num_nodes == 570
    assert load_ogb("ogbl-ddi")[0].num_nodes == 12


def test_crafted_graphrep_processed_copy_is_refused(tmp_path, marker, monkeypatch):
    monkeypatch.setenv("GRAPHREP_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "root"
    write_ogbl_ddi(root)
    load_ogb("ogbl-ddi", root)
    (processed,) = (tmp_path / "cache" / "processed" / "ogb").iterdir()
    processed.write_bytes(b"")  # truncated: rebuilt silently
    assert load_ogb("ogbl-ddi", root)[0].num_nodes == 12
    torch.save({"format": 1, "graphs": _PayloadHolder(marker)}, processed)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(UnsafeFileError, match=f"{processed}: refusing to load graphrep's processed copy"):
        load_ogb("ogbl-ddi", root)


class _PayloadHolder:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("force_no_weights_only", [False, True])
def test_crafted_ogb_split_file_never_runs(tmp_path, marker, monkeypatch, force_no_weights_only, capsys):
    if force_no_weights_only:
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    root = tmp_path / "root"
    folder = write_ogbl_ddi(root)
    crafted = folder / "split" / "target" / "train.pt"
    torch.save({"edge": _PayloadHolder(marker)}, crafted)
    dataset = load_ogb("ogbl-ddi", root)
    with pytest.raises(UnsafeFileError) as error:
        dataset.get_edge_split()
    message = str(error.value)
    assert message.startswith(f"{crafted}: refusing to load: it holds objects other than numpy arrays")
    assert "posix.system" in message and len(message) <= 300 and "\n" not in message
    crafted.write_bytes(crafted_pickle(marker))  # a plain pickle, not torch's zip format
    with pytest.raises(UnsafeFileError, match="train.pt: refusing to load"):
        dataset.get_edge_split()


def test_every_torch_load_passes_weights_only_true(tmp_path, monkeypatch):
    calls = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    root = tmp_path / "root"
    write_ogbl_ddi(root)
    write_planetoid(root)
    load_ogb("ogbl-ddi", root).get_edge_split()
    load_ogb("ogbl-ddi", root).get_edge_split()  # the processed copy too
    load_planetoid("cora", root)
    assert len(calls) >= 7 and set(calls) == {True}


def test_ogb_graph_and_split_equal_to_ogb(tmp_path):
    from ogb.io.read_graph_pyg import read_graph_pyg

    root = tmp_path / "root"
    folder = write_ogbl_ddi(root)
    dataset = load_ogb("ogbl-ddi", root)
    (expected,) = read_graph_pyg(str(folder / "raw"), add_inverse_edge=True)
    assert torch.equal(dataset[0].edge_index, expected.edge_index)
    assert dataset[0].num_nodes == expected.num_nodes == 12
    split = dataset.get_edge_split()
    assert split["train"]["edge"].shape == (20, 2) and split["valid"]["edge_neg"].shape == (4, 2)
    assert isinstance(split["test"]["edge"], torch.Tensor) and split["test"]["edge"].dtype == torch.int64
    assert dataset.eval_metric == "hits@20" and dataset.task_type == "link prediction"


def test_real_ogbl_ddi_equal_to_ogb(shared_data):
    from ogb.io.read_graph_pyg import read_graph_pyg

    dataset = load_ogb("ogbl-ddi", shared_data)
    (expected,) = read_graph_pyg(str(shared_data / "ogb" / "ogbl_ddi" / "raw"), add_inverse_edge=True)
    assert torch.equal(dataset[0].edge_index, expected.edge_index)


def test_split_file_with_a_missing_field(tmp_path):
    root = tmp_path / "root"
    folder = write_ogbl_ddi(root)
    torch.save({"edges": np.zeros((2, 2), dtype=np.int64)}, folder / "split" / "target" / "valid.pt")
    with pytest.raises(DatasetFormatError, match=r"valid.pt: missing field 'edge' \(or 'source_node'\)"):
        load_ogb("ogbl-ddi", root).get_edge_split()
    (folder / "split" / "target" / "test.pt").write_bytes(b"PK\x03\x04 truncated")
    torch.save({"edge": np.zeros((2, 2), dtype=np.int64)}, folder / "split" / "target" / "valid.pt")
    with pytest.raises(DatasetFormatError, match=r"test.pt: truncated or corrupt split file"):
        load_ogb("ogbl-ddi", root).get_edge_split()


def _pyg_dataset(cls, source, tmp_path, *args, **kwargs):
    """PyG's own dataset class on a copy of ``source`` (it writes processed files)."""
    copy = tmp_path / "pyg"
    if not copy.exists():
        shutil.copytree(source, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(str(copy), *args, **kwargs)


def _assert_same_data(ours, theirs):
    assert sorted(ours.keys()) == sorted(theirs.keys())
    for key in theirs.keys():
        if isinstance(theirs[key], torch.Tensor):
            assert torch.equal(ours[key], theirs[key]), key
        else:
            assert ours[key] == theirs[key], key


def test_ogb_saver_format_equal_to_ogb(tmp_path):
    """A node dataset written with ogb's DatasetSaver (binary npz, split_dict.pt):
    graphrep's loader and ogb's own class agree on graph, labels and split."""
    from ogb.nodeproppred import PygNodePropPredDataset
    from torch_geometric.data.data import Data, DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    from graphrep.datasets.ogb import _numpy_safe_globals
    from tests.nn.augment.test_lagnn_example import NAME, write_tiny_ogb_dataset

    meta = write_tiny_ogb_dataset(tmp_path)
    ours = load_ogb(NAME, meta_dict=meta)
    with _numpy_safe_globals(), torch.serialization.safe_globals([Data, DataEdgeAttr, DataTensorAttr, GlobalStorage]):
        theirs = PygNodePropPredDataset(NAME, meta_dict=meta)  # trusted files written just above
        their_split = theirs.get_idx_split()
    _assert_same_data(ours[0], theirs[0])
    assert ours.num_classes == theirs.num_classes == 3
    our_split = ours.get_idx_split()
    for part in ("train", "valid", "test"):
        assert torch.equal(torch.as_tensor(our_split[part]), torch.as_tensor(their_split[part]))
