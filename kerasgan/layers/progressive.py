"""The layers of progressive growing (Karras, Aila, Laine & Lehtinen 2018): the equalized
learning rate (weights drawn from N(0, 1) and scaled at run time by He's constant, so
Adam's steps are alike for every layer), pixelwise feature normalization, and the fade-in
of a new resolution block.

Example:
>>> x = keras.Input((4, 4, 8))
>>> y = PixelNormalization()(EqualizedConv2D(16, 3)(x))
>>> y.shape
(None, 4, 4, 16)
"""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class EqualizedDense(keras.layers.Layer):
    """A dense layer with the equalized learning rate: `x @ (w * gain / sqrt(fan_in)) + b`,
    `w` drawn from N(0, 1), `b` zero.

    `learning_rate_multiplier` (StyleGAN's mapping network: 0.01) scales the layer's
    effective learning rate: `w` is drawn from N(0, 1 / m^2) and both `w` and `b` are
    multiplied by m at run time, so the same Adam step moves the output m times as far."""

    def __init__(self, units: int, gain: float = math.sqrt(2.0),
                 learning_rate_multiplier: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.gain = int(units), float(gain)
        self.learning_rate_multiplier = float(learning_rate_multiplier)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        multiplier = self.learning_rate_multiplier
        self.scale = self.gain / math.sqrt(fan_in) * multiplier
        self.kernel = self.add_weight(
            name="kernel", shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / multiplier))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel * self.scale) \
            + self.bias * self.learning_rate_multiplier

    def get_config(self):
        config = {**super().get_config(), "units": self.units, "gain": self.gain}
        if self.learning_rate_multiplier != 1.0:
            config["learning_rate_multiplier"] = self.learning_rate_multiplier
        return config


@keras.saving.register_keras_serializable(package="kerasgan")
class EqualizedConv2D(keras.layers.Layer):
    """A stride-1 'same' (or 'valid') convolution with the equalized learning rate."""

    def __init__(self, filters: int, kernel_size: int, gain: float = math.sqrt(2.0),
                 padding: str = "same", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.gain, self.padding = float(gain), padding

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.scale = self.gain / math.sqrt(channels * self.kernel_size ** 2)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        return ops.conv(inputs, self.kernel * self.scale, padding=self.padding) + self.bias

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "gain": self.gain, "padding": self.padding}


@keras.saving.register_keras_serializable(package="kerasgan")
class PixelNormalization(keras.layers.Layer):
    """Each pixel's feature vector divided by its root mean square (ProGAN's 4.2)."""

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable(package="kerasgan")
class FadeIn(keras.layers.Layer):
    """`(1 - alpha) * old + alpha * new`: a new resolution block faded in, `alpha` a
    non-trainable weight (0: the block is off, 1: faded in) that the model sets from
    its growth schedule, saved with the weights.

    `old * (1 - alpha) + new * alpha` is exactly `new` at alpha = 1 and `old` at 0."""

    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="zeros",
                                     trainable=False, aggregation="only_first_replica")

    def call(self, inputs):
        old, new = inputs
        alpha = ops.cast(self.alpha, old.dtype)
        return old * (1.0 - alpha) + new * alpha
