"""LAPGAN (Denton, Chintala, Szlam & Fergus 2015, "Deep Generative Image Models using a
Laplacian Pyramid of Adversarial Networks"): a Laplacian pyramid of GANs. The coarsest
level is an ordinary GAN (`generator`, `discriminator`) on the image shrunk twice; each
finer level k has a conditional pair (`generator_k`, `discriminator_k`): `generator_k`
takes the coarser image upsampled, `l_k = u(I_{k-1})`, with a plane of noise as an extra
channel, and generates the band-pass residual `h_k`, so the level's image is
`l_k + h_k`. `discriminator_k` sees `l_k + h_k` (the paper adds the low-pass image to
the real or generated residual before its first convolution). Each level trains on the
real pyramid (`I_k`, and `l_k` from the real coarser image), independently of the
others: the `d` group holds the three discriminators, the `g` group the three
generators, and since no network takes part in another level's loss, summing the
levels' losses gives each network exactly its own level's gradient.

The pyramid: `d(.)` is 2x2 average pooling, `u(.)` bilinear 2x upsampling (the paper
blurs and decimates, and upsamples smoothly), the same layers in training and sampling.
Three levels, 8 -> 16 -> 32 for a 32x32 image (the paper's CIFAR-10 model): the image
side must be divisible by 4, so 28x28 works too (7 -> 14 -> 28).

Latents: a LAPGAN sample is drawn from one noise vector per level, so `latent_dim` is
their total: the coarse generator's `coarse_latent_dim` values, then each finer level's
noise plane (H x W values, row-major). `generate(latents=z)`, interpolation in
`kerasgan.latent`, the truncation trick and the serving signatures all take that one
vector. `gan.sampling_generator` is the whole pyramid as one `keras.Model` (latents ->
final images), built from the level networks, so export and every task treat LAPGAN as
any unconditional model; `generate(..., return_levels=True)` gives every level.

As the paper (its CIFAR-10 networks): the coarse pair are MLPs (generator 2 hidden
layers of 1200 ReLU units; discriminator 2 of 600 units with dropout), the finer
generators 3-layer ReLU convnets of 5x5 filters with 128 maps and a linear output (a
residual is not bounded), the finer discriminators 2 convolutions of 128 maps and a
linear logit, with dropout; the standard GAN objective (non-saturating for G).

Departures:
- Adam(2e-4, beta_1 = 0.5) for every network (the paper: SGD with momentum 0.5 and a
  decaying learning rate, tuned per level), the DCGAN default the zoo uses.
- Batch norm in the finer generators' hidden layers (synchronized across replicas), and
  LeakyReLU 0.2 in the discriminators (the paper's ReLU), the DCGAN-era stabilisers.
- Strided convolutions in the finer discriminators (the paper does not give strides) keep
  the dense logit small.
- `small` halves every width (600 / 300 units, 64 maps): 1.0M parameters in all, trained
  on 2 CPU cores; `base` has the paper's widths.

Example:
>>> gan = LAPGAN.from_size("small", image_shape=(32, 32, 1))
>>> gan.compile()
>>> gan.fit(kerasgan.data.pipeline("fashion-mnist-32"), epochs=1)    # doctest: +SKIP
>>> coarse, middle, final = gan.generate(4, seed=0, return_levels=True)
>>> [level.shape[1] for level in (coarse, middle, final)]
[8, 16, 32]
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.layers.dropout import GlobalBatchDropout
from kerasgan.models._registry import register_variant
from kerasgan.models.gan import (GAN, GroupLosses, UntrackedCache, UpdateGroup,
                                 check_num_images)
from kerasgan.utils import to_uint8

SIZES = {
    "tiny": {"mlp_units": 64, "conv_filters": 8},
    "small": {"mlp_units": 600, "conv_filters": 64},
    "base": {"mlp_units": 1200, "conv_filters": 128},
}
#: Networks of each level, coarsest first.
LEVEL_GENERATORS = ("generator", "generator_1", "generator_2")
LEVEL_DISCRIMINATORS = ("discriminator", "discriminator_1", "discriminator_2")


def level_sizes(image_size: int, levels: int = 3) -> list[int]:
    """The side of each pyramid level, coarsest first: 32 -> [8, 16, 32]."""
    factor = 2 ** (levels - 1)
    if image_size % factor or image_size // factor < 4:
        raise ValueError(
            f"LAPGAN's {levels}-level pyramid halves the image {levels - 1} times: its side must "
            f"be divisible by {factor} with a coarsest level of at least 4 pixels (e.g. 28, 32, "
            f"64). Received: image_size={image_size}")
    return [image_size // 2 ** (levels - 1 - k) for k in range(levels)]


def downsample(images):
    """The pyramid's d(.): 2x2 average pooling."""
    return layers.AveragePooling2D(2)(images)


