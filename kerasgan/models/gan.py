"""The GAN base class: a `keras.Model` with a template `train_step`.

Subclasses override only the hooks their algorithm changes:
`generator_inputs`, `discriminate`, `sample_fake_labels`,
`discriminator_loss`, `generator_loss` and `penalty`. Image-to-image
variants override `train_step` as a whole.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import tensorflow as tf

from kerasgan import losses as gan_losses
from kerasgan.penalties import replica_count
from kerasgan.utils import to_uint8


def _serialize(obj):
    return None if obj is None else keras.saving.serialize_keras_object(obj)


def _deserialize(config):
    return None if config is None else keras.saving.deserialize_keras_object(config)


def _make_optimizer(identifier, default):
    if identifier == "auto" or identifier is None:
        return default()
    if isinstance(identifier, dict):
        return keras.optimizers.deserialize(identifier)
    return keras.optimizers.get(identifier)


# ------------------------------------------------------------- input checks
def check_num_images(value, name: str = "num_images") -> int:
    """`value` as an int >= 1, or a clear error (2.5, "4", True and 0 are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int. Received: {name}={_short_repr(value)}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int (>= 1). Received: {name}={value}")
    return int(value)


def check_seed(seed):
    """None, or an int >= 0 (what NumPy's and TensorFlow's generators accept alike)."""
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or None. Received: seed={seed!r}")
    return int(seed)


def check_truncation(truncation):
    if truncation is None:
        return None
    if (isinstance(truncation, (bool, np.bool_)) or not isinstance(truncation, (int, float, np.number))
            or not np.isfinite(truncation) or truncation <= 0):
        raise ValueError(f"truncation must be a number > 0 or None. Received: "
                         f"truncation={truncation!r}")
    return float(truncation)


def available_memory_bytes() -> int | None:
    """Memory the OS can give this process now (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(num_bytes: int, what: str, received: str) -> None:
    """Refuses an allocation larger than the memory available, before it swaps or
    gets the process killed."""
    available = available_memory_bytes()
    if available is not None and num_bytes > available:
        raise ValueError(
            f"{what} would need {num_bytes:,} bytes ({_format_size(num_bytes)}), more than "
            f"the {_format_size(available)} of memory available. Generate them in parts "
            "(e.g. `for part in range(k): gan.generate(n // k, seed=part)`, saving each "
            f"part). Received: {received}")


def _format_size(num_bytes: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if num_bytes >= size:
            return f"{num_bytes / size:,.1f} {unit}"
    return f"{num_bytes} bytes"


def _short_repr(value, limit: int = 80) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@keras.saving.register_keras_serializable(package="kerasgan")
class GAN(keras.Model):
    """An unconditional GAN: `generator(z) -> image`, `discriminator(image) -> logit`.

    Args:
        generator: a built `keras.Model` mapping latents `(batch, latent_dim)`
            to images in [-1, 1], `(batch, H, W, C)`.
        discriminator: a built `keras.Model` mapping images to logits.
        latent_dim: size of the latent vector; inferred from the generator.
        d_steps: discriminator updates per generator update.
        ema_decay: if set (e.g. 0.999), an exponential moving average of the
            generator is kept in `ema_generator` and used by `generate`.
        seed: seed of the training-time noise (latents, penalty interpolation).
        augment: a differentiable augmentation applied to real and fake images
            before the discriminator (`kerasgan.layers.DiffAugment`,
            `AdaptiveAugment`, or "diffaugment" / "ada").

    Example:
    >>> gan = kerasgan.models.DCGAN.from_size("small", image_shape=(28, 28, 1))
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist(), epochs=1)      # doctest: +SKIP
    >>> images = gan.generate(16, seed=0)                     # uint8 (16, 28, 28, 1)
    """

    #: "unconditional", "conditional", "image-to-image" or "text-to-image".
    task = "unconditional"

    def __init__(self, generator, discriminator, *, latent_dim=None, d_steps: int = 1,
                 ema_decay: float | None = None, seed: int | None = None, augment=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(generator, dict):
            generator = _deserialize(generator)
        if isinstance(discriminator, dict):
            discriminator = _deserialize(discriminator)
        self.generator = generator
        self.discriminator = discriminator
        inferred = int(generator.inputs[0].shape[-1])
        if latent_dim is not None and int(latent_dim) != inferred:
            raise ValueError(
                f"latent_dim={latent_dim} does not match the generator's input size {inferred}."
            )
        self.latent_dim = inferred
        if int(d_steps) < 1:
            raise ValueError(f"d_steps must be >= 1. Received: d_steps={d_steps}")
        self.d_steps = int(d_steps)
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1). Received: ema_decay={ema_decay}")
        self.ema_decay = ema_decay
        self.seed = seed
        # The noise stream is (seed, counter): the counter is a weight, so a checkpoint
        # restores the exact noise the next step would draw.
        self._noise_seed = int(seed) if seed is not None else int(np.random.randint(0, 2**31 - 1))
        self.noise_counter = self.add_weight(
            name="noise_counter", shape=(), dtype="int32", initializer="zeros", trainable=False,
            aggregation="only_first_replica")
        self.ema_generator = None
        if ema_decay:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.name = f"{generator.name}_ema"
            self.ema_generator.set_weights(generator.get_weights())
            self.ema_generator.trainable = False
        self.augment = None
        self.set_augment(augment)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.penalty_tracker = keras.metrics.Mean(name="d_penalty")
        self.ada_p_tracker = keras.metrics.Mean(name="ada_p")
        self._generate_function = None
        self.built = True

    def set_augment(self, augment):
        """Sets (or, with None/"none", removes) the discriminator-side augmentation."""
        from kerasgan.layers import augment as augment_lib

        if isinstance(augment, dict):
            augment = _deserialize(augment)
        self.augment = augment_lib.get(augment)

    def augment_images(self, images):
        if self.augment is None:
            return images
        return self.augment(images, training=True)

    # ------------------------------------------------------------------ shapes
    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.generator.outputs[0].shape[1:])

    @property
    def image_size(self) -> tuple[int, int]:
        return self.image_shape[:2]

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator used for sampling: the EMA copy when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    # --------------------------------------------------------------- compile
    def default_optimizers(self):
        """The paper's defaults; DCGAN's Adam(2e-4, beta_1=0.5) for the base class."""
        return (lambda: keras.optimizers.Adam(2e-4, beta_1=0.5),
                lambda: keras.optimizers.Adam(2e-4, beta_1=0.5))

    def default_loss(self):
        return gan_losses.NonSaturating()

    def compile(self, d_optimizer="auto", g_optimizer="auto", d_loss="auto", g_loss="auto",
                d_penalty=None, **kwargs):
        """Sets optimizers, losses and an optional discriminator penalty.

        "auto" picks the variant's paper defaults, so a loaded model can `fit` at once.

        Args:
            d_optimizer, g_optimizer: optimizer instances, names or configs.
            d_loss, g_loss: `kerasgan.losses.GANLoss` instances or names
                ("non_saturating", "minimax", "least_squares", "hinge", "wasserstein").
            d_penalty: e.g. `kerasgan.penalties.GradientPenalty(10.0)` or `R1Penalty(10.0)`.
        """
        default_d, default_g = self.default_optimizers()
        self.d_optimizer = _make_optimizer(d_optimizer, default_d)
        self.g_optimizer = _make_optimizer(g_optimizer, default_g)
        self.d_loss_fn = self.default_loss() if d_loss == "auto" else gan_losses.get(d_loss)
        self.g_loss_fn = self.default_loss() if g_loss == "auto" else gan_losses.get(g_loss)
        if isinstance(d_penalty, dict):
            d_penalty = _deserialize(d_penalty)
        self.d_penalty = d_penalty
        if d_penalty is not None and any(isinstance(layer, keras.layers.BatchNormalization)
                                         for layer in self.discriminator._flatten_layers()):
            warnings.warn(
                f"{type(d_penalty).__name__} with a batch-normalized discriminator: batch norm "
                "couples the samples whose gradients are penalized (and with several replicas "
                "the penalty then differs from one device's). Build the discriminator with "
                "layer norm or none, e.g. DCGAN.from_size(..., d_normalization='layer').",
                stacklevel=2)
        if self.generator.dtype_policy.name == "mixed_float16":
            # float16 gradients underflow without dynamic loss scaling.
            if not isinstance(self.d_optimizer, keras.optimizers.LossScaleOptimizer):
                self.d_optimizer = keras.optimizers.LossScaleOptimizer(self.d_optimizer)
            if not isinstance(self.g_optimizer, keras.optimizers.LossScaleOptimizer):
                self.g_optimizer = keras.optimizers.LossScaleOptimizer(self.g_optimizer)
        # Built here, not lazily in the first step: a lazily built optimizer fails
        # under MirroredStrategy and drops its state on reload.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        kwargs.pop("optimizer", None)
        kwargs.pop("loss", None)
        super().compile(optimizer=None, **kwargs)

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or not hasattr(self, "d_optimizer"):
            return None
        return {
            "d_optimizer": _serialize(self.d_optimizer),
            "g_optimizer": _serialize(self.g_optimizer),
            "d_loss": _serialize(self.d_loss_fn),
            "g_loss": _serialize(self.g_loss_fn),
            "d_penalty": _serialize(self.d_penalty),
        }

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_loss", "g_loss", "d_penalty"):
            if isinstance(config.get(key), dict):
                config[key] = _deserialize(config[key])
        self.compile(**config)

    # ----------------------------------------------------------------- hooks
    def unpack(self, data):
        """Splits a batch into `(images, labels)`; labels are None if absent."""
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            images, labels = data, None
        return images, labels

    def _replica_slice(self, draw, batch_size, shape):
        """Draws noise for the *global* batch from one stateless seed and keeps this
        replica's rows: every replica gets different noise, and N replicas draw exactly
        what one device would for the same global batch."""
        ctx = tf.distribute.get_replica_context()
        replicas = ctx.num_replicas_in_sync if ctx is not None else 1
        counter = self.noise_counter.value
        seed = tf.stack([tf.constant(self._noise_seed, tf.int32), counter])
        self.noise_counter.assign(counter + 1)
        noise = draw(tf.concat([[batch_size * replicas], shape], 0), seed=seed)
        if replicas == 1:
            return noise
        start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * batch_size
        return noise[start:start + batch_size]

    def sample_latents(self, batch_size):
        return self._replica_slice(tf.random.stateless_normal, batch_size, [self.latent_dim])

    def sample_uniform(self, batch_size, shape):
        """Uniform [0, 1) noise of shape `(batch_size, *shape)`, replica-aware like the latents."""
        return self._replica_slice(tf.random.stateless_uniform, batch_size,
                                   tf.constant(shape, tf.int32))

    def sample_fake_labels(self, real_labels, batch_size):
        return None

    def generator_inputs(self, latents, labels):
        return latents

    def discriminate(self, images, labels, training=False):
        return self.discriminator(images, training=training)

    def discriminator_loss(self, real_logits, fake_logits):
        return self.d_loss_fn.discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return self.g_loss_fn.generator_loss(fake_logits)

    def penalty(self, real, fake, real_labels, fake_labels):
        if self.d_penalty is None:
            return tf.constant(0.0)
        return self.d_penalty(lambda x: self.discriminate(x, real_labels, training=True),
                              real, fake, self.sample_uniform)

    # ------------------------------------------------------------- training
    def discriminator_step(self, real, labels, batch_size):
        fake_labels = self.sample_fake_labels(labels, batch_size)
        latents = self.sample_latents(batch_size)
        fake = self.generator(self.generator_inputs(latents, fake_labels), training=True)
        fake = tf.stop_gradient(fake)
        d_vars = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(self.augment_images(real), labels, training=True)
            fake_logits = self.discriminate(self.augment_images(fake), fake_labels, training=True)
            d_loss = tf.cast(self.discriminator_loss(real_logits, fake_logits), tf.float32)
            penalty = tf.cast(self.penalty(real, fake, labels, fake_labels), tf.float32)
            total = self.d_optimizer.scale_loss(d_loss + penalty)
        grads = tape.gradient(total, d_vars)
        self.d_optimizer.apply_gradients(zip(grads, d_vars))
        if hasattr(self.augment, "update"):
            self.augment.update(real_logits)
        return d_loss, penalty

    def generator_step(self, real, labels, batch_size):
        fake_labels = self.sample_fake_labels(labels, batch_size)
        latents = self.sample_latents(batch_size)
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self.generator_inputs(latents, fake_labels), training=True)
            fake_logits = self.discriminate(self.augment_images(fake), fake_labels, training=True)
            g_loss = tf.cast(self.generator_loss(fake_logits), tf.float32)
            scaled = self.g_optimizer.scale_loss(g_loss)
        grads = tape.gradient(scaled, g_vars)
        self.g_optimizer.apply_gradients(zip(grads, g_vars))
        return g_loss

    def train_step(self, data):
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        for _ in range(self.d_steps):
            d_loss, penalty = self.discriminator_step(real, labels, batch_size)
        g_loss = self.generator_step(real, labels, batch_size)
        self.update_ema()
        self.record_losses((self.d_loss_tracker, d_loss), (self.g_loss_tracker, g_loss),
                           (self.penalty_tracker, penalty))
        if hasattr(self.augment, "p"):
            self.ada_p_tracker.update_state(self.augment.p.value)
        return self.training_logs()

    def training_logs(self):
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras reduces MultiWorkerMirroredStrategy outputs on axis 0 (tensorflow#72388).
            return {m.name: tf.reshape(m.result(), (1,)) for m in self.metrics}
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        real, labels = self.unpack(data)
        batch_size = tf.shape(real)[0]
        fake_labels = self.sample_fake_labels(labels, batch_size)
        fake = self.generator(self.generator_inputs(self.sample_latents(batch_size), fake_labels))
        real_logits = self.discriminate(real, labels)
        fake_logits = self.discriminate(fake, fake_labels)
        self.record_test_losses(real_logits, fake_logits)
        return self.training_logs()

    def record_test_losses(self, real_logits, fake_logits):
        """Updates the loss trackers in `test_step`."""
        self.record_losses(
            (self.d_loss_tracker, self.discriminator_loss(real_logits, fake_logits)),
            (self.g_loss_tracker, self.generator_loss(fake_logits)))

    @staticmethod
    def record_losses(*trackers_and_values):
        """`(tracker, loss)` pairs: losses are scaled by 1/replicas for the gradient sum,
        so the logged value is multiplied back."""
        replicas = float(replica_count())
        for tracker, value in trackers_and_values:
            tracker.update_state(value * replicas)

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        if getattr(self, "d_penalty", None) is not None:
            trackers.append(self.penalty_tracker)
        if hasattr(getattr(self, "augment", None), "p"):
            trackers.append(self.ada_p_tracker)
        return trackers + list(self.extra_trackers())

    def extra_trackers(self):
        return []

    def update_ema(self):
        if self.ema_generator is None:
            return
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        # Warm-up: early on the average follows the generator closely.
        decay = tf.minimum(tf.constant(self.ema_decay, tf.float32), (1.0 + step) / (10.0 + step))

        def assign_all(strategy=None):
            for ema_var, var in zip(self.ema_generator.weights, self.generator.weights):
                value = var.value if hasattr(var, "value") else var
                if var.trainable:
                    new = decay * ema_var.value + (1.0 - decay) * value
                else:
                    new = value
                if strategy is None:
                    ema_var.assign(new)
                else:
                    strategy.extended.update(ema_var.value, lambda v, n: v.assign(n), args=(new,))

        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            ctx.merge_call(lambda strategy: assign_all(strategy))
        else:
            assign_all()

    # ------------------------------------------------------------ generation
    def make_latents(self, num_images: int, seed=None, truncation: float | None = None):
        """Standard normal latents from NumPy's PCG64 (platform-independent).

        With `truncation=t`, values with |z| > t are resampled (the truncation trick).

        Example:
        >>> z = gan.make_latents(4, seed=0)        # doctest: +SKIP
        >>> z.shape, z.dtype                       # doctest: +SKIP
        ((4, 100), dtype('float32'))
        """
        num_images = check_num_images(num_images)
        seed = check_seed(seed)
        truncation = check_truncation(truncation)
        check_memory(num_images * self.latent_dim * 4, f"{num_images:,} latents",
                     f"num_images={num_images}")
        rng = np.random.default_rng(seed)
        latents = rng.standard_normal((num_images, self.latent_dim)).astype(np.float32)
        if truncation is not None:
            outside = np.abs(latents) > truncation
            while outside.any():
                latents[outside] = rng.standard_normal(int(outside.sum())).astype(np.float32)
                outside = np.abs(latents) > truncation
        return latents

    def check_latents(self, latents):
        """Latents as float32 `(N, latent_dim)`, N >= 1, every value finite."""
        latents = np.asarray(latents)
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim or len(latents) == 0:
            raise ValueError(
                f"Expected latents of shape (N, {self.latent_dim}) with N >= 1. "
                f"Received: shape={latents.shape}"
            )
        if not np.issubdtype(latents.dtype, np.floating):
            raise TypeError(f"Latents must be floating point. Received: dtype={latents.dtype}")
        if not np.isfinite(latents).all():
            rows = np.flatnonzero(~np.isfinite(latents).all(axis=1))
            raise ValueError(
                f"Latents must be finite (NaN or inf would give NaN, then black, images). "
                f"Received: non-finite values in rows {rows[:10].tolist()}"
            )
        return latents.astype(np.float32)

    def prepare_labels(self, labels, num_images):
        if labels is not None:
            raise ValueError(
                f"{type(self).__name__} is unconditional and takes no labels. "
                f"Received: labels={_short_repr(labels)}"
            )
        return None

    def _generator_function(self):
        if self._generate_function is None:
            generator = self.sampling_generator

            @tf.function(reduce_retracing=True)
            def run(inputs):
                return generator(inputs, training=False)

            self._generate_function = run
        return self._generate_function

    def generate(self, num_images=None, labels=None, *, latents=None, seed=None,
                 truncation=None, batch_size: int = 256, output="uint8") -> np.ndarray:
        """Generates images, from the EMA generator when there is one.

        Args:
            num_images: how many images (default 16), drawn from `seed`. Latents
                may also be passed here, positionally, instead of as `latents=`.
            labels: for conditional models, class ids or class names (one, or
                one per image); for text-to-image models, captions.
            latents: float `(N, latent_dim)`: generate exactly these (no `seed`).
            seed: seed for the latents when a number is given; same seed, same images.
            truncation: resample latent values beyond this magnitude.
            batch_size: images per generator call.
            output: "uint8" (NHWC in [0, 255]) or "float" (NHWC in [-1, 1]).

        Counts whose output would not fit in the memory available are refused;
        generate those in parts (one `seed` per part) and write each part out.

        Example:
        >>> images = gan.generate(16, seed=0)          # doctest: +SKIP
        >>> images.shape, images.dtype                 # doctest: +SKIP
        ((16, 28, 28, 1), dtype('uint8'))
        >>> z = gan.make_latents(4, seed=1)            # doctest: +SKIP
        >>> same = gan.generate(latents=z)             # doctest: +SKIP
        """
        if output not in ("uint8", "float"):
            raise ValueError(f"output must be 'uint8' or 'float'. Received: output={output!r}")
        batch_size = check_num_images(batch_size, name="batch_size")
        if latents is None and num_images is not None and np.ndim(num_images) > 0:
            num_images, latents = None, num_images  # latents passed positionally
        if latents is not None:
            if num_images is not None:
                raise ValueError("Pass either num_images or latents, not both. Received: "
                                 f"num_images={_short_repr(num_images)} and latents")
            if seed is not None or truncation is not None:
                raise ValueError(
                    "seed and truncation draw new latents, so they can't apply to given latents "
                    f"(use gan.make_latents(n, seed, truncation)). Received: seed={seed!r}, "
                    f"truncation={truncation!r}")
            latents = self.check_latents(latents)
            num_images = len(latents)
        else:
            num_images = check_num_images(16 if num_images is None else num_images)
            check_seed(seed)
            check_truncation(truncation)
        pixels = int(np.prod(self.image_shape))
        check_memory(num_images * (pixels * (1 if output == "uint8" else 4)
                                   + (4 * self.latent_dim if latents is None else 0)),
                     f"{num_images:,} images of shape {self.image_shape} ({output})",
                     f"num_images={num_images}")
        if latents is None:
            latents = self.make_latents(num_images, seed, truncation)
        labels = self.prepare_labels(labels, num_images)
        run = self._generator_function()
        # Filled batch by batch: peak memory is the output plus one batch.
        images = np.empty((num_images, *self.image_shape),
                          np.uint8 if output == "uint8" else np.float32)
        for start in range(0, num_images, batch_size):
            z = tf.constant(latents[start:start + batch_size])
            y = None if labels is None else tf.constant(labels[start:start + batch_size])
            batch = run(self.generator_inputs(z, y)).numpy()
            images[start:start + batch_size] = to_uint8(batch) if output == "uint8" else batch
        return images

    def example_inputs(self, num_images: int, seed=None) -> dict:
        """Generator inputs keyed like the serving signature's inputs: `latents`
        (+ `labels`, cycling through the classes, for conditional models)."""
        inputs = {"latents": self.make_latents(num_images, seed)}
        labels = self.prepare_labels(None, num_images) if self.task == "conditional" else None
        if labels is not None:
            inputs["labels"] = labels
        return inputs

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        """Images for a dict of inputs as `example_inputs` makes (and golden files store)."""
        return self.generate(inputs["latents"], inputs.get("labels"), output=output)

    def preview(self, inputs: dict) -> np.ndarray:
        """A uint8 image grid of the outputs for `inputs`."""
        from kerasgan.utils import image_grid

        return image_grid(self.generate_from(inputs))

    # --------------------------------------------------------- serialization
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "generator": _serialize(self.generator),
            "discriminator": _serialize(self.discriminator),
            "latent_dim": self.latent_dim,
            "d_steps": self.d_steps,
            "ema_decay": self.ema_decay,
            "seed": self.seed,
            "augment": _serialize(self.augment),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = _deserialize(config["generator"])
        config["discriminator"] = _deserialize(config["discriminator"])
        if config.get("augment") is not None:
            config["augment"] = _deserialize(config["augment"])
        return cls(**config)

    def count_params_by_network(self) -> dict:
        return {"generator": int(self.generator.count_params()),
                "discriminator": int(self.discriminator.count_params())}
