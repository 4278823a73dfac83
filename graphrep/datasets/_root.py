"""Where datasets live: the data root (read-only to graphrep) and the
cache where loaders stage a copy before processing."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["DatasetNotFoundError", "data_root", "cache_root", "staged_copy"]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not in the data root; the message says which
    files to place where (graphrep never downloads)."""


def cache_root() -> Path:
    """``$GRAPHREP_CACHE``, else ``~/.cache/graphrep``."""
    return Path(os.environ.get("GRAPHREP_CACHE") or Path.home() / ".cache" / "graphrep")


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Resolves the data root: ``root``, else ``$GRAPHREP_DATA``, else the cache root.

    Example:
        >>> str(data_root("/srv/graphs"))
        '/srv/graphs'
    """
    if root is not None:
        return Path(root)
    env = os.environ.get("GRAPHREP_DATA")
    return Path(env) if env else cache_root()


def staged_copy(root: Path, subdir: str, required: list[str]) -> Path:
    """Returns a writable folder holding ``root/subdir``'s files.

    A data root other than the cache is never written to (it may be a shared,
    read-only copy): its ``subdir`` is copied once into the cache, where PyG
    and OGB may write their ``processed/`` files.

    Raises:
        DatasetNotFoundError: one of ``required`` (paths relative to
            ``subdir``) is missing from ``root/subdir``.
    """
    source = root / subdir
    missing = [name for name in required if not (source / name).exists()]
    if missing:
        raise DatasetNotFoundError(
            f"dataset files missing under {source}: {', '.join(missing)}; place them there "
            f"(or set GRAPHREP_DATA / pass root= to the folder that holds {subdir}/); "
            "graphrep does not download"
        )
    cache = cache_root()
    if source.resolve().is_relative_to(cache.resolve()):
        return source
    staged = cache / "staged" / subdir
    marker = staged / ".graphrep-staged"
    if not marker.exists() or marker.read_text() != str(source.resolve()):
        if staged.exists():
            shutil.rmtree(staged)
        shutil.copytree(source, staged, ignore=shutil.ignore_patterns("processed"))
        for folder, dirs, files in os.walk(staged):
            for name in dirs + files:
                os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
        os.chmod(staged, 0o755)
        marker.write_text(str(source.resolve()))
    return staged
