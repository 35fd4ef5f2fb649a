"""The layers of a style-based generator (Karras, Laine & Aila 2019; StyleGAN2, Karras et
al. 2020): the learned constant input, the weight-modulated convolution with
demodulation and per-layer noise, and the tracked average of W.

StyleGAN2's modulation in its non-fused form (the paper's Fig. 2c, as its code runs it
for inference): the input is scaled channel-wise by the style `s = A(w)`, convolved
with the shared kernel, and each output map divided by its expected standard deviation
`sqrt(sum_{i,k} (s_i w_ijk)^2)`. That gives the same result as the per-sample modulated
kernel without building a kernel per sample.

Example:
>>> x, w = keras.Input((4, 4, 8)), keras.Input((16,))
>>> y = ModulatedConv2D(8, 3)([x, w])
>>> y.shape
(None, 4, 4, 8)
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

SQRT2 = math.sqrt(2.0)


@keras.saving.register_keras_serializable(package="kerasgan")
class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned 4x4 input (StyleGAN's "const"), repeated for each
    sample of the batch its input (the styles) has."""

    def __init__(self, channels: int, size: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.size = int(channels), int(size)

    def build(self, input_shape):
        self.const = self.add_weight(name="const", shape=(self.size, self.size, self.channels),
                                     initializer=keras.initializers.RandomNormal(0.0, 1.0))

    def call(self, styles):
        batch = ops.shape(styles)[0]
        const = ops.cast(self.const, self.compute_dtype)
        return ops.broadcast_to(const[None], (batch, self.size, self.size, self.channels))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable(package="kerasgan")
class ModulatedConv2D(keras.layers.Layer):
    """`[x, w]` (or `[x, w, noise]` with `noise=True`) -> a styled convolution.

    The style `s = A(w)` (an equalized dense layer, bias initialised to 1) scales the
    input channels; the equalized kernel convolves them ('same' padding, after 2x
    bilinear upsampling with `upsample=True`); `demodulate` divides each output map by
    its expected standard deviation; then the noise plane times a learned per-layer
    strength (zero at the start), the bias, and LeakyReLU(0.2) times sqrt(2)
    (`activation="lrelu"`) or nothing (`"linear"`, the toRGB layers).
    """

    def __init__(self, filters: int, kernel_size: int = 3, *, demodulate: bool = True,
                 upsample: bool = False, noise: bool = False, activation: str = "lrelu",
                 **kwargs):
        super().__init__(**kwargs)
        if activation not in ("lrelu", "linear"):
            raise ValueError(f"activation must be 'lrelu' or 'linear'. Received: {activation!r}")
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.demodulate, self.upsample = bool(demodulate), bool(upsample)
        self.noise, self.activation = bool(noise), activation
        self.upsampling = keras.layers.UpSampling2D(2, interpolation="bilinear") \
            if self.upsample else None

    def build(self, input_shape):
        channels, w_dim = int(input_shape[0][-1]), int(input_shape[1][-1])
        self.style_scale = 1.0 / math.sqrt(w_dim)
        self.style_kernel = self.add_weight(
            name="style_kernel", shape=(w_dim, channels),
            initializer=keras.initializers.RandomNormal(0.0, 1.0))
        # Styles start at 1: the layer starts as an unmodulated convolution.
        self.style_bias = self.add_weight(name="style_bias", shape=(channels,),
                                          initializer="ones")
        self.scale = 1.0 / math.sqrt(channels * self.kernel_size ** 2)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        if self.noise:
            self.noise_strength = self.add_weight(name="noise_strength", shape=(),
                                                  initializer="zeros")
        if self.upsampling is not None:
            self.upsampling.build(input_shape[0])

    def styles(self, w):
        """The per-sample channel scales `s = A(w)`, (N, input channels)."""
        return ops.matmul(w, ops.cast(self.style_kernel, w.dtype) * self.style_scale) \
            + ops.cast(self.style_bias, w.dtype)

    def call(self, inputs):
        x, w = inputs[0], inputs[1]
        s = self.styles(ops.cast(w, x.dtype))
        kernel = ops.cast(self.kernel, x.dtype) * self.scale
        x = x * s[:, None, None, :]
        if self.upsampling is not None:
            x = self.upsampling(x)
        y = ops.conv(x, kernel, padding="same")
        if self.demodulate:
            # sum_{k,i} (s_i w_ijk)^2 = s^2 @ sum_k w_ijk^2, per sample and output map.
            energy = ops.matmul(ops.square(s), ops.sum(ops.square(kernel), axis=(0, 1)))
            y = y * ops.rsqrt(energy + 1e-8)[:, None, None, :]
        if self.noise:
            y = y + ops.cast(self.noise_strength, y.dtype) * ops.cast(inputs[2], y.dtype)
        y = y + ops.cast(self.bias, y.dtype)
        if self.activation == "lrelu":
            y = ops.leaky_relu(y, 0.2) * SQRT2
        return y

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[0][:3]
        factor = 2 if self.upsample else 1
        scaled = [None if d is None else d * factor for d in (height, width)]
        return (batch, *scaled, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "demodulate": self.demodulate,
                "upsample": self.upsample, "noise": self.noise, "activation": self.activation}


@keras.saving.register_keras_serializable(package="kerasgan")
class WAverage(keras.layers.Layer):
    """The identity on W that holds W's running mean (`w_avg`, a non-trainable weight
    saved with the mapping network): the centre of the truncation trick. The model
    updates it in training (`StyleGAN.track_w_average`); the layer itself never does."""

    def build(self, input_shape):
        self.w_avg = self.add_weight(name="w_avg", shape=(int(input_shape[-1]),),
                                     initializer="zeros", trainable=False,
                                     aggregation="only_first_replica")

    def call(self, w):
        return w


def fixed_noise(shape, index: int) -> np.ndarray:
    """The noise plane an inference pass uses at noise input `index` (StyleGAN2's
    noise_mode='const'): standard normal from NumPy's PCG64 seeded by the index, so it is
    the same on every machine and needs no storage."""
    return np.random.default_rng(index).standard_normal((1, *shape)).astype(np.float32)


@keras.saving.register_keras_serializable(package="kerasgan")
class FixedNoise(keras.layers.Layer):
    """`styles -> the fixed noise plane (1, H, W, 1) repeated for the batch` (see
    `fixed_noise`)."""

    def __init__(self, shape, index: int, **kwargs):
        super().__init__(**kwargs)
        self.plane_shape, self.index = tuple(int(d) for d in shape), int(index)
        self._plane = fixed_noise(self.plane_shape, self.index)

    def call(self, styles):
        batch = ops.shape(styles)[0]
        plane = ops.convert_to_tensor(self._plane, dtype=self.compute_dtype)
        return ops.broadcast_to(plane, (batch, *self.plane_shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.plane_shape)

    def get_config(self):
        return {**super().get_config(), "shape": self.plane_shape, "index": self.index}


@keras.saving.register_keras_serializable(package="kerasgan")
class Truncation(keras.layers.Layer):
    """`[w, psi] -> w_avg + psi (w - w_avg)`, psi one value per sample: the truncation
    trick around the tracked mean of W (`w_average`, the `WAverage` layer holding it)."""

    def __init__(self, w_average: WAverage, **kwargs):
        super().__init__(**kwargs)
        self.w_average = w_average

    def call(self, inputs):
        w, psi = inputs
        center = ops.cast(self.w_average.w_avg, w.dtype)
        return center + ops.reshape(ops.cast(psi, w.dtype), (-1, 1)) * (w - center)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package="kerasgan")
class BroadcastStyles(keras.layers.Layer):
    """`w (N, w_dim) -> ws (N, num_ws, w_dim)`: the same style for every layer."""

    def __init__(self, num_ws: int, **kwargs):
        super().__init__(**kwargs)
        self.num_ws = int(num_ws)

    def call(self, w):
        return ops.repeat(ops.expand_dims(w, 1), self.num_ws, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_ws, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws}


@keras.saving.register_keras_serializable(package="kerasgan")
class MixStyles(keras.layers.Layer):
    """`[ws_a, ws_b, crossover] -> ws`: layers before `crossover` (one int per sample)
    take `ws_a`'s styles, the rest `ws_b`'s (style mixing)."""

    def call(self, inputs):
        ws_a, ws_b, crossover = inputs
        layer = ops.arange(ops.shape(ws_a)[1])[None, :]
        first = layer < ops.reshape(ops.cast(crossover, layer.dtype), (-1, 1))
        return ops.where(first[:, :, None], ws_a, ws_b)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
