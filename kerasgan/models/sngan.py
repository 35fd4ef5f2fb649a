"""SNGAN (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks"): every weight layer of the discriminator spectrally normalized, the
hinge loss (the paper's best), and Adam(2e-4, beta_1=0.5, beta_2=0.999) with one
D step per G step (its setting C, where spectral norm was most robust).

The networks follow the paper's "standard CNN" at the zoo's sizes: a DCGAN
generator with batch norm; a discriminator of 3x3 stride-1 and 4x4 stride-2
convolutions per resolution with LeakyReLU(0.1) and no normalization but the
spectral one. Departure: its width is set by `from_size` (the paper's is 64 to
512 channels), and the number of resolutions follows the image size.

`kerasgan.layers.SpectralConv2D` / `SpectralDense` do the normalization; see
that module for why not `keras.layers.SpectralNormalization`.
"""

from __future__ import annotations

import keras
from keras import layers

from kerasgan import losses as gan_losses
from kerasgan.layers.spectral_norm import SpectralConv2D, SpectralDense
from kerasgan.models._registry import register_variant
from kerasgan.models.dcgan import SIZES, build_dcgan_generator, upsampling_plan
from kerasgan.models.gan import GAN


def build_sn_discriminator(image_shape=(28, 28, 1), base_filters=64,
                           name="discriminator") -> keras.Model:
    """image -> logit through spectrally normalized convolutions (the paper's standard CNN)."""
    images = keras.Input(tuple(image_shape), name="images")
    _, steps = upsampling_plan(image_shape[0])
    x = images
    for i in range(steps):
        filters = base_filters * 2 ** i
        x = SpectralConv2D(filters, 3, padding="same", name=f"sn_conv{i}_a")(x)
        x = layers.LeakyReLU(0.1)(x)
        x = SpectralConv2D(filters, 4, strides=2, padding="same", name=f"sn_conv{i}_b")(x)
        x = layers.LeakyReLU(0.1)(x)
    x = layers.Flatten()(x)
    logits = SpectralDense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


@register_variant("sngan")
class SNGAN(GAN):
    """Hinge-loss GAN with a spectrally normalized discriminator.

    Example:
    >>> gan = SNGAN.from_size("small", image_shape=(28, 28, 1))
    >>> gan.compile()                          # hinge loss, Adam(2e-4, 0.5, 0.999)
    >>> gan.fit(kerasgan.data.fashion_mnist(), epochs=1)   # doctest: +SKIP
    """

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), latent_dim=100, **kwargs):
        """A new, untrained model of a named size (DCGAN's: 'small', 'base', 'large')."""
        from kerasgan.models import check_size

        filters = check_size(SIZES, size)["base_filters"]
        return cls(build_dcgan_generator(latent_dim, image_shape, filters),
                   build_sn_discriminator(image_shape, filters), **kwargs)

    def default_loss(self):
        return gan_losses.Hinge()
