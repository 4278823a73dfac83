"""Shared training loops, metrics and checkpoints for the example trainers,
in one process or data-parallel under torchrun (:mod:`graphrep.train.distributed`)."""
from graphrep.train.checkpoint import load_checkpoint, load_matching, save_checkpoint  # noqa: F401
from graphrep.train.distributed import World, init_world  # noqa: F401
from graphrep.train.link import (  # noqa: F401
    LinkSplit, LinkTrainConfig, evaluate_link_predictor, ogb_link_split, random_link_split, summarize_runs,
    train_link_predictor,
)
from graphrep.train.metrics import hits_at_k, link_metrics, mrr  # noqa: F401
from graphrep.train.node import NodeRun, pool_sampler, train_node_classifier  # noqa: F401
