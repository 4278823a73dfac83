"""Training checkpoints: atomic writes and exact random-state capture, so a
resumed run continues bit for bit where it stopped."""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["save_checkpoint", "load_checkpoint", "load_matching", "rng_state", "set_rng_state"]


def rng_state() -> dict[str, Any]:
    """The states of Python's, numpy's and torch's generators (CUDA too when
    available), in a form ``torch.load(weights_only=True)`` accepts."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(gauss)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restores what :func:`rng_state` captured."""
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Writes ``payload`` with :func:`torch.save` atomically (temporary file,
    then rename), so an interrupted write never leaves a broken checkpoint.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "run.pt")
        >>> load_checkpoint(save_checkpoint(path, {"epoch": 3}))["epoch"]
        3
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Reads a checkpoint written by :func:`save_checkpoint` (tensors, state
    dicts and plain Python values only: ``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    return torch.load(path, map_location=map_location, weights_only=True)


def load_matching(module: torch.nn.Module, weights: dict[str, Any]) -> dict[str, list[str]]:
    """Copies into ``module`` the tensors of ``weights`` (a ``state_dict``,
    e.g. another model's) whose names and shapes match its own, and leaves
    the rest of ``module`` as it is: how a model starts from a related trained
    one (NCNC from NCN).

    Returns:
        ``{"loaded", "mismatched", "missing", "unexpected"}``: names loaded,
        names whose shapes differ, names of ``module`` absent from
        ``weights``, and names of ``weights`` that ``module`` lacks.

    Example:
        >>> source, target = torch.nn.Linear(3, 2), torch.nn.Linear(4, 2)
        >>> report = load_matching(target, source.state_dict())
        >>> report["loaded"], report["mismatched"]
        (['bias'], ['weight'])
        >>> torch.equal(target.bias, source.bias)
        True
    """
    own = module.state_dict()
    matching = {name: value for name, value in weights.items()
                if name in own and isinstance(value, torch.Tensor) and value.shape == own[name].shape}
    module.load_state_dict({**own, **matching})
    return {"loaded": sorted(matching), "mismatched": sorted(set(own) & set(weights) - set(matching)),
            "missing": sorted(set(own) - set(weights)), "unexpected": sorted(set(weights) - set(own))}
