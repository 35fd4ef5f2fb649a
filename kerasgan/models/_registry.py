"""The variant table: `@register_variant("dcgan")` names a GAN class for configs and
`kerasgan.models.create`, and makes it Keras-serializable (as timm's `register_model`
names a model function)."""

from __future__ import annotations

import keras

#: variant name (as used in training configs) -> class; aliases included.
VARIANTS: dict = {}
#: alias -> the variant name it stands for.
ALIASES: dict = {}


def register_variant(name: str, *, aliases: tuple[str, ...] = ()):
    """Class decorator: registers a GAN subclass under `name` (and `aliases`).

    Example:
    >>> @register_variant("toygan")                       # doctest: +SKIP
    ... class ToyGAN(kerasgan.GAN): ...
    """

    def decorate(cls):
        cls = keras.saving.register_keras_serializable(package="kerasgan")(cls)
        for key in (name, *aliases):
            if key in VARIANTS and VARIANTS[key] is not cls:
                raise ValueError(f"GAN variant '{key}' is already registered to "
                                 f"{VARIANTS[key].__name__}. Received: {cls.__name__}")
            VARIANTS[key] = cls
        for alias in aliases:
            ALIASES[alias] = name
        cls.variant_name = name
        return cls

    return decorate
