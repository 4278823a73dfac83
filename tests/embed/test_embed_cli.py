"""``graphrep embed``: GOPMI and RWPMI on the karate graph and on a
string-id file, TSV and .npy output, bad input."""
import numpy as np
import pytest

from graphrep import as_graph
from graphrep.cli import main
from graphrep.datasets import load_graph
from graphrep.embed import gopmi, rwpmi
from graphrep.orbits import orbit_adjacency


@pytest.fixture
def names_file(tmp_path):
    path = tmp_path / "friends.txt"
    path.write_text("ann bob\nbob cid\ncid dan\ndan ann\ndan eve\neve ann\n")
    return path


def _read_tsv(path):
    lines = path.read_text().splitlines()
    header, rows = lines[0].split("\t"), [line.split("\t") for line in lines[1:]]
    return header, [row[0] for row in rows], np.array([[float(v) for v in row[1:]] for row in rows])


def test_karate_gopmi_tsv_holds_ids_and_the_library_embedding(tmp_path, capsys):
    out = tmp_path / "karate.tsv"
    assert main(["embed", "--dataset", "karate", "-o", str(out), "--method", "gopmi", "--dim", "3",
                 "--seed", "1"]) == 0
    assert "34 nodes, 78 edges; GOPMI embedding, 84 columns" in capsys.readouterr().out
    header, ids, vectors = _read_tsv(out)
    graph = as_graph(load_graph("karate"))
    assert header == ["node"] + [f"x{i}" for i in range(84)]
    assert ids == [str(node) for node in graph.node_ids]
    expected = gopmi(orbit_adjacency(graph), 3, seed=1)
    np.testing.assert_allclose(vectors, expected, rtol=1e-7, atol=1e-12)


def test_karate_rwpmi_npy_and_node_map(tmp_path):
    out = tmp_path / "karate.npy"
    assert main(["embed", "--dataset", "karate", "-o", str(out), "--method", "rwpmi", "--dim", "8",
                 "--window", "5", "-q"]) == 0
    graph = as_graph(load_graph("karate"))
    np.testing.assert_array_equal(np.load(out), rwpmi(graph, 8, window=5, seed=0))
    nodes = [line.split("\t") for line in (tmp_path / "karate.nodes.txt").read_text().splitlines()]
    assert nodes == [[str(row), str(node)] for row, node in enumerate(graph.node_ids)]


def test_string_ids_keys_and_sampled_walks(tmp_path, names_file):
    out = tmp_path / "g.tsv"
    assert main(["embed", str(names_file), "-o", str(out), "--method", "gopmi", "--dim", "2",
                 "--keys", "h1_o0_o0", "h2_o1_o1", "-q"]) == 0
    header, ids, vectors = _read_tsv(out)
    assert ids == ["ann", "bob", "cid", "dan", "eve"] and vectors.shape == (5, 4)
    expected = gopmi(orbit_adjacency(names_file), 2, keys=[(1, 0, 0), (2, 1, 1)])
    np.testing.assert_allclose(vectors, expected, rtol=1e-7, atol=1e-12)

    sampled = tmp_path / "s.npy"
    assert main(["embed", str(names_file), "-o", str(sampled), "--method", "rwpmi", "--dim", "3",
                 "--walks", "5", "--seed", "3", "-q"]) == 0
    np.testing.assert_array_equal(np.load(sampled), rwpmi(names_file, 3, num_walks=5, seed=3))


@pytest.mark.parametrize("options, message", [
    (["--method", "rwpmi", "--keys", "h1_o0_o0"], "--keys selects orbit adjacency matrices"),
    (["--method", "gopmi", "--walks", "3"], "--walks samples random walks"),
    (["--method", "gopmi", "--keys", "h9_o1_o1"], "--keys: h9_o1_o1 is not one of the 28"),
])
def test_inconsistent_options_exit_2_with_one_line(tmp_path, names_file, capsys, options, message):
    assert main(["embed", str(names_file), "-o", str(tmp_path / "e.tsv"), *options]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"graphrep: error: {message}")
    assert not (tmp_path / "e.tsv").exists()


def test_bad_file_and_missing_method(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("ann bob\n-\n")
    assert main(["embed", str(bad), "-o", str(tmp_path / "e.tsv"), "--method", "gopmi"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.txt:2: expected two node ids" in err[0]
    with pytest.raises(SystemExit) as exit_info:
        main(["embed", str(bad), "-o", str(tmp_path / "e.tsv")])
    assert exit_info.value.code == 2 and "--method" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.txt"]


def test_exact_rwpmi_too_large_is_refused_with_the_way_out(tmp_path, names_file, capsys, monkeypatch):
    import graphrep.embed.cli as embed_cli

    monkeypatch.setattr(embed_cli, "_physical_memory", lambda: 1000)
    assert main(["embed", str(names_file), "-o", str(tmp_path / "e.npy"), "--method", "rwpmi"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].endswith("friends.txt: 5 nodes, 6 edges")  # the input log line, then the refusal
    assert len(err) == 2 and "exact RWPMI on 5 nodes may need" in err[1] and "--walks" in err[1]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["friends.txt"]
