"""Data-parallel training over several processes, GPUs or machines: the
process group from torchrun's environment, DistributedDataParallel, the
split of an epoch's data between ranks and the few collectives the trainers
need.

Start any script that calls :func:`init_world` with ``torchrun``::

    torchrun --standalone --nproc-per-node 4 examples/link_pred/ncn.py --dataset Cora

Every process (*rank*) holds the whole graph and a replica of the model;
each takes its part of every mini-batch, DistributedDataParallel averages
the gradients, and every rank applies the same update. Started without
torchrun (or with one process), :func:`init_world` returns a :class:`World`
of size 1, for which every method here is a no-op or a plain call: no
process group is created and nothing is communicated or copied.
"""
from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import torch
from torch import Tensor, nn

__all__ = ["World", "init_world"]

T = TypeVar("T")
_GOLDEN = 0x9E3779B97F4A7C15  # odd 64-bit constant: rank r's seed offset r * _GOLDEN spreads seeds apart


def _dist():
    import torch.distributed as dist

    return dist


@dataclass(frozen=True)
class World:
    """The processes of one training job and this process's place in it.

    Attributes:
        rank: this process's index in ``[0, size)``; rank 0 writes results,
            logs and checkpoints.
        size: number of processes (``WORLD_SIZE``).
        local_rank: index on this machine (``LOCAL_RANK``); it picks the GPU.
        device: the device this rank computes on.
        backend: ``"nccl"`` (CUDA), ``"gloo"`` (CPU) or ``None`` (one process).

    Example:
        >>> world = World()                      # one process
        >>> world.size, world.is_main, world.part(10)
        (1, True, slice(0, 10, None))
        >>> World(rank=1, size=3).part(10)       # ranks 0, 1, 2 take 4, 3, 3 items
        slice(4, 7, None)
    """

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    backend: str | None = None
    owns_group: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self):
        if self.size < 1 or not 0 <= self.rank < self.size:
            raise ValueError(f"need 0 <= rank < size, got rank {self.rank}, size {self.size}")
        object.__setattr__(self, "device", torch.device(self.device))

    @classmethod
    def current(cls, device: str | torch.device | None = None) -> "World":
        """The world of the process group already initialised in this process
        (by :func:`init_world` or by the caller), else a single process;
        ``device`` defaults to the GPU of ``LOCAL_RANK`` under NCCL, else the CPU."""
        dist = _dist()
        if not (dist.is_available() and dist.is_initialized()):
            return cls(device=device or "cpu")
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        backend = str(dist.get_backend())
        if device is None:
            device = torch.device("cuda", local_rank) if backend == "nccl" else torch.device("cpu")
        return cls(rank=dist.get_rank(), size=dist.get_world_size(), local_rank=local_rank, device=device,
                   backend=backend)

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0, the one that writes."""
        return self.rank == 0

    def shutdown(self) -> None:
        """Destroys the process group if :func:`init_world` created it."""
        dist = _dist()
        if self.owns_group and dist.is_initialized():
            if self.backend == "gloo":
                # Gloo's worker threads release a finished collective's tensors under the GIL, and
                # destroying the group joins them while holding it: let them finish first.
                dist.barrier()
                time.sleep(0.2)
            dist.destroy_process_group()

    def __enter__(self) -> "World":
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()

    # -- splitting the data -------------------------------------------------------------------

    def part(self, count: int) -> slice:
        """This rank's contiguous part of ``range(count)``: parts differ in
        length by at most one, the first ``count % size`` ranks take one more
        (so a rank's part can be empty when ``count < size``)."""
        base, extra = divmod(int(count), self.size)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (self.rank < extra))

    def rank_seed(self, seed: int) -> int:
        """A seed for this rank's own random draws: ``seed`` itself on rank 0
        (so a single process draws what it always did), spread apart on the
        other ranks."""
        return seed if self.rank == 0 else (seed + self.rank * _GOLDEN) % 2**64

    def diverge_generators(self) -> None:
        """Re-seeds torch's global generators of ranks other than 0 with
        :meth:`rank_seed` of their initial seed, so that dropout differs
        between ranks while every rank stays reproducible. Rank 0 keeps its
        stream: it draws what a single process draws."""
        if self.rank:
            torch.manual_seed(self.rank_seed(torch.initial_seed()))

    # -- the model ---------------------------------------------------------------------------

    def wrap(self, module: nn.Module) -> nn.Module:
        """``module`` in :class:`~torch.nn.parallel.DistributedDataParallel`
        (on the rank's GPU under NCCL), or ``module`` itself in one process.

        Wrapping broadcasts rank 0's parameters and buffers, so every rank
        starts from the same weights. ``static_graph=True``: the trainers call
        the wrapped module once per optimisation step and every step uses the
        same parameters, so DDP finds parameters without gradient in the first
        step and skips them afterwards (no graph traversal per step, as
        ``find_unused_parameters`` would cost).
        """
        if self.size == 1:
            return module
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=device_ids, static_graph=True)

    # -- collectives (no-ops in one process) ----------------------------------------------------

    def barrier(self) -> None:
        if self.size > 1:
            _dist().barrier()

    def all_reduce(self, tensor: Tensor, op: str = "sum") -> Tensor:
        """Reduces ``tensor`` in place over ranks (``"sum"``, ``"max"``, ``"min"``) and returns it."""
        if self.size > 1:
            dist = _dist()
            ops = {"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}
            if op not in ops:
                raise ValueError(f"op must be one of {sorted(ops)}, got {op!r}")
            dist.all_reduce(tensor, ops[op])
        return tensor

    def broadcast(self, tensor: Tensor, src: int = 0) -> Tensor:
        """Overwrites ``tensor`` on every rank with rank ``src``'s (same shape
        and dtype everywhere) and returns it."""
        if self.size > 1:
            _dist().broadcast(tensor, src)
        return tensor

    def all_gather(self, tensor: Tensor, sizes: list[int] | None = None) -> list[Tensor]:
        """Every rank's ``tensor``, in rank order; their first dimensions may
        differ (``sizes`` gives them when every rank knows them, else they are
        exchanged first)."""
        if self.size == 1:
            return [tensor]
        if sizes is None:
            sizes = [int(size) for size in self.all_gather_object(tensor.size(0))]
        longest = max(sizes)
        if longest == 0:
            return [tensor.new_empty((0, *tensor.shape[1:])) for _ in sizes]
        padded = tensor.new_zeros((longest, *tensor.shape[1:]))
        padded[:tensor.size(0)] = tensor
        gathered = [torch.empty_like(padded) for _ in range(self.size)]
        _dist().all_gather(gathered, padded.contiguous())
        return [part[:size] for part, size in zip(gathered, sizes)]

    def broadcast_object(self, value: Any, src: int = 0) -> Any:
        """Rank ``src``'s picklable ``value`` on every rank (keep tensors in it on the CPU)."""
        if self.size == 1:
            return value
        box = [value if self.rank == src else None]
        _dist().broadcast_object_list(box, src)
        return box[0]

    def all_gather_object(self, value: Any) -> list[Any]:
        """Every rank's picklable ``value``, in rank order."""
        if self.size == 1:
            return [value]
        gathered: list[Any] = [None] * self.size
        _dist().all_gather_object(gathered, value)
        return gathered

    def from_main(self, function: Callable[[], T]) -> T:
        """Calls ``function`` on rank 0 only and returns its result on every
        rank (reading a checkpoint or a cache file, so that only rank 0 needs
        the file); an exception on rank 0 is raised on every rank."""
        if self.size == 1:
            return function()
        result, error = None, None
        if self.is_main:
            try:
                result = function()
            except Exception as caught:  # raised on every rank below
                error = _portable(caught)
        result, error = self.broadcast_object((result, error))
        if error is not None:
            raise error
        return result

    def in_turns(self, function: Callable[[], T]) -> T:
        """Calls ``function`` on every rank in three turns: rank 0, then the
        first rank of every other machine, then the rest. Dataset loaders
        stage and process files in a cache on first use; in turns, only one
        process per cache writes it. An exception on any rank is raised on
        every rank."""
        if self.size == 1:
            return function()
        result = None
        for my_turn in (self.rank == 0, self.rank != 0 and self.local_rank == 0, self.local_rank != 0):
            error = None
            if my_turn:
                try:
                    result = function()
                except Exception as caught:  # raised on every rank below
                    error = _portable(caught)
            errors = [e for e in self.all_gather_object(error) if e is not None]
            if errors:
                raise errors[0]
        return result


def _portable(error: Exception) -> Exception:
    """``error`` if it pickles (to raise it on the other ranks), else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


def _env_int(name: str) -> int:
    value = os.environ.get(name)
    if value is None:
        raise RuntimeError(f"WORLD_SIZE is set but {name} is not: start the job with torchrun, "
                           "which sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT")
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"environment variable {name} must be an integer, got {value!r}") from None


def _rank_device(device: str | torch.device, local_rank: int) -> torch.device:
    """The device of the process with ``local_rank`` on its machine: the CPU,
    or GPU number ``local_rank`` (made the current CUDA device).

    Raises:
        ValueError: a device other than CPU and CUDA, or a CUDA index other than ``local_rank``.
        RuntimeError: fewer GPUs on this machine than processes.
    """
    device = torch.device(device)
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise ValueError(f"distributed training runs on cpu (gloo) or cuda (nccl) devices, got {device}")
    if device.index is not None and device.index != local_rank:
        raise ValueError(f"under torchrun each process uses the GPU of its LOCAL_RANK ({local_rank}); "
                         f"pass the device as 'cuda', not '{device}' (CUDA_VISIBLE_DEVICES chooses the GPUs)")
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise RuntimeError(f"LOCAL_RANK is {local_rank} but this machine has {count} GPU(s): "
                           f"start at most {count} processes per machine (torchrun --nproc-per-node {count})")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def init_world(device: str | torch.device | None = None) -> World:
    """Sets up data-parallel training from torchrun's environment variables.

    With ``WORLD_SIZE`` above 1 (torchrun with several processes), picks this
    rank's device (GPU ``LOCAL_RANK`` for a CUDA ``device``, made current;
    else the CPU), initialises the process group (``nccl`` on CUDA, ``gloo``
    on CPU; ``MASTER_ADDR`` / ``MASTER_PORT`` from torchrun's rendezvous) and
    returns the :class:`World`; :meth:`World.shutdown` (or a ``with`` block)
    destroys the group. Otherwise returns a single-process world on
    ``device`` and sets up nothing. ``device`` defaults to CUDA when
    available.

    Example:
        >>> with init_world("cpu") as world:     # not under torchrun: one process
        ...     world.size, world.backend
        (1, None)
    """
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if size <= 1:
        return World(device=device)
    rank, local_rank = _env_int("RANK"), _env_int("LOCAL_RANK")
    device = _rank_device(device, local_rank)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist = _dist()
    if dist.is_initialized():
        return World.current(device)
    options = {"device_id": device} if backend == "nccl" else {}
    dist.init_process_group(backend, rank=rank, world_size=size, **options)
    return World(rank=rank, size=size, local_rank=local_rank, device=device, backend=backend, owns_group=True)
