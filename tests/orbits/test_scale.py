"""Estimates, budgets, streaming to disk, Dask, and work that follows the keys."""
import filecmp
import io
import json
import os

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graphrep import as_graph
from graphrep.orbits import (
    ORBIT_ADJACENCY_KEYS, OutputTooLargeError, estimate, format_key, load_orbit_adjacency, orbit_adjacency,
    orbit_counts, write_orbit_adjacency,
)
from graphrep.orbits import writer
from graphrep.orbits._engine import iterate_pieces, make_engine, wanted_mask
from graphrep.orbits.brute import orbit_adjacency_brute
from graphrep.orbits.plan import KEY_NEEDS

from .conftest import BACKENDS, assert_same


@pytest.fixture(scope="module")
def random_reference(random_union):
    return orbit_adjacency_brute(random_union)


def test_key_needs_table_is_the_cores():
    from graphrep import _core

    assert tuple(_core.key_needs()) == KEY_NEEDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_key_alone_matches_brute_force(random_union, random_reference, backend):
    for key in ORBIT_ADJACENCY_KEYS:
        alone = orbit_adjacency(random_union, keys=[key], backend=backend)
        assert (alone[key] != random_reference[key]).nnz == 0, key
    pairs = [[(1, 0, 0), (2, 1, 1)], [(1, 4, 5), (1, 9, 11)], [(3, 4, 4), (1, 5, 5)], [(1, 3, 3), (2, 12, 12)]]
    for keys in pairs:
        result = orbit_adjacency(random_union, keys=keys, backend=backend)
        assert_same(result, {key: random_reference[key] for key in keys})


@pytest.mark.parametrize("backend", BACKENDS)
def test_capped_calls_cover_every_row_once(backend):
    g = as_graph(nx.barabasi_albert_graph(300, 3, seed=4))
    full = orbit_adjacency(g, backend=backend)
    engine = make_engine(g, wanted_mask(range(28)), backend=backend)
    pieces = sorted(iterate_pieces(engine, [(0, g.num_nodes)], lambda u0, u1: 500), key=lambda p: p.u0)
    assert len(pieces) > 10
    assert [p.u0 for p in pieces[1:]] == [p.u1 for p in pieces[:-1]] and pieces[-1].u1 == g.num_nodes
    for index, key in enumerate(ORBIT_ADJACENCY_KEYS):
        cols = np.concatenate([p.cols[index] for p in pieces])
        np.testing.assert_array_equal(cols, full[key].indices)


@pytest.mark.parametrize("union", ["atlas_union", "random_union"])
def test_estimate_bounds_hold(union, request):
    graph = request.getfixturevalue(union)
    actual = orbit_adjacency(graph)
    guess = estimate(graph)
    assert guess.sample_rows < guess.num_nodes
    for key, matrix in actual.items():
        assert matrix.nnz <= guess.nnz_high[key], key
        assert guess.nnz[key] <= guess.nnz_high[key]
    assert guess.nnz[(1, 0, 0)] == actual[(1, 0, 0)].nnz and (1, 0, 0) in guess.exact


def test_estimate_bounds_hold_on_random_graphs():
    rng = np.random.default_rng(5)
    for seed in range(12):
        n = int(rng.integers(20, 300))
        graph = nx.gnp_random_graph(n, float(rng.uniform(0.01, 0.4)), seed=seed)
        if graph.number_of_edges() == 0:
            continue
        actual = orbit_adjacency(graph)
        guess = estimate(graph, seed=seed)
        for key, matrix in actual.items():
            assert matrix.nnz <= guess.nnz_high[key], (seed, key)


@pytest.mark.parametrize("graph, near", [
    (nx.grid_2d_graph(70, 70), True),                        # sparse: t only near the sample
    (nx.barabasi_albert_graph(2000, 3, seed=3), False),      # hubs near every sample: t everywhere
    (nx.star_graph(500), False),
])
@pytest.mark.parametrize("keys", [None, ["h1_o9_o11", "h2_o8_o8"]])
@pytest.mark.skipif("cpp" not in BACKENDS, reason="the C++ core is not built")
def test_a_kernel_built_for_the_sample_counts_as_the_full_one(graph, near, keys):
    from graphrep.orbits.adjacency import _selected_keys
    from graphrep.orbits.estimate import prepare, sample_rows

    g = as_graph(graph)
    rows = sample_rows(g.num_nodes, seed=1)
    assert rows.shape[0] < g.num_nodes
    wanted = wanted_mask(_selected_keys(keys))
    full = make_engine(g, wanted, backend="cpp")
    sampled = make_engine(g, wanted, backend="cpp", sample=rows)
    np.testing.assert_array_equal(sampled.row_nnz(rows), full.row_nnz(rows))
    assert (sampled.rows.near_seconds > 0) == near
    with pytest.raises(RuntimeError, match="sample"):
        sampled.compute(0, 1)
    outside = np.setdiff1d(np.arange(g.num_nodes), rows)[:1]
    with pytest.raises(IndexError, match="built for"):
        sampled.row_nnz(outside)
    guess, computed = estimate(g, keys=keys, seed=1), prepare(g, keys, backend="cpp", num_threads=None, seed=1)[4]
    assert (guess.nnz, guess.nnz_high, guess.exact) == (computed.nnz, computed.nnz_high, computed.exact)
    np.testing.assert_array_equal(guess.row_entries, computed.row_entries)


