"""Discriminator regularisers, scaled per global batch so they are right under `tf.distribute`.

A penalty is called as `penalty(discriminate, real, fake, sample_uniform)`, where
`discriminate(images)` returns the discriminator's logits (conditioning, if any,
is already bound) and `sample_uniform(batch_size, shape)` draws replica-aware
uniform noise (`GAN.sample_uniform`). It always runs in float32, even under mixed precision.

Example:
>>> gan.compile(d_penalty=GradientPenalty(weight=10.0))  # doctest: +SKIP
"""

from __future__ import annotations

import keras
import tensorflow as tf


def replica_count() -> int:
    return tf.distribute.get_strategy().num_replicas_in_sync


def mean_over_global_batch(per_example):
    """Sum over this replica's examples divided by the global batch size."""
    per_example = tf.cast(per_example, tf.float32)
    global_batch = tf.cast(tf.shape(per_example)[0] * replica_count(), tf.float32)
    return tf.reduce_sum(per_example) / global_batch


def _squared_grad_norm(discriminate, images):
    images = tf.cast(images, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = tf.cast(discriminate(images), tf.float32)
        total = tf.reduce_sum(logits)
    grads = tape.gradient(total, images)
    return tf.reduce_sum(tf.square(tf.reshape(grads, (tf.shape(grads)[0], -1))), axis=1)


class Penalty:
    def get_config(self):
        return {"weight": self.weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerasgan")
class GradientPenalty(Penalty):
    """WGAN-GP (Gulrajani et al. 2017): weight * (||grad D(x_hat)|| - target)^2 at random interpolates."""

    def __init__(self, weight: float = 10.0, target: float = 1.0):
        self.weight = float(weight)
        self.target = float(target)

    def __call__(self, discriminate, real, fake, sample_uniform):
        real = tf.cast(real, tf.float32)
        fake = tf.cast(fake, tf.float32)
        alpha = sample_uniform(tf.shape(real)[0], [1] * (len(real.shape) - 1))
        interpolates = real + alpha * (fake - real)
        norms = tf.sqrt(_squared_grad_norm(discriminate, interpolates) + 1e-12)
        return self.weight * mean_over_global_batch(tf.square(norms - self.target))

    def get_config(self):
        return {"weight": self.weight, "target": self.target}


@keras.saving.register_keras_serializable(package="kerasgan")
class R1Penalty(Penalty):
    """R1 (Mescheder et al. 2018): gamma/2 * ||grad D(x_real)||^2."""

    def __init__(self, weight: float = 10.0):
        self.weight = float(weight)

    def __call__(self, discriminate, real, fake, sample_uniform):
        return 0.5 * self.weight * mean_over_global_batch(_squared_grad_norm(discriminate, real))
