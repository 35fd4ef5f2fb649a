"""BiGAN / ALI (Donahue et al. 2017, "Adversarial Feature Learning"; Dumoulin et al.
2017, "Adversarially Learned Inference").

An encoder E maps images to latents beside the generator G; the discriminator
judges (image, latent) pairs: (x, E(x)) for real images, (G(z), z) for generated
ones. G and E are trained together to fool it (group `g`: `[generator, encoder]`),
which at the optimum makes E invert G. `encode(images)` gives the latents (the
features for downstream tasks), `reconstruct(images)` is G(E(x)).

Networks (the papers' MNIST ones, at the zoo's size): a DCGAN generator; a
convolutional encoder with batch norm; a discriminator with an image path (strided
convolutions, LeakyReLU, dropout 0.2 as in ALI), a latent path (two dense layers)
and a joint path on their concatenation. Adam(2e-4, beta_1=0.5) for both groups
(BiGAN's settings); the non-saturating loss. Departure: Gaussian latents (the
papers use uniform for BiGAN, Gaussian for ALI).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.layers.dropout import GlobalBatchDropout
from kerasgan.models._registry import register_variant
from kerasgan.models.dcgan import SIZES, build_dcgan_generator, upsampling_plan
from kerasgan.models.gan import GAN, GroupLosses, UpdateGroup
from kerasgan.utils import check_image_batch


def build_encoder(image_shape=(28, 28, 1), latent_dim=64, base_filters=64,
                  name="encoder") -> keras.Model:
    """image -> latent: strided convolutions with batch norm, then a linear layer."""
    images = keras.Input(tuple(image_shape), name="images")
    _, steps = upsampling_plan(image_shape[0])
    x = images
    for i in range(steps):
        x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same",
                          use_bias=i == 0)(x)
        if i > 0:
            x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    latents = layers.Dense(latent_dim, dtype="float32", name="latents")(x)
    return keras.Model(images, latents, name=name)


def build_joint_discriminator(image_shape=(28, 28, 1), latent_dim=64, base_filters=64,
                              dropout=0.2, name="discriminator") -> keras.Model:
    """[image, latent] -> logit."""
    images = keras.Input(tuple(image_shape), name="images")
    latents = keras.Input((latent_dim,), name="latents")
    _, steps = upsampling_plan(image_shape[0])
    x = images
    for i in range(steps):
        x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same")(x)
        x = GlobalBatchDropout(dropout)(layers.LeakyReLU(0.2)(x))
    x = layers.Flatten()(x)
    z = latents
    for _ in range(2):
        z = GlobalBatchDropout(dropout)(layers.LeakyReLU(0.2)(layers.Dense(base_filters * 8)(z)))
    joint = layers.Concatenate()([x, z])
    joint = GlobalBatchDropout(dropout)(layers.LeakyReLU(0.2)(layers.Dense(base_filters * 16)(joint)))
    logits = layers.Dense(1, dtype="float32", name="logits")(joint)
    return keras.Model([images, latents], logits, name=name)


@register_variant("bigan", aliases=("ali",))
class BiGAN(GAN):
    """A GAN with an encoder trained to invert the generator. Trains on images.

    Example:
    >>> gan = BiGAN.from_size("small")
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist(), epochs=1)          # doctest: +SKIP
    >>> z = gan.encode(images)                                     # doctest: +SKIP
    >>> same_kind = gan.reconstruct(images)                        # doctest: +SKIP
    """

    task = "encoding"
    NETWORKS = ("generator", "discriminator", "encoder")
    SAMPLED_NETWORKS = ("generator", "encoder")
    # A penalty on (image, latent) pairs would need both interpolated; the shipped
    # penalties take images only.
    PENALTY_GROUPS = ()
    UNROLLABLE = False

    def __init__(self, generator, discriminator, *, encoder, **kwargs):
        super().__init__(generator, discriminator, encoder=encoder, **kwargs)
        if tuple(self.encoder.outputs[0].shape[1:]) != (self.latent_dim,):
            raise ValueError(f"The encoder must output latents of size {self.latent_dim} "
                             f"(the generator's input). Received: "
                             f"{tuple(self.encoder.outputs[0].shape[1:])}")

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), latent_dim=64,
                  d_dropout: float = 0.2, **kwargs):
        """A new, untrained model of a named size (DCGAN's: 'small', 'base', 'large');
        `d_dropout` is the discriminator's dropout rate (ALI's 0.2)."""
        from kerasgan.models import check_size

        filters = check_size(SIZES, size)["base_filters"]
        return cls(build_dcgan_generator(latent_dim, image_shape, filters),
                   build_joint_discriminator(image_shape, latent_dim, filters, d_dropout),
                   encoder=build_encoder(image_shape, latent_dim, filters), **kwargs)

    def update_groups(self):
        return (UpdateGroup("d", ("discriminator",), self.d_steps),
                UpdateGroup("g", ("generator", "encoder")))

    def unpack(self, data):
        images, _ = super().unpack(data)
        return images, None

    def discriminator_inputs(self, images, latents):
        return [images, latents]

    def loss_terms(self, group, batch, training=True):
        """`d`: (x, E(x)) real, (G(z), z) fake. `g`: the same pairs with the labels swapped."""
        real, _ = batch
        latents = self.sample_latents(tf.shape(real)[0])
        fake = self.generator(latents, training=training)
        encoded = self.encoder(real, training=training)
        if group == "d":
            fake, encoded = tf.stop_gradient(fake), tf.stop_gradient(encoded)
        real_logits = self.discriminate(real, encoded, training=training)
        fake_logits = self.discriminate(fake, latents, training=training)
        if group == "d":
            return GroupLosses(
                {"loss": self.d_loss_fn.discriminator_loss(real_logits, fake_logits)},
                real_logits=real_logits)
        return GroupLosses({"loss": self.g_loss_fn.discriminator_loss(fake_logits, real_logits)})

    # ------------------------------------------------------------- encoding
    def check_images(self, images) -> np.ndarray:
        """uint8 `(N, H, W, C)` in [0, 255] (or `(N, H, W)` for one channel), or floats in
        [-1, 1], as float32 in [-1, 1]."""
        return check_image_batch(images, self.image_shape)

    def encode(self, images, *, batch_size: int = 256) -> np.ndarray:
        """Latents `(N, latent_dim)` of images (from the encoder's EMA when there is one)."""
        images = self.check_images(images)
        encoder = self.sampling_network("encoder")
        return np.concatenate([encoder(images[i:i + batch_size], training=False).numpy()
                               for i in range(0, len(images), batch_size)]).astype(np.float32)

    def reconstruct(self, images, *, batch_size: int = 256, output="uint8") -> np.ndarray:
        """G(E(x)): the generator's image for each image's latent."""
        return self.generate(self.encode(images, batch_size=batch_size), batch_size=batch_size,
                             output=output)
