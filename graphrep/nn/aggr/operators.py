"""Learnable binary operators that are commutative by construction, the
building blocks of :class:`~graphrep.nn.aggr.LCMAggregation`."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from graphrep._validate import check_int

__all__ = ["GRUOperator", "MLPOperator"]


def check_positive_int(value: int, name: str = "channels") -> int:
    """``value`` if it is an ``int`` >= 1; errors name ``name``."""
    return check_int(value, name, minimum=1)


class GRUOperator(torch.nn.Module):
    r"""The symmetrised GRU cell of the `"Learnable Commutative Monoids for
    Graph Neural Networks" <https://arxiv.org/abs/2212.08541>`_ paper:

    .. math::
        a \oplus b = \tfrac{1}{2}\left(\mathrm{GRU}(a, b) + \mathrm{GRU}(b, a)\right),

    where :math:`\mathrm{GRU}(x, h)` is a :class:`torch.nn.GRUCell` reading
    input :math:`x` with hidden state :math:`h`.

    Each operand is projected once, with the input and hidden weights stacked
    into one matrix product, and the two orders are combined elementwise, so
    :math:`a \oplus b` and :math:`b \oplus a` are equal bit for bit (not just
    up to rounding) and a pair costs two ``[n, F] x [F, 6F]`` products.

    Args:
        channels (int): size :math:`F` of the operands and of the result.

    Example:
        >>> op = GRUOperator(4)
        >>> a, b = torch.randn(3, 4), torch.randn(3, 4)
        >>> torch.equal(op(a, b), op(b, a))
        True
        >>> reference = 0.5 * (op.cell(a, b) + op.cell(b, a))
        >>> torch.allclose(op(a, b), reference, atol=1e-6)
        True
    """

    def __init__(self, channels: int):
        super().__init__()
        self.channels = check_positive_int(channels)
        self.cell = torch.nn.GRUCell(channels, channels)

    def reset_parameters(self) -> None:
        self.cell.reset_parameters()

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        """Combines ``a`` and ``b`` (both ``[n, F]``) row by row into ``[n, F]``."""
        cell = self.cell
        weight = torch.cat([cell.weight_ih, cell.weight_hh], dim=0)  # [6F, F]
        if cell.bias_ih is not None:
            bias = torch.cat([cell.bias_ih, cell.bias_hh], dim=0)  # [6F]
        else:
            bias = weight.new_zeros(weight.size(0))
        return _SymmetricGRU.apply(a, b, weight, bias)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels})"


class _SymmetricGRU(torch.autograd.Function):
    """0.5 * (GRU(a, b) + GRU(b, a)) with a hand-written backward.

    Saves only the operands and the gate activations (10 F numbers per pair
    instead of the ~30 F that autograd keeps for the composed cell) and skips
    the split/concatenate copies of the composed backward.
    """

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        projected_a = F.linear(a, weight, bias)  # [n, 6F]: W_i a + b_i | W_h a + b_h
        projected_b = F.linear(b, weight, bias)
        channels = a.size(-1)
        out_ab, gates_ab = _gru_forward(projected_a, projected_b, b, channels)  # GRU(x=a, h=b)
        out_ba, gates_ba = _gru_forward(projected_b, projected_a, a, channels)  # GRU(x=b, h=a)
        ctx.save_for_backward(a, b, weight, *gates_ab, *gates_ba)
        return 0.5 * (out_ab + out_ba)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        a, b, weight, *gates = ctx.saved_tensors
        half = 0.5 * grad_out
        channels = a.size(-1)
        # Gradients w.r.t. the [n, 6F] projections, written in place: [input part | hidden part].
        projected_a_grad = grad_out.new_empty(a.size(0), 6 * channels)
        projected_b_grad = grad_out.new_empty(a.size(0), 6 * channels)
        b_direct = _gru_backward(half, b, *gates[:4], projected_a_grad[:, :3 * channels],
                                 projected_b_grad[:, 3 * channels:])  # GRU(x=a, h=b)
        a_direct = _gru_backward(half, a, *gates[4:], projected_b_grad[:, :3 * channels],
                                 projected_a_grad[:, 3 * channels:])  # GRU(x=b, h=a)
        a_grad = b_grad = weight_grad = bias_grad = None
        if ctx.needs_input_grad[0]:
            a_grad = torch.addmm(a_direct, projected_a_grad, weight)
        if ctx.needs_input_grad[1]:
            b_grad = torch.addmm(b_direct, projected_b_grad, weight)
        if ctx.needs_input_grad[2]:
            weight_grad = projected_a_grad.t() @ a
            weight_grad.addmm_(projected_b_grad.t(), b)
        if ctx.needs_input_grad[3]:
            bias_grad = projected_a_grad.sum(0) + projected_b_grad.sum(0)
        return a_grad, b_grad, weight_grad, bias_grad


def _gru_forward(projected_x: Tensor, projected_h: Tensor, h: Tensor, channels: int):
    # torch.nn.GRUCell's update from x's input projection and h's hidden one.
    x_r, x_z, x_n = projected_x[:, :3 * channels].split(channels, dim=-1)
    h_r, h_z, h_n = projected_h[:, 3 * channels:].split(channels, dim=-1)
    reset = torch.sigmoid(x_r + h_r)
    update = torch.sigmoid(x_z + h_z)
    candidate = torch.tanh(torch.addcmul(x_n, reset, h_n))
    out = torch.addcmul(candidate, update, h - candidate)
    return out, (reset, update, candidate, h_n.contiguous())


def _gru_backward(grad: Tensor, h: Tensor, reset: Tensor, update: Tensor, candidate: Tensor,
                  h_n: Tensor, input_grad: Tensor, hidden_grad: Tensor) -> Tensor:
    # Gradients of out = n + z * (h - n), n = tanh(x_n + r * h_n), r, z = sigmoid(...):
    # fills the [n, 3F] gradients of x's input and h's hidden projections, returns d out / d h.
    input_r, input_z, input_n = input_grad.split(update.size(-1), dim=-1)
    hidden_r, hidden_z, hidden_n = hidden_grad.split(update.size(-1), dim=-1)
    torch.mul(grad * (1 - update), 1 - candidate * candidate, out=input_n)
    torch.mul(grad * (h - candidate), update * (1 - update), out=input_z)
    torch.mul(input_n * h_n, reset * (1 - reset), out=input_r)
    hidden_r.copy_(input_r)
    hidden_z.copy_(input_z)
    torch.mul(input_n, reset, out=hidden_n)
    return grad * update


class MLPOperator(torch.nn.Module):
    r"""A cheaper commutative operator: a two-layer perceptron applied to the
    symmetric features :math:`a + b` and :math:`a \odot b`,

    .. math::
        a \oplus b = W_2\,\mathrm{ReLU}\!\left(W_1 [a + b \,\|\, a \odot b] + c_1\right) + c_2 .

    Sum and elementwise product are commutative in floating point, so the
    operator is exactly commutative. With ``hidden_channels = F`` a pair
    costs :math:`3F^2` multiply-adds against the GRU operator's :math:`12F^2`.

    Args:
        channels (int): size :math:`F` of the operands and of the result.
        hidden_channels (int, optional): width of the hidden layer
            (default: ``channels``).

    Example:
        >>> op = MLPOperator(4, hidden_channels=8)
        >>> a, b = torch.randn(3, 4), torch.randn(3, 4)
        >>> torch.equal(op(a, b), op(b, a))
        True
    """

    def __init__(self, channels: int, hidden_channels: int | None = None):
        super().__init__()
        self.channels = check_positive_int(channels)
        self.hidden_channels = check_positive_int(
            channels if hidden_channels is None else hidden_channels, "hidden_channels")
        self.lin1 = torch.nn.Linear(2 * self.channels, self.hidden_channels)
        self.lin2 = torch.nn.Linear(self.hidden_channels, self.channels)

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        """Combines ``a`` and ``b`` (both ``[n, F]``) row by row into ``[n, F]``."""
        features = torch.cat([a + b, a * b], dim=-1)  # [n, 2F]
        return self.lin2(torch.relu(self.lin1(features)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels}, hidden_channels={self.hidden_channels})"
