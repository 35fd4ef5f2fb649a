"""Sub-pixel convolution's rearrangement (Shi et al. 2016), SRGAN's upsampling: the
channels of each pixel laid out as a `factor x factor` block of pixels."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class PixelShuffle(keras.layers.Layer):
    """`(N, H, W, C * f * f)` -> `(N, H * f, W * f, C)` (`depth_to_space`), for any H, W.

    Example:
    >>> PixelShuffle(2)(keras.ops.zeros((1, 3, 5, 8))).shape
    (1, 6, 10, 2)
    """

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            raise ValueError(f"factor must be an int >= 1. Received: factor={factor!r}")
        self.factor = factor

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is not None and channels % (self.factor ** 2):
            raise ValueError(f"PixelShuffle({self.factor}) needs a channel count divisible by "
                             f"{self.factor ** 2}. Received: input_shape={tuple(input_shape)}")

    def call(self, inputs):
        return ops.depth_to_space(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda d: None if d is None else d * self.factor  # noqa: E731
        return (batch, grow(height), grow(width),
                None if channels is None else channels // self.factor ** 2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
