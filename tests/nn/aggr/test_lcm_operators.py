"""Commutative operators against torch.nn.GRUCell, and the associativity
regulariser against a direct computation."""
import pytest
import torch

from graphrep.nn import GRUOperator, LCMAggregation, MLPOperator, associativity_loss


@pytest.mark.parametrize("make", [lambda: GRUOperator(16), lambda: MLPOperator(16, 32)])
def test_exactly_commutative(make):
    torch.manual_seed(0)
    op = make()
    a, b = torch.randn(300, 16) * 3, torch.randn(300, 16) * 3
    assert torch.equal(op(a, b), op(b, a))


def test_gru_operator_matches_symmetrised_gru_cell_with_gradients():
    torch.manual_seed(0)
    op = GRUOperator(6).double()
    a = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    b = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    out = op(a, b)
    expected = 0.5 * (op.cell(a, b) + op.cell(b, a))
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    weights = torch.randn_like(out)
    inputs = [a, b, *op.parameters()]
    got = torch.autograd.grad((out * weights).sum(), inputs)
    want = torch.autograd.grad((expected * weights).sum(), inputs)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-12)


def test_gru_operator_without_bias_and_gradcheck():
    torch.manual_seed(0)
    op = GRUOperator(3).double()
    op.cell = torch.nn.GRUCell(3, 3, bias=False).double()
    a = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(op(a, b), 0.5 * (op.cell(a, b) + op.cell(b, a)))
    assert torch.autograd.gradcheck(lambda a, b, *w: op(a, b), (a, b, *op.parameters()))


def test_mlp_operator_formula():
    torch.manual_seed(0)
    op = MLPOperator(4, 5)
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    expected = op.lin2(torch.relu(op.lin1(torch.cat([a + b, a * b], -1))))
    torch.testing.assert_close(op(a, b), expected)


@pytest.mark.parametrize("channels", [0, -2, 1.5, True])
def test_operator_validation(channels):
    with pytest.raises(ValueError, match="channels"):
        GRUOperator(channels)
    with pytest.raises(ValueError, match="channels"):
        MLPOperator(channels)


class Add(torch.nn.Module):
    def forward(self, a, b):
        return a + b


def test_associativity_loss_matches_direct_computation():
    torch.manual_seed(0)
    aggr = LCMAggregation(3, 4)
    x = torch.randn(10, 3)
    loss = associativity_loss(aggr, x, num_triples=50, generator=torch.Generator().manual_seed(5))
    picks = torch.randint(10, (3, 50), generator=torch.Generator().manual_seed(5))
    a, b, c = (aggr.encode(x[p]) for p in picks)
    op = aggr.operator
    expected = ((op(op(a, b), c) - op(a, op(b, c))) ** 2).sum(-1).mean()
    torch.testing.assert_close(loss, expected)
    assert loss > 0
    loss.backward()
    assert aggr.operator.cell.weight_hh.grad.abs().sum() > 0


def test_associativity_loss_is_zero_for_an_associative_operator():
    aggr = LCMAggregation(3, 3, project=False, operator=Add())
    assert associativity_loss(aggr, torch.randint(0, 5, (20, 3)).float()).item() == 0.0


def test_associativity_loss_validation():
    aggr = LCMAggregation(3, 3)
    with pytest.raises(TypeError, match="aggr"):
        associativity_loss(GRUOperator(3), torch.randn(4, 3))
    with pytest.raises(ValueError, match="x must"):
        associativity_loss(aggr, torch.randn(0, 3))
    with pytest.raises(ValueError, match="channels"):
        associativity_loss(aggr, torch.randn(4, 2))
    with pytest.raises(ValueError, match="num_triples"):
        associativity_loss(aggr, torch.randn(4, 3), num_triples=0)
