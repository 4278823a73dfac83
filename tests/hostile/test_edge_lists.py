"""Edge-list input that used to give silently wrong graphs or unbounded
errors: byte-order marks, other encodings, non-integer ids, ragged columns,
compressed and piped input, binary files, folders, giant lines."""
import bz2
import gzip
import io
import lzma
import os
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import graphrep
from graphrep import GraphFormatError, as_graph
from graphrep.cli import main
from graphrep.io import read_edge_list
from tests.conftest import REPO

SQUARE = "1 2\n2 3\n3 4\n4 1\n"


def run_cli(capsys, *argv) -> tuple[int, list[str]]:
    code = main(["orbits", *map(str, argv), "-q", "--keys", "h1_o0_o0"])
    return code, capsys.readouterr().err.strip().splitlines()


def assert_refused(path, expected: str, capsys, tmp_path, **kwargs) -> None:
    """``as_graph(path)`` raises exactly ``expected``; the command line
    prints it as its one line and exits 2."""
    with pytest.raises(GraphFormatError) as error:
        as_graph(path, **kwargs)
    assert str(error.value) == expected
    assert run_cli(capsys, path, "-o", tmp_path / "o") == (2, [f"graphrep: error: {expected}"])


def test_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + SQUARE.encode())
    g = as_graph(path)
    assert (g.num_nodes, g.num_edges, g.node_ids.tolist()) == (4, 4, [1, 2, 3, 4])
    named = tmp_path / "named.txt"
    named.write_bytes("\ufeffa b\nb c\n".encode("utf-8"))
    assert as_graph(named, id_type="str").node_ids.tolist() == ["a", "b", "c"]


def test_invalid_utf8_names_file_line_and_byte(tmp_path, capsys):
    path = tmp_path / "latin.txt"
    path.write_bytes("1 2\ncafé x\ncafè y\n".encode("latin-1"))
    expected = (f"{path}:2: invalid utf-8 (byte 0xe9 at byte offset 7); if the file is in another encoding, "
                "pass it (encoding='latin-1', --encoding latin-1)")
    assert_refused(path, expected, capsys, tmp_path)
    g = as_graph(path, encoding="latin-1")
    assert g.node_ids.tolist() == ["1", "2", "café", "x", "cafè", "y"] and g.num_nodes == 6
    assert main(["orbits", str(path), "--encoding", "latin-1", "-o", str(tmp_path / "o"), "-q"]) == 0
    assert "café" in (tmp_path / "o" / "nodes.txt").read_text(encoding="utf-8")


def test_invalid_byte_in_a_later_chunk_has_the_right_line(tmp_path):
    path = tmp_path / "big.txt"
    lines = [f"{i} {i + 1}\n" for i in range(200_000)]  # about 2.6 MB: several read chunks
    path.write_bytes("".join(lines).encode() + b"\xff 1\n")
    offset = sum(len(line) for line in lines)
    with pytest.raises(GraphFormatError, match=rf"big.txt:200001: invalid utf-8 \(byte 0xff at byte offset {offset}\)"):
        as_graph(path)


