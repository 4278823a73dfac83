"""Link prediction: Neural Common Neighbor (NCN) and NCN with Completion
(NCNC) predictors, their encoder, baseline predictors (GAE's inner product,
an end-point MLP), and sparse common-neighbour utilities on ``torch.sparse``
CSR adjacencies."""
from graphrep.nn.link.adjacency import common_neighbors, drop_adjacency_entries, link_adjacency, remove_links
from graphrep.nn.link.encoder import NCNEncoder
from graphrep.nn.link.hadamard_mlp import HadamardMLPPredictor
from graphrep.nn.link.inner_product import InnerProductPredictor
from graphrep.nn.link.ncn import NCNPredictor
from graphrep.nn.link.ncnc import NCNCPredictor

__all__ = [
    "NCNPredictor", "NCNCPredictor", "HadamardMLPPredictor", "InnerProductPredictor", "NCNEncoder",
    "link_adjacency", "remove_links", "common_neighbors", "drop_adjacency_entries",
]
