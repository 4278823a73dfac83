"""PyG modules: aggregation (LCM), link prediction (NCN/NCNC), local
augmentation (LA-GNN) and inductive embeddings (IRWE)."""
from graphrep.nn.aggr import GRUOperator, LCMAggregation, MLPOperator, associativity_loss  # noqa: F401
from graphrep.nn.augment import (  # noqa: F401
    LAGAT, LAGCN, LAGCNII, LASAGE, LocalAugmentation, LocalAugmenter, consistency_loss,
)
from graphrep.nn.link import NCNCPredictor, NCNPredictor  # noqa: F401
from graphrep.nn.models import IRWE  # noqa: F401
