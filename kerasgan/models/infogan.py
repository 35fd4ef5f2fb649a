"""InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by
Information Maximizing Generative Adversarial Nets").

The generator reads noise z and a latent code c: a categorical code (10 values by
default) and continuous codes uniform in [-1, 1] (2 by default). A Q head on the
discriminator's features predicts c from an image; the mutual-information lower
bound L_I (cross-entropy of the categorical code plus the Gaussian negative
log-likelihood of the continuous ones) is minimised by the generator and Q
(group `g`: `[generator, q_head]`) and by the shared discriminator body (group `d`),
weighted by `info_weight` (lambda = 1, the paper's for MNIST).

The networks are the paper's MNIST ones (its appendix C.1) at size "paper", half as
wide at "small"; Adam with 2e-4 for D and 1e-3 for G and Q, beta_1 = 0.5, as there.
Departure: Q's Gaussian has a fixed unit standard deviation (the NLL is then half
the squared error), a common simplification that keeps L_I bounded.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN, GroupLosses, UpdateGroup

SIZES = {
    "small": {"base_filters": 32, "dense_units": 512, "q_units": 64},
    "paper": {"base_filters": 64, "dense_units": 1024, "q_units": 128},
}
#: The paper's extrapolation range for continuous codes (it trains on [-1, 1]).
CONTINUOUS_LIMIT = 2.0


def build_info_generator(noise_dim=62, code_dim=12, image_shape=(28, 28, 1), base_filters=64,
                         dense_units=1024, name="generator") -> keras.Model:
    """[noise, codes] -> image: FC, FC to (H/4, W/4), two 4x4 stride-2 up-convolutions."""
    height, width, channels = image_shape
    if height % 4 or width % 4:
        raise ValueError(f"InfoGAN needs an image size divisible by 4. Received: {image_shape}")
    noise = keras.Input((noise_dim,), name="latents")
    codes = keras.Input((code_dim,), name="codes")
    x = layers.Concatenate()([noise, codes])
    x = layers.Dense(dense_units, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    x = layers.Dense((height // 4) * (width // 4) * base_filters * 2, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    x = layers.Reshape((height // 4, width // 4, base_filters * 2))(x)
    x = layers.Conv2DTranspose(base_filters, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same")(x)
    images = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([noise, codes], images, name=name)


def build_info_discriminator(image_shape=(28, 28, 1), base_filters=64, dense_units=1024,
                             name="discriminator") -> keras.Model:
    """image -> [logit, features]: the body the Q head shares."""
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Conv2D(base_filters, 4, strides=2, padding="same")(images)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.Conv2D(base_filters * 2, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU(0.1)(layers.BatchNormalization(synchronized=True)(x))
    x = layers.Dense(dense_units, use_bias=False)(layers.Flatten()(x))
    features = layers.LeakyReLU(0.1, name="features")(layers.BatchNormalization(
        synchronized=True)(x))
    logits = layers.Dense(1, dtype="float32", name="logits")(features)
    return keras.Model(images, [logits, features], name=name)


def build_q_head(feature_dim=1024, num_categories=10, num_continuous=2, q_units=128,
                 name="q_head") -> keras.Model:
    """features -> [category logits, continuous means]."""
    features = keras.Input((feature_dim,), name="features")
    x = layers.Dense(q_units, use_bias=False)(features)
    x = layers.LeakyReLU(0.1)(layers.BatchNormalization(synchronized=True)(x))
    category = layers.Dense(num_categories, dtype="float32", name="category_logits")(x)
    continuous = layers.Dense(num_continuous, dtype="float32", name="continuous_means")(x)
    return keras.Model(features, [category, continuous], name=name)


@register_variant("infogan")
class InfoGAN(GAN):
    """A GAN whose latent codes are made interpretable by maximising their mutual
    information with the images. Trains on images (labels are not used).

    Args:
        info_weight: lambda, the weight of L_I.
        continuous_weight: the weight of the continuous codes' NLL inside L_I.

    Example:
    >>> gan = InfoGAN.from_size("small")
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.mnist(), epochs=1)                            # doctest: +SKIP
    >>> sevens = gan.generate(8, codes={"category": 3}, seed=0)             # doctest: +SKIP
    >>> slanted = gan.generate(8, codes={"category": 3, "continuous": [[1.5, 0.0]]})  # doctest: +SKIP
    """

    task = "code-controlled"
    NETWORKS = ("generator", "discriminator", "q_head")
    LOSS_TERMS = {"d": ("loss", "info"), "g": ("loss", "info")}
    UNROLLABLE = False

    def __init__(self, generator, discriminator, *, q_head, info_weight: float = 1.0,
                 continuous_weight: float = 1.0, **kwargs):
        super().__init__(generator, discriminator, q_head=q_head, **kwargs)
        self.num_categories = int(self.q_head.outputs[0].shape[-1])
        self.num_continuous = int(self.q_head.outputs[1].shape[-1])
        code_dim = int(self.generator.inputs[1].shape[-1])
        if code_dim != self.num_categories + self.num_continuous:
            raise ValueError(f"The generator takes codes of size {code_dim}, but the Q head "
                             f"predicts {self.num_categories} categories + "
                             f"{self.num_continuous} continuous codes.")
        for key, value in (("info_weight", info_weight), ("continuous_weight", continuous_weight)):
            if value < 0:
                raise ValueError(f"{key} must be >= 0. Received: {key}={value}")
        self.info_weight = float(info_weight)
        self.continuous_weight = float(continuous_weight)
        self.category_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), latent_dim=62,
                  num_categories=10, num_continuous=2, **kwargs):
        """A new, untrained model ('small', or the paper's MNIST networks: 'paper')."""
        from kerasgan.models import check_size

        spec = check_size(SIZES, size)
        generator = build_info_generator(latent_dim, num_categories + num_continuous,
                                         image_shape, spec["base_filters"], spec["dense_units"])
        discriminator = build_info_discriminator(image_shape, spec["base_filters"],
                                                 spec["dense_units"])
        q_head = build_q_head(spec["dense_units"], num_categories, num_continuous,
                              spec["q_units"])
        return cls(generator, discriminator, q_head=q_head, **kwargs)

    def default_optimizers(self):
        return {"d": lambda: keras.optimizers.Adam(2e-4, beta_1=0.5),
                "g": lambda: keras.optimizers.Adam(1e-3, beta_1=0.5)}

    def update_groups(self):
        return (UpdateGroup("d", ("discriminator",), self.d_steps),
                UpdateGroup("g", ("generator", "q_head")))

    # ------------------------------------------------------------- training
    def unpack(self, data):
        images, _ = super().unpack(data)  # labels, if any, are not used
        return images, None

    def sample_codes(self, batch_size):
        """Replica-aware codes: one-hot categories and uniform [-1, 1) continuous codes."""
        category = tf.cast(tf.floor(self.sample_uniform(batch_size, [1])[:, 0]
                                    * self.num_categories), tf.int32)
        category = tf.minimum(category, self.num_categories - 1)
        continuous = 2.0 * self.sample_uniform(batch_size, [self.num_continuous]) - 1.0
        return category, continuous

    def codes_tensor(self, category, continuous):
        return tf.concat([tf.one_hot(category, self.num_categories), continuous], axis=-1)

    def information_loss(self, category, continuous, q_outputs):
        """-L_I up to a constant: categorical cross-entropy + unit-variance Gaussian NLL."""
        category_logits, continuous_means = q_outputs
        nll = 0.5 * tf.reduce_sum(tf.square(continuous - continuous_means), axis=-1)
        return (self.category_loss(category, category_logits)
                + self.continuous_weight * self.global_mean(nll))

    def discriminate(self, images, labels, training=False):
        return self.discriminator(images, training=training)[0]

    def loss_terms(self, group, batch, training=True):
        real, _ = batch
        batch_size = tf.shape(real)[0]
        latents = self.sample_latents(batch_size)
        category, continuous = self.sample_codes(batch_size)
        fake = self.generator([latents, self.codes_tensor(category, continuous)],
                              training=training)
        if group == "d":
            fake = tf.stop_gradient(fake)
        real_logits, _ = self.discriminator(real, training=training)
        fake_logits, fake_features = self.discriminator(fake, training=training)
        info = self.information_loss(category, continuous,
                                     self.q_head(fake_features, training=training))
        if group == "d":
            return GroupLosses(
                {"loss": self.d_loss_fn.discriminator_loss(real_logits, fake_logits),
                 "info": info},
                {"discriminate": lambda x: self.discriminate(x, None, training=True),
                 "real": real, "fake": fake}, real_logits=real_logits)
        return GroupLosses({"loss": self.g_loss_fn.generator_loss(fake_logits), "info": info})

    def loss_weights(self, group):
        return {"info": self.info_weight}

    # ------------------------------------------------------------ generation
    def make_codes(self, num_images: int, codes=None, seed=None) -> np.ndarray:
        """The generator's code input, `(num_images, num_categories + num_continuous)`.

        `codes`: None, or a dict with `category` (an int or one per image, in
        [0, num_categories)) and/or `continuous` (`(num_continuous,)` or one row per
        image, within [-2, 2]: trained on [-1, 1], the paper extrapolates to 2). What
        is not given is drawn from `seed`.
        """
        if codes is None:
            codes = {}
        if isinstance(codes, np.ndarray) and codes.ndim == 2:
            return self._check_code_array(codes, num_images)
        if not isinstance(codes, dict):
            raise TypeError("codes must be a dict with 'category' and/or 'continuous'. "
                            f"Received: {type(codes).__name__}")
        unknown = set(codes) - {"category", "continuous"}
        if unknown:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("code", sorted(unknown)[0], ["category", "continuous"])
        rng = np.random.default_rng(seed)
        category = codes.get("category")
        if category is None:
            category = rng.integers(0, self.num_categories, num_images)
        category = np.asarray(category)
        if not np.issubdtype(category.dtype, np.integer):
            raise TypeError(f"codes['category'] must be integers. Received: dtype={category.dtype}")
        if category.ndim == 0:
            category = np.full(num_images, int(category))
        if category.shape != (num_images,):
            raise ValueError(f"codes['category'] needs one value per image, shape ({num_images},). "
                             f"Received: shape={category.shape}")
        if category.min() < 0 or category.max() >= self.num_categories:
            raise ValueError(f"codes['category'] must be in [0, {self.num_categories - 1}]. "
                             f"Received: min={category.min()}, max={category.max()}")
        continuous = codes.get("continuous")
        if continuous is None:
            continuous = rng.uniform(-1.0, 1.0, (num_images, self.num_continuous))
        continuous = np.asarray(continuous, dtype=np.float64)
        if continuous.ndim == 1:
            continuous = np.broadcast_to(continuous, (num_images, *continuous.shape))
        if continuous.shape != (num_images, self.num_continuous):
            raise ValueError(f"codes['continuous'] must have shape ({self.num_continuous},) or "
                             f"({num_images}, {self.num_continuous}). Received: "
                             f"shape={continuous.shape}")
        if not np.isfinite(continuous).all() or np.abs(continuous).max() > CONTINUOUS_LIMIT:
            raise ValueError(f"codes['continuous'] must be within [-{CONTINUOUS_LIMIT:g}, "
                             f"{CONTINUOUS_LIMIT:g}] (trained on [-1, 1]). Received: "
                             f"min={continuous.min():g}, max={continuous.max():g}")
        onehot = np.eye(self.num_categories, dtype=np.float32)[category]
        return np.concatenate([onehot, continuous.astype(np.float32)], axis=1)

    def _check_code_array(self, codes, num_images):
        width = self.num_categories + self.num_continuous
        if codes.shape != (num_images, width):
            raise ValueError(f"A code array must have shape ({num_images}, {width}). Received: "
                             f"shape={codes.shape}")
        return codes.astype(np.float32)

    def prepare_labels(self, codes, num_images):
        return self.make_codes(num_images, codes)

    def generator_inputs(self, latents, codes):
        return [latents, codes]

    def generate(self, num_images=None, codes=None, *, latents=None, seed=None,
                 truncation=None, batch_size: int = 256, output="uint8") -> np.ndarray:
        """Images for codes (see `make_codes`); the codes not given are drawn from `seed`
        (with given latents and no seed, they are random). Other arguments as
        `GAN.generate`.

        Example:
        >>> gan.generate(10, codes={"category": np.arange(10)}, seed=0)   # doctest: +SKIP
        """
        from kerasgan.models.gan import check_num_images, check_seed

        if latents is None and num_images is not None and np.ndim(num_images) > 0:
            num_images, latents = None, num_images  # latents passed positionally
        if latents is None:
            count = check_num_images(16 if num_images is None else num_images)
            latents = self.make_latents(count, check_seed(seed), truncation)
        elif seed is not None or truncation is not None or num_images is not None:
            return super().generate(num_images, latents=latents, seed=seed, truncation=truncation)
        latents = self.check_latents(latents)
        code_seed = None if seed is None else [int(seed), 1]
        return super().generate(latents=latents,
                                labels=self.make_codes(len(latents), codes, code_seed),
                                batch_size=batch_size, output=output)

    def code_sweep(self, code_index: int, *, values=np.linspace(-2, 2, 9), rows: int = 10,
                   seed: int = 0) -> np.ndarray:
        """uint8 images `(rows * len(values), H, W, C)`: row r is category r % K with fixed
        noise and the other continuous codes at 0, code `code_index` swept along the row."""
        if not 0 <= code_index < self.num_continuous:
            raise ValueError(f"code_index must be in [0, {self.num_continuous - 1}]. "
                             f"Received: code_index={code_index}")
        values = np.asarray(values, dtype=np.float64)
        latents = np.random.default_rng(seed).standard_normal((rows, self.latent_dim))
        codes = np.zeros((rows, len(values), self.num_continuous))
        codes[:, :, code_index] = values[None]
        return self.generate(np.repeat(latents.astype(np.float32), len(values), axis=0),
                             codes={"category": np.repeat(np.arange(rows) % self.num_categories,
                                                          len(values)),
                                    "continuous": codes.reshape(-1, self.num_continuous)})

    def example_inputs(self, num_images: int, seed=None) -> dict:
        rng = np.random.default_rng(None if seed is None else [int(seed), 1])
        return {"latents": self.make_latents(num_images, seed),
                "category": (np.arange(num_images) % self.num_categories).astype(np.int32),
                "continuous": rng.uniform(-1, 1, (num_images, self.num_continuous)).astype(
                    np.float32)}

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        return self.generate(inputs["latents"], codes={"category": inputs["category"],
                                                       "continuous": inputs["continuous"]},
                             output=output)

    def get_config(self):
        return {**super().get_config(), "info_weight": self.info_weight,
                "continuous_weight": self.continuous_weight}
