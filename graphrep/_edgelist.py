"""Reading text graph input: the one place where graphrep opens, decompresses
and decodes a file, splits it into lines and turns an edge list into arrays.

:func:`graphrep.as_graph` (for paths), the ``graphrep`` command line and the
dataset loaders all read through here, so every input gets the same checks:

* plain, gzip, bzip2 and xz files, recognised by their first bytes (not by
  the name); other archives, binary files and folders are refused in one line;
* strict decoding (UTF-8 unless told otherwise), a leading byte-order mark
  dropped, an invalid byte reported with its line and byte offset;
* bounded memory and messages: the input is read in 1 MiB chunks, a line may
  hold at most :data:`MAX_LINE_CHARS` characters, and a message quotes at most
  80 characters of a line.

This module imports nothing from the rest of graphrep but its error class.
"""
from __future__ import annotations

import bz2
import codecs
import contextlib
import functools
import gzip
import io
import lzma
import os
import re
import sys
import warnings
import zlib
from array import array
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from graphrep.errors import GraphFormatError

__all__ = ["GraphFormatError", "INT64_MAX", "ID_TYPES", "MAX_LINE_CHARS", "read_edge_list", "text_lines",
           "excerpt"]

INT64_MAX = int(np.iinfo(np.int64).max)

#: Accepted values of ``id_type``.
ID_TYPES = ("auto", "int", "str")

#: The longest line (in characters) any graphrep text reader accepts.
MAX_LINE_CHARS = 1 << 16

_CHUNK_BYTES = 1 << 20
_EXCERPT_CHARS = 80

# (leading bytes, format name, opener or None when graphrep cannot read it)
_MAGIC = (
    (b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", "bzip2", bz2.BZ2File),
    (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile),
    (b"PK\x03\x04", "zip", None),
    (b"(\xb5/\xfd", "zstd", None),
    (b"7z\xbc\xaf'\x1c", "7z", None),
    (b"\x04\x22\x4d\x18", "lz4", None),
)
_SUFFIX_FORMAT = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip", ".zst": "zstd",
                  ".7z": "7z", ".lz4": "lz4"}
_STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)

_SEPARATORS = re.compile(r"[,\s]+")
# patterns over all ids joined by "\n", one id a line
_NOT_SMALL_INTEGER = re.compile(r"^(?![+-]?[0-9]{1,18}$).*$", re.MULTILINE)  # 18 digits always fit int64
_NOT_INTEGER = re.compile(r"^(?![+-]?[0-9]+$).*$", re.MULTILINE)
_LONG_INTEGER = re.compile(r"^[+-]?[0-9]{19,}$", re.MULTILINE)
_NON_INTEGER_NUMBER = re.compile(
    r"^[+-]?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)$", re.MULTILINE)


def excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    """``text`` quoted for a message: at most ``limit`` characters, control
    and other unprintable characters shown as ``?``.

    Example:
        >>> excerpt("1 2 3")
        "'1 2 3'"
        >>> len(excerpt("x" * 10_000))
        82
    """
    shown = text if len(text) <= limit else text[:limit - 3] + "..."
    return repr("".join(ch if ch.isprintable() else "?" for ch in shown))


@contextlib.contextmanager
def text_lines(path: str | os.PathLike, *, encoding: str | None = None, what: str = "file",
               error: type[Exception] = GraphFormatError) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
    """Opens ``path`` (``"-"``: standard input) for reading text lines.

    Yields ``(name, batches)``: the name to use in messages and an iterator
    of ``(first_line_number, lines)`` batches (lines without their line
    break; ``\\n``, ``\\r\\n`` and ``\\r`` all end a line). Malformed input
    raises ``error`` with a one-line message.

    Args:
        encoding: any Python codec; ``None`` is strict UTF-8 (a leading
            byte-order mark is dropped whatever the encoding).
        what: what the file is, for "not found" messages.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a folder.
        error: binary data, an unreadable archive, corrupt compressed data,
            an invalid byte, or a line longer than :data:`MAX_LINE_CHARS`.
    """
    codec = _codec(encoding)
    if str(path) == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise error("-: standard input is not readable as bytes")
        with _decompressed(stdin, "<stdin>", "", error) as (stream, compression, hint):
            yield "<stdin>", _batches(stream, "<stdin>", codec, encoding, compression, hint, error)
        return
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not {_article(what)} {what}")
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    with open(path, "rb") as raw, _decompressed(raw, str(path), path.suffix.lower(), error) as (stream, compression,
                                                                                                hint):
        yield str(path), _batches(stream, str(path), codec, encoding, compression, hint, error)


