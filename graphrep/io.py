"""Reading edge lists and writing results safely.

Every ``graphrep`` command writes its output folder through
:func:`atomic_directory` after :func:`check_output_target` has approved the
destination, so the rules are the same everywhere:

* the folder appears complete or not at all: it is built in a hidden
  ``.NAME.XXXXXXXX.partial`` folder beside it, which holds a
  ``.graphrep-partial`` marker naming the host and process that writes it;
* a run that was killed (SIGKILL, power loss) leaves that folder behind; the
  next run into the same destination removes it once its owner is gone
  (same host, process no longer alive), and never touches a live run's
  folder or one without the marker;
* ``--overwrite`` replaces only a previous graphrep output folder (one whose
  ``manifest.json`` names ``graphrep_version``), never a file or a foreign
  folder; the current folder, its ancestors and any folder holding the input
  are refused; the destination's writability is checked before any work;
* folders and files follow the umask;
* a termination request (the command line's SIGTERM handler calls
  :func:`request_termination`) aborts the folder even when the exception it
  raises is lost inside an extension module: the staging folder is checked
  for it before it becomes ``target``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import socket
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import scipy.io
import scipy.sparse as sp

from graphrep._edgelist import read_edge_list

__all__ = ["read_edge_list", "atomic_file", "atomic_directory", "check_output_target", "is_graphrep_output", "remove_stale_partials",
           "new_partial_file", "is_url", "local_path", "output_filesystem", "write_matrix", "Terminated", "request_termination",
           "termination_requested", "MATRIX_FORMATS", "PARTIAL_MARKER"]

logger = logging.getLogger(__name__)

MATRIX_FORMATS = ("npz", "mtx")

#: The file inside a staging folder that marks it as graphrep's own.
PARTIAL_MARKER = ".graphrep-partial"

_termination = {"requested": False}


class Terminated(BaseException):
    """Raised when the process was asked to terminate (SIGTERM), so that
    cleanup runs as for Ctrl-C."""


def request_termination(requested: bool = True) -> None:
    """Marks the process as terminating and raises :class:`Terminated`
    (``requested=False`` clears the mark and returns). Output folders still
    being written are then never committed.

    Example:
        >>> try:
        ...     request_termination()
        ... except Terminated:
        ...     print("terminating:", termination_requested())
        terminating: True
        >>> request_termination(False); termination_requested()
        False
    """
    _termination["requested"] = requested
    if requested:
        raise Terminated


def termination_requested() -> bool:
    """Whether :func:`request_termination` was called."""
    return _termination["requested"]


def is_graphrep_output(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a folder written by graphrep: it holds a
    ``manifest.json`` whose top level names ``graphrep_version``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     before = is_graphrep_output(d)
        ...     _ = (Path(d) / "manifest.json").write_text('{"graphrep_version": "0.1.0"}')
        ...     before, is_graphrep_output(d)
        (False, True)
    """
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "graphrep_version" in manifest


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(target) -> bool:
    """Whether ``target`` is a URL with a scheme (``file:///data/out``,
    ``s3://bucket/out``, ``memory://out``), opened through fsspec, rather
    than a local path (a ``Path`` is always a path).

    Example:
        >>> is_url("file:///tmp/out"), is_url("s3://bucket/out"), is_url("out/a"), is_url(Path("a://b"))
        (True, True, False, False)
    """
    return isinstance(target, str) and _URL_SCHEME.match(target) is not None


def local_path(target: str | os.PathLike) -> Path | None:
    """The local path that ``target`` names, a path or a ``file://`` URL;
    ``None`` for any other URL.

    Example:
        >>> local_path("file:///tmp/out"), local_path("out"), local_path("memory://out")
        (PosixPath('/tmp/out'), PosixPath('out'), None)
    """
    if not is_url(target):
        return Path(target)
    if target.startswith("file://"):
        return Path(target[len("file://"):])
    return None


def output_filesystem(target: str | os.PathLike):
    """(fsspec filesystem, absolute path) of a local path or an fsspec URL;
    a URL of an unknown or uninstalled file system is a ``ValueError``.

    Example:
        >>> fs, path = output_filesystem("file:///tmp/out")
        >>> fs.protocol[0], path
        ('file', '/tmp/out')
    """
    import fsspec

    local = local_path(target)
    if local is not None:
        return fsspec.filesystem("file"), str(local.absolute())
    try:
        return fsspec.core.url_to_fs(target)
    except (ImportError, ValueError) as error:  # an unknown protocol, or its package is not installed
        raise ValueError(f"cannot open {target}: {error}") from None


def _check_url_target(target: str, *, overwrite: bool, folder: bool) -> None:
    """:func:`check_output_target` for an fsspec URL other than ``file://``."""
    if not folder:
        raise ValueError(f"output file {target}: a URL cannot name a single output file; give a local path")
    fs, path = output_filesystem(target)
    if not fs.exists(path):
        return
    if not overwrite:
        raise FileExistsError(f"output folder already exists: {target} (use --overwrite)")
    if not fs.isdir(path):
        raise FileExistsError(f"{target} is a file; --overwrite replaces only a folder written by graphrep")
    try:
        with fs.open(f"{path.rstrip('/')}/manifest.json", "rb") as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not (isinstance(manifest, dict) and "graphrep_version" in manifest):
        raise FileExistsError(f"{target} is not a graphrep output folder (no manifest.json naming "
                              "graphrep_version); --overwrite replaces only graphrep's own output")


