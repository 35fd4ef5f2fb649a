"""The vanilla GAN (Goodfellow et al. 2014): fully connected generator and discriminator."""

from __future__ import annotations

import math

import keras
from keras import layers

from kerasgan.layers.dropout import GlobalBatchDropout
from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN

SIZES = {
    "small": {"hidden_units": (256, 512)},
    "base": {"hidden_units": (256, 512, 1024)},
}


def build_mlp_generator(latent_dim=100, image_shape=(28, 28, 1), hidden_units=(256, 512, 1024),
                        name="generator") -> keras.Model:
    """z -> Dense/ReLU blocks -> Dense(tanh) -> image in [-1, 1].

    The paper's generator uses ReLU hidden units and a bounded output; batch norm
    after each hidden layer is the now-standard stabiliser.
    """
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    for units in hidden_units:
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization(momentum=0.8, synchronized=True)(x)
        x = layers.ReLU()(x)
    x = layers.Dense(math.prod(image_shape), activation="tanh")(x)
    images = layers.Reshape(image_shape, name="images")(x)
    return keras.Model(latents, images, name=name)


def build_mlp_discriminator(image_shape=(28, 28, 1), hidden_units=(1024, 512, 256),
                            dropout=0.3, minibatch_stddev: int = 0,
                            name="discriminator") -> keras.Model:
    """image -> Dense/LeakyReLU/Dropout blocks -> one logit (maxout replaced by LeakyReLU).

    `minibatch_stddev`: a group size > 0 appends `MinibatchStdDev` (the features'
    spread over groups of that many samples) before the logit, against mode collapse.
    """
    images = keras.Input(image_shape, name="images")
    x = layers.Flatten()(images)
    for units in hidden_units:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = GlobalBatchDropout(dropout)(x)
    if minibatch_stddev:
        from kerasgan.layers import MinibatchStdDev

        x = MinibatchStdDev(group_size=minibatch_stddev, name="minibatch_stddev")(x)
    logits = layers.Dense(1, name="logits")(x)
    return keras.Model(images, logits, name=name)


@register_variant("vanilla", aliases=("gan",))
class VanillaGAN(GAN):
    """Goodfellow et al. 2014 with MLP networks.

    Example:
    >>> gan = VanillaGAN.from_size("small", image_shape=(28, 28, 1))
    >>> gan.compile()
    """

    @classmethod
    def from_size(cls, size="base", *, image_shape=(28, 28, 1), latent_dim=100,
                  minibatch_stddev: int = 0, **kwargs):
        """A new, untrained model of a named size ('small' or 'base').

        `minibatch_stddev`: a group size (e.g. 4) gives the discriminator the
        `MinibatchStdDev` feature against mode collapse (`docs/mode_collapse.md`); the
        training batch must then be a multiple of it. 0: off (the paper).
        """
        from kerasgan.models import check_minibatch_stddev, check_size

        hidden = check_size(SIZES, size)["hidden_units"]
        generator = build_mlp_generator(latent_dim, tuple(image_shape), hidden)
        discriminator = build_mlp_discriminator(tuple(image_shape), tuple(reversed(hidden)),
                                                minibatch_stddev=check_minibatch_stddev(
                                                    minibatch_stddev))
        return cls(generator, discriminator, **kwargs)
