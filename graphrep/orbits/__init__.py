"""Graphlet orbit adjacency matrices (GRADCO), node and edge orbit counts,
edge orbit and graphlet adjacencies.

>>> from graphrep.orbits import ORBIT_ADJACENCY_KEYS, orbit_adjacency
>>> len(ORBIT_ADJACENCY_KEYS)
28
"""
from graphrep.orbits import brute
from graphrep.orbits.adjacency import OrbitAdjacency, available_backends, orbit_adjacency
from graphrep.orbits.budget import OutputTooLargeError
from graphrep.orbits.counts import (
    EdgeOrbitAdjacency, GraphletAdjacency, edge_orbit_adjacency, edge_orbit_counts, graphlet_adjacency, orbit_counts,
)
from graphrep.orbits.estimate import OrbitEstimate, estimate
from graphrep.orbits.writer import load_orbit_adjacency, write_orbit_adjacency
from graphrep.orbits.keys import NUM_ORBITS, ORBIT_ADJACENCY_KEYS, OrbitKey, format_key, parse_key
from graphrep.orbits.systems import EDGE_ORBIT_ENDPOINTS, NUM_EDGE_ORBITS

__all__ = [
    "ORBIT_ADJACENCY_KEYS", "NUM_ORBITS", "NUM_EDGE_ORBITS", "EDGE_ORBIT_ENDPOINTS", "OrbitKey", "OrbitAdjacency",
    "orbit_adjacency", "orbit_counts", "edge_orbit_counts", "edge_orbit_adjacency", "graphlet_adjacency",
    "EdgeOrbitAdjacency", "GraphletAdjacency", "available_backends", "brute", "format_key", "parse_key",
    "estimate", "OrbitEstimate", "OutputTooLargeError", "write_orbit_adjacency", "load_orbit_adjacency",
]