def test_estimate_is_exact_when_every_row_is_counted_and_close_otherwise():
    small = nx.davis_southern_women_graph()
    actual = orbit_adjacency(small)
    guess = estimate(small)
    assert guess.sample_rows == guess.num_nodes == 32
    assert guess.nnz == {key: m.nnz for key, m in actual.items()} and len(guess.exact) == 28
    big = nx.barabasi_albert_graph(3000, 4, seed=2)
    actual = orbit_adjacency(big)
    guess = estimate(big, keys=["h2_o1_o1", "h3_o4_o4", "h1_o8_o8"])
    for key in guess.keys:
        assert abs(guess.nnz[key] - actual[key].nnz) < 0.25 * actual[key].nnz, key
    table = str(guess)
    assert "h3_o4_o4" in table and "upper bound" in table and "compute time" in table
    assert set(guess.bytes_on_disk) == {"npz", "mtx", "tsv"} and guess.bytes_in_memory > 0 and guess.seconds > 0


def test_budget_refusal_comes_before_any_work(monkeypatch):
    from graphrep.orbits import _engine

    def no_rows(*args, **kwargs):
        raise AssertionError("rows were computed")

    monkeypatch.setattr(_engine.CppEngine, "compute", no_rows)
    monkeypatch.setattr(_engine.NumbaEngine, "compute", no_rows)
    graph = nx.barabasi_albert_graph(2000, 5, seed=1)
    with pytest.raises(OutputTooLargeError, match=r"nonzeros.*max_memory=20 MB.*fewer keys.*disk.*Dask"):
        orbit_adjacency(graph, max_memory="20M")
    assert issubclass(OutputTooLargeError, MemoryError)


def test_core_allocation_failure_raises_memory_error():
    from graphrep import _core

    graph = nx.barabasi_albert_graph(2000, 4, seed=1)
    try:
        for limit in (0, 2**21):
            _core.set_allocation_limit(limit)
            with pytest.raises(MemoryError, match="C\\+\\+ orbit core ran out of memory"):
                orbit_adjacency(graph, backend="cpp")
    finally:
        _core.set_allocation_limit(-1)
    assert _core.allocated_bytes() == 0
    assert orbit_adjacency(graph, backend="cpp", keys=["h1_o0_o0"])[(1, 0, 0)].nnz == 2 * graph.number_of_edges()


def _npz_bytes(matrix) -> bytes:
    buffer = io.BytesIO()
    sp.save_npz(buffer, matrix)
    return buffer.getvalue()


@pytest.mark.parametrize("backend", BACKENDS)
def test_streamed_output_equals_in_memory_for_several_block_sizes(tmp_path, backend, monkeypatch):
    graph = nx.barabasi_albert_graph(300, 3, seed=3)
    reference = orbit_adjacency(graph)
    whole = write_orbit_adjacency(graph, tmp_path / "whole", backend=backend, counts=True)
    assert not whole["streamed"]
    names = sorted(os.listdir(tmp_path / "whole"))
    monkeypatch.setattr(writer, "resident_memory", lambda: 100 * 2**20)  # the process's share, held fixed
    guess = estimate(graph)
    third = (guess.bytes_in_memory - guess.base_bytes) // 3
    for option in [{"block_rows": 9}, {"block_rows": 70}, {"max_memory": 100 * 2**20 + 2**20 + third}]:
        out = tmp_path / f"streamed-{len(os.listdir(tmp_path))}"
        manifest = write_orbit_adjacency(graph, out, backend=backend, counts=True, **option)
        assert manifest["streamed"] and manifest["row_blocks"] > 1, option
        assert sorted(os.listdir(out)) == names
        assert filecmp.cmpfiles(tmp_path / "whole", out, names, shallow=False)[1] == ["manifest.json"]
    for key, matrix in reference.items():
        assert (tmp_path / "whole" / f"{format_key(key)}.npz").read_bytes() == _npz_bytes(matrix), key
    counts = np.loadtxt(tmp_path / "whole" / "orbit_counts.tsv", skiprows=1, dtype=np.int64)[:, 1:]
    np.testing.assert_array_equal(counts, orbit_counts(graph))


