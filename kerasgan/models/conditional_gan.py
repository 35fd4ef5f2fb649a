"""The conditional GAN (Mirza & Osindero 2014): both networks see the class label."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.models.dcgan import dcgan_discriminator_body, dcgan_generator_body
from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN

SIZES = {
    # "mlp" is the paper's architecture; "dcgan" the convolutional one the zoo uses.
    "small": {"architecture": "dcgan", "base_filters": 32},
    "base": {"architecture": "dcgan", "base_filters": 64},
    "mlp": {"architecture": "mlp", "hidden_units": (256, 512, 1024)},
}


def build_conditional_generator(latent_dim=100, num_classes=10, image_shape=(28, 28, 1),
                                architecture="mlp", base_filters=64,
                                hidden_units=(256, 512, 1024), name="generator") -> keras.Model:
    """[latents, labels] -> image. The label embedding is concatenated to z."""
    latents = keras.Input((latent_dim,), name="latents")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, 50, name="label_embedding")(labels)
    x = layers.Concatenate()([latents, embedded])
    if architecture == "dcgan":
        images = dcgan_generator_body(x, tuple(image_shape), base_filters)
    elif architecture == "mlp":
        for units in hidden_units:
            x = layers.Dense(units)(x)
            x = layers.BatchNormalization(momentum=0.8, synchronized=True)(x)
            x = layers.ReLU()(x)
        x = layers.Dense(int(np.prod(image_shape)), activation="tanh", dtype="float32")(x)
        images = layers.Reshape(tuple(image_shape), name="images")(x)
    else:
        raise ValueError(f"architecture must be 'mlp' or 'dcgan'. Received: {architecture!r}")
    return keras.Model([latents, labels], images, name=name)


def build_conditional_discriminator(num_classes=10, image_shape=(28, 28, 1), architecture="mlp",
                                    base_filters=64, hidden_units=(1024, 512, 256),
                                    name="discriminator") -> keras.Model:
    """[image, labels] -> logit.

    "mlp": the label embedding is concatenated to the flattened image (the paper).
    "dcgan": a projection discriminator (Miyato & Koyama 2018),
    logit = w.phi(x) + embed(y).phi(x), which conditions more strongly.
    """
    images = keras.Input(tuple(image_shape), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    if architecture == "dcgan":
        features = dcgan_discriminator_body(images, tuple(image_shape), base_filters)
        unconditional = layers.Dense(1, name="unconditional_logit")(features)
        class_embedding = layers.Embedding(num_classes, int(features.shape[-1]),
                                           name="label_projection")(labels)
        projection = layers.Dot(axes=1)([features, class_embedding])
        logits = layers.Add(name="logits", dtype="float32")([unconditional, projection])
    elif architecture == "mlp":
        embedded = layers.Embedding(num_classes, 50, name="label_embedding")(labels)
        x = layers.Concatenate()([layers.Flatten()(images), embedded])
        for units in hidden_units:
            x = layers.Dense(units)(x)
            x = layers.LeakyReLU(0.2)(x)
            x = layers.Dropout(0.3)(x)
        logits = layers.Dense(1, dtype="float32", name="logits")(x)
    else:
        raise ValueError(f"architecture must be 'mlp' or 'dcgan'. Received: {architecture!r}")
    return keras.Model([images, labels], logits, name=name)


@register_variant("cgan")
class ConditionalGAN(GAN):
    """A class-conditional GAN. Train on `(images, labels)` batches.

    Example:
    >>> gan = ConditionalGAN.from_size("small", num_classes=10)
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist(labels=True), epochs=5)   # doctest: +SKIP
    >>> sneakers = gan.generate(8, labels=7, seed=0)                  # doctest: +SKIP
    """

    task = "conditional"

    def __init__(self, generator, discriminator, *, num_classes=None, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        embedding = self.generator.get_layer("label_embedding")
        inferred = int(embedding.input_dim)
        if num_classes is not None and int(num_classes) != inferred:
            raise ValueError(
                f"num_classes={num_classes} does not match the generator's label embedding "
                f"({inferred} classes)."
            )
        self.num_classes = inferred

    @classmethod
    def from_size(cls, size="small", *, num_classes=10, image_shape=(28, 28, 1), latent_dim=100,
                  **kwargs):
        """A new, untrained model of a named size ('small', 'base', or the paper's 'mlp')."""
        from kerasgan.models import check_size

        spec = dict(check_size(SIZES, size))
        generator = build_conditional_generator(latent_dim, num_classes, image_shape, **spec)
        if "hidden_units" in spec:
            spec["hidden_units"] = tuple(reversed(spec["hidden_units"]))
        discriminator = build_conditional_discriminator(num_classes, image_shape, **spec)
        return cls(generator, discriminator, **kwargs)

    def unpack(self, data):
        images, labels = super().unpack(data)
        if labels is None:
            raise ValueError(
                "ConditionalGAN trains on (images, labels) batches, but the dataset yields "
                "images only. Use e.g. kerasgan.data.fashion_mnist(labels=True)."
            )
        return images, tf.cast(tf.reshape(labels, (-1,)), tf.int32)

    def sample_fake_labels(self, real_labels, batch_size):
        # Fakes take the batch's real label distribution, as in the paper.
        return real_labels

    def generator_inputs(self, latents, labels):
        return [latents, labels]

    def discriminator_inputs(self, images, labels):
        return [images, labels]

    def prepare_labels(self, labels, num_images):
        if labels is None:
            return np.arange(num_images, dtype=np.int32) % self.num_classes
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"Labels must be integers. Received: dtype={labels.dtype}")
        if labels.ndim == 0:
            labels = np.full(num_images, int(labels))
        if labels.shape != (num_images,):
            raise ValueError(
                f"Expected one label per image, shape ({num_images},). Received: shape={labels.shape}"
            )
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"Labels must be in [0, {self.num_classes - 1}]. Received: min={labels.min()}, "
                f"max={labels.max()}"
            )
        return labels.astype(np.int32)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
