"""Graphlets G0..G8 on 2-4 nodes, their orbits 0..14 (Przulj's numbering)
and the 28 orbit adjacency keys ``(hop, o1, o2)``.

An orbit adjacency matrix ``M[(hop, o1, o2)]`` counts, for an ordered node
pair ``(u, v)``, the induced connected graphlets that hold ``u`` on orbit
``o1`` and ``v`` on orbit ``o2`` at distance ``hop`` inside the graphlet.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "ORBIT_ADJACENCY_KEYS", "NUM_ORBITS", "GRAPHLET_OF_ORBIT", "GRAPHLET_SIZE",
    "OrbitKey", "key_index", "parse_key", "format_key",
]


class OrbitKey(NamedTuple):
    hop: int
    o1: int
    o2: int


ORBIT_ADJACENCY_KEYS: tuple[OrbitKey, ...] = tuple(
    OrbitKey(*key)
    for key in [
        (1, 0, 0),                                                   # G0 edge
        (1, 1, 2), (1, 2, 1), (2, 1, 1),                             # G1 3-path
        (1, 3, 3),                                                   # G2 triangle
        (1, 4, 5), (1, 5, 4), (2, 4, 5), (2, 5, 4), (1, 5, 5), (3, 4, 4),  # G3 4-path
        (1, 6, 7), (1, 7, 6), (2, 6, 6),                             # G4 3-star
        (1, 8, 8), (2, 8, 8),                                        # G5 4-cycle
        (1, 9, 11), (1, 11, 9), (1, 10, 10), (1, 10, 11), (1, 11, 10), (2, 9, 10), (2, 10, 9),  # G6 paw
        (1, 12, 13), (1, 13, 12), (1, 13, 13), (2, 12, 12),          # G7 diamond
        (1, 14, 14),                                                 # G8 4-clique
    ]
)

NUM_ORBITS = 15

# Orbit -> graphlet index (G0..G8), and graphlet -> node count.
GRAPHLET_OF_ORBIT = (0, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 6, 7, 7, 8)
GRAPHLET_SIZE = (2, 3, 3, 4, 4, 4, 4, 4, 4)

_INDEX = {key: i for i, key in enumerate(ORBIT_ADJACENCY_KEYS)}


def key_index(key) -> int:
    """Position of ``key`` in :data:`ORBIT_ADJACENCY_KEYS`.

    Example:
        >>> key_index((2, 1, 1))
        3
    """
    try:
        return _INDEX[OrbitKey(*key)]
    except (KeyError, TypeError):
        shown = format_key(key) if isinstance(key, tuple) and len(key) == 3 else repr(key)
        raise ValueError(f"keys: {shown} is not one of the 28 orbit adjacency keys") from None


def parse_key(text: str) -> OrbitKey:
    """Parses ``"h2_o1_o1"``, ``"2,1,1"`` or ``"2:1:1"`` into a key.

    Example:
        >>> parse_key("h2_o4_o5")
        OrbitKey(hop=2, o1=4, o2=5)
    """
    cleaned = text.strip().lower().replace("h", " ").replace("o", " ")
    for separator in "_,:":
        cleaned = cleaned.replace(separator, " ")
    try:
        key = OrbitKey(*(int(part) for part in cleaned.split()))
    except (TypeError, ValueError):
        raise ValueError(f"keys: cannot parse {text!r}; use hop_o1_o2 such as h2_o1_o1") from None
    key_index(key)
    return key


def format_key(key) -> str:
    """File stem of a key, ``h{hop}_o{o1}_o{o2}``.

    Example:
        >>> format_key((1, 0, 0))
        'h1_o0_o0'
    """
    hop, o1, o2 = key
    return f"h{hop}_o{o1}_o{o2}"
