"""DCGAN (Radford et al. 2016): strided (transposed) convolutions, batch norm,
ReLU + Tanh in the generator, LeakyReLU in the discriminator."""

from __future__ import annotations

import keras
from keras import layers

from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN

SIZES = {
    "small": {"base_filters": 32},
    "base": {"base_filters": 64},
    "large": {"base_filters": 128},
}


def upsampling_plan(image_size: int) -> tuple[int, int]:
    """(start size, number of 2x upsamplings) so that start >= 4 and start * 2**n == image_size."""
    start, steps = image_size, 0
    while start % 2 == 0 and start // 2 >= 4:
        start //= 2
        steps += 1
    if steps == 0:
        raise ValueError(
            f"DCGAN needs an image size divisible by 2 with a start of at least 4 "
            f"(e.g. 28, 32, 64). Received: image_size={image_size}"
        )
    return start, steps


def dcgan_generator_body(x, image_shape, base_filters, kernel_size=5):
    """Projects a flat input to (start, start, C) and upsamples to `image_shape` in [-1, 1]."""
    height, width, channels = image_shape
    if height != width:
        raise ValueError(f"DCGAN expects square images. Received: image_shape={image_shape}")
    start, steps = upsampling_plan(height)
    top_filters = base_filters * 2 ** (steps - 1)
    x = layers.Dense(start * start * top_filters * 2, use_bias=False)(x)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((start, start, top_filters * 2))(x)
    for i in range(steps - 1):
        x = layers.Conv2DTranspose(top_filters // 2 ** i, kernel_size, strides=2, padding="same",
                                   use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(channels, kernel_size, strides=2, padding="same")(x)
    return layers.Activation("tanh", dtype="float32", name="images")(x)


D_NORMALIZATIONS = ("batch", "layer", "none")


def dcgan_discriminator_body(x, image_shape, base_filters, kernel_size=5, normalization="batch",
                             minibatch_stddev: int = 0):
    """Strided convs with LeakyReLU (no normalization on the first), flattened features.

    `normalization`: "batch" (DCGAN), "layer" or "none". Use "layer" or "none" with a
    gradient penalty: batch norm couples the samples whose gradients it penalizes.
    `minibatch_stddev`: a group size > 0 appends ProGAN's `MinibatchStdDev` map after
    the last conv, against mode collapse.
    """
    if normalization not in D_NORMALIZATIONS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("discriminator normalization", normalization, D_NORMALIZATIONS)
    _, steps = upsampling_plan(image_shape[0])
    for i in range(steps):
        normalized = i > 0 and normalization != "none"
        x = layers.Conv2D(base_filters * 2 ** i, kernel_size, strides=2, padding="same",
                          use_bias=not normalized)(x)
        if normalized and normalization == "batch":
            x = layers.BatchNormalization(synchronized=True)(x)
        elif normalized:
            x = layers.LayerNormalization(axis=[1, 2, 3])(x)
        x = layers.LeakyReLU(0.2)(x)
    if minibatch_stddev:
        from kerasgan.layers import MinibatchStdDev

        x = MinibatchStdDev(group_size=minibatch_stddev, name="minibatch_stddev")(x)
    return layers.Flatten()(x)


def build_dcgan_generator(latent_dim=100, image_shape=(28, 28, 1), base_filters=64,
                          name="generator") -> keras.Model:
    latents = keras.Input((latent_dim,), name="latents")
    images = dcgan_generator_body(latents, tuple(image_shape), base_filters)
    return keras.Model(latents, images, name=name)


def build_dcgan_discriminator(image_shape=(28, 28, 1), base_filters=64, normalization="batch",
                              minibatch_stddev: int = 0, name="discriminator") -> keras.Model:
    images = keras.Input(tuple(image_shape), name="images")
    features = dcgan_discriminator_body(images, tuple(image_shape), base_filters,
                                        normalization=normalization,
                                        minibatch_stddev=minibatch_stddev)
    logits = layers.Dense(1, dtype="float32", name="logits")(features)
    return keras.Model(images, logits, name=name)


@register_variant("dcgan")
class DCGAN(GAN):
    """Deep convolutional GAN with the paper's Adam(2e-4, beta_1=0.5).

    Example:
    >>> gan = DCGAN.from_size("small", image_shape=(28, 28, 1), ema_decay=0.999)
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist(), epochs=5)   # doctest: +SKIP
    """

    @classmethod
    def from_size(cls, size="base", *, image_shape=(28, 28, 1), latent_dim=100,
                  d_normalization="batch", minibatch_stddev: int = 0, **kwargs):
        """A new, untrained model of a named size ('small', 'base' or 'large').

        `d_normalization`: "batch" (the paper), or "layer" / "none" for a critic trained
        with a gradient penalty (as WGAN-GP prescribes).
        `minibatch_stddev`: a group size (e.g. 4) gives the discriminator the
        `MinibatchStdDev` map against mode collapse; the training batch must then be a
        multiple of it. 0: off (the paper).
        """
        from kerasgan.models import check_minibatch_stddev, check_size

        filters = check_size(SIZES, size)["base_filters"]
        generator = build_dcgan_generator(latent_dim, image_shape, filters)
        discriminator = build_dcgan_discriminator(image_shape, filters, d_normalization,
                                                  check_minibatch_stddev(minibatch_stddev))
        return cls(generator, discriminator, **kwargs)
