"""Dropout that gives N replicas of `tf.distribute` the masks one device would draw.

Keras's `Dropout` draws each mask from its seed generator's state, which is the same
on every replica: each replica then drops the same units of its own rows, so a mirrored
run's masks differ from a one-device run's on the same global batch. `GlobalBatchDropout`
draws the mask of the whole global batch on every replica (the same draw everywhere) and
keeps this replica's rows, as the base GAN does with its noise.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="kerasgan")
class GlobalBatchDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` whose masks under a distribution strategy are the rows of
    one mask drawn for the global batch, so 2 replicas train as one device does.

    The mask is `uniform >= rate` with the kept values scaled by `1 / (1 - rate)`, drawn
    the same way on one device and on N replicas. `noise_shape` is not supported.

    Example:
    >>> layer = GlobalBatchDropout(0.5, seed=0)
    >>> out = layer(np.ones((4, 8), "float32"), training=True)
    >>> sorted(set(np.asarray(out).ravel().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if noise_shape is not None:
            raise ValueError("GlobalBatchDropout draws one mask value per element; "
                             f"noise_shape is not supported. Received: noise_shape={noise_shape}")
        super().__init__(rate, seed=seed, **kwargs)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        local = tf.shape(inputs)[0]
        shape = tf.concat([[local * replicas], tf.shape(inputs)[1:]], 0)
        keep = keras.random.uniform(shape, seed=self.seed_generator) >= self.rate
        if replicas > 1:
            start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local
            keep = keep[start:start + local]
        scale = tf.cast(1.0 / (1.0 - self.rate), inputs.dtype)
        return tf.where(keep, inputs * scale, tf.zeros_like(inputs))

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        return config
