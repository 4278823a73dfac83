"""The small MLP blocks shared by the link predictors (the published NCN
layouts: Linear, optional LayerNorm, Dropout, ReLU)."""
from __future__ import annotations

from torch import nn


def _norm(channels: int, layer_norm: bool) -> nn.Module:
    return nn.LayerNorm(channels) if layer_norm else nn.Identity()


def pair_mlp(in_channels: int, hidden_channels: int, dropout: float, layer_norm: bool,
             tail_act: bool) -> nn.Sequential:
    """Encodes ``x_i * x_j``: Linear, norm, dropout, ReLU[, Linear]."""
    layers = [nn.Linear(in_channels, hidden_channels), _norm(hidden_channels, layer_norm),
              nn.Dropout(dropout), nn.ReLU()]
    if not tail_act:
        layers.append(nn.Linear(hidden_channels, hidden_channels))
    return nn.Sequential(*layers)


def neighbour_mlp(in_channels: int, hidden_channels: int, dropout: float, layer_norm: bool,
                  tail_act: bool) -> nn.Sequential:
    """Encodes the summed common-neighbour embedding: two Linear layers."""
    layers = [nn.Linear(in_channels, hidden_channels), nn.Dropout(dropout), nn.ReLU(),
              nn.Linear(hidden_channels, hidden_channels), _norm(hidden_channels, layer_norm),
              nn.Dropout(dropout), nn.ReLU()]
    if not tail_act:
        layers.append(nn.Linear(hidden_channels, hidden_channels))
    return nn.Sequential(*layers)


def output_mlp(hidden_channels: int, dropout: float, layer_norm: bool, two_layer: bool) -> nn.Sequential:
    """Maps the pair representation to one logit."""
    layers = [nn.Linear(hidden_channels, hidden_channels), _norm(hidden_channels, layer_norm),
              nn.Dropout(dropout), nn.ReLU()]
    if two_layer:
        layers += [nn.Linear(hidden_channels, hidden_channels), _norm(hidden_channels, layer_norm),
                   nn.Dropout(dropout), nn.ReLU()]
    layers.append(nn.Linear(hidden_channels, 1))
    return nn.Sequential(*layers)


def node_mlp(hidden_channels: int, dropout: float, layer_norm: bool) -> nn.Sequential:
    """The residual node transform applied before common-neighbour sums."""
    return nn.Sequential(nn.Linear(hidden_channels, hidden_channels), nn.Dropout(dropout), nn.ReLU(),
                         nn.Linear(hidden_channels, hidden_channels), _norm(hidden_channels, layer_norm),
                         nn.Dropout(dropout), nn.ReLU())


def reset(module: nn.Module) -> None:
    for layer in module.modules():
        if layer is not module and hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
