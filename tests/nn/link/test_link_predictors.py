import pytest
import torch

from graphrep.nn.link import (HadamardMLPPredictor, InnerProductPredictor, NCNCPredictor, NCNEncoder, NCNPredictor,
                              link_adjacency)


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def small_task(seed=0, n=25):
    generator = torch.Generator().manual_seed(seed)
    dense = (torch.rand(n, n, generator=generator) < 0.25).triu(1)
    dense = dense | dense.t()
    adj = link_adjacency(dense.nonzero().t(), n)
    x = torch.randn(n, 16, generator=generator)
    pairs = torch.randint(0, n, (2, 60), generator=generator)
    return dense, adj, x, pairs


def test_ncn_matches_dense_formula():
    dense, adj, x, pairs = small_task()
    torch.manual_seed(0)
    predictor = NCNPredictor(16, 16, node_transform=True).eval()
    x_cn = x + predictor.node_mlp(x)
    common = (dense[pairs[0]] & dense[pairs[1]]).float()
    expected = predictor.output_mlp(predictor.neighbour_mlp(common @ x_cn) * predictor.beta
                                    + predictor.pair_mlp(x[pairs[0]] * x[pairs[1]])).squeeze(-1)
    torch.testing.assert_close(predictor(x, adj, pairs), expected)


@pytest.mark.parametrize("depth", [1, 2])
def test_ncnc_with_zero_completion_probability_equals_ncn(depth):
    _, adj, x, pairs = small_task(1)
    torch.manual_seed(0)
    ncn = NCNPredictor(16, 16, node_transform=True, two_layer_out=True).eval()
    ncnc = NCNCPredictor(16, 16, node_transform=True, two_layer_out=True, depth=depth, prior=0.0).eval()
    ncnc.load_state_dict(ncn.state_dict())
    torch.testing.assert_close(ncnc(x, adj, pairs), ncn(x, adj, pairs))
    ncnc.prior, ncnc.offset = 0.5, 0.0
    assert not torch.allclose(ncnc(x, adj, pairs), ncn(x, adj, pairs))


@pytest.mark.parametrize("published_input", [False, True])
def test_ncnc_depth_one_matches_dense_completion(published_input):
    dense, adj, x, pairs = small_task(2)
    torch.manual_seed(0)
    predictor = NCNCPredictor(16, 16, prior=0.6, scale=2.0, offset=0.5, alpha=0.8, node_transform=True,
                              published_completion_input=published_input).eval()
    n, count = dense.size(0), pairs.size(1)
    with torch.no_grad():
        x_cn = x + predictor.node_mlp(x)
        # The published code scores completion links from the transformed embeddings.
        lower_input = x_cn if published_input else x
        all_pairs = torch.cartesian_prod(torch.arange(n), torch.arange(n)).t()
        probability = predictor.completion_probability(predictor(lower_input, adj, all_pairs, depth=0)).view(n, n)
    x_cn = x + predictor.node_mlp(x)
    a_u, a_v = dense[pairs[0]].float(), dense[pairs[1]].float()
    only_u, only_v = a_u * (1 - a_v), a_v * (1 - a_u)
    only_u[torch.arange(count), pairs[1]] = 0
    only_v[torch.arange(count), pairs[0]] = 0
    weights = a_u * a_v + only_u * probability[pairs[1]] + only_v * probability[pairs[0]]
    expected = predictor.output_mlp(predictor.neighbour_mlp(weights @ x_cn) * predictor.beta
                                    + predictor.pair_mlp(x[pairs[0]] * x[pairs[1]])).squeeze(-1)
    out = predictor(x, adj, pairs)
    torch.testing.assert_close(out, expected)
    # The completion weights are constants: gradients equal those of the formula with fixed weights.
    reference = torch.autograd.grad(expected.sum(), list(predictor.parameters()))
    for got, want in zip(torch.autograd.grad(out.sum(), list(predictor.parameters())), reference):
        torch.testing.assert_close(got, want)


def test_inner_product_predictor_reads_the_reconstructed_adjacency():
    _, adj, x, pairs = small_task(5)
    h = NCNEncoder(16, 8, 2, aggr="gcn", linear=True)(x, adj)
    dense = h @ h.T  # GAE's reconstruction logits, all pairs
    torch.testing.assert_close(InnerProductPredictor()(h, adj, pairs), dense[pairs[0], pairs[1]])
    assert list(InnerProductPredictor().parameters()) == []
    with pytest.raises(ValueError, match="pairs"):
        InnerProductPredictor()(h, adj, pairs.T)


def test_encoder_and_baseline_shapes_and_validation():
    _, adj, x, pairs = small_task(4)
    h = NCNEncoder(16, 8, 2, residual=True, jk=True, linear=True)(x, adj)
    assert h.shape == (25, 8)
    assert HadamardMLPPredictor(8, 8)(h, adj, pairs).shape == (60,)
    with pytest.raises(ValueError, match="x must have shape"):
        NCNPredictor(8, 8)(x, adj, pairs)
    with pytest.raises(ValueError, match="node_transform"):
        NCNPredictor(8, 16, node_transform=True)
    with pytest.raises(ValueError, match="prior"):
        NCNCPredictor(8, 8, prior=1.5)
    with pytest.raises(ValueError, match="aggr"):
        NCNEncoder(8, 8, aggr="max")
