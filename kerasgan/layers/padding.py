"""Reflection padding: the border CycleGAN's ResNet generator pads its convolutions
with (zero padding darkens the edges of translated images)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by `padding` pixels, mirroring the image at its edges
    (`numpy.pad(mode="reflect")`: the edge pixel itself is not repeated).

    Example:
    >>> x = keras.ops.arange(9.0).reshape((1, 3, 3, 1))
    >>> ReflectionPadding2D(1)(x).shape
    (1, 5, 5, 1)
    """

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"padding must be an int >= 0. Received: padding={padding!r}")
        self.padding = padding

    def call(self, inputs):
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda d: None if d is None else d + 2 * self.padding  # noqa: E731
        return (batch, grow(height), grow(width), channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
