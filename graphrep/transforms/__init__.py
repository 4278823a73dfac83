"""PyG ``BaseTransform`` classes that add graphrep's structural features to ``data.x``."""
from graphrep.transforms.orbit_counts import AddOrbitCounts  # noqa: F401
from graphrep.transforms.random_walk_se import AddRandomWalkSE  # noqa: F401
