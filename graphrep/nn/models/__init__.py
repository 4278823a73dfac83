"""Full models: IRWE's inductive identity and position embeddings."""
from graphrep.nn.models.identity_encoder import IdentityEncoder
from graphrep.nn.models.irwe import IRWE
from graphrep.nn.models.irwe_features import WalkFeatures, stats_dim, structural_order, walk_features
from graphrep.nn.models.irwe_objectives import identity_loss, skipgram_loss
from graphrep.nn.models.position_encoder import PositionEncoder

__all__ = [
    "IRWE", "IdentityEncoder", "PositionEncoder", "WalkFeatures", "walk_features", "structural_order", "stats_dim",
    "identity_loss", "skipgram_loss",
]
