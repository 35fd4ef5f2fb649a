"""A reference super-resolution model in the style of the keras.io example "Image
Super-Resolution using an Efficient Sub-Pixel CNN" (ESPCN, Shi et al. 2016): convolutions
5x5/64, 3x3/64, 3x3/32 with ReLU (orthogonal initialization), a 3x3 convolution to
`channels * scale^2` and depth-to-space; MSE, Adam(1e-3). Departures from the example:
all three RGB channels in and out, where it upscales the Y channel of YCbCr and
resizes the chroma bicubically; inputs and targets in [-1, 1]. Written from the public
recipe as the same-time baseline of the super-resolution checkpoints
(`bench_sr_vs_reference.py`)."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.layers import PixelShuffle
from kerasgan.utils import from_uint8, to_uint8


def espcn(channels: int = 3, scale: int = 4) -> keras.Model:
    """The example's network for any input size."""
    init = {"kernel_initializer": "orthogonal", "padding": "same"}
    source = keras.Input((None, None, channels))
    x = layers.Conv2D(64, 5, activation="relu", **init)(source)
    x = layers.Conv2D(64, 3, activation="relu", **init)(x)
    x = layers.Conv2D(32, 3, activation="relu", **init)(x)
    x = layers.Conv2D(channels * scale ** 2, 3, **init)(x)
    return keras.Model(source, PixelShuffle(scale)(x), name="reference_espcn")


class ReferenceESPCN(keras.Model):
    """ESPCN trained on (low, high) pairs with MSE; `upscale` returns uint8 images."""

    def __init__(self, channels: int = 3, scale: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.network = espcn(channels, scale)
        self.scale = scale

    def call(self, images, training=False):
        return self.network(images, training=training)

    def compile(self, **kwargs):
        super().compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", **kwargs)

    def train_step(self, data):
        low, high = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.network(low, training=True) - high))
        grads = tape.gradient(loss, self.network.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_variables))
        return {"loss": loss}

    def upscale(self, images, batch_size: int = 64):
        images = from_uint8(images)
        out = [self.network(images[i:i + batch_size], training=False).numpy()
               for i in range(0, len(images), batch_size)]
        return to_uint8(np.concatenate(out))  # to_uint8 clips to [0, 255]
