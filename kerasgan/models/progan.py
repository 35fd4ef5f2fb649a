"""Progressive GAN (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs
for Improved Quality, Stability, and Variation"): generator and discriminator grow from
4x4 to the full resolution during training, each new block faded in (alpha from 0 to 1)
and then stabilized; equalized learning rate, pixelwise feature normalization in the
generator, minibatch standard deviation in the discriminator, WGAN-GP (lambda = 10) with
the drift term 0.001 E[D(x)^2], Adam(1e-3, beta_1 = 0, beta_2 = 0.99).

Growth as the paper's own code builds it (its "linear" structure): every block exists
from the start, and `FadeIn` layers blend each resolution's output (generator: the
upsampled coarser image with the new block's toRGB; discriminator: the new block's
features with fromRGB of the downsampled image). Their alphas are non-trainable weights
of the networks, so a checkpoint holds the phase; the schedule sets them before every
step from the generator's step count (`update_training_phase`), so a run interrupted at
any moment, mid-fade-in included, resumes in the same phase with the same alphas. The
generator always outputs the full resolution (a coarse phase's image upsampled, nearest),
and the discriminator reads it downsampled to the phase's resolution, as in the paper's
code; a block not yet faded in gets no gradient.

The schedule (`phase_steps`): 4x4 for `phase_steps` steps, then for each finer
resolution a fade-in of `phase_steps` steps and a stabilization of as many; after the
last fade-in it trains at full resolution to the end. The paper counts 800k images per
phase; `phase_steps * batch_size` is that count here. `gan.growth` is the phase as one
number: 0 at 4x4, 1.5 halfway through fading in 16x16 (from 8x8), `levels - 1` fully
grown.

Departures:
- Widths: `small` has at most 96 feature maps (the paper's 512 at these resolutions),
  0.7M parameters per network, for 2 CPU cores; `base` has the paper's 512.
- The discriminator's last layers: minibatch stddev (groups of 4), a 3x3 conv, then a
  dense layer over the 4x4 map (the paper's 4x4 'valid' conv, the same map) and the
  logit.
- Minibatch stddev groups consecutive samples (the paper's code strides through the
  batch): the samples are i.i.d. either way, and a replica's contiguous share of the
  global batch then holds one device's groups, so N replicas train as one device.
- Batches of 64 at every resolution (the paper lowers the batch as resolution grows, to
  fit GPU memory).

Example:
>>> gan = ProGAN.from_size("small", image_shape=(32, 32, 1), phase_steps=1000)
>>> gan.compile()        # Wasserstein + GP 10 + drift, Adam(1e-3, 0, 0.99)
>>> gan.fit(kerasgan.data.pipeline("fashion-mnist-32"), epochs=1)    # doctest: +SKIP
>>> gan.growth, gan.resolution                                       # doctest: +SKIP
(1.0, 8)
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan import losses as gan_losses
from kerasgan import penalties as gan_penalties
from kerasgan.layers.minibatch import MinibatchStdDev
from kerasgan.layers.progressive import (EqualizedConv2D, EqualizedDense, FadeIn,
                                         PixelNormalization)
from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN

#: feature maps at resolution r: min(max_filters, filter_base // r) (the paper's rule).
SIZES = {
    "tiny": {"filter_base": 64, "max_filters": 8},
    "small": {"filter_base": 1536, "max_filters": 96},
    "base": {"filter_base": 8192, "max_filters": 512},
}
START_RESOLUTION = 4


def resolutions(image_size: int) -> list[int]:
    """4, 8, ..., image_size: the resolutions of the growth, coarsest first."""
    count = math.log2(image_size / START_RESOLUTION) if image_size >= START_RESOLUTION else -1
    if count < 1 or count != int(count):
        raise ValueError(f"Progressive growing doubles from 4x4: the image side must be 4 times "
                         f"a power of two, at least 8 (8, 16, 32, 64...). Received: "
                         f"image_size={image_size}")
    return [START_RESOLUTION * 2 ** k for k in range(int(count) + 1)]


def _filters(resolution, filter_base, max_filters):
    return min(max_filters, filter_base // resolution)


def _lrelu(x):
    return layers.LeakyReLU(0.2)(x)


def build_progressive_generator(latent_dim=128, image_shape=(32, 32, 1), filter_base=1536,
                                max_filters=96, name="generator") -> keras.Model:
    sides = resolutions(image_shape[0])
    latents = keras.Input((latent_dim,), name="latents")
    width = _filters(sides[0], filter_base, max_filters)
    x = PixelNormalization()(latents)
    # The paper's gain sqrt(2)/4 on the projection to 4x4 (its code: a 4x4 "conv").
    x = EqualizedDense(16 * width, gain=math.sqrt(2.0) / 4)(x)
    x = PixelNormalization()(_lrelu(layers.Reshape((4, 4, width))(x)))
    x = PixelNormalization()(_lrelu(EqualizedConv2D(width, 3)(x)))
    images = EqualizedConv2D(image_shape[-1], 1, gain=1.0, name="to_rgb_4")(x)
    for side in sides[1:]:
        width = _filters(side, filter_base, max_filters)
        x = layers.UpSampling2D(2)(x)
        for _ in range(2):
            x = PixelNormalization()(_lrelu(EqualizedConv2D(width, 3)(x)))
        new = EqualizedConv2D(image_shape[-1], 1, gain=1.0, name=f"to_rgb_{side}")(x)
        images = FadeIn(name=f"fade_in_{side}")([layers.UpSampling2D(2)(images), new])
    images = layers.Activation("linear", dtype="float32", name="images")(images)
    return keras.Model(latents, images, name=name)


def build_progressive_discriminator(image_shape=(32, 32, 1), filter_base=1536, max_filters=96,
                                    minibatch_group: int = 4,
                                    name="discriminator") -> keras.Model:
    sides = resolutions(image_shape[0])
    images = keras.Input(tuple(image_shape), name="images")

    def from_rgb(side):
        factor = image_shape[0] // side
        scaled = images if factor == 1 else layers.AveragePooling2D(factor)(images)
        return _lrelu(EqualizedConv2D(_filters(side, filter_base, max_filters), 1,
                                      name=f"from_rgb_{side}")(scaled))

    x = from_rgb(sides[-1])
    for side, coarser in zip(sides[:0:-1], sides[-2::-1]):
        x = _lrelu(EqualizedConv2D(_filters(side, filter_base, max_filters), 3)(x))
        x = _lrelu(EqualizedConv2D(_filters(coarser, filter_base, max_filters), 3)(x))
        x = layers.AveragePooling2D(2)(x)
        x = FadeIn(name=f"fade_in_{side}")([from_rgb(coarser), x])
    width = _filters(sides[0], filter_base, max_filters)
    x = MinibatchStdDev(group_size=minibatch_group, contiguous=True, name="minibatch_stddev")(x)
    x = _lrelu(EqualizedConv2D(width, 3)(x))
    x = _lrelu(EqualizedDense(width)(layers.Flatten()(x)))
    logits = EqualizedDense(1, gain=1.0, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


def growth_at(step, phase_steps: int, levels: int):
    """The phase after `step` generator steps: k while resolution k is stabilized,
    k + fraction while resolution k + 1 fades in, capped at `levels - 1` (tensors or
    numbers)."""
    t = tf.cast(step, tf.float32) / float(phase_steps)
    segment = tf.floor(t)
    fading = tf.math.floormod(segment, 2.0) == 1.0
    growth = tf.where(fading, (segment - 1.0) / 2.0 + (t - segment), segment / 2.0)
    return tf.minimum(growth, float(levels - 1))


@register_variant("progan", aliases=("progressive-gan",))
class ProGAN(GAN):
    """Progressive growing with fade-in (see the module docstring).

    Args:
        phase_steps: generator steps of each fade-in and each stabilization.
        drift: the weight of the drift term E[D(x)^2] (the paper's 0.001).
        gradient_penalty: the WGAN-GP weight lambda (10).
    """

    LOSS_TERMS = {"d": ("loss", "drift"), "g": ("loss",)}
    UNROLLABLE = False

    def __init__(self, generator, discriminator=None, *, phase_steps: int = 1000,
                 drift: float = 1e-3, gradient_penalty: float = 10.0, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if isinstance(phase_steps, bool) or not isinstance(phase_steps, (int, np.integer)) \
                or phase_steps < 1:
            raise ValueError("phase_steps (generator steps per fade-in and per stabilization) "
                             f"must be an int >= 1. Received: phase_steps={phase_steps!r}")
        self.phase_steps = int(phase_steps)
        self.drift = float(drift)
        self.gradient_penalty = float(gradient_penalty)
        self.resolutions = resolutions(self.image_shape[0])
        for network in (self.generator, self.discriminator):
            names = sorted(layer.name for layer in self._fade_layers(network))
            expected = sorted(f"fade_in_{side}" for side in self.resolutions[1:])
            if names != expected:
                raise ValueError(f"ProGAN's {network.name} needs a FadeIn layer per resolution "
                                 f"after 4x4 ({', '.join(expected)}). Received: "
                                 f"{', '.join(names) or 'none'}")

    @classmethod
    def from_size(cls, size="small", *, image_shape=(32, 32, 1), latent_dim=128,
                  minibatch_group: int = 4, **kwargs):
        """A new, untrained ProGAN of a named size ('tiny', 'small' or 'base')."""
        from kerasgan.models import check_size

        widths = check_size(SIZES, size)
        image_shape = tuple(image_shape)
        if image_shape[0] != image_shape[1]:
            raise ValueError(f"ProGAN expects square images. Received: image_shape={image_shape}")
        generator = build_progressive_generator(latent_dim, image_shape, **widths)
        discriminator = build_progressive_discriminator(image_shape, **widths,
                                                        minibatch_group=minibatch_group)
        return cls(generator, discriminator, **kwargs)

    # ---------------------------------------------------------------- growth
    @staticmethod
    def _fade_layers(network):
        return [layer for layer in network._flatten_layers(include_self=False)
                if isinstance(layer, FadeIn)]

    def _fade_layers_by_side(self):
        networks = [self.generator, self.discriminator, *([self.ema_generator]
                                                          if self.ema_generator is not None else [])]
        return [(int(layer.name.rsplit("_", 1)[1]), layer)
                for network in networks for layer in self._fade_layers(network)]

    def update_training_phase(self):
        """Sets every fade-in alpha from the schedule at the generator's step count."""
        growth = growth_at(self.g_optimizer.iterations, self.phase_steps, len(self.resolutions))
        self.set_growth(growth)

    def set_growth(self, growth):
        """Sets the phase (see `growth`): each FadeIn's alpha is
        clip(growth - (level - 1), 0, 1), level 1 being 8x8."""
        for side, layer in self._fade_layers_by_side():
            level = self.resolutions.index(side)
            alpha = tf.clip_by_value(tf.cast(growth, tf.float32) - float(level - 1), 0.0, 1.0)
            layer.alpha.assign(alpha)

    @property
    def growth(self) -> float:
        """The phase the generator is in: the sum of its fade-in alphas (0: 4x4 only;
        `len(resolutions) - 1`: fully grown)."""
        return float(sum(float(layer.alpha.numpy())
                         for layer in self._fade_layers(self.sampling_generator)))

    @property
    def resolution(self) -> int:
        """The finest resolution the sampling generator shows now (a block counts from
        the start of its fade-in)."""
        return self.resolutions[int(math.ceil(self.growth - 1e-6))]

    # ---------------------------------------------------------------- losses
    def default_optimizers(self):
        return {g.name: (lambda: keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99,
                                                       epsilon=1e-8))
                for g in self.update_groups()}

    def default_loss(self):
        return gan_losses.Wasserstein()

    def default_penalties(self):
        return {"d": [gan_penalties.GradientPenalty(self.gradient_penalty)]}

    def loss_terms(self, group, batch, training=True):
        losses = super().loss_terms(group, batch, training)
        if group == "d":
            # Keeps the critic's output near zero (the paper's epsilon_drift).
            logits = tf.cast(tf.reshape(losses.real_logits, [-1]), tf.float32)
            losses.terms["drift"] = self.global_mean(tf.square(logits))
        return losses

    def loss_weights(self, group):
        return {"drift": self.drift} if group == "d" else {}

    def get_config(self):
        return {**super().get_config(), "phase_steps": self.phase_steps, "drift": self.drift,
                "gradient_penalty": self.gradient_penalty}
