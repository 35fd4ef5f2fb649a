"""Reusable layers: differentiable augmentations for data-efficient GAN training,
spectral normalization, and the minibatch layers against mode collapse."""

from kerasgan.layers.augment import AdaptiveAugment, DiffAugment
from kerasgan.layers.minibatch import MinibatchDiscrimination, MinibatchStdDev
from kerasgan.layers.spectral_norm import SpectralConv2D, SpectralDense

__all__ = ["DiffAugment", "AdaptiveAugment", "MinibatchDiscrimination", "MinibatchStdDev",
           "SpectralConv2D", "SpectralDense"]
