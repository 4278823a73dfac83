r"""How walk counts decompose into graphlet orbit adjacencies.

For two distinct nodes ``u != v``, every walk of length ``k <= 3`` from ``u``
to ``v`` lies inside one induced graphlet on at most four nodes, so the
walk-count matrices are fixed non-negative integer combinations of the orbit
adjacency matrices ``M(hop, o1, o2)`` of :func:`graphrep.orbits.orbit_adjacency`:

.. math::

    A &= M_{1,0,0} \\
    A^2 &= M_{2,1,1} + M_{1,3,3} \\
    A^3 &= M_{1,0,0} + M_{1,1,2} + M_{1,2,1} + 2 M_{1,3,3}
          + M_{3,4,4} + M_{1,8,8} + M_{2,9,10} + M_{2,10,9} \\
        &\quad + M_{1,12,13} + M_{1,13,12} + 2 M_{2,12,12} + 2 M_{1,14,14}

(off the diagonal). The first four terms of ``A^3`` count the walks that
revisit a node, ``u-v-x-v`` and ``u-x-u-v``: ``A_{uv}(d_u + d_v - 1)``. The
others count the paths ``u-a-b-v`` by the graphlet they induce: a 4-path
(``u``, ``v`` at its ends), a 4-cycle, a paw (``u``, ``v`` on its tail end and
a triangle corner), a diamond (twice when ``u``, ``v`` are its two
degree-2 nodes) and a 4-clique (twice). On the diagonal, ``(A^2)_{uu}`` is
orbit 0 (the degree) and ``(A^3)_{uu}`` twice orbit 3 (triangles).
"""
from __future__ import annotations

from collections.abc import Mapping

import scipy.sparse as sp

__all__ = ["WALK_ORBIT_IDENTITIES", "UNSEEN_BY_SHORT_WALKS", "walk_count_from_orbits"]

#: ``{k: {orbit key: coefficient}}``: ``(A^k)_{uv}`` for ``u != v``.
WALK_ORBIT_IDENTITIES: dict[int, dict[tuple[int, int, int], int]] = {
    1: {(1, 0, 0): 1},
    2: {(2, 1, 1): 1, (1, 3, 3): 1},
    3: {
        (1, 0, 0): 1, (1, 1, 2): 1, (1, 2, 1): 1, (1, 3, 3): 2,
        (3, 4, 4): 1, (1, 8, 8): 1, (2, 9, 10): 1, (2, 10, 9): 1,
        (1, 12, 13): 1, (1, 13, 12): 1, (2, 12, 12): 2, (1, 14, 14): 2,
    },
}

#: Orbit adjacency keys that appear in none of ``A``, ``A^2``, ``A^3``.
UNSEEN_BY_SHORT_WALKS: tuple[tuple[int, int, int], ...] = (
    (1, 4, 5), (1, 5, 4), (2, 4, 5), (2, 5, 4), (1, 5, 5),
    (1, 6, 7), (1, 7, 6), (2, 6, 6),
    (2, 8, 8),
    (1, 9, 11), (1, 11, 9), (1, 10, 10), (1, 10, 11), (1, 11, 10),
    (1, 13, 13),
)


def walk_count_from_orbits(orbit_adjacency: Mapping, length: int) -> sp.csr_array:
    """``A^length`` with its diagonal zeroed, rebuilt from orbit adjacency
    matrices by :data:`WALK_ORBIT_IDENTITIES`.

    Args:
        orbit_adjacency: the mapping returned by :func:`graphrep.orbits.orbit_adjacency`.
        length: ``1``, ``2`` or ``3``.

    Example:
        >>> import numpy as np
        >>> from graphrep.datasets import load_graph
        >>> from graphrep import as_graph
        >>> from graphrep.orbits import orbit_adjacency
        >>> graph = as_graph(load_graph("karate"))
        >>> a = graph.to_scipy().toarray()
        >>> cube = a @ a @ a
        >>> np.fill_diagonal(cube, 0)
        >>> bool(np.array_equal(walk_count_from_orbits(orbit_adjacency(graph), 3).toarray(), cube))
        True
    """
    if length not in WALK_ORBIT_IDENTITIES:
        raise ValueError(f"length must be 1, 2 or 3, got {length!r}")
    terms = [coefficient * sp.csr_array(orbit_adjacency[key])
             for key, coefficient in WALK_ORBIT_IDENTITIES[length].items()]
    total = sum(terms[1:], terms[0])
    return sp.csr_array(total)
