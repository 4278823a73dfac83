"""Shared training loops, metrics and checkpoints for the example trainers."""
from graphrep.train.node import NodeRun, pool_sampler, train_node_classifier  # noqa: F401
