"""LocalAugmenter: the CVAE of LA-GNN."""

import pytest
import torch
import torch.nn.functional as F

from graphrep.nn import LocalAugmenter


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def two_block_graph(num_nodes=60, num_features=12, binary=True, seed=0):
    """Two communities; a node's features are drawn from its community's
    profile, so a neighbour's features depend on the centre's."""
    generator = torch.Generator().manual_seed(seed)
    block = torch.arange(num_nodes) % 2
    profile = torch.zeros(2, num_features)
    profile[0, : num_features // 2] = 0.8
    profile[1, num_features // 2 :] = 0.8
    probabilities = profile[block] + 0.05
    if binary:
        x = (torch.rand(num_nodes, num_features, generator=generator) < probabilities).float()
    else:
        x = probabilities * 3.0 + 0.2 * torch.randn(num_nodes, num_features, generator=generator)
    same = block[:, None] == block[None, :]
    links = (torch.rand(num_nodes, num_nodes, generator=generator) < 0.15) & same
    links = torch.triu(links, diagonal=1)
    edge_index = torch.cat([links.nonzero().T, links.nonzero().T.flip(0)], dim=1)
    return x, edge_index


def reference_negative_elbo(model, x_neighbour, x_centre, noise):
    """The paper's formulation: linear layers on concatenations, Bernoulli."""
    w_enc = torch.cat([model.encoder_neighbour.weight, model.encoder_centre.weight], dim=1)
    hidden = torch.relu(torch.cat([x_neighbour, x_centre], 1) @ w_enc.T + model.encoder_neighbour.bias)
    mean = model.encoder_mean(hidden)
    log_var = model.encoder_log_var(hidden)
    z = mean + noise * torch.exp(0.5 * log_var)
    w_dec = torch.cat([model.decoder_latent.weight, model.decoder_centre.weight], dim=1)
    decoded = torch.relu(torch.cat([z, x_centre], 1) @ w_dec.T + model.decoder_latent.bias)
    probabilities = torch.sigmoid(model.decoder_out(decoded))
    bce = F.binary_cross_entropy(probabilities, x_neighbour, reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mean**2 - log_var.exp())
    return (bce + kl) / x_neighbour.shape[0]


def test_negative_elbo_matches_concatenated_formulation():
    x, edge_index = two_block_graph()
    model = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=3, likelihood="bernoulli")
    xj, xi = x[edge_index[0, :20]], x[edge_index[1, :20]]
    ours = model.negative_elbo(xj, xi, torch.Generator().manual_seed(5))
    noise = torch.randn(20, 3, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(ours, reference_negative_elbo(model, xj, xi, noise))


def test_fit_decreases_the_negative_elbo():
    x, edge_index = two_block_graph()
    model = LocalAugmenter(x.shape[1], hidden_channels=32, latent_channels=4)
    torch.manual_seed(0)
    model.fit(x, edge_index, epochs=30, batch_size=32, lr=0.01, val_ratio=0.2, patience=30, seed=0)
    history = [entry["val_loss"] for entry in model.history_]
    assert model.likelihood == "bernoulli"
    assert len(history) == 31
    assert min(history) < 0.6 * history[0]
    # independent check: a fresh, untrained CVAE scores worse on all pairs
    fresh = LocalAugmenter(x.shape[1], hidden_channels=32, latent_channels=4, likelihood="bernoulli")
    with torch.no_grad():
        gen = torch.Generator().manual_seed(1)
        trained_loss = model.negative_elbo(x[edge_index[0]], x[edge_index[1]], gen)
        fresh_loss = fresh.negative_elbo(x[edge_index[0]], x[edge_index[1]], torch.Generator().manual_seed(1))
    assert trained_loss < 0.7 * fresh_loss


def test_generated_features_follow_the_centre():
    x, edge_index = two_block_graph()
    model = LocalAugmenter(x.shape[1], hidden_channels=32, latent_channels=4)
    model.fit(x, edge_index, epochs=40, batch_size=32, val_ratio=0.2, patience=40, seed=0)
    generated = model.sample(x, num_samples=8, seed=0).mean(0)
    half = x.shape[1] // 2
    block0 = torch.arange(x.shape[0]) % 2 == 0
    # nodes of block 0 have neighbours rich in the first half of the features
    assert generated[block0, :half].mean() > generated[block0, half:].mean() + 0.3
    assert generated[~block0, half:].mean() > generated[~block0, :half].mean() + 0.3


def test_early_stopping_keeps_the_best_weights():
    x, edge_index = two_block_graph()
    model = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=2)
    model.fit(x, edge_index, epochs=200, batch_size=16, lr=0.05, val_ratio=0.3, patience=2, seed=3)
    history = [entry["val_loss"] for entry in model.history_]
    assert len(history) < 201  # stopped early
    best = min(history)
    stale = len(history) - 1 - history.index(best)
    assert stale == 2


def test_score_selects_the_weights_it_ranks_highest():
    # An arbitrary criterion (a weight's value) that disagrees with the ELBO:
    # the kept weights must be those of the best-scoring measurement after warmup.
    x, edge_index = two_block_graph()
    model = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=2)
    seen = []

    def score(augmenter):
        assert not augmenter.training
        value = float(augmenter.decoder_out.bias[0].detach())
        seen.append((value, augmenter.decoder_out.bias.detach().clone()))
        return value

    model.fit(x, edge_index, epochs=6, batch_size=16, lr=0.05, eval_every=5, patience=100, seed=1,
              score=score, warmup=10)
    scored = [entry for entry in model.history_ if "score" in entry]
    assert len(scored) == len(seen) > 3
    assert all(entry["step"] >= 10 for entry in scored)
    best_value, best_bias = max(seen, key=lambda item: item[0])
    torch.testing.assert_close(model.decoder_out.bias.detach(), best_bias)
    assert not model.training
    # A warm-up longer than the training: nothing is scored, the last weights stay.
    untrained = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=2)
    initial = untrained.decoder_out.bias.detach().clone()
    untrained.fit(x, edge_index, epochs=1, batch_size=16, eval_every=5, seed=1, score=score, warmup=10**6)
    assert not any("score" in entry for entry in untrained.history_)
    assert not torch.equal(untrained.decoder_out.bias.detach(), initial)