def read_edge_list(path: str | os.PathLike, *, encoding: str | None = None,
                   id_type: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Reads an edge-list file.

    One edge per line, two node ids separated by whitespace, commas or
    tabs; lines starting with ``#`` or ``%`` are comments. Every data line
    must have as many columns as the first one: a third column (a weight, a
    timestamp) is allowed when every line has it, and is ignored with one
    warning (the graph is unweighted). The file may be gzip, bzip2 or xz
    compressed (recognised by its first bytes); ``"-"`` reads standard input.

    Args:
        path: the file, or ``"-"`` for standard input.
        encoding: the text encoding (any Python codec name); default strict
            UTF-8. A leading byte-order mark is dropped.
        id_type: how node ids are read.

            * ``"auto"`` (default): integers when every id is an integer
              (rows ordered by id), else strings (rows in order of first
              appearance). An id that looks like a non-integer number
              (``1.5``, ``2e3``) is an error, never a silent switch to
              strings.
            * ``"int"``: every id must be an integer.
            * ``"str"``: every id is a string exactly as written (``01`` and
              ``1`` are different nodes), rows in order of first appearance.

    Returns:
        ``(edges, node_ids)``: ``int64[E, 2]`` row indices and the id of each row.

    Raises:
        FileNotFoundError: the file does not exist.
        IsADirectoryError: ``path`` is a folder.
        GraphFormatError: a malformed line, a line with another number of
            columns than the first data line, a non-integer or negative or
            int64-overflowing id, invalid text, binary data, or a file with
            no edges; the message names the file and line.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "g.txt")
        ...     _ = Path(p).write_text("# u v\\n10 20\\n20,30\\n")
        ...     edges, ids = read_edge_list(p)
        >>> edges.tolist(), ids.tolist()
        ([[0, 1], [1, 2]], [10, 20, 30])
    """
    if id_type not in ID_TYPES:
        raise ValueError(f"id_type must be one of {ID_TYPES}, got {id_type!r}")
    tokens: list[str] = []
    line_numbers = array("q")  # line of every edge, for messages
    columns = first_line = 0
    with text_lines(path, encoding=encoding, what="edge-list file") as (name, batches):
        for start, lines in batches:
            block = "\n".join(lines)
            if columns and not any(mark in block for mark in ",#%") and not _not_columns(columns).search(block):
                # every line is `columns` whitespace-separated fields: split the batch at once
                fields = block.split()
                tokens += fields if columns == 2 else chain.from_iterable(zip(fields[::columns],
                                                                              fields[1::columns]))
                line_numbers.extend(range(start, start + len(lines)))
                continue
            # str.split is several times faster than the regular expression, and equal without commas
            split = _SEPARATORS.split if "," in block else str.split
            for number, line in enumerate(lines, start):
                line = line.strip()
                if not line or line[0] in "#%":
                    continue
                fields = split(line)
                if len(fields) != columns:
                    if len(fields) < 2:
                        raise GraphFormatError(f"{name}:{number}: expected two node ids per line, got {excerpt(line)}")
                    if columns:
                        raise GraphFormatError(
                            f"{name}:{number}: {len(fields)} columns, but the first data line ({name}:{first_line}) "
                            f"has {columns}: {excerpt(line)}")
                    columns, first_line = len(fields), number
                tokens.append(fields[0])
                tokens.append(fields[1])
                line_numbers.append(number)
    if not line_numbers:
        raise GraphFormatError(f"{name}: empty graph, the file holds no edges")
    if columns > 2:
        warnings.warn(f"{name}:{first_line}: columns after the second (weights?) are ignored; the graph is unweighted",
                      stacklevel=2)
    inverse, node_ids = _node_ids(tokens, line_numbers, name, id_type)
    return inverse.reshape(-1, 2), node_ids


@functools.cache
def _not_columns(columns: int) -> re.Pattern:
    """Finds a line that is not ``columns`` fields separated by blanks (a
    comment, a blank line, another count: the slow path handles it)."""
    return re.compile(rf"^(?![ \t]*\S+(?:[ \t]+\S+){{{columns - 1}}}[ \t]*$)", re.MULTILINE)


def _node_ids(tokens: list[str], line_numbers: array, name: str, id_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Row index of every token and the id of every row."""
    if id_type != "str":
        values = _integer_ids(tokens, line_numbers, name, strict=id_type == "int")
        if values is not None:
            node_ids, inverse = np.unique(values, return_inverse=True)
            return inverse.astype(np.int64, copy=False), node_ids
    first_seen: dict[str, int] = {}
    inverse = np.fromiter((first_seen.setdefault(tok, len(first_seen)) for tok in tokens), dtype=np.int64,
                          count=len(tokens))
    node_ids = np.empty(len(first_seen), dtype=object)
    node_ids[:] = list(first_seen)
    return inverse, node_ids


