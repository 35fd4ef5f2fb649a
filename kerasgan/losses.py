"""Adversarial losses as `keras.losses.Loss` subclasses.

Each loss is a `keras.losses.Loss` whose `call(y_true, y_pred)` takes a
*target* (`1` = "real", `0` = "fake") and discriminator logits, and returns
the per-example loss. Keras's `Loss.__call__` reduces it and divides by the
number of replicas, so the losses are correct under `tf.distribute`.

`discriminator_loss(real_logits, fake_logits)` and `generator_loss(fake_logits)`
combine the two terms the GAN needs.

Example:
>>> loss = NonSaturating(label_smoothing=0.1)
>>> d = loss.discriminator_loss(real_logits, fake_logits)  # doctest: +SKIP
"""

from __future__ import annotations

import keras
from keras import ops


def _flatten(x):
    return ops.reshape(x, (ops.shape(x)[0], -1))


class GANLoss(keras.losses.Loss):
    """Base class. `label_smoothing` is one-sided: it lowers only the real target."""

    supports_label_smoothing = True

    def __init__(self, label_smoothing: float = 0.0, name=None, reduction="sum_over_batch_size",
                 dtype=None):
        super().__init__(name=name or type(self).__name__.lower(), reduction=reduction, dtype=dtype)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1). Received: {label_smoothing}")
        if label_smoothing and not self.supports_label_smoothing:
            raise ValueError(f"{type(self).__name__} does not support label smoothing.")
        self.label_smoothing = label_smoothing

    def discriminator_loss(self, real_logits, fake_logits):
        real_target = ops.full_like(real_logits, 1.0 - self.label_smoothing)
        return self(real_target, real_logits) + self(ops.zeros_like(fake_logits), fake_logits)

    def generator_loss(self, fake_logits):
        return self(ops.ones_like(fake_logits), fake_logits)

    def get_config(self):
        config = super().get_config()
        config["label_smoothing"] = self.label_smoothing
        return config


@keras.saving.register_keras_serializable(package="kerasgan")
class NonSaturating(GANLoss):
    """The default GAN loss (Goodfellow et al. 2014, non-saturating G objective)."""

    def call(self, y_true, y_pred):
        per_element = keras.losses.binary_crossentropy(
            _flatten(y_true), _flatten(y_pred), from_logits=True)
        return per_element


@keras.saving.register_keras_serializable(package="kerasgan")
class Minimax(NonSaturating):
    """The original saturating minimax loss: G minimises log(1 - D(G(z)))."""

    def generator_loss(self, fake_logits):
        return -self(ops.zeros_like(fake_logits), fake_logits)


@keras.saving.register_keras_serializable(package="kerasgan")
class LeastSquares(GANLoss):
    """LSGAN (Mao et al. 2017) with targets a=0 (fake), b=c=1 (real)."""

    def call(self, y_true, y_pred):
        return ops.mean(ops.square(_flatten(y_pred) - _flatten(y_true)), axis=-1)


@keras.saving.register_keras_serializable(package="kerasgan")
class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; used by SAGAN/BigGAN). G minimises -D(G(z)).

    Targets: 1 = real (relu(1 - D)), 0 = fake (relu(1 + D)), -1 = the
    generator's objective (-D).
    """

    supports_label_smoothing = False

    def call(self, y_true, y_pred):
        y_true, y_pred = _flatten(y_true), _flatten(y_pred)
        per_element = ops.where(
            y_true > 0.5, ops.relu(1.0 - y_pred),
            ops.where(y_true < -0.5, -y_pred, ops.relu(1.0 + y_pred)))
        return ops.mean(per_element, axis=-1)

    def generator_loss(self, fake_logits):
        return self(ops.full_like(fake_logits, -1.0), fake_logits)


@keras.saving.register_keras_serializable(package="kerasgan")
class Wasserstein(GANLoss):
    """WGAN critic loss (Arjovsky et al. 2017): D maximises D(x) - D(G(z))."""

    supports_label_smoothing = False

    def call(self, y_true, y_pred):
        sign = 1.0 - 2.0 * ops.cast(_flatten(y_true) > 0.5, y_pred.dtype)
        return ops.mean(sign * _flatten(y_pred), axis=-1)


LOSSES = {
    "non_saturating": NonSaturating,
    "minimax": Minimax,
    "least_squares": LeastSquares,
    "hinge": Hinge,
    "wasserstein": Wasserstein,
}


def get(identifier) -> GANLoss:
    """A loss from a name in `LOSSES`, a config dict, or a `GANLoss` instance."""
    if isinstance(identifier, GANLoss):
        return identifier
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("GAN loss", identifier, LOSSES)
        return LOSSES[identifier]()
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    raise TypeError(f"Expected a GAN loss name or GANLoss instance. Received: {identifier!r}")
