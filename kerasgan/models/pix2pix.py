"""Pix2Pix (Isola et al. 2017): paired image-to-image translation with a U-Net
generator, a PatchGAN discriminator on (source, image) pairs, and an L1 term."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN, GroupLosses
from kerasgan.utils import check_image_batch, to_uint8

SIZES = {
    "small": {"base_filters": 32, "depth": 2},
    "base": {"base_filters": 64, "depth": 3},
}


def _check_divisible(image_shape, depth):
    height, width = image_shape[:2]
    if height % 2 ** depth or width % 2 ** depth:
        raise ValueError(
            f"A U-Net of depth {depth} needs a height and width divisible by {2 ** depth}. "
            f"Received: image_shape={tuple(image_shape)}"
        )


def build_unet_generator(source_shape=(28, 28, 1), target_channels=1, base_filters=64, depth=3,
                         name="generator") -> keras.Model:
    """source image -> translated image in [-1, 1]: strided-conv encoder, transposed-conv
    decoder, and a skip connection at every resolution."""
    _check_divisible(source_shape, depth)
    source = keras.Input(tuple(source_shape), name="images")
    x, skips = source, []
    for i in range(depth):
        x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same", use_bias=i == 0)(x)
        if i > 0:
            x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.LeakyReLU(0.2)(x)
        skips.append(x)
    x = layers.Conv2D(base_filters * 2 ** depth, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.ReLU()(x)
    for i in reversed(range(depth)):
        x = layers.Concatenate()([x, skips[i]])
        x = layers.Conv2DTranspose(base_filters * 2 ** max(i - 1, 0), 4, strides=2, padding="same",
                                   use_bias=False)(x)
        x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.ReLU()(x)
    x = layers.Concatenate()([x, source])
    x = layers.Conv2D(target_channels, 3, padding="same")(x)
    images = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(source, images, name=name)


def build_patch_discriminator(source_shape=(28, 28, 1), target_channels=1, base_filters=64,
                              depth=3, name="discriminator") -> keras.Model:
    """[source, image] -> a grid of logits, one per overlapping patch (PatchGAN)."""
    _check_divisible(source_shape, depth - 1)
    source = keras.Input(tuple(source_shape), name="source")
    image = keras.Input((*source_shape[:2], target_channels), name="images")
    x = layers.Concatenate()([source, image])
    for i in range(depth - 1):
        x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same", use_bias=i == 0)(x)
        if i > 0:
            x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(base_filters * 2 ** (depth - 1), 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.LeakyReLU(0.2)(x)
    logits = layers.Conv2D(1, 3, padding="same", dtype="float32", name="patch_logits")(x)
    return keras.Model([source, image], logits, name=name)


@register_variant("pix2pix")
class Pix2Pix(GAN):
    """Paired image-to-image translation. Trains on `(source, target)` batches.

    Args:
        generator: source images `(batch, H, W, Cs)` in [-1, 1] -> images `(batch, H, W, Ct)`.
        discriminator: `[source, image]` -> patch logits.
        l1_weight: weight of the L1 distance to the target (100 in the paper).
        ema_decay, seed: as for `GAN`.

    Example:
    >>> gan = Pix2Pix.from_size("small", image_shape=(28, 28, 1))
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist_edges(), epochs=1)   # doctest: +SKIP
    >>> photos = gan.translate(edge_maps)                        # uint8 NHWC
    """

    task = "image-to-image"

    def __init__(self, generator, discriminator, *, l1_weight: float = 100.0,
                 ema_decay: float | None = None, seed: int | None = None, d_steps: int = 1,
                 **kwargs):
        kwargs.pop("latent_dim", None)
        super().__init__(generator, discriminator, ema_decay=ema_decay, seed=seed,
                         d_steps=d_steps, **kwargs)
        self.latent_dim = None
        if l1_weight < 0:
            raise ValueError(f"l1_weight must be >= 0. Received: l1_weight={l1_weight}")
        self.l1_weight = float(l1_weight)
        self.l1_loss = keras.losses.MeanAbsoluteError()

    @classmethod
    def from_size(cls, size="base", *, image_shape=(28, 28, 1), source_shape=None, **kwargs):
        """A new, untrained model of a named size ('small' or 'base').

        `image_shape` is the output's shape; `source_shape` the input's (by default
        the same).
        """
        from kerasgan.models import check_size

        spec = check_size(SIZES, size)
        source_shape = tuple(source_shape or image_shape)
        if tuple(source_shape[:2]) != tuple(image_shape[:2]):
            raise ValueError(f"Pix2Pix keeps the image size: source_shape {tuple(source_shape)} "
                             f"and image_shape {tuple(image_shape)} differ in height or width.")
        generator = build_unet_generator(source_shape, image_shape[-1], **spec)
        discriminator = build_patch_discriminator(source_shape, image_shape[-1], **spec)
        return cls(generator, discriminator, **kwargs)

    def set_augment(self, augment):
        if augment not in (None, "none"):
            raise ValueError("Pix2Pix does not support discriminator augmentation: a transform "
                             "would have to be applied to source and image alike. "
                             f"Received: augment={augment!r}")
        self.augment = None

    @property
    def source_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.generator.inputs[0].shape[1:])

    # ------------------------------------------------------------- training
    UNROLLABLE = False
    LOSS_TERMS = {"d": ("loss",), "g": ("loss", "l1")}

    def unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                "Pix2Pix trains on (source, target) image pairs, e.g. "
                "kerasgan.data.from_pairs(sources, targets). Received a batch of "
                f"{'a single tensor' if not isinstance(data, (tuple, list)) else len(data)} "
                "element(s)."
            )
        return data[0], data[1]

    def loss_terms(self, group, batch, training=True):
        """`d`: (source, target) pairs are real, (source, translation) pairs fake.
        `g`: fool `d`, plus the L1 distance to the target (weighted by `l1_weight`)."""
        source, target = batch

        def discriminate(images, training=training):
            return self.discriminator([source, images], training=training)

        if group == "d":
            fake = tf.stop_gradient(self.generator(source, training=training))
            real_logits = discriminate(target)
            fake_logits = discriminate(fake)
            return GroupLosses(
                {"loss": self.d_loss_fn.discriminator_loss(real_logits, fake_logits)},
                {"discriminate": lambda x: discriminate(x, training=True),
                 "real": target, "fake": fake})
        fake = self.generator(source, training=training)
        # Keras losses divide by the replica count, so the sum over replicas is right.
        return GroupLosses({"loss": self.g_loss_fn.generator_loss(discriminate(fake)),
                            "l1": self.l1_loss(target, fake)})

    def loss_weights(self, group):
        return {"l1": self.l1_weight} if group == "g" else {}

    # ------------------------------------------------------------ translation
    def check_images(self, images) -> np.ndarray:
        """Source images as float32 in [-1, 1]: uint8 in [0, 255] or floats in [-1, 1],
        `(N, H, W, C)`, or `(N, H, W)` for one channel."""
        return check_image_batch(images, self.source_shape, "source images")

    def translate(self, images, *, batch_size: int = 256, output="uint8") -> np.ndarray:
        """Translates source images (from the EMA generator when there is one).

        Args:
            images: uint8 `(N, H, W, C)` in [0, 255], or floats in [-1, 1].
            output: "uint8" (NHWC in [0, 255]) or "float" (NHWC in [-1, 1]).
        """
        if output not in ("uint8", "float"):
            raise ValueError(f"output must be 'uint8' or 'float'. Received: {output!r}")
        images = self.check_images(images)
        run = self._generator_function()
        out = np.concatenate([run(tf.constant(images[i:i + batch_size])).numpy()
                              for i in range(0, len(images), batch_size)]).astype(np.float32)
        return out if output == "float" else to_uint8(out)

    def generate(self, *args, **kwargs):
        raise TypeError("Pix2Pix translates images rather than sampling them: "
                        "use gan.translate(images).")

    def make_latents(self, *args, **kwargs):
        raise TypeError("Pix2Pix has no latents: it translates source images.")

    def example_inputs(self, num_images: int, seed=None) -> dict:
        """Random uint8 source images (fixed by `seed`), for golden outputs."""
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, (int(num_images), *self.source_shape), np.uint8)}

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        return self.translate(inputs["images"], output=output)

    def preview(self, inputs: dict) -> np.ndarray:
        """A grid of (source, translation) pairs side by side."""
        from kerasgan.utils import image_grid

        sources = to_uint8(self.check_images(inputs["images"]))
        outputs = self.generate_from(inputs)
        if sources.shape[-1] != outputs.shape[-1]:
            sources = np.repeat(sources[..., :1], outputs.shape[-1], axis=-1)
        pairs = np.stack([sources, outputs], axis=1).reshape(-1, *outputs.shape[1:])
        return image_grid(pairs, cols=8)

    # --------------------------------------------------------- serialization
    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "augment"):
            config.pop(key)
        config["l1_weight"] = self.l1_weight
        return config
