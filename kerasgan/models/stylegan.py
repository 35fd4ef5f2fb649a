"""StyleGAN (Karras, Laine & Aila 2019, "A Style-Based Generator Architecture for
Generative Adversarial Networks") with StyleGAN2's synthesis and regularisers (Karras,
Laine, Aittala, Hellsten, Lehtinen & Aila 2020, "Analyzing and Improving the Image
Quality of StyleGAN").

Three networks:
- `mapping`: z -> w, pixel norm then an MLP of equalized dense layers at a learning-rate
  multiplier of 0.01; its last layer (`WAverage`) holds W's running mean, the centre of
  the truncation trick, a non-trainable weight saved with the network.
- `generator` (the synthesis network): `[ws, noise...] -> images`, ws of shape
  `(N, num_ws, w_dim)`, one style per layer. A learned 4x4 constant, then per resolution
  two 3x3 modulated convolutions (the first upsampling 2x) with a noise plane each, and
  a toRGB whose outputs are summed over resolutions (StyleGAN2's "skip" generator).
- `discriminator`: StyleGAN2's residual discriminator with minibatch stddev.

Weight modulation and demodulation (StyleGAN2), not AdaIN (StyleGAN): AdaIN normalizes
each feature map's statistics away, which is what causes StyleGAN's droplet artifacts
(StyleGAN2, section 2); demodulation normalizes by the expected statistics instead.
With StyleGAN2's synthesis comes its path-length regulariser on the generator
(weight 2, every 4th generator update on half a batch, the mean length tracked with
decay 0.01); R1 on the discriminator (every 16th update, lazily: `R1Penalty(every=16)`);
style-mixing regularisation (probability 0.9: two latents, one crossover layer per
batch); the non-saturating logistic loss; Adam(0.0025, 0, 0.99) with the learning rate
and betas adjusted for the lazy intervals as the paper does (c = k / (k + 1)).

Sampling: `gan.sampling_generator` is `latents -> images` (mapping, then synthesis with
fixed noise planes, StyleGAN2's noise_mode="const"), so export, metrics and the latent
tools treat it as any unconditional model. StyleGAN's own tools:
- `generate(..., truncation=psi)`: the truncation trick in W, `w_avg + psi (w - w_avg)`
  (psi in [0, 1]; 0 gives the mean image for every latent);
- `mix_styles(latents_a, latents_b, crossover)`: a's styles before the crossover layer,
  b's from it on;
- `map_to_w` and `synthesize(ws)`: the two halves; `kerasgan.latent.interpolation_images(
  gan, space="w")` walks in W;
- `project(images)`: real images inverted into W (or W+) by optimization.

Departures:
- Upsampling is bilinear and downsampling 2x2 average pooling (the paper's FIR filters
  [1, 3, 3, 1]): the filters matter at high resolution, less at 32x32.
- The fixed noise planes are standard normal from NumPy seeded by the layer index (no
  stored buffers), the same on every machine.
- Widths: `small` has at most 128 feature maps, a 4-layer mapping network with
  w_dim 128 (the paper: 512 maps and 8 layers), for 2 CPU cores; `base` has the
  paper's.
- Minibatch stddev groups consecutive samples (as ProGAN here), so replicas train as
  one device.
- The lazy penalty is added to that update's loss rather than taken as a separate
  optimizer step (the same gradient, one fewer pass of the unregularised loss).
- `project` minimises the pixel distance at three scales (the paper's projector uses
  LPIPS on VGG16 features, whose weights can't be loaded offline) and leaves the noise
  planes fixed.

Example:
>>> gan = StyleGAN.from_size("small", image_shape=(32, 32, 1))
>>> gan.compile()            # logistic loss, lazy R1 and path length, Adam(0.0025, 0, 0.99)
>>> gan.fit(kerasgan.data.pipeline("fashion-mnist-32"), epochs=1)    # doctest: +SKIP
>>> images = gan.generate(16, seed=0, truncation=0.7)                 # doctest: +SKIP
>>> mixed = gan.mix_styles(gan.make_latents(4, 0), gan.make_latents(4, 1), crossover=4)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan import penalties as gan_penalties
from kerasgan.layers.minibatch import MinibatchStdDev
from kerasgan.layers.progressive import EqualizedConv2D, EqualizedDense, PixelNormalization
from kerasgan.layers.style import (BroadcastStyles, ConstantInput, FixedNoise, MixStyles,
                                   ModulatedConv2D, Truncation, WAverage, fixed_noise)
from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN, GroupLosses, UntrackedCache, check_num_images
from kerasgan.models.progan import _filters, resolutions
from kerasgan.utils import to_uint8

#: feature maps at resolution r: min(max_filters, filter_base // r).
SIZES = {
    "tiny": {"w_dim": 16, "mapping_layers": 2, "filter_base": 64, "max_filters": 8},
    "small": {"w_dim": 128, "mapping_layers": 4, "filter_base": 2048, "max_filters": 128},
    "base": {"w_dim": 512, "mapping_layers": 8, "filter_base": 16384, "max_filters": 512},
}
SQRT2 = math.sqrt(2.0)


def build_mapping(latent_dim=128, w_dim=128, num_layers=4, learning_rate_multiplier=0.01,
                  name="mapping") -> keras.Model:
    """z -> w: pixel norm, `num_layers` equalized dense layers with LeakyReLU(0.2), and
    the `WAverage` layer holding W's running mean."""
    latents = keras.Input((latent_dim,), name="latents")
    x = PixelNormalization()(latents)
    for k in range(num_layers):
        x = EqualizedDense(w_dim, learning_rate_multiplier=learning_rate_multiplier,
                           name=f"dense_{k}")(x)
        x = layers.LeakyReLU(0.2)(x)
    w = WAverage(name="w_average", dtype="float32")(x)
    return keras.Model(latents, w, name=name)


