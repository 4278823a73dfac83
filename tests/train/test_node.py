"""The node-classification training loop."""
import pytest
import torch

from graphrep.nn import LAGCN
from graphrep.train.node import pool_sampler, train_node_classifier
from tests.train.graphs import separable_graph


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def test_trains_a_separable_problem_and_reports_the_selected_epoch():
    data, split = separable_graph()
    torch.manual_seed(0)
    run = train_node_classifier(LAGCN(6, 8, 2, num_generated=0), data, split, epochs=100)
    assert run.test_acc >= 0.9
    assert run.epochs_run == 100 and len(run.history) == 100
    val_losses = [h["val_loss"] for h in run.history]
    assert run.best_epoch == val_losses.index(min(val_losses))
    assert run.val_acc == run.history[run.best_epoch]["val_acc"]


def test_selection_by_accuracy_and_patience():
    data, split = separable_graph()
    torch.manual_seed(0)
    run = train_node_classifier(LAGCN(6, 8, 2, num_generated=0), data, split, epochs=500, lr=0.05,
                                patience=10, select="acc")
    accuracies = [h["val_acc"] for h in run.history]
    assert run.epochs_run < 500
    assert run.epochs_run - 1 - run.best_epoch == 10
    assert run.val_acc == max(accuracies) and accuracies.index(max(accuracies)) == run.best_epoch


def test_masks_and_indices_give_the_same_run():
    data, split = separable_graph()
    masks = {}
    for name, nodes in split.items():
        masks[name] = torch.zeros(data.num_nodes, dtype=torch.bool)
        masks[name][nodes] = True
    results = []
    for chosen in ({name: nodes.sort().values for name, nodes in split.items()}, masks):
        torch.manual_seed(0)
        results.append(train_node_classifier(LAGCN(6, 8, 2, num_generated=0), data, chosen, epochs=20))
    assert results[0].history == results[1].history
    assert results[0].test_acc == results[1].test_acc


def test_augmented_training_calls_the_model_with_generated_features():
    data, split = separable_graph()
    pool = data.x.unsqueeze(0).repeat(6, 1, 1) + 0.1 * torch.randn(6, *data.x.shape)
    draw = pool_sampler(pool, 2, seed=0)
    torch.manual_seed(0)
    run = train_node_classifier(LAGCN(6, 8, 2, num_generated=2), data, split, epochs=60, generated=draw,
                                num_forward=3, consistency=1.0, temperature=0.5)
    assert run.test_acc >= 0.9
    with pytest.raises(ValueError, match="expected 2 generated"):
        train_node_classifier(LAGCN(6, 8, 2, num_generated=2), data, split, epochs=1)


def test_pool_sampler_draws_distinct_matrices_reproducibly():
    pool = torch.arange(10.0).view(10, 1, 1)
    first = [pool_sampler(pool, 3, seed=4)().view(-1).tolist() for _ in range(2)]
    assert first[0] == first[1]
    draw = pool_sampler(pool, 3, seed=4)
    draws = [draw().view(-1).tolist() for _ in range(20)]
    assert all(len(set(d)) == 3 for d in draws)
    assert len({tuple(d) for d in draws}) > 1
    with pytest.raises(ValueError, match="num_generated"):
        pool_sampler(pool, 11)


def test_bad_arguments_are_rejected():
    data, split = separable_graph()
    model = LAGCN(6, 8, 2, num_generated=0)
    with pytest.raises(ValueError, match="select"):
        train_node_classifier(model, data, split, select="f1")
    with pytest.raises(ValueError, match="split lacks"):
        train_node_classifier(model, data, {"train": split["train"]})
    with pytest.raises(ValueError, match="epochs"):
        train_node_classifier(model, data, split, epochs=0)


def test_progress_bar_advances_every_epoch_with_the_loss(captured_bars):
    data, split = separable_graph()
    torch.manual_seed(0)
    run = train_node_classifier(LAGCN(6, 8, 2, num_generated=0), data, split, epochs=5, desc="nodes")
    frames = captured_bars.getvalue().split("\r")
    for epoch, record in enumerate(run.history, 1):
        assert any(f"| {epoch}/5 [" in frame and f"loss={record['train_loss']:.4f}" in frame
                   and f"val_acc={record['val_acc']:.4f}" in frame for frame in frames)