def test_sampling_is_reproducible_with_a_seed():
    x, edge_index = two_block_graph()
    model = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=3).fit(x, edge_index, epochs=2)
    first = model.sample(x, num_samples=3, seed=7)
    torch.testing.assert_close(first, model.sample(x, num_samples=3, seed=7), rtol=0, atol=0)
    assert not torch.equal(first, model.sample(x, num_samples=3, seed=8))
    assert not torch.equal(first[0], first[1])
    # node batching does not change the draws' distribution shape or range
    batched = model.sample(x, num_samples=3, seed=7, batch_size=7)
    assert batched.shape == first.shape


@pytest.mark.parametrize("binary", [True, False])
def test_generated_features_have_input_shape_and_range(binary):
    x, edge_index = two_block_graph(binary=binary)
    model = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=3).fit(x, edge_index, epochs=3)
    assert model.likelihood == ("bernoulli" if binary else "gaussian")
    generated = model.sample(x, num_samples=5, seed=0)
    assert generated.shape == (5, *x.shape)
    assert torch.isfinite(generated).all()
    low, high = (0.0, 1.0) if binary else (x.min(0).values, x.max(0).values)
    assert (generated >= low).all() and (generated <= high).all()
    if not binary:
        # gaussian means are on the data's scale, not the standardised one
        assert abs(float(generated.mean()) - float(x.mean())) < 0.5 * float(x.std())


def test_state_dict_round_trip_on_cpu(tmp_path):
    x, edge_index = two_block_graph(binary=False)
    model = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=3).fit(x, edge_index, epochs=2)
    path = tmp_path / "cvae.pt"
    torch.save(model.state_dict(), path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    restored = LocalAugmenter(x.shape[1], hidden_channels=16, latent_channels=3)
    restored.load_state_dict(state)
    assert restored.likelihood == "gaussian"
    torch.testing.assert_close(restored.sample(x, 2, seed=1), model.sample(x, 2, seed=1), rtol=0, atol=0)


def test_fit_accepts_pyg_data_and_skips_self_loops():
    from torch_geometric.data import Data

    x, edge_index = two_block_graph()
    loops = torch.arange(x.shape[0]).repeat(2, 1)
    torch.manual_seed(0)
    with_loops = LocalAugmenter(x.shape[1], 8, 2).fit(Data(x=x, edge_index=torch.cat([edge_index, loops], 1)),
                                                      epochs=1, seed=0)
    torch.manual_seed(0)
    reference = LocalAugmenter(x.shape[1], 8, 2).fit(x, edge_index, epochs=1, seed=0)
    assert with_loops.history_ != [] and reference.history_ != []
    torch.testing.assert_close(with_loops.history_[-1]["val_loss"], reference.history_[-1]["val_loss"])


def test_bad_input_is_rejected():
    x, edge_index = two_block_graph()
    with pytest.raises(ValueError, match="likelihood"):
        LocalAugmenter(4, likelihood="poisson")
    with pytest.raises(ValueError, match="in_channels"):
        LocalAugmenter(0)
    model = LocalAugmenter(x.shape[1], 8, 2)
    with pytest.raises(RuntimeError, match="fit"):
        model.sample(x, 1)
    with pytest.raises(ValueError, match="features but in_channels"):
        LocalAugmenter(3, 8, 2).fit(x, edge_index)
    with pytest.raises(ValueError, match="edge_index"):
        model.fit(x, edge_index + 1000)
    with pytest.raises(ValueError, match="val_ratio"):
        model.fit(x, edge_index, val_ratio=1.0)
    with pytest.raises(TypeError, match="score must be callable"):
        model.fit(x, edge_index, score=0.5)
    with pytest.raises(ValueError, match="warmup"):
        model.fit(x, edge_index, warmup=-1)
    model.fit(x, edge_index, epochs=1)
    with pytest.raises(ValueError, match="x must be"):
        model.sample(x[:, :3], 1)
    with pytest.raises(ValueError, match="seed or generator"):
        model.sample(x, 1, seed=0, generator=torch.Generator())
