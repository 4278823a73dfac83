"""Aggregations: learnable commutative monoids (LCM) with a segment-wise
tree reduction, their operators and their associativity regulariser."""
from graphrep.nn.aggr.associativity import associativity_loss
from graphrep.nn.aggr.lcm import LCMAggregation, segment_tree_reduce
from graphrep.nn.aggr.operators import GRUOperator, MLPOperator

__all__ = ["LCMAggregation", "GRUOperator", "MLPOperator", "associativity_loss",
           "segment_tree_reduce"]
