"""Spectral normalization (Miyato et al. 2018) as a reparametrization of the kernel.

`SpectralDense` and `SpectralConv2D` are `Dense` / `Conv2D` whose kernel is read as
W / sigma(W), sigma estimated by one power iteration per training call (the paper's
setting). The gradient flows through W / sigma(W) with u and v held constant, as in
the authors' code.

Why not `keras.layers.SpectralNormalization`: in Keras 3.15 it *assigns* W / sigma
back into the wrapped layer's trainable kernel on every training call. So (1) the
gradient skips sigma (W is renormalized after the fact rather than reparametrized),
and (2) a generator update, which calls the discriminator in training mode,
rewrites the discriminator's trainable weights: the update groups would no longer
touch only their own networks (`run_isolation_test` fails with it).
"""

from __future__ import annotations

import keras
from keras import ops


def _l2_normalize(x, eps=1e-12):
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x)), eps))


class _SpectralKernel:
    """Mixin: the `kernel` property returns W / sigma(W), u updated in training calls."""

    def _build_spectral(self):
        units = int(self._kernel.shape[-1])
        self.vector_u = self.add_weight(
            name="vector_u", shape=(1, units), trainable=False,
            initializer=keras.initializers.RandomNormal(seed=0),
            aggregation="only_first_replica")

    def _matrix(self):
        return ops.reshape(self._kernel, (-1, int(self._kernel.shape[-1])))

    def _power_iteration(self):
        w = ops.stop_gradient(self._matrix())
        v = _l2_normalize(ops.matmul(self.vector_u, ops.transpose(w)))
        u = _l2_normalize(ops.matmul(v, w))
        return u, v

    @property
    def kernel(self):
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        u = ops.stop_gradient(self.vector_u)
        v = ops.stop_gradient(_l2_normalize(ops.matmul(u, ops.transpose(self._matrix()))))
        sigma = ops.sum(ops.matmul(v, self._matrix()) * u)
        return self._kernel / sigma

    # Keras's Dense/Conv2D save `self.kernel` (here W / sigma) and not u: store the raw
    # variables instead, so a reload continues exactly.
    def _raw_variables(self):
        return [self._kernel] + ([self.bias] if self.use_bias else []) + [self.vector_u]

    def save_own_variables(self, store):
        if self.built:
            for i, variable in enumerate(self._raw_variables()):
                store[str(i)] = variable

    def load_own_variables(self, store):
        if not self.built:
            return
        variables = self._raw_variables()
        if len(store.keys()) != len(variables):
            raise ValueError(f"Layer '{self.name}' expected {len(variables)} variables "
                             f"(kernel, bias, vector_u), but the file holds {len(store.keys())}.")
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def _spectral_call(self, call, inputs, training):
        if training:
            u, _ = self._power_iteration()
            self.vector_u.assign(u)
        return call(inputs)


@keras.saving.register_keras_serializable(package="kerasgan")
class SpectralDense(_SpectralKernel, keras.layers.Dense):
    """A `Dense` layer with a spectrally normalized kernel.

    Example:
    >>> layer = SpectralDense(8)
    >>> layer(np.ones((2, 4), "float32")).shape
    (2, 8)
    """

    def build(self, input_shape):
        super().build(input_shape)
        self._build_spectral()

    def call(self, inputs, training=False):
        return self._spectral_call(super().call, inputs, training)


@keras.saving.register_keras_serializable(package="kerasgan")
class SpectralConv2D(_SpectralKernel, keras.layers.Conv2D):
    """A `Conv2D` layer with a spectrally normalized kernel (kernel reshaped to
    (kh * kw * in, out) for sigma, as in the paper)."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_spectral()

    def call(self, inputs, training=False):
        return self._spectral_call(super().call, inputs, training)
