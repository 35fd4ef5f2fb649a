"""A reference StyleGAN following the recipe of the keras.io example "Face image generation
with StyleGAN" (keras.io/examples/generative/stylegan), written from its published recipe.
Used only as the same-time baseline of `stylegan-fashion-mnist-32`.

The recipe:
- mapping: pixel norm, then 8 equalized dense layers (learning-rate multiplier 0.01)
  with LeakyReLU(0.2); one w per resolution block (no style mixing);
- generator: a constant input of ones at 4x4; per resolution a block of [2x nearest
  upsampling and a 3x3 equalized conv, except at 4x4], noise (one plane per resolution,
  a learned per-channel strength), LeakyReLU(0.2), instance norm, AdaIN from w, then a
  3x3 equalized conv, the same noise, LeakyReLU, instance norm and AdaIN again; a 1x1
  toRGB with tanh per resolution;
- discriminator: fromRGB (1x1 conv, LeakyReLU) per resolution, blocks of two 3x3 convs
  and 2x2 average pooling, then at 4x4 minibatch stddev, a 3x3 conv, a dense layer and
  the score;
- progressive growing: 4x4 stable, then for each finer resolution a transition (the new
  blocks faded in as alpha goes from 0 to 1) and a stable phase;
- WGAN-GP (10) with the drift term 0.001 E[D^2] on real and fake scores, Adam(lr, 0,
  0.99, 1e-8) with the learning rate 1e-3 at 4x4 and 8x8, halved per doubling beyond;
  no truncation, no mixing.

Departures, for 2 CPU cores and the same budget as the checkpoint it is compared with:
at most 128 feature maps and w of 128 (the example: 512), the checkpoint's batch (64) at
every resolution, the phases of equal length filling the budget's step count
(`set_schedule`), all blocks built at the start and blended by alpha (the example
rebuilds the model at each phase; the same networks).

Example:
>>> model = ReferenceStyleGAN(image_shape=(32, 32, 1))
>>> model.set_schedule(7000)
>>> model.compile()
>>> model.fit(kerasgan.data.pipeline("fashion-mnist-32", batch_size=64), epochs=1)  # doctest: +SKIP
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.layers.minibatch import MinibatchStdDev
from kerasgan.layers.progressive import EqualizedConv2D, EqualizedDense, PixelNormalization


class AdaIN(layers.Layer):
    """`[x, w] -> scale(w) * x + bias(w)` per channel (x already instance-normalized)."""

    def build(self, input_shape):
        channels = int(input_shape[0][-1])
        self.scale = EqualizedDense(channels, gain=1.0)
        self.shift = EqualizedDense(channels, gain=1.0)
        self.scale.build(input_shape[1])
        self.shift.build(input_shape[1])

    def call(self, inputs):
        x, w = inputs
        return self.scale(w)[:, None, None, :] * x + self.shift(w)[:, None, None, :]


class AddNoise(layers.Layer):
    """`[x, noise] -> x + strength * noise`, a learned strength per channel."""

    def build(self, input_shape):
        self.strength = self.add_weight(name="strength", shape=(int(input_shape[0][-1]),),
                                        initializer=keras.initializers.RandomNormal(0.0, 1.0))

    def call(self, inputs):
        x, noise = inputs
        return x + self.strength * noise


class Blend(layers.Layer):
    """`[old, new] -> alpha * new + (1 - alpha) * old`, alpha a shared variable."""

    def __init__(self, alpha, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        old, new = inputs
        return self.alpha * new + (1.0 - self.alpha) * old


def _width(side, max_filters=128):
    return min(max_filters, 2048 // side)  # the checkpoint's widths (small)


def _style_block(x, w, noise, width, upsample):
    if upsample:
        x = EqualizedConv2D(width, 3)(layers.UpSampling2D(2)(x))
    for second in (False, True):
        if second:
            x = EqualizedConv2D(width, 3)(x)
        x = layers.LeakyReLU(0.2)(AddNoise()([x, noise]))
        x = layers.GroupNormalization(groups=-1, center=False, scale=False)(x)
        x = AdaIN()([x, w])
    return x


def reference_networks(image_shape, alphas, latent_dim=128, w_dim=128, max_filters=128):
    """(mapping, generator, discriminator); `alphas[side]` blends resolution `side` in."""
    sides = [4 * 2 ** k for k in range(int(math.log2(image_shape[0] // 4)) + 1)]
    z = keras.Input((latent_dim,))
    w = PixelNormalization()(z)
    for _ in range(8):
        w = layers.LeakyReLU(0.2)(EqualizedDense(w_dim, learning_rate_multiplier=0.01)(w))
    mapping = keras.Model(z, w, name="reference_mapping")

    style = keras.Input((w_dim,))
    noise = [keras.Input((side, side, 1)) for side in sides]
    ones = layers.Lambda(lambda s: tf.ones([tf.shape(s)[0], 4, 4, _width(4, max_filters)]))(style)
    x = _style_block(ones, style, noise[0], _width(4, max_filters), upsample=False)
    rgb = layers.Activation("tanh")(EqualizedConv2D(image_shape[-1], 1, gain=1.0)(x))
    for k, side in enumerate(sides[1:], start=1):
        x = _style_block(x, style, noise[k], _width(side, max_filters), upsample=True)
        new = layers.Activation("tanh")(EqualizedConv2D(image_shape[-1], 1, gain=1.0)(x))
        rgb = Blend(alphas[side])([layers.UpSampling2D(2)(rgb), new])
    generator = keras.Model([style, *noise], rgb, name="reference_synthesis")

    images = keras.Input(tuple(image_shape))

    def from_rgb(side):
        factor = image_shape[0] // side
        scaled = images if factor == 1 else layers.AveragePooling2D(factor)(images)
        return layers.LeakyReLU(0.2)(EqualizedConv2D(_width(side, max_filters), 1)(scaled))

    x = from_rgb(sides[-1])
    for side in sides[:0:-1]:
        x = layers.LeakyReLU(0.2)(EqualizedConv2D(_width(side, max_filters), 3)(x))
        x = layers.LeakyReLU(0.2)(EqualizedConv2D(_width(side // 2, max_filters), 3)(x))
        x = Blend(alphas[side])([from_rgb(side // 2), layers.AveragePooling2D(2)(x)])
    x = MinibatchStdDev(group_size=4, contiguous=True)(x)
    x = layers.LeakyReLU(0.2)(EqualizedConv2D(_width(4, max_filters), 3)(x))
    x = layers.LeakyReLU(0.2)(EqualizedDense(_width(4, max_filters))(layers.Flatten()(x)))
    discriminator = keras.Model(images, EqualizedDense(1, gain=1.0)(x), name="reference_critic")
    return mapping, generator, discriminator, sides


class ReferenceStyleGAN(keras.Model):
    """The example's training step with its phases as a step schedule; `generator` is
    latents -> images (mapping, synthesis with fixed noise) for sampling."""

    def __init__(self, image_shape=(32, 32, 1), latent_dim=128):
        super().__init__()
        self.latent_dim = latent_dim
        sides = [4 * 2 ** k for k in range(int(math.log2(image_shape[0] // 4)) + 1)]
        self.alphas = {side: tf.Variable(0.0, trainable=False) for side in sides[1:]}
        self.mapping, self.synthesis, self.critic, self.sides = reference_networks(
            tuple(image_shape), self.alphas, latent_dim)
        self.phase_steps = 1000
        self.step_count = tf.Variable(0, trainable=False, dtype=tf.int64)
        z = keras.Input((latent_dim,))
        fixed = [tf.constant(np.random.default_rng(k).standard_normal((1, s, s, 1)), tf.float32)
                 for k, s in enumerate(self.sides)]
        w = self.mapping(z)
        planes = [layers.Lambda(lambda t, p=p: tf.tile(p, [tf.shape(t)[0], 1, 1, 1]))(w)
                  for p in fixed]
        self.generator = keras.Model(z, self.synthesis([w, *planes]), name="reference_generator")

    def set_schedule(self, total_steps):
        """Equal phases: 4x4, then a transition and a stable phase per finer resolution."""
        self.phase_steps = max(1, total_steps // (2 * len(self.sides) - 1))

    def compile(self):
        super().compile()
        self.d_optimizer = keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        self.g_optimizer = keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def _set_phase(self):
        t = tf.cast(self.step_count, tf.float32) / float(self.phase_steps)
        level = tf.constant(0.0)
        for k, side in enumerate(self.sides[1:], start=1):
            # Phase 2k - 1 fades resolution k in; 2k on it is stable.
            alpha = tf.clip_by_value(t - (2 * k - 1), 0.0, 1.0)
            self.alphas[side].assign(alpha)
            level += tf.cast(alpha > 0, tf.float32)
        # The example's learning rate: 1e-3 up to 8x8, halved per doubling beyond.
        lr = 1e-3 * tf.pow(0.5, tf.maximum(0.0, level - 1.0))
        self.d_optimizer.learning_rate.assign(lr)
        self.g_optimizer.learning_rate.assign(lr)

    def _fakes(self, batch_size, training):
        w = self.mapping(tf.random.normal([batch_size, self.latent_dim]), training=training)
        noise = [tf.random.normal([batch_size, s, s, 1]) for s in self.sides]
        return self.synthesis([w, *noise], training=training)

    def train_step(self, real):
        if isinstance(real, (tuple, list)):
            real = real[0]
        self._set_phase()
        batch_size = tf.shape(real)[0]
        fake = tf.stop_gradient(self._fakes(batch_size, training=False))
        with tf.GradientTape() as tape:
            fake_scores = self.critic(fake, training=True)
            real_scores = self.critic(real, training=True)
            epsilon = tf.random.uniform([batch_size, 1, 1, 1])
            mixed = epsilon * real + (1.0 - epsilon) * fake
            with tf.GradientTape() as inner:
                inner.watch(mixed)
                scores = self.critic(mixed, training=True)
            grads = inner.gradient(scores, mixed)
            norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
            d_loss = (tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)
                      + 10.0 * tf.reduce_mean(tf.square(norms - 1.0))
                      + 0.001 * tf.reduce_mean(tf.square(tf.concat([fake_scores, real_scores], 0))))
        variables = self.critic.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.critic(self._fakes(batch_size, training=True),
                                                 training=False))
        variables = self.mapping.trainable_variables + self.synthesis.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        self.step_count.assign_add(1)
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