def upsample(images):
    """The pyramid's u(.): bilinear 2x upsampling."""
    return layers.UpSampling2D(2, interpolation="bilinear")(images)


def laplacian_pyramid(images, levels: int = 3) -> list:
    """The Gaussian pyramid of `images`, coarsest first: `[d(d(I)), d(I), I]`."""
    pyramid = [images]
    for _ in range(levels - 1):
        pyramid.insert(0, downsample(pyramid[0]))
    return pyramid


def build_coarse_generator(latent_dim=100, image_shape=(8, 8, 1), units=1200,
                           name="generator") -> keras.Model:
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    for _ in range(2):
        x = layers.ReLU()(layers.Dense(units)(x))
    x = layers.Dense(math.prod(image_shape), activation="tanh")(x)
    images = layers.Reshape(tuple(image_shape), name="images")(x)
    return keras.Model(latents, images, name=name)


def build_coarse_discriminator(image_shape=(8, 8, 1), units=600, dropout=0.5,
                               name="discriminator") -> keras.Model:
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.Flatten()(images)
    for _ in range(2):
        x = GlobalBatchDropout(dropout)(layers.LeakyReLU(0.2)(layers.Dense(units)(x)))
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


def build_residual_generator(image_shape=(16, 16, 1), filters=128,
                             name="generator_1") -> keras.Model:
    """(upsampled coarser image, noise plane) -> the band-pass residual at this level."""
    coarse = keras.Input(tuple(image_shape), name="coarse")
    noise = keras.Input((*image_shape[:2], 1), name="noise")
    x = layers.Concatenate()([coarse, noise])
    for _ in range(2):
        x = layers.Conv2D(filters, 5, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    residual = layers.Conv2D(image_shape[-1], 5, padding="same", dtype="float32",
                             name="residual")(x)
    return keras.Model([coarse, noise], residual, name=name)


def build_residual_discriminator(image_shape=(16, 16, 1), filters=128, dropout=0.5,
                                 name="discriminator_1") -> keras.Model:
    """The level's image (low-pass plus residual) -> one logit."""
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for _ in range(2):
        x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 5, strides=2, padding="same")(x))
    x = GlobalBatchDropout(dropout)(layers.Flatten()(x))
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


