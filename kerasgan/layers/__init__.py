"""Reusable layers: differentiable augmentations for data-efficient GAN training,
spectral normalization, the minibatch layers against mode collapse, reflection padding,
sub-pixel upsampling, progressive growing's equalized layers, pixel norm and fade-in, and
the style-based generator's modulated convolution, constant input and W average, and
dropout whose masks match across replicas."""

from kerasgan.layers.augment import AdaptiveAugment, DiffAugment
from kerasgan.layers.dropout import GlobalBatchDropout
from kerasgan.layers.minibatch import MinibatchDiscrimination, MinibatchStdDev
from kerasgan.layers.padding import ReflectionPadding2D
from kerasgan.layers.pixel_shuffle import PixelShuffle
from kerasgan.layers.progressive import (EqualizedConv2D, EqualizedDense, FadeIn,
                                         PixelNormalization)
from kerasgan.layers.spectral_norm import SpectralConv2D, SpectralDense
from kerasgan.layers.style import ConstantInput, ModulatedConv2D, WAverage

__all__ = ["DiffAugment", "AdaptiveAugment", "MinibatchDiscrimination", "MinibatchStdDev",
           "SpectralConv2D", "SpectralDense", "ReflectionPadding2D", "PixelShuffle",
           "EqualizedConv2D", "EqualizedDense", "FadeIn", "PixelNormalization",
           "ConstantInput", "ModulatedConv2D", "WAverage", "GlobalBatchDropout"]