def _integer_ids(tokens: list[str], line_numbers: array, name: str, *, strict: bool) -> np.ndarray | None:
    """Integer ids as ``int64``; ``None`` when some id is a name (and not
    ``strict``). Non-integer numbers, negative ids and ids beyond int64 raise.
    Every scan is one regular-expression pass over all ids."""
    joined = "\n".join(tokens)

    def where(match: re.Match, quoted: bool = True) -> str:
        position = joined.count("\n", 0, match.start())
        token = match.group()
        shown = excerpt(token, 40) if quoted else token if len(token) <= 40 else token[:37] + "..."
        return f"{name}:{line_numbers[position // 2]}: node id {shown}"

    unusual = _NOT_SMALL_INTEGER.search(joined)
    if unusual:  # names, non-integer numbers or long integers
        number = _NON_INTEGER_NUMBER.search(joined)
        if number:
            raise GraphFormatError(f"{where(number)} is not an integer; pass id_type='str' (--string-ids) to read "
                                   "ids as strings")
        named = _NOT_INTEGER.search(joined, unusual.start())  # nothing before the first unusual token
        if named and strict:
            raise GraphFormatError(f"{where(named)} is not an integer (id_type='int')")
        if named:
            return None
        for long in _LONG_INTEGER.finditer(joined):
            digits = long.group().lstrip("+").lstrip("0")
            if not long.group().startswith("-") and (len(digits) > 19 or int(digits) > INT64_MAX):
                raise GraphFormatError(f"{where(long, quoted=False)} overflows int64")
    values = np.fromstring(joined, dtype=np.int64, sep="\n")  # every token checked above: all are read
    if values.shape[0] != len(tokens):
        values = np.loadtxt(io.StringIO(joined), dtype=np.int64, ndmin=1, comments=None)
    negative = np.flatnonzero(values < 0)
    if negative.size:
        position = int(negative[0])
        raise GraphFormatError(f"{name}:{line_numbers[position // 2]}: node id {values[position]} is negative")
    return values


def _codec(encoding: str | None) -> codecs.CodecInfo:
    try:
        return codecs.lookup(encoding or "utf-8")
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


