"""PyG ``BaseTransform`` classes that add graphrep's structural features to
``data.x`` and ``data.edge_attr``."""
from graphrep.transforms.edge_orbit_counts import AddEdgeOrbitCounts  # noqa: F401
from graphrep.transforms.orbit_counts import AddOrbitCounts  # noqa: F401
from graphrep.transforms.random_walk_se import AddRandomWalkSE  # noqa: F401