def test_utf16_gets_a_hint_and_reads_with_its_encoding(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes(SQUARE.encode("utf-16"))
    with pytest.raises(GraphFormatError, match=r"wide.txt: UTF-16 text .*--encoding utf-16"):
        as_graph(path)
    assert as_graph(path, encoding="utf-16").num_edges == 4


def test_unknown_encoding(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text(SQUARE)
    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        as_graph(path, encoding="klingon")


def test_non_integer_number_is_an_error_unless_string_ids(tmp_path, capsys):
    path = tmp_path / "float.txt"
    path.write_text("1 2\n1.5 2\n2 3\n")
    expected = f"{path}:2: node id '1.5' is not an integer; pass id_type='str' (--string-ids) to read ids as strings"
    assert_refused(path, expected, capsys, tmp_path)
    assert as_graph(path, id_type="str").node_ids.tolist() == ["1", "2", "1.5", "3"]
    assert main(["orbits", str(path), "--string-ids", "-o", str(tmp_path / "o"), "-q"]) == 0


@pytest.mark.parametrize("token", ["2e3", ".5", "-0.25", "7."])
def test_other_numeric_looking_ids(tmp_path, token):
    path = tmp_path / "g.txt"
    path.write_text(f"a b\nb {token}\n")
    with pytest.raises(GraphFormatError, match=rf"g.txt:2: node id '{token}' is not an integer"):
        as_graph(path)


def test_id_types(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("01 1\n1 +2\n")
    auto = as_graph(path)
    assert auto.node_ids.tolist() == [1, 2] and auto.num_edges == 1  # "01" is 1: a self-loop, dropped
    strings = as_graph(path, id_type="str")
    assert strings.node_ids.tolist() == ["01", "1", "+2"] and strings.num_edges == 2
    names = tmp_path / "names.txt"
    names.write_text("1 2\n2 bob\n")
    assert as_graph(names).node_ids.tolist() == ["1", "2", "bob"]
    with pytest.raises(GraphFormatError, match=r"names.txt:2: node id 'bob' is not an integer \(id_type='int'\)"):
        as_graph(names, id_type="int")
    with pytest.raises(ValueError, match=r"id_type must be one of \('auto', 'int', 'str'\), got 'float'"):
        as_graph(names, id_type="float")
    underscores = tmp_path / "underscores.txt"
    underscores.write_text("1_0 10\n")  # Python's int() reads 1_0 as 10: here it stays a name
    assert as_graph(underscores).node_ids.tolist() == ["1_0", "10"]


def test_ragged_columns_name_both_lines(tmp_path, capsys):
    path = tmp_path / "ragged.txt"
    path.write_text("# header\n1 2\n2 3\nthis is not an edge\n")
    expected = f"{path}:4: 5 columns, but the first data line ({path}:2) has 2: 'this is not an edge'"
    assert_refused(path, expected, capsys, tmp_path)
    short = tmp_path / "short.txt"
    short.write_text("1 2 0.5\n2 3\n")
    with pytest.raises(GraphFormatError, match=r"short.txt:2: 2 columns, but the first data line \(.*short.txt:1\) has 3"):
        as_graph(short)


def test_weights_on_every_line_are_ignored_with_one_warning(tmp_path):
    path = tmp_path / "weighted.txt"
    path.write_text("1 2 0.5\n2 3 2.0\n1 2 7\n")
    with pytest.warns(UserWarning, match=r"weighted.txt:1: columns after the second \(weights\?\) are ignored; "
                                         "the graph is unweighted") as record:
        g = as_graph(path)
    assert len(record) == 1 and (g.num_nodes, g.num_edges) == (3, 2)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings(tmp_path, newline):
    path = tmp_path / "g.txt"
    path.write_bytes(SQUARE.replace("\n", newline).encode())
    assert as_graph(path).num_edges == 4


@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)])
def test_compressed_input_by_magic_bytes(tmp_path, suffix, compress, capsys):
    data = compress(("\ufeff" + SQUARE).encode())
    for name in (f"g.txt{suffix}", "misnamed.txt"):  # the suffix does not matter, the first bytes do
        path = tmp_path / name
        path.write_bytes(data)
        g = as_graph(path)
        assert (g.num_nodes, g.num_edges) == (4, 4)
    assert main(["orbits", str(tmp_path / f"g.txt{suffix}"), "-o", str(tmp_path / "o"), "-q"]) == 0


def test_plain_text_with_a_compressed_suffix_is_read(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_text(SQUARE)
    assert as_graph(path).num_edges == 4


def test_truncated_and_foreign_compressed_files(tmp_path, capsys):
    truncated = tmp_path / "cut.gz"
    truncated.write_bytes(gzip.compress(SQUARE.encode() * 100)[:40])
    expected = (f"{truncated}: corrupt or truncated gzip data (Compressed file ended before the end-of-stream "
                "marker was reached)")
    assert_refused(truncated, expected, capsys, tmp_path)
    archive = tmp_path / "g.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("g.txt", SQUARE)
    with pytest.raises(GraphFormatError, match=r"g.zip: zip data; graphrep reads plain text and gzip, bzip2 or xz "
                                               "compressed edge lists: decompress it first"):
        as_graph(archive)
    zstd = tmp_path / "g.zst"
    zstd.write_bytes(b"(\xb5/\xfd" + bytes(range(256)))
    with pytest.raises(GraphFormatError, match=r"g.zst: zstd data; .*decompress it first"):
        as_graph(zstd)
    binary_gz = tmp_path / "binary.gz"
    binary_gz.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(GraphFormatError, match=r"binary.gz: binary data \(a NUL byte at byte 0\), not a text edge "
                                               r"list \(named .gz but not gzip data\)"):
        as_graph(binary_gz)


def test_binary_file_gets_one_clean_line(tmp_path, capsys):
    path = tmp_path / "program"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40)
    assert_refused(path, f"{path}: binary data (a NUL byte at byte 7), not a text edge list", capsys, tmp_path)
    compressed = tmp_path / "program.gz"
    compressed.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(GraphFormatError, match=r"binary data \(a NUL byte at byte 7 of the gzip-decompressed data\)"):
        as_graph(compressed)


def test_system_binary_if_present(capsys, tmp_path):
    ls = "/bin/ls"
    if not os.path.isfile(ls):
        pytest.skip("no /bin/ls")
    code, err = run_cli(capsys, ls, "-o", tmp_path / "o")
    assert code == 2 and len(err) == 1 and err[0].startswith("graphrep: error: /bin/ls: binary data")
    assert err[0].isprintable() and len(err[0]) <= 300