@contextlib.contextmanager
def _decompressed(raw: BinaryIO, name: str, suffix: str, error: type[Exception]):
    """``(stream, compression, hint)``: ``raw`` decompressed when its first
    bytes say it is compressed; ``hint`` is appended to binary-data messages."""
    head = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
    for magic, compression, opener in _MAGIC:
        if head.startswith(magic):
            if opener is None:
                raise error(f"{name}: {compression} data; graphrep reads plain text and gzip, bzip2 or xz compressed "
                            f"edge lists: decompress it first")
            with opener(raw) as stream:
                yield stream, compression, ""
            return
    expected = _SUFFIX_FORMAT.get(suffix)
    hint = f" (named {suffix} but not {expected} data)" if expected else ""
    yield raw, None, hint


def _batches(stream: BinaryIO, name: str, codec: codecs.CodecInfo, encoding: str | None, compression: str | None,
             hint: str, error: type[Exception]) -> Iterator[tuple[int, list[str]]]:
    decoder = codec.incrementaldecoder("strict")
    ascii_compatible = codec.encode("\n#%, \t09az")[0] == b"\n#%, \t09az"
    consumed = 0  # bytes fed to the decoder so far
    completed = 0  # lines yielded so far
    carry = ""  # the unfinished last line
    started = False  # the first character (a byte-order mark?) has been seen
    while True:
        try:
            chunk = stream.read(_CHUNK_BYTES)
        except _STREAM_ERRORS as failure:
            if compression is None:
                raise
            raise error(f"{name}: corrupt or truncated {compression} data ({failure})") from None
        final = not chunk
        if consumed == 0 and chunk:
            _check_not_binary(chunk, name, encoding, ascii_compatible, hint, compression, error)
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as failure:
            data = pending + chunk
            line = completed + 1 + codec.decode(data[:failure.start], "replace")[0].count("\n")
            offset = consumed - len(pending) + failure.start
            raise error(_decoding_message(name, line, offset, data[failure.start:failure.end], codec, compression,
                                          hint)) from None
        consumed += len(chunk)
        if not started and text:
            started = True
            text = text.removeprefix("\ufeff")
        if not ascii_compatible and "\x00" in text:
            raise error(f"{name}: binary data (a NUL character), not a text edge list{hint}")
        text = carry + text
        if "\r" in text:
            held = ""
            if text.endswith("\r") and not final:  # its "\n" may open the next chunk
                text, held = text[:-1], "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n") + held
        lines = text.split("\n")
        carry = lines.pop()
        longest = max(map(len, lines), default=0)
        if longest > MAX_LINE_CHARS or len(carry) > MAX_LINE_CHARS:
            position = next((i for i, line in enumerate(lines) if len(line) > MAX_LINE_CHARS), len(lines))
            long_line = lines[position] if position < len(lines) else carry
            raise error(f"{name}:{completed + position + 1}: line longer than {MAX_LINE_CHARS:,} characters, "
                        f"starting {excerpt(long_line, 40)}; not an edge list?")
        if lines:
            yield completed + 1, lines
            completed += len(lines)
        if final:
            if carry:
                yield completed + 1, [carry]
            return


def _check_not_binary(chunk: bytes, name: str, encoding: str | None, ascii_compatible: bool, hint: str,
                      compression: str | None, error: type[Exception]) -> None:
    if encoding is None and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise error(f"{name}: UTF-16 text (it starts with a UTF-16 byte-order mark); pass encoding='utf-16' "
                    "(--encoding utf-16)")
    nul = chunk.find(b"\x00") if ascii_compatible else -1
    if nul >= 0:
        inside = f" of the {compression}-decompressed data" if compression else ""
        raise error(f"{name}: binary data (a NUL byte at byte {nul}{inside}), not a text edge list{hint}")


def _decoding_message(name: str, line: int, offset: int, bad: bytes, codec: codecs.CodecInfo,
                      compression: str | None, hint: str) -> str:
    inside = f" of the {compression}-decompressed data" if compression else ""
    shown = " ".join(f"0x{byte:02x}" for byte in bad[:4])
    return (f"{name}:{line}: invalid {codec.name} (byte {shown} at byte offset {offset}{inside}){hint}; "
            "if the file is in another encoding, pass it (encoding='latin-1', --encoding latin-1)")