def synthesis_layout(image_size: int) -> tuple[int, list[int]]:
    """(num_ws, the side of each noise input): one style per convolution plus the last
    toRGB's (each toRGB shares its style with the next block's first convolution), one
    noise plane per convolution."""
    sides = resolutions(image_size)
    noise_sides = [sides[0]] + [side for side in sides[1:] for _ in range(2)]
    return 2 * len(sides), noise_sides


def build_synthesis(w_dim=128, image_shape=(32, 32, 1), filter_base=2048, max_filters=128,
                    name="generator") -> keras.Model:
    """`[ws (N, num_ws, w_dim), noise planes (N, side, side, 1)...] -> images`."""
    sides = resolutions(image_shape[0])
    num_ws, noise_sides = synthesis_layout(image_shape[0])
    channels = image_shape[-1]
    ws = keras.Input((num_ws, w_dim), name="ws")
    noise = [keras.Input((side, side, 1), name=f"noise_{k}")
             for k, side in enumerate(noise_sides)]
    width = _filters(sides[0], filter_base, max_filters)
    x = ConstantInput(width, sides[0], name="const")(ws)
    x = ModulatedConv2D(width, 3, noise=True, name=f"conv_{sides[0]}")([x, ws[:, 0], noise[0]])
    rgb = ModulatedConv2D(channels, 1, demodulate=False, activation="linear",
                          name=f"to_rgb_{sides[0]}")([x, ws[:, 1]])
    style, plane = 1, 1
    for side in sides[1:]:
        width = _filters(side, filter_base, max_filters)
        x = ModulatedConv2D(width, 3, upsample=True, noise=True, name=f"conv_{side}_up")(
            [x, ws[:, style], noise[plane]])
        x = ModulatedConv2D(width, 3, noise=True, name=f"conv_{side}")(
            [x, ws[:, style + 1], noise[plane + 1]])
        new = ModulatedConv2D(channels, 1, demodulate=False, activation="linear",
                              name=f"to_rgb_{side}")([x, ws[:, style + 2]])
        rgb = layers.Add()([layers.UpSampling2D(2, interpolation="bilinear")(rgb), new])
        style, plane = style + 2, plane + 2
    images = layers.Activation("linear", dtype="float32", name="images")(rgb)
    return keras.Model([ws, *noise], images, name=name)


