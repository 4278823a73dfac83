"""``graphrep walks``: walks on the karate graph and on a string-id file,
text and .npy output, node2vec options, bad input."""
import numpy as np
import pytest

from graphrep import as_graph
from graphrep.cli import main
from graphrep.datasets import load_graph


@pytest.fixture
def names_file(tmp_path):
    path = tmp_path / "friends.txt"
    path.write_text("# who knows whom\nann bob\nbob cid\ncid dan\ndan ann\ndan eve\n")
    return path


def _is_walk(nodes, graph, row_of):
    rows = [row_of[node] for node in nodes]
    return all(b in graph.neighbors(a) for a, b in zip(rows, rows[1:]))


def test_karate_text_walks_follow_edges_from_every_node(tmp_path, capsys):
    out = tmp_path / "walks.txt"
    assert main(["walks", "--dataset", "karate", "-o", str(out), "--length", "6", "--per-node", "3"]) == 0
    summary = capsys.readouterr().out
    assert "34 nodes, 78 edges; 102 walks of 6 steps (uniform)" in summary and str(out) in summary
    graph = as_graph(load_graph("karate"))
    row_of = {str(node): row for row, node in enumerate(graph.node_ids)}
    lines = [line.split() for line in out.read_text().splitlines()]
    assert len(lines) == 102 and {len(line) for line in lines} == {7}
    # round r holds one walk from every node, in row order
    assert [line[0] for line in lines] == [str(node) for node in graph.node_ids] * 3
    assert all(_is_walk(line, graph, row_of) for line in lines)


def test_string_ids_and_npy_rows_match_the_text(tmp_path, names_file):
    text, array = tmp_path / "w.txt", tmp_path / "w.npy"
    common = ["--length", "5", "--per-node", "4", "-p", "0.5", "--in-out", "2", "--seed", "7", "-q"]
    assert main(["walks", str(names_file), "-o", str(text), *common]) == 0
    assert main(["walks", str(names_file), "-o", str(array), *common]) == 0
    rows = np.load(array)
    ids = dict(line.split("\t") for line in (tmp_path / "w.nodes.txt").read_text().splitlines())
    assert ids == {"0": "ann", "1": "bob", "2": "cid", "3": "dan", "4": "eve"}
    assert rows.dtype == np.int64 and rows.shape == (20, 6)
    assert [[ids[str(row)] for row in walk] for walk in rows] == [line.split() for line in
                                                                   text.read_text().splitlines()]
    graph = as_graph(names_file)
    assert all(_is_walk(walk, graph, {row: row for row in range(5)}) for walk in rows.tolist())


def test_seed_decides_the_walks(tmp_path, names_file):
    files = [tmp_path / name for name in ("a.txt", "b.txt", "c.txt")]
    for path, seed in zip(files, ["1", "1", "2"]):
        assert main(["walks", str(names_file), "-o", str(path), "--seed", seed, "--length", "20", "-q"]) == 0
    assert files[0].read_text() == files[1].read_text() != files[2].read_text()


def _return_rate(path):
    walks = np.load(path)
    return float((walks[:, 2:] == walks[:, :-2]).mean())


def test_return_and_in_out_parameters_reach_the_walker(tmp_path):
    rates = {}
    for name, options in {"uniform": [], "return": ["-p", "0.01"], "outward": ["--in-out", "0.01"]}.items():
        out = tmp_path / f"{name}.npy"
        assert main(["walks", "--dataset", "karate", "-o", str(out), "--length", "20", "-q", *options]) == 0
        rates[name] = _return_rate(out)
    # p = 0.01 makes going back 100x likelier than any other step; q = 0.01 favours moving away.
    assert rates["return"] > 0.8 > rates["uniform"] > rates["outward"]


def test_quiet_prints_nothing(tmp_path, capsys):
    assert main(["walks", "--dataset", "karate", "-o", str(tmp_path / "w.txt"), "-q"]) == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("content, message", [
    ("ann bob\nbob\n", "bad.txt:2: expected two node ids"),
    ("# nothing\n", "empty graph"),
])
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    assert main(["walks", str(bad), "-o", str(tmp_path / "w.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("graphrep: error: ") and message in err[0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.txt"]


def test_bad_options_and_existing_output(tmp_path, names_file, capsys):
    for options in (["--length", "0"], ["-p", "-1"], ["--in-out", "nan"], ["--per-node", "x"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["walks", str(names_file), "-o", str(tmp_path / "w.txt"), *options])
        assert exit_info.value.code == 2
        assert f"argument {options[0]}" in capsys.readouterr().err
    (tmp_path / "w.txt").write_text("keep me")
    assert main(["walks", str(names_file), "-o", str(tmp_path / "w.txt")]) == 2
    assert "already exists: " in capsys.readouterr().err and (tmp_path / "w.txt").read_text() == "keep me"
    assert main(["walks", str(names_file), "-o", str(tmp_path / "w.txt"), "--overwrite", "-q"]) == 0
    assert len((tmp_path / "w.txt").read_text().splitlines()) == 50


def test_failure_while_writing_leaves_nothing(tmp_path, names_file, monkeypatch):
    import graphrep.walks.cli as walks_cli

    def failing_chunks(graph, args):
        yield np.zeros((5, args.length + 1), dtype=np.int64)
        raise OSError("disk full")

    monkeypatch.setattr(walks_cli, "_chunks", failing_chunks)
    for name in ("w.txt", "w.npy"):
        assert main(["walks", str(names_file), "-o", str(tmp_path / name), "-q"]) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["friends.txt"]
