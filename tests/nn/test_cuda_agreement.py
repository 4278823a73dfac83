"""CUDA against CPU for graphrep's torch modules: same weights, same inputs,
same outputs and gradients. Skipped on machines without a GPU."""
import pytest
import torch
from torch_geometric.utils import barabasi_albert_graph

import graphrep.nn as gnn
from graphrep.nn.link import InnerProductPredictor, NCNEncoder, common_neighbors, link_adjacency

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

CUDA = torch.device("cuda")
TOLERANCE = dict(atol=1e-4, rtol=1e-4)


@pytest.fixture(autouse=True)
def exact_float32_matmul():
    """TF32 would make CUDA products differ from the CPU's in the 4th digit."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.mark.parametrize("operator", ["gru", "mlp"])
def test_lcm_forward_and_gradients(operator):
    torch.manual_seed(0)
    aggr = gnn.LCMAggregation(16, 16, operator=operator)
    x = torch.randn(500, 16, requires_grad=True)
    index = torch.randint(0, 120, (500,))  # unsorted; segments 120-129 stay empty
    aggr(x, index, dim_size=130).square().sum().backward()
    want = [aggr(x, index, dim_size=130).detach(), x.grad.clone(), *(p.grad.clone() for p in aggr.parameters())]
    aggr = aggr.to(CUDA)
    aggr.zero_grad()
    x_cuda = x.detach().to(CUDA).requires_grad_()
    out = aggr(x_cuda, index.to(CUDA), dim_size=130)
    out.square().sum().backward()
    got = [out.detach(), x_cuda.grad, *(p.grad for p in aggr.parameters())]
    for g, w in zip(got, want):
        torch.testing.assert_close(g.cpu(), w, **TOLERANCE)


def test_common_neighbours_and_link_predictors():
    torch.manual_seed(0)
    edges = barabasi_albert_graph(400, 6)
    adj = link_adjacency(edges, 400)
    pairs = torch.randint(0, 400, (2, 3000))
    torch.testing.assert_close(common_neighbors(adj.to(CUDA), pairs.to(CUDA), chunk_size=1000).to_dense().cpu(),
                               common_neighbors(adj, pairs).to_dense())
    x = torch.randn(400, 32)
    for predictor in (gnn.NCNPredictor(32, 32), gnn.NCNCPredictor(32, 32), InnerProductPredictor()):
        encoder = NCNEncoder(32, 32, 1, jk=True).eval()
        predictor.eval()
        with torch.no_grad():
            want = predictor(encoder(x, adj), adj, pairs)
            encoder, predictor = encoder.to(CUDA), predictor.to(CUDA)
            got = predictor(encoder(x.to(CUDA), adj.to(CUDA)), adj.to(CUDA), pairs.to(CUDA))
        torch.testing.assert_close(got.cpu(), want, **TOLERANCE)


def test_local_augmenter_and_lagcn():
    torch.manual_seed(0)
    edges = barabasi_albert_graph(400, 6)
    features = (torch.rand(400, 50) < 0.1).float()
    augmenter = gnn.LocalAugmenter(50, 32, 4).to(CUDA).fit(features.to(CUDA), edges.to(CUDA), epochs=2, seed=0)
    first, second = augmenter.sample(features, 2, seed=3), augmenter.sample(features, 2, seed=3)
    assert first.device.type == "cuda" and torch.equal(first, second)
    model = gnn.LAGCN(50, 8, 3, num_generated=1).eval()
    with torch.no_grad():
        want = model(features, edges, first[:1].cpu())
        got = model.to(CUDA)(features.to(CUDA), edges.to(CUDA), first[:1])
    torch.testing.assert_close(got.cpu(), want, **TOLERANCE)
