import numpy as np
import pytest

from graphrep.cli import main
from graphrep.orbits import edge_orbit_counts, orbit_counts


def _table(path):
    lines = path.read_text().splitlines()
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


def test_node_counts_with_node_ids(tmp_path, square_with_tail, capsys):
    out = tmp_path / "counts.tsv"
    assert main(["counts", str(square_with_tail), "-o", str(out)]) == 0
    header, rows = _table(out)
    assert header == ["node"] + [f"o{o}" for o in range(15)]
    assert [row[0] for row in rows] == ["ann", "bob", "cid", "dan", "eve"]
    np.testing.assert_array_equal(np.array([row[1:] for row in rows], dtype=np.int64),
                                  orbit_counts(square_with_tail))
    assert "5 nodes, 5 edges; node orbit counts" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.tsv", "g.txt"]


def test_edge_counts_log_normalised(tmp_path, square_with_tail):
    out = tmp_path / "edges.tsv"
    assert main(["counts", str(square_with_tail), "-o", str(out), "-q", "--edges", "--normalize", "log",
                 "--backend", "numba"]) == 0
    header, rows = _table(out)
    assert header == ["u", "v"] + [f"e{e}" for e in range(12)]
    assert [row[:2] for row in rows] == [["ann", "bob"], ["ann", "dan"], ["bob", "cid"], ["cid", "dan"],
                                         ["dan", "eve"]]
    _, counts = edge_orbit_counts(square_with_tail)
    np.testing.assert_allclose(np.array([row[2:] for row in rows], dtype=float), np.log1p(counts), rtol=1e-5)


@pytest.mark.parametrize("edges", [False, True])
def test_five_node_counts(tmp_path, square_with_tail, edges):
    out = tmp_path / "counts5.tsv"
    assert main(["counts", str(square_with_tail), "-o", str(out), "-q", "--graphlet-size", "5"]
                + (["--edges"] if edges else [])) == 0
    header, rows = _table(out)
    if edges:
        assert header == ["u", "v"] + [f"e{e}" for e in range(68)]
        expected = edge_orbit_counts(square_with_tail, graphlet_size=5)[1]
    else:
        assert header == ["node"] + [f"o{o}" for o in range(73)]
        expected = orbit_counts(square_with_tail, graphlet_size=5)
    labels = 2 if edges else 1
    np.testing.assert_array_equal(np.array([row[labels:] for row in rows], dtype=np.int64), expected)
    # the whole graph is one G16 (4-cycle with a pendant): node orbits 35-38, edge orbits 29-31
    assert expected[:, 29:32].sum() == 5 if edges else expected[:, 35:39].sum() == 5


def test_bad_graphlet_size_exits_2(tmp_path, square_with_tail, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["counts", str(square_with_tail), "-o", str(tmp_path / "x.tsv"), "--graphlet-size", "6"])
    assert stop.value.code == 2
    assert "--graphlet-size: invalid choice: 6" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [square_with_tail]


def test_builtin_dataset(tmp_path, capsys):
    assert main(["counts", "--dataset", "karate", "-o", str(tmp_path / "k.tsv"), "--threads", "2"]) == 0
    assert "34 nodes, 78 edges" in capsys.readouterr().out
    assert len((tmp_path / "k.tsv").read_text().splitlines()) == 35


@pytest.mark.parametrize("argv_tail, message", [
    (["missing.txt"], "edge-list file not found: missing.txt"),
    (["--dataset", "nope"], "unknown dataset 'nope'; known: karate"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, argv_tail, message):
    assert main(["counts", *argv_tail, "-o", str(tmp_path / "x.tsv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"graphrep: error: {message}") and "Traceback" not in "".join(err)
    assert list(tmp_path.iterdir()) == []


def test_quiet_prints_nothing(tmp_path, square_with_tail, capsys):
    assert main(["counts", str(square_with_tail), "-o", str(tmp_path / "c.tsv"), "-q", "--edges"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "c.tsv").read_text().startswith("u\tv\te0\t")


def test_existing_output_needs_overwrite(tmp_path, square_with_tail, capsys):
    out = tmp_path / "counts.tsv"
    out.write_text("keep me\n")
    assert main(["counts", str(square_with_tail), "-o", str(out), "-q"]) == 2
    assert capsys.readouterr().err.strip().endswith("output file already exists: " + str(out) + " (use --overwrite)")
    assert out.read_text() == "keep me\n"
    assert main(["counts", str(square_with_tail), "-o", str(out), "-q", "--overwrite"]) == 0
    assert out.read_text().startswith("node\to0")


def test_failure_while_writing_leaves_nothing(tmp_path, square_with_tail, monkeypatch):
    from graphrep.orbits import counts_cli

    def broken(path, *args):
        path.write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(counts_cli, "_write_tsv", broken)
    assert main(["counts", str(square_with_tail), "-o", str(tmp_path / "c.tsv"), "-q"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.txt"]


def test_malformed_file_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n2\n")
    assert main(["counts", str(bad), "-o", str(tmp_path / "x.tsv")]) == 2
    assert f"{bad}:2" in capsys.readouterr().err
