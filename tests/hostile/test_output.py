"""Output that used to be left behind or clobbered: partial folders of
killed runs, ``-o .``, ``--overwrite`` over files and foreign folders,
umask, unwritable destinations, SIGTERM and SIGKILL."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import graphrep
from graphrep.cli import main
from graphrep.io import PARTIAL_MARKER, atomic_directory, check_output_target, remove_stale_partials
from tests.conftest import REPO

SQUARE = "1 2\n2 3\n3 4\n4 1\n"


@pytest.fixture
def square(tmp_path):
    path = tmp_path / "square.txt"
    path.write_text(SQUARE)
    return path


def orbits(*argv) -> int:
    return main(["orbits", *map(str, argv), "-q", "--keys", "h1_o0_o0"])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("graphrep: error: "), err
    return err[0].removeprefix("graphrep: error: ")


def partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_staging_folder_is_marked_and_removed(tmp_path):
    with atomic_directory(tmp_path / "out") as staging:
        assert staging.parent == tmp_path and staging.name.startswith(".out.") and staging.name.endswith(".partial")
        owner = json.loads((staging / PARTIAL_MARKER).read_text())
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname() and owner["target"] == "out"
        (staging / "result.txt").write_text("done")
    assert sorted(os.listdir(tmp_path / "out")) == ["result.txt"]  # the marker does not ship
    assert os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600),
                                                            (0o002, 0o775, 0o664)])
def test_output_follows_the_umask(tmp_path, square, umask, folder_mode, file_mode):
    previous = os.umask(umask)
    try:
        assert orbits(square, "-o", tmp_path / "out") == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "out").stat().st_mode & 0o777 == folder_mode
    for path in (tmp_path / "out").iterdir():
        assert path.stat().st_mode & 0o777 == file_mode, path.name


def write_partial(parent: Path, name: str, owner: dict | None) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "half.npz").write_bytes(b"x" * 100)
    if owner is not None:
        (folder / PARTIAL_MARKER).write_text(json.dumps(owner))
    return folder


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_stale_graphrep_partials_are_removed(tmp_path):
    host = socket.gethostname()
    stale = write_partial(tmp_path, ".out.0000dead.partial", {"host": host, "pid": dead_pid(), "target": "out"})
    live = write_partial(tmp_path, ".out.1111aaaa.partial", {"host": host, "pid": os.getpid(), "target": "out"})
    foreign = write_partial(tmp_path, ".out.2222bbbb.partial", None)
    elsewhere = write_partial(tmp_path, ".out.3333cccc.partial", {"host": host + "-other", "pid": dead_pid(),
                                                                  "target": "out"})
    other_target = write_partial(tmp_path, ".outer.4444dddd.partial", {"host": host, "pid": dead_pid(),
                                                                       "target": "outer"})
    reused = write_partial(tmp_path, ".out.5555eeee.partial", {"host": host, "pid": os.getpid(), "start": -1,
                                                               "target": "out"})
    assert sorted(remove_stale_partials(tmp_path / "out")) == [stale, reused]
    assert not stale.exists() and not reused.exists()  # reused: same pid, another start time
    assert live.exists() and foreign.exists() and elsewhere.exists() and other_target.exists()


def test_overwrite_replaces_only_graphrep_output(tmp_path, square, capsys):
    regular = tmp_path / "file.txt"
    regular.write_text("precious")
    assert orbits(square, "-o", regular, "--overwrite") == 2
    assert one_error_line(capsys) == f"{regular} is a file; --overwrite replaces only a folder written by graphrep"
    assert regular.read_text() == "precious"
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_text("meow")
    assert orbits(square, "-o", foreign, "--overwrite") == 2
    assert one_error_line(capsys) == (f"{foreign} is not a graphrep output folder (no manifest.json naming "
                                      "graphrep_version); --overwrite replaces only graphrep's own output")
    assert os.listdir(foreign) == ["cat.jpg"]
    out = tmp_path / "out"
    assert orbits(square, "-o", out) == 0
    assert orbits(square, "-o", out) == 2
    assert one_error_line(capsys) == f"output folder already exists: {out} (use --overwrite)"
    (out / "stale.txt").write_text("old")
    assert orbits(square, "-o", out, "--overwrite") == 0
    assert not (out / "stale.txt").exists() and json.loads((out / "manifest.json").read_text())[
        "graphrep_version"] == graphrep.__version__
    assert sorted(os.listdir(tmp_path)) == ["file.txt", "out", "photos", "square.txt"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_current_folder_and_its_ancestors_are_refused_up_front(tmp_path, square, capsys, monkeypatch, overwrite):
    import graphrep.orbits.cli as orbits_cli

    def never(*args, **kwargs):
        raise AssertionError("computed before refusing the destination")

    monkeypatch.setattr(orbits_cli, "write_orbit_adjacency", never)
    work = tmp_path / "work" / "deeper"
    work.mkdir(parents=True)
    (work / "manifest.json").write_text('{"graphrep_version": "0"}')  # even a graphrep-looking folder
    monkeypatch.chdir(work)
    extra = ["--overwrite"] if overwrite else []
    for target, relation in ((".", "is the current folder"), ("..", "holds the current folder"),
                             (str(tmp_path), "holds the current folder")):
        assert orbits(square, "-o", target, *extra) == 2
        assert one_error_line(capsys) == f"output folder {target} {relation}; name a new folder"
    assert sorted(os.listdir(work)) == ["manifest.json"] and partials(work.parent) == []


def test_a_folder_holding_the_input_is_refused(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    graph = data / "g.txt"
    graph.write_text(SQUARE)
    for target in (data, graph, tmp_path):
        assert orbits(graph, "-o", target, "--overwrite") == 2
        assert one_error_line(capsys) == f"output folder {target} would replace the input {graph}"
    assert graph.read_text() == SQUARE


def test_unwritable_destination_is_found_before_computing(tmp_path, square, capsys, monkeypatch):
    import graphrep.orbits.cli as orbits_cli

    def never(*args, **kwargs):
        raise AssertionError("computed before checking the destination")

    monkeypatch.setattr(orbits_cli, "write_orbit_adjacency", never)
    if os.path.isdir("/proc/self"):  # not writable even by root
        assert orbits(square, "-o", "/proc/graphrep-out/result") == 2
        assert one_error_line(capsys).startswith("cannot write /proc/graphrep-out/result: /proc is not writable")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        assert orbits(square, "-o", locked / "out") == 2
        assert one_error_line(capsys).startswith(f"cannot write {locked / 'out'}: {locked} is not writable")
    assert orbits(square, "-o", square / "out") == 2
    assert one_error_line(capsys) == f"cannot write {square / 'out'}: {square} is a file"
    with pytest.raises(PermissionError):
        check_output_target("/proc/graphrep-out")


def test_failed_run_leaves_the_previous_output_intact(tmp_path, square, monkeypatch):
    import graphrep.orbits.writer as orbits_writer

    out = tmp_path / "out"
    assert orbits(square, "-o", out) == 0
    before = sorted(os.listdir(out))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(orbits_writer, "_write_npz", broken)
    assert orbits(square, "-o", out, "--overwrite") == 2
    assert sorted(os.listdir(out)) == before and partials(tmp_path) == []


# -- signals: a real `graphrep orbits` run in a subprocess, signalled while
# its output folder is being written (the hidden .partial exists)

@pytest.fixture(scope="module")
def mid_size_graph(tmp_path_factory) -> Path:
    """A BA graph (3,000 nodes, 12,000 edges): its run takes seconds, most of
    them with the staging folder in place."""
    import networkx as nx

    path = tmp_path_factory.mktemp("graphs") / "ba.txt"
    graph = nx.barabasi_albert_graph(3000, 4, seed=1)
    np.savetxt(path, np.array(graph.edges()), fmt="%d")
    return path


def start_and_wait_for_partial(graph: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "graphrep", "orbits", str(graph), "-o", str(out), "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    while not any(_marked(out.parent / name) for name in partials(out.parent)):
        assert process.poll() is None, "the run ended before its staging folder appeared"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    return process


def _marked(staging: Path) -> bool:
    try:
        return "pid" in json.loads((staging / PARTIAL_MARKER).read_text())
    except (OSError, ValueError):
        return False


def test_sigterm_cleans_up_and_exits_143(tmp_path, mid_size_graph):
    out = tmp_path / "out"
    process = start_and_wait_for_partial(mid_size_graph, out)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err.decode()
    assert err.decode().strip().splitlines()[-1] == "graphrep: terminated"
    assert os.listdir(tmp_path) == []


def test_sigkill_leftovers_are_removed_by_the_next_run(tmp_path, mid_size_graph, monkeypatch):
    import graphrep.orbits.cli as orbits_cli

    out = tmp_path / "out"
    process = start_and_wait_for_partial(mid_size_graph, out)
    process.kill()
    process.wait()
    (left,) = partials(tmp_path)
    assert json.loads((tmp_path / left / PARTIAL_MARKER).read_text())["pid"] == process.pid
    square = tmp_path / "square.txt"
    square.write_text(SQUARE)
    seen_when_computing = []
    real_compute = orbits_cli.write_orbit_adjacency

    def compute(*args, **kwargs):
        seen_when_computing.extend(partials(tmp_path))
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(orbits_cli, "write_orbit_adjacency", compute)
    assert orbits(square, "-o", out) == 0
    assert seen_when_computing == []  # removed before the work, so its space is free
    assert sorted(os.listdir(tmp_path)) == ["out", "square.txt"]


def test_a_termination_whose_exception_is_lost_still_commits_nothing(tmp_path, square, monkeypatch, capsys):
    """Signal handlers raise wherever the main thread is; an extension module
    may swallow that exception (numpy's savetxt does, now and then). The
    termination mark still stops the output from being committed."""
    import graphrep.orbits.writer as orbits_writer
    from graphrep.io import Terminated, request_termination

    real_write = orbits_writer._write_npz

    def write_then_swallow(*args, **kwargs):
        try:
            request_termination()
        except Terminated:
            pass
        return real_write(*args, **kwargs)

    monkeypatch.setattr(orbits_writer, "_write_npz", write_then_swallow)
    assert orbits(square, "-o", tmp_path / "out") == 143
    assert capsys.readouterr().err.strip().splitlines()[-1] == "graphrep: terminated"
    assert sorted(os.listdir(tmp_path)) == ["square.txt"]
    monkeypatch.setattr(orbits_writer, "_write_npz", real_write)
    assert orbits(square, "-o", tmp_path / "out") == 0  # the mark is cleared for the next run


def test_ctrl_c_cleans_up_and_exits_130(tmp_path, square, monkeypatch, capsys):
    import graphrep.orbits.writer as orbits_writer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(orbits_writer, "_write_npz", interrupted)
    assert orbits(square, "-o", tmp_path / "out") == 130
    assert capsys.readouterr().err.strip().splitlines() == ["graphrep: interrupted"]
    assert sorted(os.listdir(tmp_path)) == ["square.txt"]


FILE_COMMANDS = {
    "counts": ["counts", "--edges"],
    "walks": ["walks", "--length", "3", "--per-node", "1"],
    "embed": ["embed", "--method", "rwpmi", "--dim", "2", "--window", "2"],
}


@pytest.mark.parametrize("command", sorted(FILE_COMMANDS))
def test_single_file_outputs_get_the_same_checks(tmp_path, square, capsys, monkeypatch, command):
    def run(*argv) -> int:
        return main([*FILE_COMMANDS[command], *map(str, argv), "-q"])

    folder = tmp_path / "results"
    folder.mkdir()
    assert run(square, "-o", folder, "--overwrite") == 2
    assert one_error_line(capsys) == f"{folder} is not a regular file; --overwrite replaces only a file"
    assert run(square, "-o", square, "--overwrite") == 2
    assert one_error_line(capsys) == f"output file {square} would replace the input {square}"
    monkeypatch.chdir(folder)
    assert run(square, "-o", ".") == 2
    assert one_error_line(capsys) == "output file . is the current folder; name a new file"
    previous = os.umask(0o027)
    try:
        assert run(square, "-o", tmp_path / "out.tsv") == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "out.tsv").stat().st_mode & 0o777 == 0o640
    assert run(square, "-o", tmp_path / "out.tsv", "--overwrite") == 0
    assert sorted(os.listdir(tmp_path)) == ["out.tsv", "results", "square.txt"]


def test_only_stale_temporary_files_are_removed(tmp_path):
    from graphrep.io import _process_start

    host, me = socket.gethostname(), os.getpid()

    def leftover(name: str) -> Path:
        path = tmp_path / name
        path.write_text("half")
        return path

    stale = leftover(f".out.tsv.0000dead.{dead_pid()}-x@{host}.partial")
    live = leftover(f".out.tsv.1111aaaa.{me}-{_process_start(me)}@{host}.partial")
    reused = leftover(f".out.tsv.2222bbbb.{me}-1@{host}.partial")  # same pid, another start time
    elsewhere = leftover(f".out.tsv.3333cccc.{dead_pid()}-x@{host}-other.partial")
    other_target = leftover(f".out.tsvx.4444dddd.{dead_pid()}-x@{host}.partial")
    unnamed = leftover(".out.tsv.5555eeee.partial")  # no owner in its name: not graphrep's
    assert sorted(remove_stale_partials(tmp_path / "out.tsv")) == sorted([stale, reused])
    assert not stale.exists() and not reused.exists()
    assert live.exists() and elsewhere.exists() and other_target.exists() and unnamed.exists()


@pytest.mark.parametrize("command", sorted(FILE_COMMANDS))
def test_single_file_leftovers_of_a_killed_run_are_removed_by_the_next_run(tmp_path, square, command):
    out = tmp_path / "out.tsv"
    killed = tmp_path / f".out.tsv.0000dead.{dead_pid()}-x@{socket.gethostname()}.partial"
    killed.write_text("half")
    assert main([*FILE_COMMANDS[command], str(square), "-o", str(out), "-q"]) == 0
    assert not killed.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_a_running_single_file_output_is_named_by_its_owner(tmp_path):
    from graphrep.io import atomic_file

    with atomic_file(tmp_path / "out.tsv") as temporary:
        assert f".{os.getpid()}-" in temporary.name and temporary.name.endswith(f"@{socket.gethostname()}.partial")
        assert remove_stale_partials(tmp_path / "out.tsv") == []  # its own run is alive
        temporary.write_text("done")
    assert (tmp_path / "out.tsv").read_text() == "done" and os.listdir(tmp_path) == ["out.tsv"]
