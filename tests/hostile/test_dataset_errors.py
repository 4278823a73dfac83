"""Malformed, truncated and incomplete dataset files: one
DatasetFormatError naming the file (and line), one line and exit 2 on the
command line; the processed cache follows changes of the raw files."""
import gzip
import os
import shutil

import pytest

from graphrep import as_graph
from graphrep.cli import main
from graphrep.datasets import (
    DatasetFormatError, DatasetNotFoundError, load_airports, load_email_eu, load_ogb, load_planetoid, load_ppi,
)
from tests.hostile._files import write_csv_gz, write_ogbl_ddi, write_planetoid


def cli_error(capsys, root, dataset, tmp_path) -> list[str]:
    code = main(["orbits", "--dataset", dataset, "--data-root", str(root), "-o", str(tmp_path / "out"), "-q"])
    assert code == 2 and not (tmp_path / "out").exists()
    return capsys.readouterr().err.strip().splitlines()


def write_email_eu(root, edges="0 1\n1 2\n2 0\n", labels="0 1\n1 1\n2 0\n"):
    folder = root / "email_eu"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "email-Eu-core.txt").write_text(edges)
    (folder / "email-Eu-core-department-labels.txt").write_text(labels)
    return folder


@pytest.mark.parametrize("edges, labels, where, problem", [
    ("0 1\n1 2\n12", "0 1\n1 1\n2 0\n", "email-Eu-core.txt:3", "expected 2 columns, got 1: '12'"),
    ("0 1\n1 x\n", "0 1\n1 1\n2 0\n", "email-Eu-core.txt:2", "expected numbers, got '1 x'"),
    ("0 1\n1 9\n", "0 1\n1 1\n2 0\n", "email-Eu-core.txt:2",
     "node ids must lie in [0, 3) (the labelled nodes), got [1, 9]"),
    ("0 1\n", "0 1\n1\n", "email-Eu-core-department-labels.txt:2", "expected 2 columns, got 1: '1'"),
    ("0 1\n", "0 1\n0 2\n", "email-Eu-core-department-labels.txt:2", "node 0 is labelled twice"),
    ("0 1\n", "0 1\n2 2\n", "email-Eu-core-department-labels.txt", "1 of nodes 0..2 have no label (first: 1)"),
])
def test_email_eu(tmp_path, capsys, edges, labels, where, problem):
    folder = write_email_eu(tmp_path / "root", edges, labels)
    expected = f"{folder / where}: {problem}"
    with pytest.raises(DatasetFormatError) as error:
        load_email_eu(tmp_path / "root")
    assert str(error.value) == expected
    assert cli_error(capsys, tmp_path / "root", "email-eu", tmp_path) == [f"graphrep: error: {expected}"]


def test_airports_edge_to_an_unlabelled_airport(tmp_path, capsys):
    raw = tmp_path / "root" / "airports" / "usa" / "raw"
    raw.mkdir(parents=True)
    (raw / "labels-usa-airports.txt").write_text("node label\n10 0\n11 1\n12129 2\n")
    (raw / "usa-airports.edgelist").write_text("10 11\n12343 12129\n")
    expected = f"{raw / 'usa-airports.edgelist'}:2: airport 12343 has no label in {raw / 'labels-usa-airports.txt'}"
    with pytest.raises(DatasetFormatError) as error:
        load_airports("usa", tmp_path / "root")
    assert str(error.value) == expected
    assert cli_error(capsys, tmp_path / "root", "airports-usa", tmp_path) == [f"graphrep: error: {expected}"]
    (raw / "labels-usa-airports.txt").write_text("node label\n10 0\n11 1\n10 2\n")
    with pytest.raises(DatasetFormatError, match=r"labels-usa-airports.txt:4: airport 10 is labelled twice"):
        load_airports("usa", tmp_path / "root")


def test_ppi(tmp_path):
    folder = tmp_path / "root" / "ppi"
    folder.mkdir(parents=True)
    (folder / "node2vec_PPI.edgelist").write_text("1 2 1.0\n2 3 1.0\n0 3 1.0\n")
    (folder / "node2vec_PPI_labels.txt").write_text("1 1\n2 2\n3\n")
    with pytest.raises(DatasetFormatError, match=r"node2vec_PPI.edgelist:3: node ids start at 1, got \[0, 3\]"):
        load_ppi(tmp_path / "root")
    (folder / "node2vec_PPI.edgelist").write_text("1 2 1.0\n2 3 heavy\n")
    with pytest.raises(DatasetFormatError, match=r"node2vec_PPI.edgelist:2: expected numbers, got '2 3 heavy'"):
        load_ppi(tmp_path / "root")
    (folder / "node2vec_PPI.edgelist").write_text("1 2 1.0\n2 3 1.0\n")
    data = load_ppi(tmp_path / "root")
    assert data.num_nodes == 3 and tuple(data.y.shape) == (3, 2)


@pytest.mark.parametrize("part, content, problem", [
    ("graph", b"\x80\x02}q\x00(K\x00]q", "truncated or corrupt pickle"),
    ("x", b"", "truncated or corrupt pickle"),
    ("test.index", b"540\n541\nabc\n", None),
])
def test_planetoid(tmp_path, capsys, part, content, problem):
    raw = write_planetoid(tmp_path / "root")
    path = raw / f"ind.cora.{part}"
    path.write_bytes(content)
    with pytest.raises(DatasetFormatError) as error:
        load_planetoid("cora", tmp_path / "root")
    message = str(error.value)
    if problem is None:
        assert message == f"{path}:3: expected numbers, got 'abc'"
    else:
        assert message.startswith(f"{path}: {problem}")
    assert len(message) <= 300
    assert cli_error(capsys, tmp_path / "root", "cora", tmp_path) == [f"graphrep: error: {message}"]


