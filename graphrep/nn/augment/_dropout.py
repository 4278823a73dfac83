"""Dropout for the wide input feature matrices of the LA models."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def input_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """``F.dropout`` with the keep probability rounded to 1/65536.

    On CPU, torch draws one Bernoulli number per entry, which dominates an LA
    model's step on dense ``[N, F]`` generated features; this draws one
    64-bit word per four entries and compares 16-bit slices to a threshold.
    Other devices use ``F.dropout``.
    """
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or not x.is_floating_point():
        return F.dropout(x, p=p, training=True)
    count = x.numel()
    words = torch.empty((count + 3) // 4, dtype=torch.int64).random_(-(2**63), 2**63 - 1)
    slices = words.view(torch.int16)[:count].view(x.shape)  # uniform on [-32768, 32767]
    keep = slices >= round(p * 65536) - 32768
    return x * keep.to(x.dtype).mul_(1.0 / (1.0 - p))
