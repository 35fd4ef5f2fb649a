"""The conditional GAN (Mirza & Osindero 2014): both networks see the class label."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.data import find_dataset
from kerasgan.models.dcgan import dcgan_discriminator_body, dcgan_generator_body
from kerasgan.layers.dropout import GlobalBatchDropout
from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN, _short_repr

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
            x = GlobalBatchDropout(0.3)(x)
        logits = layers.Dense(1, dtype="float32", name="logits")(x)
    else:
        raise ValueError(f"architecture must be 'mlp' or 'dcgan'. Received: {architecture!r}")
    return keras.Model([images, labels], logits, name=name)


def dataset_class_names(dataset, num_classes=None) -> tuple[str, ...] | None:
    """The class names of a dataset the model learned (`kerasgan.data.get_dataset(dataset).
    classes`), if it is a registered dataset and they fit the model's class count."""
    registered = find_dataset(dataset)
    names = None if registered is None else registered.classes
    if names is None or (num_classes and len(names) != num_classes):
        return None
    return names


@register_variant("cgan")
class ConditionalGAN(GAN):
    """A class-conditional GAN. Train on `(images, labels)` batches.

    Args:
        generator, discriminator: from `build_conditional_generator` / `_discriminator`.
        num_classes: inferred from the generator's label embedding.
        class_names: a name per class id, so `generate` takes names
            (case-insensitive) as well as ids. Default: none, except for a model
            loaded from the zoo, which takes its dataset's names
            (`kerasgan.data.FASHION_MNIST_CLASSES`, `MNIST_CLASSES`).

    Example:
    >>> gan = ConditionalGAN.from_size("small", num_classes=10,
    ...                                class_names=kerasgan.data.FASHION_MNIST_CLASSES)
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist(labels=True), epochs=5)   # doctest: +SKIP
    >>> sneakers = gan.generate(8, labels=7, seed=0)                  # doctest: +SKIP
    >>> sneakers = gan.generate(8, labels="sneaker", seed=0)          # doctest: +SKIP
    >>> pairs = gan.generate(2, labels=["bag", "Ankle boot"], seed=0)  # doctest: +SKIP
    """

    task = "conditional"

    def __init__(self, generator, discriminator, *, num_classes=None, class_names=None, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        embedding = self.generator.get_layer("label_embedding")
        inferred = int(embedding.input_dim)
        if num_classes is not None and int(num_classes) != inferred:
            raise ValueError(
                f"num_classes={num_classes} does not match the generator's label embedding "
                f"({inferred} classes)."
            )
        self.num_classes = inferred
        self._class_names = (None if class_names is None
                             else _check_class_names(class_names, inferred))

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """The name of each class id: from the config, else (for a zoo model) its dataset's."""
        if self._class_names is not None:
            return self._class_names
        dataset = (getattr(self, "preset_metadata", None) or {}).get("data", {}).get("dataset")
        return dataset_class_names(dataset, self.num_classes)

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
        """Class ids (int32, one per image) from ids or names, one or one per image;
        with none, cycles through the classes."""
        if labels is None:
            return np.arange(num_images, dtype=np.int32) % self.num_classes
        if isinstance(labels, str) or (np.ndim(labels) > 0 and len(labels) and all(
                isinstance(label, str) for label in np.asarray(labels, dtype=object).ravel())):
            labels = self.class_ids(labels)
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError("Labels must be class ids (integers) or class names (strings), not "
                            f"a mix. Received: labels={_short_repr(labels)} (dtype={labels.dtype})")
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

    def class_ids(self, names):
        """Class ids of class names (case-insensitive): a name gives an int, a list an array.

        Example:
        >>> gan.class_ids("sneaker"), gan.class_ids(["Bag", "ankle boot"]).tolist()  # doctest: +SKIP
        (7, [8, 9])
        """
        names_of_classes = self.class_names
        if names_of_classes is None:
            raise ValueError(
                f"This {type(self).__name__} has no class names, so labels must be class ids "
                f"in [0, {self.num_classes - 1}] (or build it with class_names=[...]). "
                f"Received: labels={names!r}")
        index = {name.lower(): i for i, name in enumerate(names_of_classes)}

        def lookup(name):
            if name.lower() not in index:
                from kerasgan.utils import closest_matches

                # Matched without case, as names are looked up ("SNEEKER" -> Sneaker).
                matches = [names_of_classes[index[m]] for m in closest_matches(name.lower(), index)]
                hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
                raise ValueError(f"Unknown class name '{name}'.{hint} Available: "
                                 f"{', '.join(names_of_classes)} (or ids 0 to "
                                 f"{self.num_classes - 1}).")
            return index[name.lower()]

        if isinstance(names, str):
            return lookup(names)
        return np.asarray([lookup(str(n)) for n in np.asarray(names, dtype=object).ravel()],
                          np.int32).reshape(np.shape(names))

    def example_inputs(self, num_images: int, seed=None) -> dict:
        """`latents` and `labels` cycling through the classes."""
        return {**super().example_inputs(num_images, seed),
                "labels": self.prepare_labels(None, num_images)}

    def preview(self, inputs: dict) -> np.ndarray:
        """A grid of the outputs for `inputs`, each with its class name under it when the
        model has class names."""
        from kerasgan.utils import image_grid

        names = self.class_names
        captions = None if names is None else [names[int(i)] for i in inputs["labels"]]
        return image_grid(self.generate_from(inputs), captions=captions)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        config["class_names"] = None if self._class_names is None else list(self._class_names)
        return config


def _check_class_names(class_names, num_classes) -> tuple[str, ...]:
    if isinstance(class_names, str) or not all(isinstance(n, str) for n in class_names):
        raise TypeError(f"class_names must be a list of strings, one per class. "
                        f"Received: class_names={class_names!r}")
    names = tuple(class_names)
    if len(names) != num_classes:
        raise ValueError(f"class_names must name each of the {num_classes} classes. "
                         f"Received: {len(names)} names: {list(names)}")
    lowered = [n.lower() for n in names]
    duplicates = sorted({n for n in names if lowered.count(n.lower()) > 1})
    if duplicates or not all(n.strip() for n in names):
        raise ValueError("class_names must be distinct (ignoring case) and non-empty. "
                         f"Received: class_names={list(names)}")
    return names