def test_planetoid_inconsistent_files(tmp_path):
    import pickle

    import numpy as np

    raw = write_planetoid(tmp_path / "root")
    (raw / "ind.cora.ty").write_bytes(pickle.dumps(np.zeros((3, 3)), protocol=2))
    with pytest.raises(DatasetFormatError, match=r"ind.cora.tx: 30 rows, but .*ind.cora.ty has 3"):
        load_planetoid("cora", tmp_path / "root")
    (raw / "ind.cora.ty").write_bytes(pickle.dumps({"not": "labels"}, protocol=2))
    with pytest.raises(DatasetFormatError, match=r"ind.cora.ty: expected a labels array, found a dict"):
        load_planetoid("cora", tmp_path / "root")


def test_ogb_truncated_and_malformed_raw_files(tmp_path, capsys):
    root = tmp_path / "root"
    folder = write_ogbl_ddi(root)
    edge_file = folder / "raw" / "edge.csv.gz"
    data = edge_file.read_bytes()
    edge_file.write_bytes(data[:len(data) // 2])
    with pytest.raises(DatasetFormatError) as error:
        load_ogb("ogbl-ddi", root)
    assert str(error.value).startswith(f"{edge_file}: malformed or truncated CSV file (EOFError")
    assert cli_error(capsys, root, "ogbl-ddi", tmp_path) == [f"graphrep: error: {error.value}"]
    write_csv_gz(edge_file, [[0, 1], [1, 99]])
    write_csv_gz(folder / "raw" / "num-edge-list.csv.gz", [[2]])
    with pytest.raises(DatasetFormatError, match=r"edge.csv.gz: edge 1 names a node outside its graph: \[1, 99\]"):
        load_ogb("ogbl-ddi", root)
    write_csv_gz(folder / "raw" / "num-edge-list.csv.gz", [[5]])
    with pytest.raises(DatasetFormatError, match=r"the edge counts \(5\) do not match the 2 edges"):
        load_ogb("ogbl-ddi", root)
    (folder / "raw" / "num-node-list.csv.gz").unlink()
    with pytest.raises(DatasetFormatError, match=r"num-node-list.csv.gz: file not found"):
        load_ogb("ogbl-ddi", root)


def test_changed_source_is_seen_by_the_next_load(tmp_path):
    root = tmp_path / "root"
    folder = write_email_eu(root)
    assert as_graph(load_email_eu(root)).num_edges == 3
    (folder / "email-Eu-core.txt").write_text("0 1\n")
    assert as_graph(load_email_eu(root)).num_edges == 1
    ogb = write_ogbl_ddi(root)
    first = load_ogb("ogbl-ddi", root)[0]
    assert first.edge_index.shape[1] == 60
    write_csv_gz(ogb / "raw" / "edge.csv.gz", [[0, 1], [2, 3]])
    write_csv_gz(ogb / "raw" / "num-edge-list.csv.gz", [[2]])
    assert load_ogb("ogbl-ddi", root)[0].edge_index.tolist() == [[0, 1, 2, 3], [1, 0, 3, 2]]


def test_a_moved_root_is_a_different_dataset(tmp_path):
    write_ogbl_ddi(tmp_path / "a")
    write_ogbl_ddi(tmp_path / "b", num_nodes=20)
    assert load_ogb("ogbl-ddi", tmp_path / "a")[0].num_nodes == 12
    assert load_ogb("ogbl-ddi", tmp_path / "b")[0].num_nodes == 20
    shutil.rmtree(tmp_path / "a")
    shutil.copytree(tmp_path / "b", tmp_path / "a")
    assert load_ogb("ogbl-ddi", tmp_path / "a")[0].num_nodes == 20


def test_missing_dataset_names_both_ways_to_point_at_it(tmp_path, capsys):
    with pytest.raises(DatasetNotFoundError) as error:
        load_planetoid("cora", tmp_path)
    message = str(error.value)
    assert "root= in Python, --data-root on the command line, or $GRAPHREP_DATA" in message
    assert "graphrep does not download" in message
    on_the_command_line = message.replace("root= in Python, --data-root on the command line, or $GRAPHREP_DATA",
                                          "--data-root or $GRAPHREP_DATA")
    assert cli_error(capsys, tmp_path, "cora", tmp_path) == [f"graphrep: error: {on_the_command_line}"]


def test_a_gzipped_email_file_is_read_and_a_binary_one_refused(tmp_path):
    folder = write_email_eu(tmp_path / "root")
    edges = folder / "email-Eu-core.txt"
    edges.write_bytes(gzip.compress(b"0 1\n1 2\n"))
    assert as_graph(load_email_eu(tmp_path / "root")).num_edges == 2
    edges.write_bytes(b"\x80abc\x00def")
    with pytest.raises(DatasetFormatError, match=r"email-Eu-core.txt: binary data \(a NUL byte at byte 4\)"):
        load_email_eu(tmp_path / "root")


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs /proc, which nobody can write")
    monkeypatch.setenv("GRAPHREP_CACHE", "/proc/graphrep-cache")
    write_ogbl_ddi(tmp_path / "root")
    with pytest.warns(UserWarning, match=r"cannot keep a processed copy .* the next load reads the raw files again"):
        assert load_ogb("ogbl-ddi", tmp_path / "root")[0].num_nodes == 12
