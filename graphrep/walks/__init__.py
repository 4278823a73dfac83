"""Random walks: fast Numba walkers (uniform and node2vec), anonymous walks,
random-walk structural encodings and random-walk adjacency matrices.

Importing this package compiles nothing: each Numba kernel compiles on its
first call and is cached on disk.
"""
from graphrep.walks.adjacency import sampled_walk_adjacency, transition_matrix, walk_adjacency
from graphrep.walks.anonymous import (
    anonymize,
    anonymous_walk_distribution,
    anonymous_walk_patterns,
)
from graphrep.walks.encodings import return_probabilities
from graphrep.walks.sampling import make_node2vec, pyg_random_walk, random_walk, sample_walks

__all__ = [
    "sample_walks", "random_walk", "pyg_random_walk", "make_node2vec",
    "anonymize", "anonymous_walk_patterns", "anonymous_walk_distribution",
    "return_probabilities",
    "transition_matrix", "walk_adjacency", "sampled_walk_adjacency",
]
