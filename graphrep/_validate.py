"""Argument checks shared by every public function: integers that are really
integers, and index tensors that really hold integers.

The errors name the argument. A wrong *type* raises :class:`ArgumentTypeError`,
which is a :class:`TypeError` and also a :class:`ValueError` (as
scikit-learn's ``InvalidParameterError`` is), so code that catches
``ValueError`` for bad arguments keeps working.
"""
from __future__ import annotations

import numbers
from typing import Any

__all__ = ["ArgumentTypeError", "check_int", "check_index_dtype"]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type; the message names the argument."""


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """``value`` as a Python ``int``; bools, floats (even ``2.0``), strings
    and everything else that is not an integer raise
    :class:`ArgumentTypeError`, values below ``minimum`` a ``ValueError``.

    Example:
        >>> check_int(3, "num_threads", minimum=1)
        3
        >>> check_int(1.5, "num_threads")
        Traceback (most recent call last):
        ...
        graphrep._validate.ArgumentTypeError: num_threads must be an int, got float 1.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an int, got {type(value).__name__} {_short(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_index_dtype(tensor: Any, name: str) -> None:
    """Raises :class:`ArgumentTypeError` unless ``tensor`` (a torch tensor or
    numpy array) holds integers: float, complex and bool indices are
    refused rather than truncated or read as masks.

    Example:
        >>> import numpy as np
        >>> check_index_dtype(np.array([0.0, 1.0]), "index")
        Traceback (most recent call last):
        ...
        graphrep._validate.ArgumentTypeError: index must hold integers, got float64
    """
    dtype = tensor.dtype
    if hasattr(dtype, "is_floating_point"):  # torch.dtype
        integer = not (dtype.is_floating_point or dtype.is_complex or dtype == _torch_bool())
    else:
        integer = dtype.kind in "iu"
    if not integer:
        raise ArgumentTypeError(f"{name} must hold integers, got {str(dtype).removeprefix('torch.')}")


def _torch_bool():
    import torch

    return torch.bool


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, (str, bytes)) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
