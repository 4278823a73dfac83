"""Numba kernels for random walks.

Every kernel compiles on its first call (``cache=True`` keeps the machine code
on disk), never at import. Randomness comes from one SplitMix64 stream per
walk, seeded by hashing ``(key, walk index)``, so the output depends on the
seed only, never on how ``prange`` splits the walks across threads.
"""
from __future__ import annotations

import numba
import numpy as np

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STREAM = np.uint64(0xD1B54A32D192ED03)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53
# Walks stepped together by one thread: independent memory loads overlap.
_BLOCK = 128


@numba.njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(inline="always", cache=True)
def stream_state(key, walk):
    """The starting state of walk ``walk``'s private stream."""
    return _mix(key ^ (np.uint64(walk) * _STREAM + _GAMMA))


@numba.njit(inline="always", cache=True)
def next_u64(state):
    state = state + _GAMMA
    return state, _mix(state)


@numba.njit(inline="always", cache=True)
def below(bits, bound):
    """Maps 64 random bits to ``[0, bound)`` (multiply-shift, ``bound < 2**32``)."""
    return np.int64(((bits >> _S32) * np.uint64(bound)) >> _S32)


@numba.njit(inline="always", cache=True)
def unit(bits):
    """Maps 64 random bits to a float in ``[0, 1)``."""
    return np.float64(bits >> _S11) * _UNIT


@numba.njit(inline="always", cache=True)
def _block_buffers(block, num_walks, walk_length):
    """Block ``block``'s first walk, its walks' stream states and its
    step-major buffer ``steps[walk_length + 1, walks]``: the walks of a block
    advance together, in cache."""
    lo = block * _BLOCK
    size = min(lo + _BLOCK, num_walks) - lo
    return lo, size, np.empty(size, dtype=np.uint64), np.empty((walk_length + 1, size), dtype=np.int64)


@numba.njit(inline="always", cache=True)
def _store_block(steps, out, lo):
    """Copies a block's step-major buffer into its rows of ``out``."""
    for i in range(steps.shape[1]):
        for step in range(steps.shape[0]):
            out[lo + i, step] = steps[step, i]


@numba.njit(parallel=True, cache=True)
def uniform_walks(indptr, indices, start, walk_length, key, out):
    num_walks = start.shape[0]
    num_blocks = (num_walks + _BLOCK - 1) // _BLOCK
    for block in numba.prange(num_blocks):
        lo, size, states, steps = _block_buffers(block, num_walks, walk_length)
        for i in range(size):
            states[i] = stream_state(key, lo + i)
            steps[0, i] = start[lo + i]
        for step in range(1, walk_length + 1):
            for i in range(size):
                node = steps[step - 1, i]
                begin = indptr[node]
                degree = indptr[node + 1] - begin
                if degree > 0:
                    state, bits = next_u64(states[i])
                    states[i] = state
                    node = indices[begin + below(bits, degree)]
                steps[step, i] = node
        _store_block(steps, out, lo)
    return out


@numba.njit(inline="always", cache=True)
def _is_neighbor(indices, begin, end, target):
    lo = begin
    hi = end
    while lo < hi:
        mid = (lo + hi) >> 1
        value = indices[mid]
        if value < target:
            lo = mid + 1
        elif value > target:
            hi = mid
        else:
            return True
    return False


@numba.njit(parallel=True, cache=True)
def node2vec_walks(indptr, indices, start, walk_length, p, q, key, out):
    """Second-order walks by rejection sampling against a folded envelope:
    every neighbour gets mass ``bound = max(1, 1/q)`` and the previous node
    gets ``max(1/p, bound)``, so a return step never needs a rejection and
    a membership search runs only when the acceptance test is undecided.
    Like :func:`uniform_walks`, a thread steps a block of walks together so
    their independent memory reads overlap; each walk keeps its own stream,
    so the walks do not depend on the blocking."""
    inv_p = 1.0 / p
    inv_q = 1.0 / q
    bound = max(1.0, inv_q)
    return_mass = max(inv_p, bound)
    extra = return_mass - bound
    low = min(1.0, inv_q) / bound
    num_walks = start.shape[0]
    num_blocks = (num_walks + _BLOCK - 1) // _BLOCK
    for block in numba.prange(num_blocks):
        lo, size, states, steps = _block_buffers(block, num_walks, walk_length)
        # the first step is uniform: there is no previous node yet
        for i in range(size):
            state = stream_state(key, lo + i)
            node = start[lo + i]
            steps[0, i] = node
            begin = indptr[node]
            degree = indptr[node + 1] - begin
            if degree > 0:
                state, bits = next_u64(state)
                node = indices[begin + below(bits, degree)]
            steps[1, i] = node
            states[i] = state
        for step in range(2, walk_length + 1):
            for i in range(size):
                node = steps[step - 1, i]
                begin = indptr[node]
                degree = indptr[node + 1] - begin
                if degree == 0:  # an isolated start, or a sink of a directed CSR, holds
                    steps[step, i] = node
                    continue
                previous = steps[step - 2, i]
                state = states[i]
                mass = degree * bound + extra
                prev_begin = indptr[previous]
                prev_end = indptr[previous + 1]
                while True:
                    state, bits = next_u64(state)
                    draw = unit(bits) * mass
                    if draw >= degree * bound:
                        candidate = previous
                        break
                    candidate = indices[begin + min(np.int64(draw / bound), degree - 1)]
                    if candidate == previous:
                        if inv_p >= return_mass:
                            break
                        state, bits = next_u64(state)
                        if unit(bits) * return_mass < inv_p:
                            break
                        continue
                    state, bits = next_u64(state)
                    accept = unit(bits)
                    if accept < low:
                        break
                    # Undecided: the weight is 1 for a common neighbour, 1/q otherwise.
                    weight = 1.0 if _is_neighbor(indices, prev_begin, prev_end, candidate) else inv_q
                    if accept * bound < weight:
                        break
                states[i] = state
                steps[step, i] = candidate
        _store_block(steps, out, lo)
    return out


