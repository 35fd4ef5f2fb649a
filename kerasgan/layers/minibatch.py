"""Discriminator layers against mode collapse: they let D see statistics of the whole
batch, so a generator that gives every sample the same output is easy to spot.

- `MinibatchDiscrimination` (Salimans et al. 2016, section 3.2).
- `MinibatchStdDev` (Karras et al. 2018, section 3).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgan")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends `num_kernels` features o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_L1) to a
    flat feature vector, where M = x T reshaped to (num_kernels, kernel_dim).

    Example:
    >>> layer = MinibatchDiscrimination(num_kernels=5, kernel_dim=3)
    >>> layer(np.ones((4, 10), "float32")).shape
    (4, 15)
    """

    def __init__(self, num_kernels: int = 50, kernel_dim: int = 5, **kwargs):
        super().__init__(**kwargs)
        if num_kernels < 1 or kernel_dim < 1:
            raise ValueError("num_kernels and kernel_dim must be >= 1. Received: "
                             f"num_kernels={num_kernels}, kernel_dim={kernel_dim}")
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError("MinibatchDiscrimination takes flat features (batch, features). "
                             f"Received: input_shape={tuple(input_shape)}")
        self.tensor = self.add_weight(
            name="tensor", shape=(int(input_shape[-1]), self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.05))

    def call(self, inputs):
        m = ops.reshape(ops.matmul(inputs, self.tensor), (-1, self.num_kernels, self.kernel_dim))
        l1 = ops.sum(ops.abs(m[:, None] - m[None]), axis=-1)       # (batch, batch, kernels)
        # exp(0) = 1 of each sample with itself is subtracted: only the others count.
        closeness = ops.sum(ops.exp(-l1), axis=1) - 1.0
        return ops.concatenate([inputs, ops.cast(closeness, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim}


@keras.saving.register_keras_serializable(package="kerasgan")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the standard deviation of each feature over groups of `group_size`
    samples, averaged into one value per group (ProGAN's layer): a constant map on
    images (NHWC), a single feature on flat inputs.

    The batch must be divisible by the group size (ProGAN's rule); a smaller batch
    uses the whole batch as one group. Groups stride through the batch (samples i,
    i + N/G, ...) as ProGAN's code does, or with `contiguous=True` take consecutive
    samples, which keeps one device's groups on each replica under `tf.distribute`.

    Example:
    >>> MinibatchStdDev(group_size=2)(np.ones((4, 8, 8, 3), "float32")).shape
    (4, 8, 8, 4)
    """

    def __init__(self, group_size: int = 4, contiguous: bool = False, **kwargs):
        super().__init__(**kwargs)
        if group_size < 1:
            raise ValueError(f"group_size must be >= 1. Received: group_size={group_size}")
        self.group_size = int(group_size)
        self.contiguous = bool(contiguous)

    def call(self, inputs):
        shape = ops.shape(inputs)
        batch = shape[0]
        static_batch = inputs.shape[0]
        if static_batch is not None and static_batch > self.group_size and static_batch % self.group_size:
            raise ValueError(
                f"MinibatchStdDev (layer '{self.name}') needs a batch that is a multiple of its "
                f"group size {self.group_size}: use a batch size divisible by "
                f"{self.group_size}. Received: batch={static_batch}")
        group = ops.minimum(self.group_size, batch)
        if self.contiguous:
            # Groups of consecutive samples: a replica holding a contiguous share of the
            # global batch (a multiple of the group size) forms one device's groups.
            x = ops.reshape(inputs, (-1, group, *inputs.shape[1:]))  # (batch/G, G, ...)
            std = ops.sqrt(ops.var(ops.cast(x, "float32"), axis=1) + 1e-8)
            value = ops.mean(std, axis=tuple(range(1, len(std.shape))), keepdims=True)
            value = ops.repeat(value, group, axis=0)                  # (batch, 1...)
            tiled = ops.broadcast_to(ops.cast(value, inputs.dtype), (*shape[:-1], 1))
            return ops.concatenate([inputs, tiled], axis=-1)
        x = ops.reshape(inputs, (group, -1, *inputs.shape[1:]))     # (G, batch/G, ...)
        std = ops.sqrt(ops.var(ops.cast(x, "float32"), axis=0) + 1e-8)
        value = ops.mean(std, axis=tuple(range(1, len(std.shape))), keepdims=True)
        value = ops.tile(value, (group,) + (1,) * (len(std.shape) - 1))   # (batch, 1...)
        tiled = ops.broadcast_to(ops.cast(value, inputs.dtype), (*shape[:-1], 1))
        return ops.concatenate([inputs, tiled], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size,
                "contiguous": self.contiguous}
