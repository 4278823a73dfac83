"""Learnable commutative monoid aggregation, reduced segment by segment in a
balanced binary tree without padding to the largest neighbourhood."""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor
from torch_geometric.nn.aggr import Aggregation

from graphrep._validate import check_index_dtype, check_int
from graphrep.nn.aggr.operators import GRUOperator, MLPOperator, check_positive_int

__all__ = ["LCMAggregation", "segment_tree_reduce"]

_OPERATORS = {"gru": GRUOperator, "mlp": MLPOperator}


class LCMAggregation(Aggregation):
    r"""The learnable commutative monoid (LCM) aggregation of the
    `"Learnable Commutative Monoids for Graph Neural Networks"
    <https://arxiv.org/abs/2212.08541>`_ paper (Ong and Velickovic, LoG 2022).

    The messages :math:`x_j` of a neighbourhood :math:`\mathcal{N}(i)` are
    embedded (:math:`h_j = \mathrm{ReLU}(W x_j + b)` when ``project``) and
    reduced by a learnable binary operator :math:`\oplus` that is commutative
    by construction, in a balanced binary tree of depth
    :math:`\lceil \log_2 |\mathcal{N}(i)| \rceil`:

    .. math::
        \mathbf{y}_i = \rho\Big(\bigoplus_{j \in \mathcal{N}(i)} h_j\Big),
        \qquad \bigoplus_{\emptyset} = e,

    where :math:`e` is a learnable identity element and :math:`\rho` the
    output map (a linear layer when ``hidden_channels != out_channels``, else
    the identity). At every level of the tree, elements :math:`2k` and
    :math:`2k + 1` of every neighbourhood are combined, all pairs of the level
    in one batched operator call, and an odd last element is carried up
    unchanged. Unlike :class:`torch_geometric.nn.aggr.LCMAggregation`, nothing
    is padded to the largest degree: a pass costs :math:`O(|\mathcal{E}|)`
    operator calls and :math:`O(|\mathcal{E}| F)` memory, and the output of a
    node depends only on its own messages (and their order), never on the rest
    of the batch. An empty neighbourhood yields :math:`\rho(e)`.

    ``index`` need not be sorted: unsorted input is sorted once with a stable
    sort (:math:`O(|\mathcal{E}| \log |\mathcal{E}|)` plus one gather of the
    messages), so messages of a node keep their relative order. Checking
    sortedness costs one comparison per message.

    Args:
        in_channels (int): size of each message.
        out_channels (int): size of each output.
        project (bool, optional): embed messages with a linear layer and ReLU
            before the reduction; required when ``in_channels`` differs from
            the operator's size (default: :obj:`True`).
        operator (str or torch.nn.Module, optional): the binary operator,
            ``"gru"`` (:class:`GRUOperator`, the paper's symmetrised GRU),
            ``"mlp"`` (:class:`MLPOperator`) or a module mapping two
            ``[n, hidden_channels]`` tensors to one; it must be commutative
            (default: ``"gru"``).
        hidden_channels (int, optional): size of the monoid's elements
            (default: ``out_channels``).
        permute (bool, optional): in training mode, shuffle every
            neighbourhood before the reduction, the paper's augmentation
            towards an order-independent operator; evaluation mode keeps the
            input order (default: :obj:`False`).

    Example:
        >>> _ = torch.manual_seed(0)
        >>> aggr = LCMAggregation(8, 16)
        >>> x = torch.randn(6, 8)
        >>> index = torch.tensor([2, 0, 2, 0, 2, 3])  # node 1 has no messages
        >>> out = aggr(x, index)
        >>> out.shape
        torch.Size([4, 16])
        >>> torch.equal(out[1], aggr.empty_output())
        True
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        project: bool = True,
        operator: Union[str, torch.nn.Module] = "gru",
        hidden_channels: Optional[int] = None,
        permute: bool = False,
    ):
        super().__init__()
        check_positive_int(in_channels, "in_channels")
        check_positive_int(out_channels, "out_channels")
        hidden_channels = check_positive_int(
            out_channels if hidden_channels is None else hidden_channels, "hidden_channels")
        if in_channels != hidden_channels and not project:
            raise ValueError(
                f"project=False needs in_channels == hidden_channels, got {in_channels} and "
                f"{hidden_channels}")

        self.in_channels = in_channels
        self.out_channels = out_channels
        self.hidden_channels = hidden_channels
        self.project = bool(project)
        self.permute = bool(permute)

        self.lin = torch.nn.Linear(in_channels, hidden_channels) if self.project else None
        if isinstance(operator, str):
            if operator not in _OPERATORS:
                raise ValueError(
                    f"operator must be one of {sorted(_OPERATORS)} or a torch.nn.Module, "
                    f"got {operator!r}")
            operator = _OPERATORS[operator](hidden_channels)
        elif not isinstance(operator, torch.nn.Module):
            raise TypeError(
                f"operator must be a string or a torch.nn.Module, got {type(operator).__name__}")
        self.operator = operator
        self.identity = torch.nn.Parameter(torch.empty(hidden_channels))
        self.lin_out = (torch.nn.Linear(hidden_channels, out_channels)
                        if hidden_channels != out_channels else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.lin is not None:
            self.lin.reset_parameters()
        if hasattr(self.operator, "reset_parameters"):
            self.operator.reset_parameters()
        torch.nn.init.zeros_(self.identity)
        if self.lin_out is not None:
            self.lin_out.reset_parameters()

    def encode(self, x: Tensor) -> Tensor:
        """The monoid elements of messages ``x`` (``[E, in_channels]`` to
        ``[E, hidden_channels]``): the projection, or ``x`` itself."""
        return torch.relu(self.lin(x)) if self.lin is not None else x

    def decode(self, h: Tensor) -> Tensor:
        """The output map :math:`\\rho` from monoid elements to outputs."""
        return self.lin_out(h) if self.lin_out is not None else h

    def empty_output(self) -> Tensor:
        """The output of a node without messages, :math:`\\rho(e)`."""
        return self.decode(self.identity)

    def forward(
        self,
        x: Tensor,
        index: Optional[Tensor] = None,
        ptr: Optional[Tensor] = None,
        dim_size: Optional[int] = None,
        dim: int = -2,
        max_num_elements: Optional[int] = None,
    ) -> Tensor:
        """Aggregates messages ``x`` (``[E, in_channels]``) into
        ``[dim_size, out_channels]``, grouped by ``index`` (``[E]``, any
        order) or by the CSR offsets ``ptr`` (``[dim_size + 1]``, messages
        grouped in order). ``max_num_elements`` is accepted for PyG
        compatibility and not needed."""
        self.assert_two_dimensional_input(x, dim)
        if x.size(-1) != self.in_channels:
            raise ValueError(f"x must have {self.in_channels} channels, got {x.size(-1)}")
        num_messages = x.size(0)
        if dim_size is not None:
            dim_size = check_int(dim_size, "dim_size", minimum=0)
        if ptr is not None:
            check_index_dtype(ptr, "ptr")
            ptr = ptr.to(torch.long)
            if ptr.dim() != 1 or ptr.numel() < 1 or int(ptr[0]) != 0 or int(ptr[-1]) != num_messages:
                raise ValueError(f"ptr must be 1-D offsets from 0 to x.size(0)={num_messages}, "
                                 f"got {ptr[:8].tolist()}")
            if bool((ptr[1:] < ptr[:-1]).any()):
                raise ValueError("ptr must be non-decreasing")
            dim_size = ptr.numel() - 1 if dim_size is None else dim_size
            index = torch.repeat_interleave(
                torch.arange(ptr.numel() - 1, device=x.device), ptr.diff())
        elif index is None:
            index = x.new_zeros(num_messages, dtype=torch.long)
        check_index_dtype(index, "index")
        index = index.to(torch.long)
        if index.dim() != 1 or index.numel() != num_messages:
            raise ValueError(
                f"index must be 1-D with one entry per message ({num_messages}), got shape "
                f"{tuple(index.shape)}")
        if dim_size is None:
            dim_size = int(index.max()) + 1 if num_messages > 0 else 0
        if num_messages > 0 and (int(index.min()) < 0 or int(index.max()) >= dim_size):
            raise ValueError(
                f"index must lie in [0, dim_size={dim_size}), got values in "
                f"[{int(index.min())}, {int(index.max())}]")

        if self.permute and self.training:
            order = torch.randperm(num_messages, device=x.device)
            order = order[index[order].argsort(stable=True)]
            x, index = x[order], index[order]
        elif num_messages > 1 and bool((index[1:] < index[:-1]).any()):
            order = index.argsort(stable=True)
            x, index = x[order], index[order]

        h = segment_tree_reduce(self.encode(x), index, dim_size, self.operator, self.identity)
        return self.decode(h)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"project={self.project}, operator={self.operator}, "
                f"hidden_channels={self.hidden_channels}, permute={self.permute})")


def segment_tree_reduce(h: Tensor, index: Tensor, dim_size: int, operator, identity: Tensor) -> Tensor:
    r"""Reduces each segment of ``h`` (``[E, F]``, grouped by the sorted
    ``index``) with the binary ``operator`` in a balanced tree, returning
    ``[dim_size, F]``; empty segments get ``identity`` (``[F]``).

    At each level, elements :math:`2k` and :math:`2k + 1` of a segment are
    combined (all pairs of all segments in one ``operator`` call) into element
    :math:`k` of the next level, and an odd last element moves up unchanged.
    A segment leaves the working set as soon as it is reduced to one element.

    Example:
        >>> h = torch.tensor([[1.], [2.], [3.], [10.]])
        >>> index = torch.tensor([0, 0, 0, 2])
        >>> segment_tree_reduce(h, index, 3, torch.add, torch.zeros(1)).flatten().tolist()
        [6.0, 0.0, 10.0]
    """
    channels = h.size(-1)
    counts = torch.bincount(index, minlength=dim_size)  # [N]
    starts = torch.cumsum(counts, 0) - counts  # [N]
    segment = index  # [M] segment of every element still being reduced
    position = torch.arange(h.size(0), device=h.device) - starts[index]  # [M] rank in segment
    size = counts[index]  # [M] current size of the element's segment

    finished_segments, finished_values = [], []
    while True:
        finished = size == 1
        if bool(finished.any()):
            finished_segments.append(segment[finished])
            finished_values.append(h[finished])
            active = (~finished).nonzero().view(-1)
            h, segment, position, size = h[active], segment[active], position[active], size[active]
        if h.size(0) == 0:
            break
        heads = (position % 2 == 0).nonzero().view(-1)  # [M'] first of a pair, or carried
        head_position, head_size = position[heads], size[heads]
        pairs = (head_position + 1 < head_size).nonzero().view(-1)  # rows of heads that pair up
        left = heads[pairs]
        combined = operator(h[left], h[left + 1])  # [P, F]
        h = h.index_select(0, heads).index_copy(0, pairs, combined)
        segment, position, size = segment[heads], head_position // 2, (head_size + 1) // 2

    out = identity.view(1, channels).repeat(dim_size, 1)  # [N, F]
    if finished_segments:
        out = out.index_copy(0, torch.cat(finished_segments), torch.cat(finished_values))
    return out