@numba.njit(parallel=True, cache=True)
def anonymize_rows(walks, out):
    length = walks.shape[1]
    for row in numba.prange(walks.shape[0]):
        seen = np.empty(length, dtype=walks.dtype)
        num_seen = 0
        for col in range(length):
            node = walks[row, col]
            label = -1
            for k in range(num_seen):
                if seen[k] == node:
                    label = k
                    break
            if label < 0:
                seen[num_seen] = node
                label = num_seen
                num_seen += 1
            out[row, col] = label
    return out


@numba.njit(parallel=True, cache=True)
def return_probabilities(indptr, indices, walk_length, num_blocks, out):
    """``out[i, k - 1] = (P^k)_{ii}`` for ``P = D^-1 A``, from the rows
    ``x_t = e_i P^t`` with ``t <= ceil(K / 2)`` only: reversibility
    (``d_i (P^t)_{ij} = d_j (P^t)_{ji}``) gives
    ``(P^{s+t})_{ii} = sum_j x_s[j] x_t[j] d_i / d_j``."""
    n = indptr.shape[0] - 1
    half = (walk_length + 1) // 2
    for block in numba.prange(num_blocks):
        previous = np.zeros(n, dtype=np.float64)
        current = np.zeros(n, dtype=np.float64)
        previous_support = np.empty(n, dtype=np.int64)
        current_support = np.empty(n, dtype=np.int64)
        for source in range(block, n, num_blocks):
            degree_i = indptr[source + 1] - indptr[source]
            if degree_i == 0:
                continue
            previous[source] = 1.0
            previous_support[0] = source
            num_previous = 1
            for t in range(1, half + 1):
                num_current = 0
                for s in range(num_previous):
                    j = previous_support[s]
                    share = previous[j] / (indptr[j + 1] - indptr[j])
                    for e in range(indptr[j], indptr[j + 1]):
                        k = indices[e]
                        if current[k] == 0.0:
                            current_support[num_current] = k
                            num_current += 1
                        current[k] += share
                odd = 0.0  # k = 2t - 1 pairs x_t with x_(t-1)
                even = 0.0  # k = 2t pairs x_t with itself
                for s in range(num_current):
                    j = current_support[s]
                    weight = current[j] / (indptr[j + 1] - indptr[j])
                    odd += weight * previous[j]
                    even += weight * current[j]
                out[source, 2 * t - 2] = odd * degree_i
                if 2 * t <= walk_length:
                    out[source, 2 * t - 1] = even * degree_i
                for s in range(num_previous):
                    previous[previous_support[s]] = 0.0
                for s in range(num_current):
                    j = current_support[s]
                    previous[j] = current[j]
                    previous_support[s] = j
                    current[j] = 0.0
                num_previous = num_current
            for s in range(num_previous):
                previous[previous_support[s]] = 0.0
    return out


@numba.njit(parallel=True, cache=True)
def window_pairs(walks, window, rows, cols):
    """Every ordered pair ``(w[i], w[i + r])`` with ``1 <= r <= window``,
    written at fixed offsets so threads never share an output slot."""
    length = walks.shape[1]
    per_walk = 0
    for r in range(1, window + 1):
        per_walk += max(length - r, 0)
    for w in numba.prange(walks.shape[0]):
        slot = w * per_walk
        for r in range(1, window + 1):
            for i in range(length - r):
                rows[slot] = walks[w, i]
                cols[slot] = walks[w, i + r]
                slot += 1
    return per_walk