def test_folder_and_missing_file(tmp_path, capsys):
    with pytest.raises(IsADirectoryError, match=rf"^{tmp_path} is a folder, not an edge-list file$"):
        as_graph(tmp_path)
    assert run_cli(capsys, tmp_path, "-o", tmp_path / "o") == (
        2, [f"graphrep: error: {tmp_path} is a folder, not an edge-list file"])
    with pytest.raises(FileNotFoundError, match="edge-list file not found"):
        as_graph(tmp_path / "missing.txt")


def test_standard_input(tmp_path, monkeypatch):
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(gzip.compress(SQUARE.encode()))))
    monkeypatch.setattr(sys, "stdin", stdin)
    edges, ids = read_edge_list("-")
    assert edges.shape == (4, 2) and ids.tolist() == [1, 2, 3, 4]


def test_standard_input_on_the_command_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "graphrep", "orbits", "-", "-o", str(tmp_path / "o"), "-q"],
                            input=SQUARE.encode(), capture_output=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "nodes.txt").read_text().splitlines() == ["0\t1", "1\t2", "2\t3", "3\t4"]
    assert '"input": "standard input"' in (tmp_path / "o" / "manifest.json").read_text()
    bad = subprocess.run([sys.executable, "-m", "graphrep", "orbits", "-", "-o", str(tmp_path / "p")],
                         input=b"1 2\n2\n", capture_output=True, cwd=tmp_path, env=env)
    assert bad.returncode == 2
    assert bad.stderr.decode().splitlines() == ["graphrep: error: <stdin>:2: expected two node ids per line, got '2'"]


def test_a_giant_line_fails_fast_with_bounded_memory_and_message(tmp_path, capsys):
    path = tmp_path / "one-line.txt"
    path.write_bytes(b"7" * 8_000_000)  # 8 MB, no newline
    tracemalloc.start()
    try:
        with pytest.raises(GraphFormatError) as error:
            as_graph(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert message == (f"{path}:1: line longer than 65,536 characters, starting '{'7' * 37}...'; "
                       "not an edge list?")
    assert len(message) <= 300 and peak < 12_000_000  # one 1 MiB chunk and its text, not 8 MB of tokens
    code, err = run_cli(capsys, path, "-o", tmp_path / "o")
    assert code == 2 and err == [f"graphrep: error: {message}"]


def test_long_lines_are_quoted_to_80_characters(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_text("1 2\n" + " ".join(["x"] * 5000) + "\n")
    with pytest.raises(GraphFormatError) as error:
        as_graph(path)
    message = str(error.value)
    quoted = message.split(": ", 2)[-1].split("has 2: ")[-1]
    assert len(quoted) == 82 and quoted.endswith("...'") and len(message) <= 300


def test_a_huge_id_is_shortened(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("1 " + "9" * 60_000 + "\n")
    with pytest.raises(GraphFormatError) as error:
        as_graph(path)
    assert str(error.value) == f"{path}:1: node id {'9' * 37}... overflows int64"


def test_control_characters_are_not_echoed(tmp_path):
    path = tmp_path / "ctl.txt"
    path.write_bytes(b"1 2\n\x1b[31mred\n")
    with pytest.raises(GraphFormatError) as error:
        as_graph(path)
    assert str(error.value).endswith("expected two node ids per line, got '?[31mred'")


def test_one_reading_path_for_api_and_cli(tmp_path, capsys):
    """``graph`` and ``io`` do not import each other; the CLI reads through
    ``as_graph``, so both report the same message."""
    import ast
    import inspect

    import graphrep.graph
    import graphrep.io

    def imports(module):
        tree = ast.parse(inspect.getsource(module))
        return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}

    assert "graphrep.io" not in imports(graphrep.graph) and "graphrep.graph" not in imports(graphrep.io)
    assert graphrep.io.read_edge_list is graphrep.graph.read_edge_list
    assert graphrep.GraphFormatError is graphrep.graph.GraphFormatError
    path = tmp_path / "bad.txt"
    path.write_text("1 2\n-3 4\n")
    assert_refused(path, f"{path}:2: node id -3 is negative", capsys, tmp_path)


def test_large_file_reads_the_same_as_a_simple_reference(tmp_path):
    rng = np.random.default_rng(3)
    edges = rng.integers(0, 5000, size=(150_000, 2))
    path = tmp_path / "big.txt"
    path.write_text("# big\n" + "".join(f"{u},{v}\n" for u, v in edges))
    read, ids = read_edge_list(path)
    np.testing.assert_array_equal(ids[read], edges)
    assert np.all(np.diff(ids) > 0)
