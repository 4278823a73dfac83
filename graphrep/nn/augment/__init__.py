"""Local augmentation (LA-GNN, Liu et al., ICML 2022): a conditional VAE of
neighbour features and the models that train on its samples."""
from graphrep.nn.augment.consistency import consistency_loss
from graphrep.nn.augment.lagat import LAGAT
from graphrep.nn.augment.lagcn import LAGCN
from graphrep.nn.augment.lagcnii import LAGCNII
from graphrep.nn.augment.lasage import LASAGE
from graphrep.nn.augment.local_augmentation import LocalAugmentation
from graphrep.nn.augment.local_augmenter import LocalAugmenter

__all__ = ["LocalAugmenter", "LocalAugmentation", "LAGCN", "LAGAT", "LASAGE", "LAGCNII",
           "consistency_loss"]
