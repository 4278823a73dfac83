"""Small shared helpers: progress bars, seeding and run metadata."""
from __future__ import annotations

import json
import os
import platform
import random
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

__all__ = ["progress", "set_quiet", "seed_everything", "environment", "write_json"]

_quiet = False


def set_quiet(quiet: bool = True) -> None:
    """Silences (or restores) every graphrep progress bar, as ``-q`` does."""
    global _quiet
    _quiet = bool(quiet)


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str | None = None,
             disable: bool | None = None):
    """A tqdm bar on stderr that only appears for work longer than a couple of
    seconds, and never when :func:`set_quiet` is on."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False, delay=2.0,
                disable=_quiet if disable is None else disable, dynamic_ncols=True)


def seed_everything(seed: int) -> None:
    """Seeds Python's, numpy's and (when imported) torch's generators."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def environment() -> dict[str, Any]:
    """Versions and machine facts to store beside every measured number."""
    packages = ["graphrep", "torch", "torch_geometric", "numpy", "scipy", "numba", "ogb", "scikit-learn"]
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "versions": versions,
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Writes ``payload`` plus an ``environment`` entry as JSON, atomically
    (temporary file, then rename), and returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**payload, "environment": environment()}
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temporary, 0o644)  # mkstemp makes it private; results are for sharing
        with os.fdopen(handle, "w") as out:
            json.dump(payload, out, indent=2, default=_json_default)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")