@register_variant("lapgan")
class LAPGAN(GAN):
    """A Laplacian pyramid of GANs, 3 levels (see the module docstring).

    Args:
        generator, discriminator: the coarsest level's pair.
        generator_1, discriminator_1, generator_2, discriminator_2: the finer levels'
            conditional pairs (`generator_k([upsampled coarser image, noise plane])`
            gives the residual).
        latent_dim: the total latent size (`coarse_latent_dim` plus each finer
            level's noise plane); inferred from the networks.

    Example:
    >>> gan = LAPGAN.from_size("small", image_shape=(32, 32, 1), ema_decay=0.999)
    >>> gan.compile()
    >>> gan.latent_dim                    # 100 + 16*16 + 32*32
    1380
    """

    NETWORKS = ("generator", "discriminator", "generator_1", "discriminator_1",
                "generator_2", "discriminator_2")
    SAMPLED_NETWORKS = LEVEL_GENERATORS
    LOSS_TERMS = {"d": ("level_0", "level_1", "level_2"),
                  "g": ("level_0", "level_1", "level_2")}
    #: Penalties take one discriminator; LAPGAN has one per level.
    PENALTY_GROUPS = ()
    UNROLLABLE = False

    def __init__(self, generator, discriminator=None, *, latent_dim=None, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.coarse_latent_dim = self.latent_dim
        sizes = [int(getattr(self, name).outputs[0].shape[1]) for name in LEVEL_GENERATORS]
        for k in (1, 2):
            expected = (sizes[k - 1] * 2, *self.networks[LEVEL_GENERATORS[k - 1]].outputs[0].shape[2:])
            received = tuple(getattr(self, LEVEL_GENERATORS[k]).inputs[0].shape[1:])
            if received[0] != expected[0] or received[-1] != expected[-1]:
                raise ValueError(
                    f"LAPGAN's {LEVEL_GENERATORS[k]} must take the upsampled "
                    f"{LEVEL_GENERATORS[k - 1]} output, {expected[0]}x{expected[0]}x"
                    f"{expected[-1]}. Received: an input of shape {received}")
        self.noise_sizes = [sizes[1] ** 2, sizes[2] ** 2]
        self.latent_dim = self.coarse_latent_dim + sum(self.noise_sizes)
        if latent_dim is not None and int(latent_dim) != self.latent_dim:
            raise ValueError(f"latent_dim={latent_dim} does not match the networks: "
                             f"{self.coarse_latent_dim} + {' + '.join(map(str, self.noise_sizes))}"
                             f" = {self.latent_dim}.")
        # Not a tracked attribute: the pyramid models share the level networks' weights.
        self._pyramid_cache = UntrackedCache()

    @classmethod
    def from_size(cls, size="small", *, image_shape=(32, 32, 1), latent_dim=100,
                  d_dropout: float = 0.5, **kwargs):
        """A new, untrained LAPGAN of a named size ('tiny', 'small' or 'base').
        `latent_dim` is the coarse generator's noise size (the paper's 100)."""
        from kerasgan.models import check_size

        widths = check_size(SIZES, size)
        image_shape = tuple(image_shape)
        if image_shape[0] != image_shape[1]:
            raise ValueError(f"LAPGAN expects square images. Received: image_shape={image_shape}")
        sides = level_sizes(image_shape[0])
        shapes = [(side, side, image_shape[-1]) for side in sides]
        networks = {
            "generator": build_coarse_generator(latent_dim, shapes[0], widths["mlp_units"]),
            "discriminator": build_coarse_discriminator(shapes[0], widths["mlp_units"] // 2,
                                                        d_dropout),
        }
        for k in (1, 2):
            networks[f"generator_{k}"] = build_residual_generator(
                shapes[k], widths["conv_filters"], name=f"generator_{k}")
            networks[f"discriminator_{k}"] = build_residual_discriminator(
                shapes[k], widths["conv_filters"], d_dropout, name=f"discriminator_{k}")
        return cls(**networks, **kwargs)

    # ------------------------------------------------------------- the pyramid
    def split_latents(self, latents):
        """(coarse latents, [noise plane of each finer level]) of LAPGAN latents."""
        planes, start = [], self.coarse_latent_dim
        for count in self.noise_sizes:
            side = int(math.isqrt(count))
            planes.append(keras.ops.reshape(latents[:, start:start + count], (-1, side, side, 1)))
            start += count
        return latents[:, :self.coarse_latent_dim], planes

    def run_pyramid(self, latents, networks, training=False) -> list:
        """Every level's images, coarsest first, from LAPGAN latents through `networks`
        (the three generators, coarsest first)."""
        coarse_latents, planes = self.split_latents(latents)
        images = [networks[0](coarse_latents, training=training)]
        for network, noise in zip(networks[1:], planes):
            low_pass = upsample(images[-1])
            images.append(low_pass + network([low_pass, noise], training=training))
        return images

    def pyramid_model(self, return_levels: bool = False) -> keras.Model:
        """The sampling generators as one model: latents -> the final images (or every
        level's). Built once, from the (EMA) level networks, sharing their weights."""
        cache = self._pyramid_cache.models
        if return_levels not in cache:
            latents = keras.Input((self.latent_dim,), name="latents")
            networks = [self.sampling_network(name) for name in LEVEL_GENERATORS]
            levels = self.run_pyramid(latents, networks)
            outputs = levels if return_levels else levels[-1]
            cache[return_levels] = keras.Model(latents, outputs, name="lapgan_pyramid")
        return cache[return_levels]

    @property
    def sampling_generator(self) -> keras.Model:
        return self.pyramid_model()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.generator_2.outputs[0].shape[1:])

    def call(self, inputs, training=False):
        networks = [getattr(self, name) for name in LEVEL_GENERATORS]
        return self.run_pyramid(inputs, networks, training=training)[-1]

    # -------------------------------------------------------------- training
    def loss_terms(self, group: str, batch, training: bool = True) -> GroupLosses:
        """Each level's GAN loss on the real pyramid: the coarse pair on `d(d(I))`, each
        finer pair on `I_k` against `u(I_{k-1}) + generator_k(u(I_{k-1}), noise)`."""
        real, _ = batch
        pyramid = laplacian_pyramid(real)
        coarse_latents, planes = self.split_latents(self.sample_latents(tf.shape(real)[0]))
        augment = self.augment_images if training else (lambda x: x)
        terms = {}
        for k in range(3):
            if k == 0:
                fake = self.generator(coarse_latents, training=training)
            else:
                low_pass = upsample(pyramid[k - 1])
                residual = getattr(self, LEVEL_GENERATORS[k])([low_pass, planes[k - 1]],
                                                              training=training)
                fake = low_pass + residual
            discriminator = getattr(self, LEVEL_DISCRIMINATORS[k])
            if group == "d":
                real_logits = discriminator(augment(pyramid[k]), training=training)
                fake_logits = discriminator(augment(tf.stop_gradient(fake)), training=training)
                terms[f"level_{k}"] = self.d_loss_fn.discriminator_loss(real_logits, fake_logits)
            else:
                fake_logits = discriminator(augment(fake), training=training)
                terms[f"level_{k}"] = self.g_loss_fn.generator_loss(fake_logits)
        return GroupLosses(terms)

    def update_groups(self):
        return (UpdateGroup("d", LEVEL_DISCRIMINATORS, self.d_steps),
                UpdateGroup("g", LEVEL_GENERATORS))

    # ------------------------------------------------------------ generation
    def generate(self, num_images=None, labels=None, *, latents=None, seed=None,
                 truncation=None, batch_size: int = 256, output="uint8",
                 return_levels: bool = False):
        """Generates images (see `GAN.generate`); `return_levels=True` gives every
        level, coarsest first, as a list (`[8x8, 16x16, 32x32]` for a 32x32 model).

        Example:
        >>> coarse, middle, final = gan.generate(16, seed=0, return_levels=True)  # doctest: +SKIP
        """
        if not isinstance(return_levels, (bool, np.bool_)):
            raise TypeError(f"return_levels must be True or False. Received: "
                            f"return_levels={return_levels!r}")
        if not return_levels:
            return super().generate(num_images, labels, latents=latents, seed=seed,
                                    truncation=truncation, batch_size=batch_size, output=output)
        latents = self.resolve_latents(num_images, latents, seed, truncation, output)
        batch_size = check_num_images(batch_size, name="batch_size")
        self.prepare_labels(labels, len(latents))
        model = self.pyramid_model(return_levels=True)
        parts = [model(tf.constant(latents[start:start + batch_size]), training=False)
                 for start in range(0, len(latents), batch_size)]
        levels = [np.concatenate([np.asarray(part[k]) for part in parts]) for k in range(3)]
        return [to_uint8(level) for level in levels] if output == "uint8" else levels

    def preview(self, inputs: dict) -> np.ndarray:
        """A grid of the pyramid: one row per level, coarsest first, each upscaled
        (nearest) to the final size, the final images last."""
        from kerasgan.utils import image_grid

        levels = self.generate(inputs["latents"][:8], return_levels=True)
        side = levels[-1].shape[1]
        rows = [np.repeat(np.repeat(level, side // level.shape[1], 1), side // level.shape[2], 2)
                for level in levels]
        return image_grid(np.concatenate(rows), rows=len(levels), cols=len(levels[-1]))

    # --------------------------------------------------------- serialization
    def get_config(self):
        config = super().get_config()
        config["latent_dim"] = self.latent_dim
        return config
