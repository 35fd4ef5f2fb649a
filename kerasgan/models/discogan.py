"""DiscoGAN (Kim, Cha, Kim, Lee & Kim 2017, "Learning to Discover Cross-Domain Relations
with Generative Adversarial Networks"): generators G_AB and G_BA, discriminators D_B and
D_A, each domain reconstructed through the other, ||G_BA(G_AB(a)) - a||^2 and
||G_AB(G_BA(b)) - b||^2, beside the standard (non-saturating, cross-entropy) GAN loss of
each direction: L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B, equal weights.

As the paper: encoder-decoder generators (4x4 stride-2 convolutions with LeakyReLU 0.2
and batch norm but on the first, down to a small map; 4x4 stride-2 transposed
convolutions with batch norm and ReLU back up; tanh), discriminators of the encoder's
shape ending in one logit per image, Adam(2e-4, beta_1 = 0.5, beta_2 = 0.999), the
discriminators and generators updated in turn every step.

How it differs from CycleGAN (`kerasgan.models.CycleGAN`): no residual blocks and no
reflection padding; batch norm, not instance norm; one real/fake decision per image, not
per patch; the non-saturating loss, not least squares; the reconstruction in L2 at weight
1, not L1 at 10; no identity terms and no history of generated images.

Departures, for 28x28 images and a 2-core CPU:
- Depth: two stride-2 levels (28 -> 7) in `small` (the paper's four take 64x64 to 4x4);
  `base` has four for 64x64 images. 32 base filters in `small` (the paper's 64).
- The reference code's extras are left out, as the paper does not describe them: its
  feature-matching term on D's hidden layers and its curriculum that weights the
  reconstruction 0.01 for the first 10,000 iterations and 0.5 after.

Example:
>>> gan = DiscoGAN.from_size("small", image_shape=(28, 28, 1))
>>> gan.compile()
>>> gan.fit(kerasgan.data.pipeline("bags2shoes"), epochs=1)   # doctest: +SKIP
>>> shoes = gan.translate(bags, direction="a2b")               # doctest: +SKIP
"""

from __future__ import annotations

import keras
from keras import layers

from kerasgan.models._registry import register_variant
from kerasgan.models.unpaired import UnpairedTranslationGAN, check_halvable

SIZES = {
    "tiny": {"filters": 8, "depth": 2},
    "small": {"filters": 32, "depth": 2},
    "base": {"filters": 64, "depth": 4},
}


def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _batch_norm():
    # Synchronized: under tf.distribute each replica normalizes over the global batch,
    # so N replicas train as one device does on it.
    return layers.BatchNormalization(synchronized=True)


def _encoder(x, filters, depth):
    for level in range(depth):
        x = layers.Conv2D(filters * 2 ** level, 4, strides=2, padding="same",
                          use_bias=level == 0, kernel_initializer=_init())(x)
        if level:
            x = _batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    return x


def build_encoder_decoder_generator(source_shape=(28, 28, 1), target_channels=1, filters=32,
                                    depth=2, name="generator") -> keras.Model:
    """images in [-1, 1] -> images in [-1, 1]: `depth` stride-2 convolutions down, as
    many stride-2 transposed convolutions up (the paper's generator)."""
    check_halvable(source_shape, depth, "DiscoGAN")
    source = keras.Input(tuple(source_shape), name="images")
    x = _encoder(source, filters, depth)
    for level in reversed(range(depth - 1)):
        x = layers.Conv2DTranspose(filters * 2 ** level, 4, strides=2, padding="same",
                                   use_bias=False, kernel_initializer=_init())(x)
        x = layers.ReLU()(_batch_norm()(x))
    x = layers.Conv2DTranspose(target_channels, 4, strides=2, padding="same",
                               kernel_initializer=_init())(x)
    images = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(source, images, name=name)


def build_image_discriminator(image_shape=(28, 28, 1), filters=32, depth=2,
                              name="discriminator") -> keras.Model:
    """images -> one logit each: the generator's encoder, then a dense logit over the
    final map (the paper's last 4x4 convolution over its 4x4 map)."""
    check_halvable(image_shape, depth, "DiscoGAN")
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Flatten()(_encoder(images, filters, depth))
    logits = layers.Dense(1, dtype="float32", name="logit", kernel_initializer=_init())(x)
    return keras.Model(images, logits, name=name)


@register_variant("discogan")
class DiscoGAN(UnpairedTranslationGAN):
    """Unpaired translation by reconstruction through the other domain (see the module
    docstring).

    Args:
        generator, discriminator, generator_b2a, discriminator_a: G_AB, D_B, G_BA, D_A.
        cycle_weight: the reconstruction terms' weight (1, the paper's).
        identity_weight: 0 (DiscoGAN has none); kept for the shared interface.
        ema_decay, seed, d_steps: as for `GAN`.
    """

    RECONSTRUCTION = "l2"
    D_LOSS_SCALE = 1.0
    SIZES = SIZES

    def __init__(self, generator, discriminator, *, generator_b2a, discriminator_a,
                 cycle_weight: float = 1.0, identity_weight: float = 0.0, **kwargs):
        super().__init__(generator, discriminator, generator_b2a=generator_b2a,
                         discriminator_a=discriminator_a, cycle_weight=cycle_weight,
                         identity_weight=identity_weight, **kwargs)

    @staticmethod
    def build_generator(source_shape, target_channels, spec, name):
        return build_encoder_decoder_generator(source_shape, target_channels, **spec, name=name)

    @staticmethod
    def build_discriminator(image_shape, spec, name):
        return build_image_discriminator(image_shape, **spec, name=name)