def build_residual_discriminator(image_shape=(32, 32, 1), filter_base=2048, max_filters=128,
                                 minibatch_group: int = 4,
                                 name="discriminator") -> keras.Model:
    """StyleGAN2's residual discriminator: fromRGB, per resolution two 3x3 convolutions
    and 2x downsampling with a 1x1 skip (summed, divided by sqrt 2), then minibatch
    stddev, a 3x3 convolution and two dense layers at 4x4."""
    sides = resolutions(image_shape[0])
    images = keras.Input(tuple(image_shape), name="images")
    x = layers.LeakyReLU(0.2)(EqualizedConv2D(_filters(sides[-1], filter_base, max_filters), 1,
                                              name="from_rgb")(images))
    for side in sides[:0:-1]:
        coarser = _filters(side // 2, filter_base, max_filters)
        y = layers.LeakyReLU(0.2)(EqualizedConv2D(_filters(side, filter_base, max_filters), 3)(x))
        y = layers.LeakyReLU(0.2)(EqualizedConv2D(coarser, 3)(y))
        y = layers.AveragePooling2D(2)(y)
        skip = EqualizedConv2D(coarser, 1, gain=1.0)(layers.AveragePooling2D(2)(x))
        x = layers.Rescaling(1.0 / SQRT2)(layers.Add()([y, skip]))
    width = _filters(sides[0], filter_base, max_filters)
    x = MinibatchStdDev(group_size=minibatch_group, contiguous=True, name="minibatch_stddev")(x)
    x = layers.LeakyReLU(0.2)(EqualizedConv2D(width, 3)(x))
    x = layers.LeakyReLU(0.2)(EqualizedDense(width)(layers.Flatten()(x)))
    logits = EqualizedDense(1, gain=1.0, dtype="float32", name="logits")(x)
    return keras.Model(images, logits, name=name)


def check_psi(truncation):
    """The truncation psi: None (none), or a number in [0, 1]."""
    if truncation is None:
        return None
    if isinstance(truncation, bool) or not isinstance(truncation, (int, float, np.number)) \
            or not 0.0 <= float(truncation) <= 1.0:
        raise ValueError("StyleGAN's truncation is psi in W, a number in [0, 1] (1: none, 0: "
                         f"the mean image). Received: truncation={truncation!r}")
    return float(truncation)


@dataclasses.dataclass
class Projection:
    """What `StyleGAN.project` found: `latents` in W `(N, w_dim)` (or W+ `(N, num_ws,
    w_dim)`), the uint8 `images` they give, and `error`, each image's mean absolute
    difference from its target in uint8 levels (0 to 255)."""

    latents: np.ndarray
    images: np.ndarray
    error: np.ndarray


@register_variant("stylegan", aliases=("stylegan2",))
class StyleGAN(GAN):
    """A style-based generator with StyleGAN2's synthesis (see the module docstring).

    Args:
        generator: the synthesis network, `[ws, noise planes...] -> images`.
        discriminator: images -> logits.
        mapping: z -> w, ending in a `WAverage` layer named "w_average".
        style_mixing: the probability that a training batch mixes two latents' styles.
        path_length_weight: the path-length regulariser's weight (0: off).
        path_length_every: its lazy interval (generator updates).
        path_length_decay: the decay of the tracked mean path length.
        path_length_batch_shrink: its batch is the training batch divided by this.
        r1_gamma, r1_every: the default R1 penalty's gamma and lazy interval.
        w_avg_beta: the decay of W's running mean.
        learning_rate: Adam's base learning rate (before the lazy adjustment).

    Example:
    >>> gan = StyleGAN.from_size("tiny", image_shape=(32, 32, 1), latent_dim=16)
    >>> gan.compile()
    >>> gan.num_ws, gan.w_dim
    (8, 16)
    """

    task = "style"
    NETWORKS = ("mapping", "generator", "discriminator")
    SAMPLED_NETWORKS = ("mapping", "generator")
    LOSS_TERMS = {"d": ("loss",), "g": ("loss", "path_length")}
    UNROLLABLE = False

    def __init__(self, generator, discriminator=None, *, latent_dim=None,
                 style_mixing: float = 0.9, path_length_weight: float = 2.0,
                 path_length_every: int = 4, path_length_decay: float = 0.01,
                 path_length_batch_shrink: int = 2, r1_gamma: float = 0.01, r1_every: int = 16,
                 w_avg_beta: float = 0.995, learning_rate: float = 0.0025, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.latent_dim = int(self.mapping.inputs[0].shape[-1])
        if latent_dim is not None and int(latent_dim) != self.latent_dim:
            raise ValueError(f"latent_dim={latent_dim} does not match the mapping network's "
                             f"input size {self.latent_dim}.")
        try:
            self.mapping.get_layer("w_average")
        except ValueError:
            raise ValueError("StyleGAN's mapping network must end in a WAverage layer named "
                             "'w_average' (it holds the mean of W for truncation). Received: "
                             f"layers {[layer.name for layer in self.mapping.layers]}") from None
        ws_shape = tuple(self.generator.inputs[0].shape[1:])
        self.num_ws, self.w_dim = int(ws_shape[0]), int(ws_shape[1])
        mapped = int(self.mapping.outputs[0].shape[-1])
        if mapped != self.w_dim:
            raise ValueError(f"The mapping network gives w of size {mapped}, but the synthesis "
                             f"network takes styles of size {self.w_dim}.")
        self.noise_shapes = [tuple(int(d) for d in x.shape[1:]) for x in self.generator.inputs[1:]]
        for name, value, low, high in (("style_mixing", style_mixing, 0.0, 1.0),
                                       ("path_length_decay", path_length_decay, 0.0, 1.0),
                                       ("w_avg_beta", w_avg_beta, 0.0, 1.0)):
            if not low <= float(value) <= high:
                raise ValueError(f"{name} must be in [{low}, {high}]. Received: {name}={value}")
        for name, value in (("path_length_every", path_length_every),
                            ("path_length_batch_shrink", path_length_batch_shrink),
                            ("r1_every", r1_every)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an int >= 1. Received: {name}={value!r}")
        if path_length_weight < 0 or r1_gamma < 0 or learning_rate <= 0:
            raise ValueError("path_length_weight and r1_gamma must be >= 0 and learning_rate "
                             f"> 0. Received: path_length_weight={path_length_weight}, "
                             f"r1_gamma={r1_gamma}, learning_rate={learning_rate}")
        self.style_mixing = float(style_mixing)
        self.path_length_weight = float(path_length_weight)
        self.path_length_every = int(path_length_every)
        self.path_length_decay = float(path_length_decay)
        self.path_length_batch_shrink = int(path_length_batch_shrink)
        self.r1_gamma, self.r1_every = float(r1_gamma), int(r1_every)
        self.w_avg_beta = float(w_avg_beta)
        self.learning_rate = float(learning_rate)
        # Training state (saved in checkpoints, not presets: fine-tuning restarts it).
        self.path_length_mean = self.add_weight(
            name="path_length_mean", shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica")
        self._style_cache = UntrackedCache()

    @classmethod
    def from_size(cls, size="small", *, image_shape=(32, 32, 1), latent_dim=None,
                  minibatch_group: int = 4, **kwargs):
        """A new, untrained StyleGAN of a named size ('tiny', 'small' or 'base');
        `latent_dim` defaults to w_dim."""
        from kerasgan.models import check_size

        widths = dict(check_size(SIZES, size))
        image_shape = tuple(image_shape)
        if image_shape[0] != image_shape[1]:
            raise ValueError(f"StyleGAN expects square images. Received: image_shape={image_shape}")
        w_dim, mapping_layers = widths.pop("w_dim"), widths.pop("mapping_layers")
        mapping = build_mapping(latent_dim or w_dim, w_dim, mapping_layers)
        generator = build_synthesis(w_dim, image_shape, **widths)
        discriminator = build_residual_discriminator(image_shape, **widths,
                                                     minibatch_group=minibatch_group)
        return cls(generator, discriminator, mapping=mapping, **kwargs)

    # ------------------------------------------------------------- training
    def default_optimizers(self):
        def adam(every):
            # The paper's lazy-regularization adjustment of Adam (StyleGAN2, 3.1).
            c = every / (every + 1.0) if every > 1 else 1.0
            return lambda: keras.optimizers.Adam(self.learning_rate * c, beta_1=0.0,
                                                 beta_2=0.99 ** c, epsilon=1e-8)

        g_every = self.path_length_every if self.path_length_weight > 0 else 1
        return {"d": adam(self.r1_every if self.r1_gamma > 0 else 1), "g": adam(g_every)}

    def default_penalties(self):
        if self.r1_gamma == 0:
            return {}
        return {"d": [gan_penalties.R1Penalty(self.r1_gamma, every=self.r1_every)]}

    def loss_weights(self, group):
        return {"path_length": self.path_length_weight} if group == "g" else {}

    def broadcast(self, w):
        """w `(N, w_dim)` -> ws `(N, num_ws, w_dim)`, the same style for every layer."""
        return tf.repeat(w[:, None, :], self.num_ws, axis=1)

    def training_styles(self, batch_size):
        """(w, ws) for a training batch: ws mixes a second latent's styles from a random
        crossover layer on, in a `style_mixing` fraction of batches (one draw per step,
        the same on every replica)."""
        w = self.mapping(self.sample_latents(batch_size), training=True)
        ws = self.broadcast(w)
        if self.style_mixing > 0:
            second = self.broadcast(self.mapping(self.sample_latents(batch_size), training=True))
            draw = self.shared_noise(tf.random.stateless_uniform, [2])
            crossover = 1 + tf.cast(tf.floor(draw[0] * (self.num_ws - 1)), tf.int32)
            crossover = tf.where(draw[1] < self.style_mixing, crossover, self.num_ws)
            first = tf.range(self.num_ws) < crossover
            ws = tf.where(first[None, :, None], ws, second)
        return w, ws

    def training_noise(self, batch_size) -> list:
        """A fresh noise plane for every noise input (replica-aware)."""
        return [self._replica_slice(tf.random.stateless_normal, batch_size, list(shape))
                for shape in self.noise_shapes]

    def track_w_average(self, w):
        """w_avg <- lerp(mean of w over the global batch, w_avg, w_avg_beta)."""
        w = tf.stop_gradient(tf.cast(w, tf.float32))
        ctx = tf.distribute.get_replica_context()
        total = ctx.all_reduce("sum", tf.reduce_sum(w, axis=0))
        count = ctx.all_reduce("sum", tf.cast(tf.shape(w)[0], tf.float32))
        variable = self.mapping.get_layer("w_average").w_avg
        mean = total / count
        variable.assign(mean + self.w_avg_beta * (variable.value - mean))

    def path_length_term(self, batch_size, training: bool):
        """StyleGAN2's path-length regulariser: (|J_w^T y| - a)^2 with y image-sized
        Gaussian noise / sqrt(H W), `a` the tracked mean length; lazily, times
        `path_length_every` on every such generator update (0 on the others and outside
        training)."""
        if not training or self.path_length_weight == 0:
            return tf.constant(0.0)
        shrunk = tf.maximum(1, batch_size // self.path_length_batch_shrink)
        _, ws = self.training_styles(shrunk)
        noise = self.training_noise(shrunk)
        height, width, channels = self.image_shape
        probe = self._replica_slice(tf.random.stateless_normal, shrunk,
                                    [height, width, channels]) / math.sqrt(height * width)
        every = self.path_length_every
        due = tf.equal(self.g_optimizer.iterations % every, 0)

        def lengths():
            with tf.GradientTape() as tape:
                tape.watch(ws)
                images = tf.cast(self.generator([ws, *noise], training=True), tf.float32)
                total = tf.reduce_sum(images * probe)
            grads = tf.cast(tape.gradient(total, ws), tf.float32)
            return tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=2), axis=1))

        per_sample = tf.cond(due, lengths, lambda: tf.zeros([shrunk], tf.float32))
        ctx = tf.distribute.get_replica_context()
        total = ctx.all_reduce("sum", tf.reduce_sum(tf.stop_gradient(per_sample)))
        count = ctx.all_reduce("sum", tf.cast(shrunk, tf.float32))
        old = self.path_length_mean.value
        new = tf.where(due, old + self.path_length_decay * (total / count - old), old)
        self.path_length_mean.assign(new)
        penalty = self.global_mean(tf.square(per_sample - new))
        return tf.where(due, float(every) * penalty, 0.0)

    def loss_terms(self, group, batch, training=True):
        """`d`: the logistic loss on real and generated images (R1 as its penalty);
        `g`: the non-saturating loss and the path-length term; both generate from
        style-mixed latents and fresh noise."""
        real, _ = batch
        batch_size = tf.shape(real)[0]
        w, ws = self.training_styles(batch_size)
        fake = self.generator([ws, *self.training_noise(batch_size)], training=training)
        if group == "d":
            return self.discriminator_terms(real, None, tf.stop_gradient(fake), None, training)[0]
        if training:
            self.track_w_average(w)
        augment = self.augment_images if training else (lambda x: x)
        fake_logits = self.discriminate(augment(fake), None, training=training)
        return GroupLosses({"loss": self.g_loss_fn.generator_loss(fake_logits),
                            "path_length": self.path_length_term(batch_size, training)})

    def call(self, inputs, training=False):
        """latents -> images through the training networks, with the fixed noise."""
        ws = self.broadcast(self.mapping(inputs, training=training))
        batch = tf.shape(ws)[0]
        noise = [tf.broadcast_to(fixed_noise(shape, k), tf.concat([[batch], shape], 0))
                 for k, shape in enumerate(self.noise_shapes)]
        return self.generator([ws, *noise], training=training)

    # -------------------------------------------------------- sampling models
    @property
    def w_average(self) -> np.ndarray:
        """The tracked mean of W (float32 `(w_dim,)`), the centre of the truncation."""
        return self.sampling_network("mapping").get_layer("w_average").w_avg.numpy()

    def _fixed_noise(self, ws) -> list:
        return [FixedNoise(shape, k, name=f"fixed_noise_{k}")(ws)
                for k, shape in enumerate(self.noise_shapes)]

    def _cached(self, kind, build):
        cache = self._style_cache.models
        if kind not in cache:
            cache[kind] = build()
        return cache[kind]

    def synthesis_model(self) -> keras.Model:
        """ws `(N, num_ws, w_dim)` -> images, with the fixed noise planes."""
        def build():
            ws = keras.Input((self.num_ws, self.w_dim), name="ws")
            images = self.sampling_network("generator")([ws, *self._fixed_noise(ws)])
            return keras.Model(ws, images, name="stylegan_synthesis")
        return self._cached("synthesis", build)

    def styles_model(self) -> keras.Model:
        """`[latents, truncation (N,)] -> w (N, w_dim)`: the mapping and the truncation."""
        def build():
            mapping = self.sampling_network("mapping")
            latents = keras.Input((self.latent_dim,), name="latents")
            psi = keras.Input((), name="truncation")
            w = Truncation(mapping.get_layer("w_average"), name="truncate")([mapping(latents), psi])
            return keras.Model([latents, psi], w, name="stylegan_styles")
        return self._cached("styles", build)

    def truncated_model(self) -> keras.Model:
        """`[latents, truncation (N,)] -> images`."""
        def build():
            latents = keras.Input((self.latent_dim,), name="latents")
            psi = keras.Input((), name="truncation")
            ws = BroadcastStyles(self.num_ws)(self.styles_model()([latents, psi]))
            return keras.Model([latents, psi], self.synthesis_model()(ws),
                               name="stylegan_truncated")
        return self._cached("truncated", build)

    def mixing_model(self) -> keras.Model:
        """`[latents_a, latents_b, crossover (N,) int32, truncation (N,)] -> images`."""
        def build():
            a = keras.Input((self.latent_dim,), name="latents_a")
            b = keras.Input((self.latent_dim,), name="latents_b")
            crossover = keras.Input((), dtype="int32", name="crossover")
            psi = keras.Input((), name="truncation")
            styles = self.styles_model()
            ws_a = BroadcastStyles(self.num_ws)(styles([a, psi]))
            ws_b = BroadcastStyles(self.num_ws)(styles([b, psi]))
            ws = MixStyles()([ws_a, ws_b, crossover])
            return keras.Model([a, b, crossover, psi], self.synthesis_model()(ws),
                               name="stylegan_mixing")
        return self._cached("mixing", build)

    @property
    def sampling_generator(self) -> keras.Model:
        """latents -> images: the (EMA) mapping, then the synthesis with fixed noise."""
        def build():
            latents = keras.Input((self.latent_dim,), name="latents")
            ws = BroadcastStyles(self.num_ws)(self.sampling_network("mapping")(latents))
            return keras.Model(latents, self.synthesis_model()(ws), name="stylegan_sampler")
        return self._cached("sampler", build)

    # ------------------------------------------------------------ latent tools
    def _run(self, model, arrays, batch_size=256, output="uint8"):
        batch_size = check_num_images(batch_size, name="batch_size")
        parts = []
        for start in range(0, len(arrays[0]), batch_size):
            batch = [tf.constant(a[start:start + batch_size]) for a in arrays]
            parts.append(np.asarray(model(batch if len(batch) > 1 else batch[0],
                                          training=False)))
        result = np.concatenate(parts)
        return to_uint8(result) if output == "uint8" else result

    def generate(self, num_images=None, labels=None, *, latents=None, seed=None,
                 truncation=None, batch_size: int = 256, output="uint8"):
        """Generates images (see `GAN.generate`); `truncation=psi` is the truncation
        trick in W (psi in [0, 1]), and applies to given latents too.

        Example:
        >>> images = gan.generate(16, seed=0, truncation=0.7)       # doctest: +SKIP
        """
        psi = check_psi(truncation)
        latents = self.resolve_latents(num_images, latents, seed, None, output)
        self.prepare_labels(labels, len(latents))
        if psi is None:
            return super().generate(latents=latents, batch_size=batch_size, output=output)
        return self._run(self.truncated_model(),
                         [latents, np.full(len(latents), psi, np.float32)], batch_size, output)

    def map_to_w(self, latents, truncation=None, batch_size: int = 256) -> np.ndarray:
        """W for latents z (float32 `(N, w_dim)`), truncated with `truncation=psi`."""
        psi = check_psi(truncation)
        latents = self.check_latents(latents)
        psi = np.full(len(latents), 1.0 if psi is None else psi, np.float32)
        return self._run(self.styles_model(), [latents, psi], batch_size, output="float")

    def check_styles(self, ws) -> np.ndarray:
        """Styles as float32 `(N, num_ws, w_dim)` (W+), from W `(N, w_dim)` or W+."""
        ws = np.asarray(ws)
        if not np.issubdtype(ws.dtype, np.floating):
            raise TypeError(f"Styles must be floating point. Received: dtype={ws.dtype}")
        if ws.ndim == 2 and ws.shape[1] == self.w_dim and len(ws):
            ws = np.repeat(ws[:, None, :], self.num_ws, axis=1)
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim) or not len(ws):
            raise ValueError(f"Expected styles of shape (N, {self.w_dim}) (W) or (N, "
                             f"{self.num_ws}, {self.w_dim}) (W+), N >= 1. Received: "
                             f"shape={ws.shape}")
        if not np.isfinite(ws).all():
            raise ValueError("Styles must be finite. Received: NaN or inf values")
        return ws.astype(np.float32)

    def synthesize(self, ws, *, batch_size: int = 256, output="uint8") -> np.ndarray:
        """Images for styles in W `(N, w_dim)` or W+ `(N, num_ws, w_dim)`.

        Example:
        >>> w = gan.map_to_w(gan.make_latents(2, seed=0))            # doctest: +SKIP
        >>> middle = gan.synthesize((w[:1] + w[1:]) / 2)             # doctest: +SKIP
        """
        return self._run(self.synthesis_model(), [self.check_styles(ws)], batch_size, output)

    def check_crossover(self, crossover, num_images: int) -> np.ndarray:
        values = np.asarray(crossover)
        if not np.issubdtype(values.dtype, np.integer) or values.ndim > 1 or \
                (values.ndim == 1 and len(values) != num_images):
            raise ValueError(f"crossover must be an int (or one per image, {num_images}) in "
                             f"[0, {self.num_ws}]. Received: crossover={crossover!r}")
        if values.size and (values.min() < 0 or values.max() > self.num_ws):
            raise ValueError(f"crossover must be in [0, {self.num_ws}]: the layer from which "
                             f"latents_b's styles are used (0: all b's, {self.num_ws}: all "
                             f"a's). Received: crossover={crossover!r}")
        return np.broadcast_to(values, (num_images,)).astype(np.int32)

    def mix_styles(self, latents_a, latents_b, crossover: int, *, truncation=None,
                   batch_size: int = 256, output="uint8") -> np.ndarray:
        """Style mixing: `latents_a`'s styles for the layers before `crossover`, then
        `latents_b`'s (one int, or one per row, in [0, num_ws]): crossover 0 gives b's
        image, num_ws a's, and one in between a's coarse layout with b's finer styles.

        Example:
        >>> a, b = gan.make_latents(4, seed=0), gan.make_latents(4, seed=1)   # doctest: +SKIP
        >>> coarse_from_a = gan.mix_styles(a, b, crossover=4)                # doctest: +SKIP
        """
        psi = check_psi(truncation)
        a, b = self.check_latents(latents_a), self.check_latents(latents_b)
        if a.shape != b.shape:
            raise ValueError(f"latents_a and latents_b must have the same shape. Received: "
                             f"{a.shape} and {b.shape}")
        crossover = self.check_crossover(crossover, len(a))
        psi = np.full(len(a), 1.0 if psi is None else psi, np.float32)
        return self._run(self.mixing_model(), [a, b, crossover, psi], batch_size, output)

    def project(self, images, *, steps: int = 300, w_plus: bool = False,
                learning_rate: float = 0.05, verbose: bool = True) -> Projection:
        """Inverts images into W (or W+ with `w_plus=True`) by optimization: from W's
        mean, Adam on the pixel distance at full, half and quarter resolution, with a
        small noise on w early on and the learning rate ramped down (StyleGAN2's
        projector, without its LPIPS loss). Shows a progress bar with `verbose`.

        Args:
            images: uint8 `(N, H, W, C)` of this model's image shape.
            steps: optimization steps.

        Returns:
            a `Projection`: the latents, their images and each image's error.

        Example:
        >>> result = gan.project(gan.generate(4, seed=0), steps=200)   # doctest: +SKIP
        >>> result.error.round(1)                                       # doctest: +SKIP
        """
        images = np.asarray(images)
        if images.ndim == 3 and self.image_shape[-1] == 1:
            images = images[..., None]
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape or not len(images):
            raise ValueError(f"project needs images of shape (N, {', '.join(map(str, self.image_shape))})"
                             f" (this model's size and channels). Received: shape={images.shape}")
        if images.dtype != np.uint8:
            raise TypeError(f"project needs uint8 images (0..255). Received: dtype={images.dtype}")
        steps = check_num_images(steps, name="steps")
        target = tf.constant(images.astype(np.float32) / 127.5 - 1.0)
        synthesis = self.synthesis_model()
        center = self.w_average
        # The spread of W around its mean, for the size of the early noise (from 1000 z).
        w_std = float(np.sqrt(np.mean(np.sum(
            (self.map_to_w(self.make_latents(1000, seed=0)) - center) ** 2, axis=1))))
        shape = (len(images), self.num_ws, self.w_dim) if w_plus else (len(images), self.w_dim)
        w = tf.Variable(np.broadcast_to(center, shape).astype(np.float32))
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999)
        rng_seed = tf.constant([7, 0], tf.int32)

        def distance(generated):
            loss = 0.0
            for factor in (1, 2, 4):
                a = generated if factor == 1 else tf.nn.avg_pool2d(generated, factor, factor, "VALID")
                b = target if factor == 1 else tf.nn.avg_pool2d(target, factor, factor, "VALID")
                loss += tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])
            return loss

        @tf.function
        def step(i):
            t = tf.cast(i, tf.float32) / float(steps)
            noise_scale = w_std * 0.05 * tf.square(tf.maximum(0.0, 1.0 - t / 0.75))
            ramp = tf.minimum(1.0, (1.0 - t) / 0.25)
            optimizer.learning_rate.assign(learning_rate * 0.5 * (1.0 - tf.cos(ramp * math.pi))
                                           * tf.minimum(1.0, t / 0.05 + 1e-3))
            with tf.GradientTape() as tape:
                noisy = w + noise_scale * tf.random.stateless_normal(
                    tf.shape(w), seed=rng_seed + tf.stack([0, tf.cast(i, tf.int32)]))
                ws = noisy if w_plus else tf.repeat(noisy[:, None], self.num_ws, axis=1)
                loss = distance(tf.cast(synthesis(ws, training=False), tf.float32))
                total = tf.reduce_sum(loss)
            optimizer.apply_gradients([(tape.gradient(total, w), w)])
            return tf.reduce_mean(loss)

        progress = keras.utils.Progbar(steps, stateful_metrics=["distance"]) if verbose else None
        for i in range(steps):
            loss = step(tf.constant(i))
            if progress is not None:
                progress.update(i + 1, [("distance", float(loss))])
        latents = w.numpy()
        result = self.synthesize(latents)
        error = np.abs(result.astype(np.float32) - images.astype(np.float32)).mean(axis=(1, 2, 3))
        return Projection(latents=latents, images=result, error=error)

    def preview(self, inputs: dict) -> np.ndarray:
        """Samples, then the same latents at psi 0.7 and style-mixed (rows)."""
        from kerasgan.utils import image_grid

        latents = inputs["latents"][:8]
        rows = [self.generate(latents), self.generate(latents, truncation=0.7),
                self.mix_styles(latents, np.roll(latents, 1, axis=0), self.num_ws // 2)]
        return image_grid(np.concatenate(rows), rows=len(rows), cols=len(latents))

    # --------------------------------------------------------- serialization
    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "style_mixing": self.style_mixing,
                "path_length_weight": self.path_length_weight,
                "path_length_every": self.path_length_every,
                "path_length_decay": self.path_length_decay,
                "path_length_batch_shrink": self.path_length_batch_shrink,
                "r1_gamma": self.r1_gamma, "r1_every": self.r1_every,
                "w_avg_beta": self.w_avg_beta, "learning_rate": self.learning_rate}
