"""LCMAggregation against a naive per-segment reduction, and its contracts:
gradients, identity for empty neighbourhoods, batch independence, unsorted
input, ptr input, permutation augmentation, use inside MessagePassing."""
import pytest
import torch
from torch_geometric.nn import SAGEConv

from graphrep.nn import LCMAggregation
from graphrep.nn.aggr import segment_tree_reduce


class AddOperator(torch.nn.Module):
    """Exactly associative and commutative (on integers stored as floats)."""

    def forward(self, a, b):
        return a + b


class OrderedOperator(torch.nn.Module):
    """Deliberately not commutative: shows which element went left."""

    def forward(self, a, b):
        return 2 * a + b


def naive_tree(elements, operator, identity):
    """One segment, in plain Python: pair (0, 1), (2, 3), ... and carry an odd
    last element, level after level."""
    if not elements:
        return identity
    level = list(elements)
    while len(level) > 1:
        nxt = [operator(level[i].unsqueeze(0), level[i + 1].unsqueeze(0)).squeeze(0)
               for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def reference(aggr, x, index, dim_size):
    h = aggr.encode(x)
    rows = [naive_tree([h[i] for i in range(len(index)) if index[i] == node], aggr.operator,
                       aggr.identity) for node in range(dim_size)]
    return aggr.decode(torch.stack(rows))


def random_segments(sizes, channels, generator, dtype=torch.float64):
    index = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    x = torch.randn(int(index.numel()), channels, generator=generator, dtype=dtype)
    return x, index


@pytest.mark.parametrize("operator", ["gru", "mlp"])
def test_matches_naive_reduction_on_random_sizes(operator):
    generator = torch.Generator().manual_seed(1)
    sizes = torch.randint(0, 41, (30,), generator=generator).tolist() + [0, 1, 2, 3, 32, 33, 40]
    x, index = random_segments(sizes, 5, generator)
    torch.manual_seed(0)
    aggr = LCMAggregation(5, 3, operator=operator, hidden_channels=6).double()
    torch.nn.init.normal_(aggr.identity)
    out = aggr(x, index, dim_size=len(sizes))
    expected = reference(aggr, x, index, len(sizes))
    assert out.shape == (len(sizes), 3)
    torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-10)


def test_pairing_order_is_the_documented_one():
    # With a non-commutative operator, the tree shape is visible in the result.
    h = torch.arange(1.0, 6.0).view(5, 1)  # one segment: 1 2 3 4 5
    out = segment_tree_reduce(h, torch.zeros(5, dtype=torch.long), 1, OrderedOperator(),
                              torch.zeros(1))
    level1 = [2 * 1 + 2, 2 * 3 + 4, 5]
    level2 = [2 * level1[0] + level1[1], level1[2]]
    assert out.item() == 2 * level2[0] + level2[1]


@pytest.mark.parametrize("operator", ["gru", "mlp"])
def test_gradcheck(operator):
    torch.manual_seed(0)
    aggr = LCMAggregation(3, 2, operator=operator, hidden_channels=4).double()
    torch.nn.init.normal_(aggr.identity)
    generator = torch.Generator().manual_seed(2)
    x, index = random_segments([0, 1, 3, 2, 5], 3, generator)
    x.requires_grad_(True)
    params = list(aggr.parameters())

    def function(x, *weights):
        return aggr(x, index, dim_size=5)

    assert torch.autograd.gradcheck(function, (x, *params))


def test_empty_segments_return_the_identity():
    torch.manual_seed(0)
    aggr = LCMAggregation(4, 3, hidden_channels=5)
    torch.nn.init.normal_(aggr.identity)
    x = torch.randn(4, 4)
    index = torch.tensor([1, 1, 3, 3])
    out = aggr(x, index, dim_size=6)  # 0, 2, 4 and 5 are empty
    expected = aggr.lin_out(aggr.identity)
    for node in (0, 2, 4, 5):
        assert torch.equal(out[node], expected)
    assert not torch.allclose(out[1], expected)
    assert aggr(x[:0], index[:0], dim_size=2).tolist() == [expected.tolist()] * 2


def test_empty_identity_gets_gradient():
    aggr = LCMAggregation(2, 2)
    out = aggr(torch.randn(2, 2), torch.tensor([0, 0]), dim_size=3)
    out[1:].sum().backward()
    assert aggr.identity.grad.abs().sum() > 0