def check_output_target(target: str | os.PathLike, *, overwrite: bool = False,
                        inputs: Sequence[str | os.PathLike] = (), folder: bool = True) -> None:
    """Refuses, before any work, an output folder (or file) that cannot or
    must not be written.

    Args:
        target: the output folder: a path, or an fsspec URL (a ``file://``
            URL is checked as the path it names; for another URL, only what
            is there already: an existing destination, a file or a foreign
            folder is refused as for a path).
        overwrite: whether an existing graphrep output folder may be replaced.
        inputs: files the command reads; a ``target`` that is one of them or
            holds one of them is refused.
        folder: ``False`` when ``target`` is a single output file: then
            ``overwrite`` replaces a regular file, never a folder.

    Raises:
        ValueError: ``target`` is the current folder or one of its
            ancestors, or is or holds an input; or it is a URL of an
            unknown file system, or a URL where ``folder`` is false.
        FileExistsError: ``target`` exists and ``overwrite`` is off, or it
            is not a graphrep output folder (a file, a foreign folder).
        PermissionError: the folder that would hold ``target`` is not writable.
        NotADirectoryError: a part of ``target``'s path is a file.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     check_output_target(os.path.join(d, "new"))
        ...     check_output_target(d, overwrite=True)
        Traceback (most recent call last):
        ...
        FileExistsError: ... is not a graphrep output folder (no manifest.json naming graphrep_version); --overwrite replaces only graphrep's own output
    """
    local = local_path(target)
    if local is None:
        _check_url_target(target, overwrite=overwrite, folder=folder)
        return
    target = local
    resolved = target.resolve()
    what = "output folder" if folder else "output file"
    if Path.cwd().resolve().is_relative_to(resolved):
        which = "is the current folder" if resolved == Path.cwd().resolve() else "holds the current folder"
        raise ValueError(f"{what} {target} {which}; name a new {what.split()[1]}")
    for source in inputs:
        if str(source) != "-" and Path(source).resolve().is_relative_to(resolved):
            raise ValueError(f"{what} {target} would replace the input {source}")
    if os.path.lexists(target):
        if not overwrite:
            raise FileExistsError(f"{what} already exists: {target} (use --overwrite)")
        if not folder:
            if not target.is_file():
                raise FileExistsError(f"{target} is not a regular file; --overwrite replaces only a file")
        elif not target.is_dir():
            raise FileExistsError(f"{target} is a file; --overwrite replaces only a folder written by graphrep")
        elif not is_graphrep_output(target):
            raise FileExistsError(f"{target} is not a graphrep output folder (no manifest.json naming "
                                  "graphrep_version); --overwrite replaces only graphrep's own output")
    _check_writable(resolved.parent, target)


