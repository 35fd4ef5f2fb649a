"""Reusable layers: differentiable augmentations for data-efficient GAN training."""

from kerasgan.layers.augment import AdaptiveAugment, DiffAugment

__all__ = ["DiffAugment", "AdaptiveAugment"]