def test_output_of_a_node_ignores_the_rest_of_the_batch():
    torch.manual_seed(0)
    aggr = LCMAggregation(4, 4).double()
    generator = torch.Generator().manual_seed(3)
    x, index = random_segments([3], 4, generator)
    alone = aggr(x, index)
    # Add a huge neighbourhood (which sets PyG's padding) and an empty one.
    other, _ = random_segments([200], 4, generator)
    batch = torch.cat([other, x])
    batch_index = torch.cat([torch.zeros(200, dtype=torch.long), torch.full((3,), 2)])
    together = aggr(batch, batch_index, dim_size=4)
    torch.testing.assert_close(together[2], alone[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(together[1], aggr.empty_output(), rtol=0, atol=0)


def test_unsorted_index_equals_sorted_input():
    torch.manual_seed(0)
    aggr = LCMAggregation(4, 4).double()
    generator = torch.Generator().manual_seed(4)
    x, index = random_segments([5, 0, 7, 1, 12], 4, generator)
    # Interleave the segments but keep each segment's internal order.
    keys = torch.rand(index.numel(), generator=generator)
    shuffled = torch.argsort(keys)
    restore = shuffled[torch.argsort(index[shuffled], stable=True)]
    assert torch.equal(index[shuffled][torch.argsort(index[shuffled], stable=True)], index)
    x_shuffled, index_shuffled = x[shuffled], index[shuffled]
    expected = reference(aggr, x_shuffled[torch.argsort(index_shuffled, stable=True)],
                         index, 5)
    torch.testing.assert_close(aggr(x_shuffled, index_shuffled, dim_size=5), expected,
                               rtol=1e-10, atol=1e-10)
    assert restore.numel() == index.numel()


def test_ptr_equals_index():
    torch.manual_seed(0)
    aggr = LCMAggregation(4, 2)
    x = torch.randn(6, 4)
    index = torch.tensor([0, 0, 2, 2, 2, 3])
    ptr = torch.tensor([0, 2, 2, 5, 6])
    torch.testing.assert_close(aggr(x, ptr=ptr), aggr(x, index, dim_size=4), rtol=0, atol=0)


def test_permutation_only_in_training_mode():
    aggr = LCMAggregation(1, 1, project=False, operator=OrderedOperator(), permute=True)
    x = torch.arange(1.0, 9.0).view(8, 1)
    index = torch.zeros(8, dtype=torch.long)
    aggr.eval()
    fixed = {aggr(x, index).item() for _ in range(5)}
    assert fixed == {naive_tree(list(x), OrderedOperator(), None).item()}
    aggr.train()
    torch.manual_seed(0)
    shuffled = {aggr(x, index).item() for _ in range(20)}
    assert len(shuffled) > 1
    # An exactly commutative and associative operator is blind to the shuffle.
    summing = LCMAggregation(1, 1, project=False, operator=AddOperator(), permute=True).train()
    assert {summing(x, index).item() for _ in range(10)} == {36.0}


def test_inside_message_passing_with_unsorted_edges():
    torch.manual_seed(0)
    aggr = LCMAggregation(8, 8)
    conv = SAGEConv(8, 4, aggr=aggr)
    x = torch.randn(5, 8)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 0], [1, 0, 1, 1, 0, 3]])  # node 2, 4 isolated
    out = conv(x, edge_index)
    messages = aggr(x[edge_index[0]], edge_index[1], dim_size=5)
    expected = conv.lin_l(messages) + conv.lin_r(x)
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert aggr.operator.cell.weight_ih.grad is not None


def test_repr_and_reset():
    aggr = LCMAggregation(3, 4, operator="mlp", hidden_channels=6)
    assert repr(aggr) == ("LCMAggregation(3, 4, project=True, operator=MLPOperator(6, "
                          "hidden_channels=6), hidden_channels=6, permute=False)")
    with torch.no_grad():
        aggr.identity.fill_(1.0)
    aggr.reset_parameters()
    assert torch.equal(aggr.identity, torch.zeros(6))


@pytest.mark.parametrize("kwargs, message", [
    ({"in_channels": 0, "out_channels": 2}, "in_channels"),
    ({"in_channels": 2, "out_channels": 2.0}, "out_channels"),
    ({"in_channels": 2, "out_channels": 2, "hidden_channels": -1}, "hidden_channels"),
    ({"in_channels": 3, "out_channels": 2, "project": False}, "project=False"),
    ({"in_channels": 2, "out_channels": 2, "operator": "lstm"}, "operator"),
])
def test_constructor_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LCMAggregation(**kwargs)
    with pytest.raises(TypeError, match="operator"):
        LCMAggregation(2, 2, operator=torch.add)


def test_forward_validation():
    aggr = LCMAggregation(2, 2)
    x = torch.randn(3, 2)
    with pytest.raises(ValueError, match="channels"):
        aggr(torch.randn(3, 5), torch.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match="index"):
        aggr(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="index must lie"):
        aggr(x, torch.tensor([0, 1, 5]), dim_size=2)
    with pytest.raises(ValueError, match="ptr"):
        aggr(x, ptr=torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="non-decreasing"):
        aggr(x, ptr=torch.tensor([0, 3, 2, 3]))
    with pytest.raises(ValueError, match="two-dimensional"):
        aggr(torch.randn(2, 3, 2), torch.tensor([0, 0, 1]))