def _check_writable(folder: Path, target: Path) -> None:
    """Tries to create (and removes) a folder in the nearest existing
    ancestor of ``folder``: permissions, read-only file systems and
    root's exemptions are all answered by the file system itself."""
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write {target}: {folder} is a file")
    probe = folder / f".graphrep-probe.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        probe.mkdir()
    except OSError as error:
        raise PermissionError(f"cannot write {target}: {folder} is not writable ({error.strerror})") from None
    probe.rmdir()


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yields a fresh temporary path beside ``target`` and renames it to
    ``target`` when the block succeeds; on any error or interrupt the
    temporary file is removed and ``target`` is left as it was, also when
    the process was asked to terminate (:func:`request_termination`).
    Temporary files that killed runs left beside ``target`` are removed first
    (:func:`remove_stale_partials`).
    The parent folder is created when missing; the file follows the umask.

    Raises:
        FileExistsError: ``target`` exists and ``overwrite`` is off (checked
            before the block runs).

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with atomic_file(os.path.join(d, "out.txt")) as tmp:
        ...         _ = tmp.write_text("done")
        ...     sorted(os.listdir(d))
        ['out.txt']
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise FileExistsError(f"output file already exists: {target} (use --overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)
    temporary = new_partial_file(target)
    try:
        yield temporary
        if termination_requested():  # a SIGTERM whose exception an extension module swallowed
            raise Terminated
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yields a fresh staging folder beside ``target`` and renames it to
    ``target`` when the block succeeds; on any error or interrupt the
    staging folder is removed and ``target`` is left as it was.

    On entry, the destination is checked (:func:`check_output_target`) and
    staging folders of killed runs into the same ``target`` are removed.
    With ``overwrite``, an existing graphrep output folder is replaced.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with atomic_directory(os.path.join(d, "out")) as tmp:
        ...         _ = (tmp / "a.txt").write_text("done")
        ...     sorted(os.listdir(os.path.join(d, "out"))), os.listdir(d)
        (['a.txt'], ['out'])
    """
    target = Path(target)
    check_output_target(target, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)
    staging = None
    try:
        staging = _new_partial(target)
        yield staging
        if termination_requested():  # the signal's exception was lost in an extension module
            raise Terminated
        (staging / PARTIAL_MARKER).unlink()
        if os.path.lexists(target):
            check_output_target(target, overwrite=overwrite)  # it may have changed while we computed
            _replace(staging, target)
        else:
            os.replace(staging, target)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace(staging: Path, target: Path) -> None:
    """Swaps ``staging`` in for the existing ``target``; the old folder waits
    in a marked staging folder, so a kill in between leaves nothing that the
    next run does not remove."""
    retired = _new_partial(target)
    try:
        os.replace(target, retired / "old")
        try:
            os.replace(staging, target)
        except BaseException:
            os.replace(retired / "old", target)
            raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def _partial_pattern(target: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.partial")


def _partial_file_pattern(target: Path) -> re.Pattern:
    # a file holds no marker, so its name carries the owner: pid, start time, host
    return re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.(?P<pid>[0-9]+)-(?P<start>[0-9]+|x)"
                      rf"@(?P<host>.+)\.partial")


def new_partial_file(target: str | os.PathLike) -> Path:
    """Creates an empty temporary file beside ``target`` (mode 0666 less the
    umask, so the renamed result follows it) whose name records this host and
    process, so that :func:`remove_stale_partials` can tell a killed run's
    leftover from a running one's.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     tmp = new_partial_file(os.path.join(d, "out.tsv"))
        ...     tmp.name.startswith(".out.tsv.") and tmp.name.endswith(".partial")
        True
    """
    target = Path(target)
    start = _process_start(os.getpid())
    owner = f"{os.getpid()}-{'x' if start is None else start}@{socket.gethostname()}"
    while True:
        temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.{owner}.partial"
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temporary
        except FileExistsError:
            continue


def _new_partial(target: Path) -> Path:
    """A new, marked staging folder beside ``target`` (mode 0777 less the umask)."""
    owner = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid()),
                        "target": target.name}) + "\n"
    while True:
        staging = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
        try:
            staging.mkdir()
            break
        except FileExistsError:
            continue
    try:
        (staging / PARTIAL_MARKER).write_text(owner, encoding="utf-8")
    except BaseException:  # an interrupt here must not leave an unmarked folder
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def remove_stale_partials(target: str | os.PathLike) -> list[Path]:
    """Removes the staging folders and temporary files that killed runs left
    beside ``target`` and returns them. Only folders named like graphrep's,
    holding its marker, and files named by :func:`new_partial_file`, written
    on this host by a process that is gone, are removed.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     os.mkdir(os.path.join(d, ".out.0123abcd.partial"))  # no marker: not graphrep's
        ...     remove_stale_partials(os.path.join(d, "out"))
        []
    """
    target = Path(target)
    pattern = _partial_pattern(target)
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return removed
    file_pattern = _partial_file_pattern(target)
    for entry in entries:
        named = file_pattern.fullmatch(entry.name)
        if named is not None and entry.is_file(follow_symlinks=False):
            start = named["start"]
            owner = {"host": named["host"], "pid": int(named["pid"]), "start": None if start == "x" else int(start)}
            if not _owner_alive(owner):
                Path(entry.path).unlink(missing_ok=True)
                logger.info("removed %s, left by a killed run (pid %s)", entry.path, owner["pid"])
                removed.append(Path(entry.path))
            continue
        if not pattern.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            owner = json.loads((Path(entry.path) / PARTIAL_MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(owner, dict) and owner.get("target") == target.name and not _owner_alive(owner):
            shutil.rmtree(entry.path, ignore_errors=True)
            logger.info("removed %s, left by a killed run (pid %s)", entry.path, owner.get("pid"))
            removed.append(Path(entry.path))
    return removed


def _owner_alive(owner: dict) -> bool:
    """Whether the process named in a marker may still be running; anything
    unclear (another host, an unreadable marker) counts as alive."""
    pid = owner.get("pid")
    if owner.get("host") != socket.gethostname() or isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if _process_state(pid) == "Z":  # killed, not yet reaped
        return False
    start = owner.get("start")
    return start is None or _process_start(pid) in (None, start)  # another start time: the pid was reused


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/PID/stat`` after the command name (Linux), else ``None``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _process_state(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[0] if fields else None


def _process_start(pid: int) -> int | None:
    fields = _proc_stat(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def write_matrix(stem: str | os.PathLike, matrix: sp.sparray, fmt: str = "npz") -> Path:
    """Writes a sparse matrix as ``stem.npz`` (scipy ``save_npz``) or
    ``stem.mtx`` (MatrixMarket coordinate, integer field) and returns the path."""
    if fmt not in MATRIX_FORMATS:
        raise ValueError(f"fmt must be one of {MATRIX_FORMATS}, got {fmt!r}")
    path = Path(f"{stem}.{fmt}")
    if fmt == "npz":
        sp.save_npz(path, sp.csr_array(matrix))
    else:
        field = "integer" if np.issubdtype(matrix.dtype, np.integer) else "real"
        scipy.io.mmwrite(path, sp.coo_array(matrix), field=field)
    return path
