"""Embeddings from adjacency-like matrices: shifted positive PMI, truncated
SVD, and the named recipes RWPMI (random walks) and GOPMI (graphlet orbits)."""
from graphrep.embed.pmi import pmi_matrix
from graphrep.embed.recipes import gopmi, rwpmi
from graphrep.embed.svd import svd_embedding

__all__ = ["pmi_matrix", "svd_embedding", "rwpmi", "gopmi"]
