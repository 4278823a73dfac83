"""The base of the ready-made LA models (LAGCN, LAGAT, LASAGE, LAGCNII)."""
from __future__ import annotations

from graphrep.nn.augment.local_augmentation import LocalAugmentation


class ReadyMadeAugmentation(LocalAugmentation):
    """A :class:`LocalAugmentation` built from channel sizes; it shows them
    in its ``repr`` as PyG models do."""

    in_channels: int
    hidden_channels: int
    out_channels: int

    def _repr_options(self) -> str:
        """Model-specific ``name=value, `` pairs shown before the shared ones."""
        return ""

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"{self._repr_options()}num_generated={self.num_generated}, mode={self.mode!r})")