@pytest.mark.parametrize("fmt", ["mtx", "tsv"])
def test_text_formats_stream_and_load_back(tmp_path, fmt):
    graph = nx.relabel_nodes(nx.barabasi_albert_graph(120, 3, seed=6), lambda i: f"p{i}")
    reference = orbit_adjacency(graph)
    write_orbit_adjacency(graph, tmp_path / "a", format=fmt, block_rows=17)
    write_orbit_adjacency(graph, tmp_path / "b", format=fmt)
    names = sorted(os.listdir(tmp_path / "a"))
    assert filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)[1] == ["manifest.json"]
    for key in list(reference)[::3]:
        assert (load_orbit_adjacency(tmp_path / "a", key) != reference[key]).nnz == 0, key
    write_orbit_adjacency(graph, tmp_path / "c", format=fmt, keys=["h1_o0_o0"])
    with pytest.raises(KeyError, match="h2_o1_o1 is not in"):
        load_orbit_adjacency(tmp_path / "c", (2, 1, 1))


def test_interrupted_streaming_run_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    original = writer.write_shards

    def interrupt_on_second_block(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        original(*args)

    monkeypatch.setattr(writer, "write_shards", interrupt_on_second_block)
    with pytest.raises(KeyboardInterrupt):
        write_orbit_adjacency(nx.barabasi_albert_graph(300, 3, seed=1), tmp_path / "out", block_rows=50)
    assert os.listdir(tmp_path) == []


def test_refuses_when_the_disk_is_too_small(tmp_path, monkeypatch):
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(writer.shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1000, 1000))
    with pytest.raises(writer.InsufficientDiskSpaceError, match=r"needs about .* has 1000 B free"):
        write_orbit_adjacency(nx.petersen_graph(), tmp_path / "out")
    assert os.listdir(tmp_path) == []


def test_streaming_refuses_a_budget_below_one_block(tmp_path):
    with pytest.raises(OutputTooLargeError, match="too small to compute even one row block"):
        write_orbit_adjacency(nx.barabasi_albert_graph(3000, 4, seed=1), tmp_path / "out", max_memory="200k")


def test_fsspec_url_target_round_trip():
    graph = nx.petersen_graph()
    write_orbit_adjacency(graph, "memory://graphrep-test/out", block_rows=3)
    assert (load_orbit_adjacency("memory://graphrep-test/out", "h2_o1_o1") != orbit_adjacency(graph)[2, 1, 1]).nnz == 0
    with pytest.raises(FileExistsError):
        write_orbit_adjacency(graph, "memory://graphrep-test/out")


def test_local_cluster_with_two_workers_equals_single_machine(tmp_path):
    pytest.importorskip("dask.distributed")
    from graphrep.orbits.distributed import local_client

    graph = nx.barabasi_albert_graph(400, 3, seed=8)
    write_orbit_adjacency(graph, tmp_path / "one", counts=True)
    client = local_client(2)
    try:
        manifest = write_orbit_adjacency(graph, tmp_path / "two", client=client, counts=True)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    assert manifest["workers"] == 2 and manifest["row_blocks"] >= 8
    names = sorted(os.listdir(tmp_path / "one"))
    assert sorted(os.listdir(tmp_path / "two")) == names
    assert filecmp.cmpfiles(tmp_path / "one", tmp_path / "two", names, shallow=False)[1] == ["manifest.json"]


def test_cli_estimate_budget_and_memory_errors(tmp_path, capsys):
    from graphrep.cli import main

    assert main(["orbits", "--dataset", "karate", "--estimate", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "upper bound" in printed and "h3_o4_o4" in printed
    assert not any(tmp_path.iterdir())
    assert main(["orbits", "--dataset", "karate", "-o", str(tmp_path / "tiny"), "--max-memory", "1k", "-q"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("graphrep: error: max_memory=1 kB is too small")
    out = tmp_path / "streamed"
    assert main(["orbits", "--dataset", "karate", "-o", str(out), "--block-rows", "5", "--keys", "h2_o1_o1",
                 "-q"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    expected = orbit_adjacency(nx.karate_club_graph(), keys=["h2_o1_o1"])[(2, 1, 1)].nnz
    assert manifest["streamed"] and manifest["row_blocks"] == 7 and manifest["nnz"] == {"h2_o1_o1": expected}
