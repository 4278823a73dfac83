import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import graphrep
from graphrep.cli import main
from graphrep.orbits import orbit_adjacency


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"graphrep {graphrep.__version__}"
    with pytest.raises(SystemExit):
        main(["orbits", "--help"])
    assert "--backend" in capsys.readouterr().out


@pytest.mark.parametrize("command, options", [
    ("counts", ["--edges", "--normalize {none,log}", "--backend", "--threads", "--overwrite"]),
    ("walks", ["--length", "--per-node", "-p P, --return P", "--in-out", "--seed", "--overwrite"]),
    ("embed", ["--method {gopmi,rwpmi}", "--dim", "--seed", "--keys", "--window", "--walks", "--overwrite"]),
])
def test_every_subcommand_helps(capsys, command, options):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    missing = [option for option in [*options, "--dataset", "--data-root", "-q, --quiet", "print errors only"]
               if option not in help_text]
    assert missing == []


def test_orbits_npz_manifest_and_nodes(tmp_path, square_with_tail, capsys):
    out = tmp_path / "out"
    assert main(["orbits", str(square_with_tail), "-o", str(out), "--counts"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["num_nodes"] == 5 and manifest["num_edges"] == 5 and len(manifest["keys"]) == 28
    assert manifest["graphrep_version"] == graphrep.__version__
    assert (out / "nodes.txt").read_text().split("\n")[:2] == ["0\tann", "1\tbob"]
    expected = orbit_adjacency(square_with_tail)
    for key, matrix in expected.items():
        stored = sp.load_npz(out / f"h{key[0]}_o{key[1]}_o{key[2]}.npz")
        assert (stored != matrix).nnz == 0
        assert manifest["nnz"][f"h{key[0]}_o{key[1]}_o{key[2]}"] == matrix.nnz
    counts = np.loadtxt(out / "orbit_counts.tsv", skiprows=1, usecols=range(1, 16), dtype=np.int64)
    assert counts[:, 0].tolist() == [2, 2, 2, 3, 1]
    assert "h1_o0_o0" in capsys.readouterr().out


def test_orbits_mtx_and_tsv_with_node_ids(tmp_path, square_with_tail):
    assert main(["orbits", str(square_with_tail), "-o", str(tmp_path / "m"), "-q", "--format", "mtx",
                 "--keys", "h1_o0_o0"]) == 0
    stored = scipy.io.mmread(tmp_path / "m" / "h1_o0_o0.mtx")
    assert stored.nnz == 10
    assert main(["orbits", str(square_with_tail), "-o", str(tmp_path / "t"), "-q", "--format", "tsv",
                 "--keys", "h3_o4_o4", "h2_o6_o6"]) == 0
    lines = (tmp_path / "t" / "orbit_adjacency.tsv").read_text().splitlines()
    assert lines[0] == "u\tv\thop\to1\to2\tcount"
    assert "eve\tbob\t3\t4\t4\t2" in lines and "eve\tann\t2\t6\t6\t1" in lines


def test_builtin_dataset(tmp_path, capsys):
    assert main(["orbits", "--dataset", "karate", "-o", str(tmp_path / "k")]) == 0
    captured = capsys.readouterr()
    assert "34 nodes, 78 edges; 28 orbit adjacency matrices in " in captured.out
    assert captured.err == "graphrep: dataset karate: 34 nodes, 78 edges\n"


def test_quiet_prints_errors_only(tmp_path, capsys):
    weighted = tmp_path / "weighted.txt"
    weighted.write_text("0 1 0.5\n1 2 0.7\n")
    assert main(["orbits", str(weighted), "-o", str(tmp_path / "k"), "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["orbits", str(tmp_path / "none.txt"), "-o", str(tmp_path / "x"), "-q"]) == 2
    assert capsys.readouterr().err.startswith("graphrep: error: edge-list file not found")


def test_warnings_name_the_input_file_and_line(tmp_path, capsys):
    weighted = tmp_path / "weighted.txt"
    weighted.write_text("# u v w\n0 1 0.5\n1 2 0.7\n")
    assert main(["orbits", str(weighted), "-o", str(tmp_path / "k")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert (f"graphrep: warning: {weighted}:2: columns after the second (weights?) are ignored; the graph is "
            "unweighted") in err
    assert not [line for line in err if "UserWarning" in line or "graphrep/" in line or ".py:" in line]


def test_missing_dataset_names_the_option(tmp_path, capsys):
    assert main(["orbits", "--dataset", "cora", "--data-root", str(tmp_path), "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--data-root" in err[0] and "root=" not in err[0]


@pytest.mark.parametrize("argv_tail, message", [
    (["missing.txt"], "edge-list file not found: missing.txt"),
    (["--dataset", "nope"], "unknown dataset 'nope'; known: karate, cora"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, argv_tail, message):
    assert main(["orbits", *argv_tail, "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"graphrep: error: {message}") and "Traceback" not in "".join(err)
    assert not (tmp_path / "x").exists()


def test_malformed_file_names_line_and_verbose_shows_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n2\n")
    assert main(["orbits", str(bad), "-o", str(tmp_path / "x")]) == 2
    assert "bad.txt:2: expected two node ids" in capsys.readouterr().err
    with pytest.raises(ValueError):
        main(["orbits", str(bad), "-o", str(tmp_path / "x"), "-v"])


def test_existing_output_and_bad_option(tmp_path, square_with_tail, capsys):
    (tmp_path / "out").mkdir()
    assert main(["orbits", str(square_with_tail), "-o", str(tmp_path / "out")]) == 2
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["orbits", str(square_with_tail), "-o", str(tmp_path / "y"), "--format", "csv"])
    assert exit_info.value.code == 2


def test_failed_write_leaves_nothing(tmp_path, square_with_tail, monkeypatch):
    import graphrep.orbits.writer as orbits_writer

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(orbits_writer, "_write_npz", broken)
    assert main(["orbits", str(square_with_tail), "-o", str(tmp_path / "out"), "-q"]) == 2
    assert list(tmp_path.iterdir()) == [square_with_tail]


def test_console_entry_point(tmp_path, square_with_tail):
    result = subprocess.run([sys.executable, "-m", "graphrep", "orbits", str(tmp_path / "none.txt"),
                             "-o", str(tmp_path / "o")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"graphrep: error: edge-list file not found: {tmp_path / 'none.txt'}"]


def test_bad_key_names_the_option(tmp_path, square_with_tail, capsys):
    assert main(["orbits", str(square_with_tail), "-o", str(tmp_path / "x"), "--keys", "h9_o1_o1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["graphrep: error: --keys: h9_o1_o1 is not one of the 28 orbit adjacency keys"]


def test_closed_stdout_pipe_stops_quietly(tmp_path):
    # `graphrep orbits ... | true`: the reader is gone before the summary is printed.
    command = f"{sys.executable} -m graphrep orbits --dataset karate -o {tmp_path / 'k'} | true; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "error" not in result.stderr and "Traceback" not in result.stderr
    assert result.returncode == 141 and (tmp_path / "k" / "manifest.json").exists()


def _files(fs, root):
    """{relative name: bytes} of the files under ``root``, the run-dependent manifest apart."""
    root = root.rstrip("/")
    return {path[len(root) + 1:]: fs.cat_file(path) for path in fs.find(root)
            if not path.endswith("manifest.json")}


@pytest.mark.parametrize("scheme", ["file", "memory"])
def test_orbits_writes_to_an_fsspec_url(tmp_path, square_with_tail, capsys, scheme):
    fsspec = pytest.importorskip("fsspec")
    local = tmp_path / "plain"
    assert main(["orbits", str(square_with_tail), "-o", str(local), "-q", "--counts"]) == 0
    url = f"file://{tmp_path / 'url'}" if scheme == "file" else f"memory://graphrep-cli-{tmp_path.name}/out"
    fs, root = fsspec.core.url_to_fs(url)
    try:
        assert main(["orbits", str(square_with_tail), "-o", url, "-q", "--counts"]) == 0
        written = _files(fs, root)
        assert written == _files(fsspec.filesystem("file"), str(local)) and "h1_o0_o0.npz" in written
        assert json.loads(fs.cat_file(f"{root}/manifest.json"))["nnz"] == json.loads(
            (local / "manifest.json").read_text())["nnz"]
        assert main(["orbits", str(square_with_tail), "-o", url, "-q"]) == 2
        shown = root if scheme == "file" else url  # a file:// URL is checked as its path
        assert capsys.readouterr().err == f"graphrep: error: output folder already exists: {shown} (use --overwrite)\n"
        assert main(["orbits", str(square_with_tail), "-o", url, "-q", "--overwrite", "--keys", "h1_o0_o0"]) == 0
        assert sorted(_files(fs, root)) == ["h1_o0_o0.npz", "nodes.txt"]
        fs.rm(f"{root}/manifest.json")  # no longer a graphrep output: --overwrite must not replace it
        assert main(["orbits", str(square_with_tail), "-o", url, "-q", "--overwrite"]) == 2
        assert "is not a graphrep output folder" in capsys.readouterr().err
    finally:
        if scheme == "memory" and fs.exists(root):
            fs.rm(root, recursive=True)
    assert scheme == "memory" or sorted(path.name for path in tmp_path.iterdir()) == ["g.txt", "plain", "url"]


@pytest.mark.parametrize("command", [["counts"], ["walks", "--length", "3"], ["embed"]])
def test_single_file_commands_refuse_a_url(tmp_path, square_with_tail, capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, str(square_with_tail), "-o", "memory://graphrep-cli/out.tsv"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "memory://graphrep-cli/out.tsv is a URL" in err[0] and "give a path" in err[0]


def test_counts_writes_to_a_file_url(tmp_path, square_with_tail):
    assert main(["counts", str(square_with_tail), "-o", str(tmp_path / "plain.tsv"), "-q"]) == 0
    assert main(["counts", str(square_with_tail), "-o", f"file://{tmp_path / 'url.tsv'}", "-q"]) == 0
    assert (tmp_path / "url.tsv").read_bytes() == (tmp_path / "plain.tsv").read_bytes()
