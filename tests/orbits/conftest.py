import os
import subprocess
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from graphrep.orbits import available_backends

from ..conftest import SHARED_DATA

BACKENDS = available_backends()


def _find_orca() -> Path | None:
    candidates = [os.environ.get("GRAPHREP_ORCA")]
    if SHARED_DATA is not None:
        candidates.append(SHARED_DATA.parent / "peers" / "orca" / "orca")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


ORCA = _find_orca()
needs_orca = pytest.mark.skipif(ORCA is None, reason="ORCA not found ($GRAPHREP_ORCA or ../shared/peers/orca/orca)")


def run_orca(num_nodes: int, edges, mode: str, size: int, folder: Path) -> np.ndarray:
    """ORCA's ``orca MODE SIZE`` output on the graph with nodes ``0..num_nodes-1``
    and ``edges`` (each once): a row per node, or per edge in the given order."""
    source, target = folder / "orca.in", folder / "orca.out"
    source.write_text(f"{num_nodes} {len(edges)}\n" + "".join(f"{a} {b}\n" for a, b in edges))
    subprocess.run([str(ORCA), mode, str(size), str(source), str(target)], check=True, capture_output=True)
    return np.loadtxt(target, dtype=np.int64, ndmin=2)


def disjoint_union(graphs) -> nx.Graph:
    """One graph holding all of ``graphs`` as components: orbit adjacencies
    are local, so one kernel call checks hundreds of small graphs."""
    return nx.disjoint_union_all([nx.convert_node_labels_to_integers(g) for g in graphs])


@pytest.fixture(scope="session")
def atlas_union() -> nx.Graph:
    return disjoint_union(g for g in nx.graph_atlas_g()[1:] if 2 <= g.number_of_nodes() <= 7)


@pytest.fixture(scope="session")
def random_union() -> nx.Graph:
    rng = np.random.default_rng(0)
    graphs = []
    for i in range(300):
        n = int(rng.integers(5, 15))
        graphs.append(nx.gnp_random_graph(n, float(rng.uniform(0.1, 0.9)), seed=i))
    graphs += [nx.star_graph(9), nx.complete_graph(8), nx.empty_graph(3), nx.wheel_graph(9),
               nx.complete_bipartite_graph(3, 5), nx.petersen_graph()]
    return disjoint_union(graphs)


def assert_same(left, right):
    assert set(left) == set(right)
    for key in right:
        difference = left[key] != right[key]
        assert difference.nnz == 0, f"{key} differs at {np.argwhere(difference.toarray())[:3]}"
