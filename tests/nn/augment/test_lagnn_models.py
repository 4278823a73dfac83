"""LocalAugmentation, the ready-made LA models and the consistency loss."""
import numpy as np
import pytest
import torch
from torch_geometric.nn import GCNConv
from torch_geometric.nn.models import GAT, GCN, GraphSAGE

from graphrep.nn import LAGAT, LAGCN, LAGCNII, LASAGE, LocalAugmentation, consistency_loss


pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.fixture
def graph():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(12, 5, generator=generator)
    edge_index = torch.randint(0, 12, (2, 40), generator=generator)
    return x, edge_index


class Rest(torch.nn.Module):
    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, h, edge_index):
        return self.conv(h, edge_index)


class First(torch.nn.Module):
    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x, edge_index):
        return torch.relu(self.conv(x, edge_index))


def test_zero_generated_copies_equal_the_backbone(graph):
    x, edge_index = graph
    first, rest = First(GCNConv(5, 8)), Rest(GCNConv(8, 3))
    backbone_out = rest(first(x, edge_index), edge_index)
    for mode in ("concat", "average"):
        wrapped = LocalAugmentation(first, rest, num_generated=0, mode=mode)
        torch.testing.assert_close(wrapped(x, edge_index), backbone_out, rtol=0, atol=0)
        torch.testing.assert_close(wrapped(x, edge_index, torch.empty(0, 12, 5)), backbone_out, rtol=0, atol=0)


@pytest.mark.parametrize(
    "ours, theirs, copy_weights",
    [
        (lambda: LAGCN(5, 8, 3, num_generated=0, num_layers=3, dropout=0.0),
         lambda: GCN(5, 8, 3, out_channels=3), "gcn"),
        (lambda: LASAGE(5, 8, 3, num_generated=0, num_layers=2, dropout=0.0),
         lambda: GraphSAGE(5, 8, 2, out_channels=3), "sage"),
    ],
)
def test_ready_made_models_without_copies_equal_pyg_models(graph, ours, theirs, copy_weights):
    x, edge_index = graph
    torch.manual_seed(0)
    model, reference = ours().eval(), theirs().eval()
    convs = [model.branches[0].layer, *model.rest.convs]
    for mine, other in zip(convs, reference.convs):
        mine.load_state_dict(other.state_dict())
    torch.testing.assert_close(model(x, edge_index), reference(x, edge_index))


def test_lagat_without_copies_equals_a_two_layer_gat(graph):
    x, edge_index = graph
    model = LAGAT(5, 4, 3, num_generated=0, heads=2, dropout=0.0).eval()
    reference = GAT(5, 8, 2, out_channels=3, heads=2, v2=False, act="elu").eval()  # 8 = 2 heads x 4
    model.branches[0].layer.load_state_dict(reference.convs[0].state_dict())
    # PyG's GAT averages the last layer's heads; ours has one output head
    reference.convs[1] = model.rest.convs[0]
    torch.testing.assert_close(model(x, edge_index), reference(x, edge_index))


def test_concat_and_average_combine_the_branches(graph):
    x, edge_index = graph
    generated = torch.rand(2, 12, 5, generator=torch.Generator().manual_seed(1))
    concat = LocalAugmentation(First(GCNConv(5, 4)), None, num_generated=2, mode="concat")
    branch_outputs = [branch(features, edge_index)
                      for branch, features in zip(concat.branches, [x, generated[0], generated[1]])]
    torch.testing.assert_close(concat(x, edge_index, generated), torch.cat(branch_outputs, -1))
    torch.testing.assert_close(concat(x, edge_index, list(generated)), torch.cat(branch_outputs, -1))
    average = LocalAugmentation(First(GCNConv(5, 4)), Rest(GCNConv(4, 3)), num_generated=2, mode="average")
    branch_outputs = [branch(features, edge_index)
                      for branch, features in zip(average.branches, [x, generated[0], generated[1]])]
    expected = average.rest((branch_outputs[0] + branch_outputs[1] + branch_outputs[2]) / 3, edge_index)
    torch.testing.assert_close(average(x, edge_index, generated), expected)


def test_copies_are_independent_and_freshly_initialised():
    first = First(GCNConv(5, 4))
    model = LocalAugmentation(first, None, num_generated=2)
    assert model.branches[0] is first
    weights = [branch.conv.lin.weight for branch in model.branches]
    assert weights[1] is not weights[0]
    assert not torch.equal(weights[0], weights[1]) and not torch.equal(weights[1], weights[2])


@pytest.mark.parametrize("cls", [LAGCN, LAGAT, LASAGE, LAGCNII])
@pytest.mark.parametrize("mode", ["concat", "average"])
def test_models_train_and_shape(graph, cls, mode):
    x, edge_index = graph
    kwargs = {"num_layers": 2} if cls is LAGCNII else {}
    model = cls(5, 4, 3, num_generated=2, mode=mode, **kwargs)
    out = model(x, edge_index, torch.rand(2, 12, 5))
    assert out.shape == (12, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in model.branches[2].parameters())
    assert cls.__name__ in repr(model)


def test_wrapper_rejects_bad_input(graph):
    x, edge_index = graph
    with pytest.raises(ValueError, match="mode"):
        LocalAugmentation(First(GCNConv(5, 4)), mode="sum")
    with pytest.raises(ValueError, match="num_generated"):
        LocalAugmentation(First(GCNConv(5, 4)), num_generated=-1)
    with pytest.raises(TypeError, match="first_layer"):
        LocalAugmentation(lambda x, e: x)
    model = LAGCN(5, 4, 3, num_generated=2)
    with pytest.raises(ValueError, match="expected 2 generated"):
        model(x, edge_index, torch.rand(1, 12, 5))
    with pytest.raises(ValueError, match="num_layers"):
        LAGCN(5, 4, 3, num_layers=1)


def naive_consistency(logits, temperature):
    """GRAND's loss written out with numpy loops."""
    logits = np.asarray(logits, dtype=np.float64)
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    average = probabilities.mean(0)
    total = 0.0
    for s in range(probabilities.shape[0]):
        for i in range(probabilities.shape[1]):
            sharpened = average[i] ** (1 / temperature)
            sharpened = sharpened / sharpened.sum()
            total += ((probabilities[s, i] - sharpened) ** 2).sum()
    return total / (probabilities.shape[0] * probabilities.shape[1])


@pytest.mark.parametrize("temperature", [0.2, 0.5, 1.0])
def test_consistency_loss_matches_a_naive_reference(temperature):
    logits = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    expected = naive_consistency(logits.numpy(), temperature)
    assert float(consistency_loss(logits, temperature)) == pytest.approx(expected, rel=1e-10)
    assert float(consistency_loss(list(logits), temperature)) == pytest.approx(expected, rel=1e-10)


def test_consistency_loss_does_not_train_the_target():
    logits = torch.randn(3, 5, 4, requires_grad=True)
    consistency_loss(logits).backward()
    # the target is detached: gradients equal those of a constant target
    probabilities = logits.detach().softmax(-1)
    sharpened = probabilities.mean(0) ** 2
    target = sharpened / sharpened.sum(-1, keepdim=True)
    leaf = logits.detach().clone().requires_grad_(True)
    ((leaf.softmax(-1) - target) ** 2).sum(-1).mean().backward()
    torch.testing.assert_close(logits.grad, leaf.grad)
    with pytest.raises(ValueError, match="temperature"):
        consistency_loss(logits, temperature=0)
