"""Regularisers attached to an update group, scaled per global batch so they are right
under `tf.distribute`.

A penalty is called with keyword arguments: the inputs its group's `loss_terms` gives
(for the discriminator group: `discriminate`, `real`, `fake`, where `discriminate(images)`
returns the discriminator's logits with any conditioning already bound) and
`sample_uniform(batch_size, shape)`, replica-aware uniform noise (`GAN.sample_uniform`).
It always runs in float32, even under mixed precision.

Lazy regularization (StyleGAN2, Karras et al. 2020, 3.1): `every=k` computes the penalty
on every k-th update of its group only, multiplied by k, so its average weight is
unchanged at about 1/k of the cost (the group's optimizer counts the updates).

Example:
>>> gan.compile(d_penalty=GradientPenalty(weight=10.0))  # doctest: +SKIP
>>> gan.compile(penalties={"d": "r1"})                   # doctest: +SKIP
"""

from __future__ import annotations

import keras
import tensorflow as tf

from kerasgan.distribute import replica_count


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


def check_every(every) -> int:
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError("every (apply the penalty on every k-th update) must be an int >= 1. "
                         f"Received: every={every!r}")
    return every


class Penalty:
    #: Lazy regularization: the penalty applies on every `every`-th update, times `every`.
    every = 1

    def get_config(self):
        return {"weight": self.weight, **({"every": self.every} if self.every != 1 else {})}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerasgan")
class GradientPenalty(Penalty):
    """WGAN-GP (Gulrajani et al. 2017): weight * (||grad D(x_hat)|| - target)^2 at random interpolates."""

    def __init__(self, weight: float = 10.0, target: float = 1.0, every: int = 1):
        self.weight = float(weight)
        self.target = float(target)
        self.every = check_every(every)

    def __call__(self, discriminate, real, fake, sample_uniform, **_):
        real = tf.cast(real, tf.float32)
        fake = tf.cast(fake, tf.float32)
        alpha = sample_uniform(tf.shape(real)[0], [1] * (len(real.shape) - 1))
        interpolates = real + alpha * (fake - real)
        norms = tf.sqrt(_squared_grad_norm(discriminate, interpolates) + 1e-12)
        return self.weight * mean_over_global_batch(tf.square(norms - self.target))

    def get_config(self):
        return {**super().get_config(), "target": self.target}


@keras.saving.register_keras_serializable(package="kerasgan")
class R1Penalty(Penalty):
    """R1 (Mescheder et al. 2018): gamma/2 * ||grad D(x_real)||^2.

    Example:
    >>> penalty = R1Penalty(weight=1.0, every=16)      # StyleGAN2's lazy R1
    """

    def __init__(self, weight: float = 10.0, every: int = 1):
        self.weight = float(weight)
        self.every = check_every(every)

    def __call__(self, discriminate, real, sample_uniform=None, **_):
        return 0.5 * self.weight * mean_over_global_batch(_squared_grad_norm(discriminate, real))


PENALTIES = {"gradient_penalty": GradientPenalty, "r1": R1Penalty}


def get(identifier) -> Penalty:
    """A penalty from a name in `PENALTIES` (default weight), a config dict, or an instance."""
    if isinstance(identifier, Penalty):
        return identifier
    if isinstance(identifier, str):
        if identifier not in PENALTIES:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("penalty", identifier, PENALTIES)
        return PENALTIES[identifier]()
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    raise TypeError(f"Expected a penalty name or Penalty instance. Received: {identifier!r}")
