"""Link prediction: Neural Common Neighbor (NCN) and NCN with Completion
(NCNC) predictors, their encoder, a GAE baseline predictor, and sparse
common-neighbour utilities on ``torch.sparse`` CSR adjacencies."""
from graphrep.nn.link.adjacency import common_neighbors, drop_adjacency_entries, link_adjacency, remove_links
from graphrep.nn.link.encoder import NCNEncoder
from graphrep.nn.link.gae import GAEPredictor
from graphrep.nn.link.ncn import NCNPredictor
from graphrep.nn.link.ncnc import NCNCPredictor

__all__ = [
    "NCNPredictor", "NCNCPredictor", "GAEPredictor", "NCNEncoder",
    "link_adjacency", "remove_links", "common_neighbors", "drop_adjacency_entries",
]
