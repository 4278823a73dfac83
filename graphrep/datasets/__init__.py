"""Offline-first dataset loaders.

Every loader reads from a data root (the ``root`` argument, else
``$GRAPHREP_DATA``, else ``~/.cache/graphrep``) laid out like this::

    <root>/planetoid/{Cora,CiteSeer,PubMed}/raw/ind.<name>.*
    <root>/airports/{usa,europe,brazil}/raw/
    <root>/email_eu/email-Eu-core.txt, email-Eu-core-department-labels.txt
    <root>/ppi/node2vec_PPI.edgelist, node2vec_PPI_labels.txt
    <root>/ogb/<ogb name with underscores>/   (as ogb's download unpacks it)

graphrep reads the files in place and never writes into a data root; it
never downloads (a missing dataset raises :class:`DatasetNotFoundError`
naming the files to place) and never unpickles a data file: Planetoid's
pickled arrays go through an unpickler that admits only numpy and scipy
arrays, OGB's split files through ``torch.load(weights_only=True)``, and the
text files through graphrep's own strict reader. A crafted file raises
:class:`UnsafeFileError`, a malformed, truncated or incomplete one
:class:`DatasetFormatError` naming the file and line; neither runs code.
OGB graphs are kept in graphrep's cache (``$GRAPHREP_CACHE``, else
``~/.cache/graphrep``) as plain tensors, rebuilt when the raw files change
(their sizes and modification times are recorded).
"""
from __future__ import annotations

import os

from graphrep.datasets._root import (
    DatasetFormatError, DatasetNotFoundError, UnsafeFileError, cache_root, data_root,
)
from graphrep.datasets.airports import AIRPORTS, load_airports
from graphrep.datasets.builtin import BUILTIN_GRAPHS, builtin_graph_path
from graphrep.datasets.email_eu import load_email_eu
from graphrep.datasets.ogb import load_ogb
from graphrep.datasets.planetoid import load_planetoid
from graphrep.datasets.ppi import load_ppi

__all__ = [
    "DatasetNotFoundError", "DatasetFormatError", "UnsafeFileError", "GraphDataset", "OGBDataset", "data_root",
    "cache_root", "load_planetoid", "load_airports", "load_email_eu", "load_ppi", "load_ogb",
    "builtin_graph_path", "load_graph", "GRAPH_NAMES",
]



def __getattr__(name: str):
    if name in ("GraphDataset", "OGBDataset"):  # they import PyG: only on first use
        from graphrep.datasets import _dataset

        return getattr(_dataset, name)
    raise AttributeError(f"module 'graphrep.datasets' has no attribute {name!r}")


GRAPH_NAMES = (
    *BUILTIN_GRAPHS, "cora", "citeseer", "pubmed",
    *(f"airports-{name}" for name in AIRPORTS), "email-eu", "ppi", "ogbl-*", "ogbn-*",
)


def load_graph(name: str, root: str | os.PathLike | None = None):
    """The graph (topology only) of a named dataset, as an input that
    :func:`graphrep.as_graph` accepts: a path for built-in graphs, else a PyG
    ``Data``. Names: see :data:`GRAPH_NAMES`.

    Example:
        >>> from graphrep import as_graph
        >>> as_graph(load_graph("karate")).num_nodes
        34
    """
    key = name.lower()
    if key in BUILTIN_GRAPHS:
        return builtin_graph_path(key)
    if key in ("cora", "citeseer", "pubmed"):
        return load_planetoid(key, root)[0]
    if key.startswith("airports-"):
        return load_airports(key.split("-", 1)[1], root)[0]
    if key == "email-eu":
        return load_email_eu(root)
    if key == "ppi":
        return load_ppi(root)
    if key.startswith(("ogbl-", "ogbn-")):
        return load_ogb(key, root)[0]
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(GRAPH_NAMES)}")
