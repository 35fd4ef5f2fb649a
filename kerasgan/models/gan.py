"""The GAN base class: a `keras.Model` holding named networks, trained by update groups.

A variant declares
- its networks by name (`NETWORKS`: `generator`, `discriminator`, and whatever its
  algorithm needs: `encoder`, `q_head`, ...), each a `keras.Model` attribute;
- its update groups (`update_groups()`): which networks each optimizer updates, and
  how often per step (`d` on `[discriminator]` `d_steps` times, then `g` on
  `[generator]`);
- the loss terms of a group (`loss_terms(group, batch)`), a dict such as
  `{"loss": ..., "l1": ...}`, each a mean over the *global* batch (a
  `keras.losses.Loss`, or `kerasgan.penalties.mean_over_global_batch`).

The template `train_step` owns the rest: one tape per group update, the group's
penalties, mixed-precision loss scaling, applying gradients, one tracker per term,
and the EMA of every sampled network. A variant overrides hooks, not the step.
"""

from __future__ import annotations

import dataclasses
import threading
import warnings

import keras
import numpy as np
import tensorflow as tf

from kerasgan import losses as gan_losses
from kerasgan import penalties as gan_penalties
from kerasgan.distribute import replica_count
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


@dataclasses.dataclass(frozen=True)
class UpdateGroup:
    """One optimizer's share of a training step.

    Attributes:
        name: the group's name; its optimizer is `gan.<name>_optimizer`, its
            trackers are prefixed with it (`d_loss`, `g_loss`, `d_penalty`).
        networks: the names of the networks whose trainable variables it updates.
        repeats: updates per training step (e.g. `d_steps` critic updates).
    """

    name: str
    networks: tuple[str, ...]
    repeats: int = 1


#: A group's loss terms plus what its penalties need (`discriminate`, `real`, `fake`).
@dataclasses.dataclass
class GroupLosses:
    terms: dict
    penalty_inputs: dict = dataclasses.field(default_factory=dict)
    real_logits: object = None


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


class UntrackedCache:
    """A plain holder Keras does not track (a dict attribute would be): composed sampling
    models that share a variant's networks (LAPGAN's pyramid, StyleGAN's tools)."""

    def __init__(self):
        self.models = {}


@keras.saving.register_keras_serializable(package="kerasgan")
class GAN(keras.Model):
    """An unconditional GAN: `generator(z) -> image`, `discriminator(image) -> logit`.

    Args:
        generator: a built `keras.Model` mapping latents `(batch, latent_dim)`
            to images in [-1, 1], `(batch, H, W, C)`.
        discriminator: a built `keras.Model` mapping images to logits.
        latent_dim: size of the latent vector; inferred from the generator.
        d_steps: discriminator updates per generator update.
        ema_decay: if set (e.g. 0.999), an exponential moving average of every
            sampled network (`SAMPLED_NETWORKS`) is kept (`ema_generator`, ...)
            and used by `generate`.
        seed: seed of the training-time noise (latents, penalty interpolation).
        augment: a differentiable augmentation applied to real and fake images
            before the discriminator (`kerasgan.layers.DiffAugment`,
            `AdaptiveAugment`, or "diffaugment" / "ada").
        simultaneous_updates: if True, one generator pass per step feeds both
            updates, each taking its gradient from the same forward pass (the
            TensorFlow DCGAN tutorial's step): about a fifth less work per step
            than alternating updates, which draw fresh fakes for `g` after `d`
            has moved. Needs the base `loss_terms`, `d_steps=1` and no unrolling.
        **networks: the variant's other named networks (see `NETWORKS`).

    Example:
    >>> gan = kerasgan.models.DCGAN.from_size("small", image_shape=(28, 28, 1))
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.fashion_mnist(), epochs=1)      # doctest: +SKIP
    >>> images = gan.generate(16, seed=0)                     # uint8 (16, 28, 28, 1)
    """

    #: "unconditional", "conditional", "image-to-image" or "text-to-image".
    task = "unconditional"
    #: The networks a model of this class holds, by attribute name.
    NETWORKS = ("generator", "discriminator")
    #: The networks sampled from at inference: kept as an EMA copy when `ema_decay`
    #: is set, and loaded from a checkpoint even without the training networks.
    SAMPLED_NETWORKS = ("generator",)
    #: Group name -> the names of the loss terms `loss_terms` returns for it.
    LOSS_TERMS = {"d": ("loss",), "g": ("loss",)}
    #: Groups whose loss terms give the inputs a discriminator penalty needs.
    PENALTY_GROUPS = ("d",)
    #: Whether `unrolled_steps` works: the variant calls its discriminator through
    #: `discriminate` and builds its `d` terms with `base_loss_terms`.
    UNROLLABLE = True

    def __init__(self, generator, discriminator=None, *, latent_dim=None, d_steps: int = 1,
                 ema_decay: float | None = None, seed: int | None = None, augment=None,
                 unrolled_steps: int | None = None, unrolled_learning_rate: float = 1e-2,
                 simultaneous_updates: bool = False, **kwargs):
        others = [name for name in self.NETWORKS if name not in ("generator", "discriminator")]
        extra = {name: kwargs.pop(name) for name in others if name in kwargs}
        super().__init__(**kwargs)
        given = {"generator": generator}
        if "discriminator" in self.NETWORKS:
            given["discriminator"] = discriminator
        elif discriminator is not None:
            # A variant without one (SRResNet) trains its generator alone.
            raise ValueError(f"{type(self).__name__} has no discriminator (its networks: "
                             f"{', '.join(self.NETWORKS)}). Received: a discriminator")
        missing = [name for name in (*given, *others)
                   if name not in extra and given.get(name) is None]
        if missing:
            raise ValueError(f"{type(self).__name__} needs the networks {', '.join(missing)}. "
                             f"Received: {', '.join(n for n in (*given, *extra) if n not in missing)}")
        for name, network in {**given, **extra}.items():
            if isinstance(network, dict):
                network = _deserialize(network)
            if not isinstance(network, keras.Model):
                raise TypeError(f"The {name} must be a keras.Model. Received: "
                                f"{name}={type(network).__name__}")
            setattr(self, name, network)
        inferred = int(self.generator.inputs[0].shape[-1])
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
        if unrolled_steps is not None:
            if isinstance(unrolled_steps, bool) or not isinstance(unrolled_steps, (int, np.integer)) \
                    or unrolled_steps < 1:
                raise ValueError("unrolled_steps (the unrolling depth k) must be an int >= 1, or "
                                 f"None for no unrolling. Received: unrolled_steps={unrolled_steps!r}")
            if not self.UNROLLABLE:
                raise ValueError(f"{type(self).__name__} does not support unrolling: its "
                                 "discriminator is not called through `discriminate`. Received: "
                                 f"unrolled_steps={unrolled_steps}")
        if unrolled_learning_rate <= 0:
            raise ValueError("unrolled_learning_rate must be > 0. Received: "
                             f"unrolled_learning_rate={unrolled_learning_rate}")
        self.unrolled_steps = None if unrolled_steps is None else int(unrolled_steps)
        self.unrolled_learning_rate = float(unrolled_learning_rate)
        self.simultaneous_updates = self._check_simultaneous(simultaneous_updates)
        self._unrolled_discriminator = None
        # Per thread: MirroredStrategy runs each replica's step in a thread of its own.
        self._step_local = threading.local()
        self.seed = seed
        # The noise stream is (seed, counter): the counter is a weight, so a checkpoint
        # restores the exact noise the next step would draw.
        self._noise_seed = int(seed) if seed is not None else int(np.random.randint(0, 2**31 - 1))
        self.noise_counter = self.add_weight(
            name="noise_counter", shape=(), dtype="int32", initializer="zeros", trainable=False,
            aggregation="only_first_replica")
        for name in self.SAMPLED_NETWORKS:
            ema = None
            if ema_decay:
                network = getattr(self, name)
                ema = keras.models.clone_model(network)
                ema.name = f"{network.name}_ema"
                ema.set_weights(network.get_weights())
                ema.trainable = False
            setattr(self, f"ema_{name}", ema)
        self.augment = None
        self.set_augment(augment)
        self.ada_p_tracker = keras.metrics.Mean(name="ada_p")
        self._trackers = {}
        self._generate_function = None
        self.built = True

    def _check_simultaneous(self, simultaneous_updates) -> bool:
        if not isinstance(simultaneous_updates, (bool, np.bool_)):
            raise TypeError("simultaneous_updates must be True or False. Received: "
                            f"simultaneous_updates={simultaneous_updates!r}")
        if not simultaneous_updates:
            return False
        name = type(self).__name__
        if type(self).loss_terms is not GAN.loss_terms or \
                [g.name for g in self.update_groups()] != ["d", "g"]:
            raise ValueError(f"{name} does not support simultaneous_updates: its loss terms are "
                             "its own, and only the base GAN's d/g terms are written to come "
                             "from one shared forward pass. Received: simultaneous_updates=True")
        if self.d_steps != 1 or self.unrolled_steps:
            raise ValueError(
                "simultaneous_updates needs d_steps=1 and no unrolled_steps: both updates "
                "come from one forward pass. Received: simultaneous_updates=True, "
                f"d_steps={self.d_steps}, unrolled_steps={self.unrolled_steps}")
        return True

    # -------------------------------------------------------------- networks
    @property
    def fuses_discriminator_pass(self) -> bool:
        """Whether the base `d` loss runs real and fake images through the discriminator
        in one call (concatenated): only when none of its layers couples the samples of
        a call (batch norm, minibatch features) or updates state per call (spectral
        norm's power iteration), so the logits are the two calls' logits."""
        fused = getattr(self, "_fuses_discriminator_pass", None)
        if fused is None:
            from kerasgan.layers import dropout, minibatch, spectral_norm

            # Layers whose output for one sample depends on the others in the call, or
            # that update state once per training call. Dropout's mask rows follow the
            # call's layout: a fused [real; fake] split over replicas would pair them
            # with other samples than on one device.
            unfusable = (keras.layers.BatchNormalization, keras.layers.SpectralNormalization,
                         minibatch.MinibatchStdDev, minibatch.MinibatchDiscrimination,
                         spectral_norm._SpectralKernel, dropout.GlobalBatchDropout)
            fused = not any(isinstance(layer, unfusable)
                            for layer in self.discriminator._flatten_layers(include_self=False))
            self._fuses_discriminator_pass = fused
        return fused

    @property
    def networks(self) -> dict:
        """The model's networks by name (the training ones, not the EMA copies)."""
        return {name: getattr(self, name) for name in self.NETWORKS}

    def sampling_network(self, name: str) -> keras.Model:
        """The network used for inference: its EMA copy when there is one."""
        ema = getattr(self, f"ema_{name}", None)
        return ema if ema is not None else getattr(self, name)

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator used for sampling: the EMA copy when there is one."""
        return self.sampling_network("generator")

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

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    # ---------------------------------------------------------- update groups
    def update_groups(self) -> tuple[UpdateGroup, ...]:
        """`d` (the discriminator, `d_steps` times), then `g` (the generator)."""
        return (UpdateGroup("d", ("discriminator",), self.d_steps),
                UpdateGroup("g", ("generator",)))

    def group(self, name: str) -> UpdateGroup:
        groups = {g.name: g for g in self.update_groups()}
        if name not in groups:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error(f"update group of {type(self).__name__}", name, groups)
        return groups[name]

    def optimizer_of(self, group: str):
        return getattr(self, f"{group}_optimizer")

    def group_variables(self, group: UpdateGroup) -> list:
        return [v for name in group.networks for v in getattr(self, name).trainable_variables]

    # --------------------------------------------------------------- compile
    def default_optimizers(self) -> dict:
        """Group name -> optimizer factory; DCGAN's Adam(2e-4, beta_1=0.5) by default."""
        return {g.name: (lambda: keras.optimizers.Adam(2e-4, beta_1=0.5))
                for g in self.update_groups()}

    def default_loss(self):
        return gan_losses.NonSaturating()

    def compile(self, d_optimizer="auto", g_optimizer="auto", d_loss="auto", g_loss="auto",
                d_penalty="auto", *, optimizers=None, penalties=None, **kwargs):
        """Sets each update group's optimizer, the adversarial losses and penalties.

        "auto" picks the variant's paper defaults, so a loaded model can `fit` at once.

        Args:
            d_optimizer, g_optimizer: optimizer instances, names or configs for the
                `d` and `g` groups.
            optimizers: the same for any group, by name (`{"e": "adam"}`).
            d_loss, g_loss: `kerasgan.losses.GANLoss` instances or names
                ("non_saturating", "minimax", "least_squares", "hinge", "wasserstein").
            d_penalty: a penalty on the `d` group, e.g.
                `kerasgan.penalties.GradientPenalty(10.0)`, a name ("gradient_penalty",
                "r1"), or None for none; "auto": the variant's default (WGAN-GP's penalty).
            penalties: group name -> penalty or list of penalties (replaces the defaults).
        """
        groups = self.update_groups()
        chosen = dict(optimizers or {})
        for name, value in (("d", d_optimizer), ("g", g_optimizer)):
            if value != "auto" and value is not None:
                chosen.setdefault(name, value)
        unknown = set(chosen) - {g.name for g in groups}
        if unknown:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error(f"update group of {type(self).__name__} in optimizers",
                                     sorted(unknown)[0], [g.name for g in groups])
        defaults = self.default_optimizers()
        for group in groups:
            optimizer = _make_optimizer(chosen.get(group.name, "auto"), defaults[group.name])
            if self.generator.dtype_policy.name == "mixed_float16" and not isinstance(
                    optimizer, keras.optimizers.LossScaleOptimizer):
                # float16 gradients underflow without dynamic loss scaling.
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            # Built here, not lazily in the first step: a lazily built optimizer fails
            # under MirroredStrategy and drops its state on reload.
            optimizer.build(self.group_variables(group))
            setattr(self, f"{group.name}_optimizer", optimizer)
        self.d_loss_fn = self.default_loss() if d_loss == "auto" else gan_losses.get(d_loss)
        self.g_loss_fn = self.default_loss() if g_loss == "auto" else gan_losses.get(g_loss)
        self.penalties = self._check_penalties(penalties, d_penalty)
        # One tracker per named term, made here: variables can't be created in a traced step.
        self._trackers = {}
        for group in groups:
            for term in self.loss_term_names(group.name) + (
                    ("penalty",) if group.name in self.penalties else ()):
                name = self.tracker_name(group.name, term)
                self._trackers[name] = keras.metrics.Mean(name=name)
        kwargs.pop("optimizer", None)
        kwargs.pop("loss", None)
        super().compile(optimizer=None, **kwargs)

    def default_penalties(self) -> dict:
        """Group name -> penalties `compile()` adds when none are given (none here)."""
        return {}

    def _check_penalties(self, penalties, d_penalty) -> dict:
        if penalties is None and d_penalty == "auto":
            penalties = self.default_penalties()
        chosen = dict(penalties or {})
        if d_penalty not in (None, "auto"):
            chosen["d"] = d_penalty
        result = {}
        for group, value in chosen.items():
            items = value if isinstance(value, (list, tuple)) else [value]
            items = [gan_penalties.get(p) for p in items if p is not None]
            if not items:
                continue
            if group not in self.PENALTY_GROUPS:
                raise ValueError(
                    f"{type(self).__name__} takes penalties on the groups "
                    f"{list(self.PENALTY_GROUPS) or 'none'}; its '{group}' group gives no "
                    f"inputs for them. Received: penalties for '{group}': "
                    f"{[type(p).__name__ for p in items]}")
            if group == "d" and any(isinstance(layer, keras.layers.BatchNormalization)
                                    for layer in self.discriminator._flatten_layers()):
                warnings.warn(
                    f"{type(items[0]).__name__} with a batch-normalized discriminator: batch "
                    "norm couples the samples whose gradients are penalized (and with several "
                    "replicas the penalty then differs from one device's). Build the "
                    "discriminator with layer norm or none, e.g. "
                    "DCGAN.from_size(..., d_normalization='layer').", stacklevel=3)
            result[group] = items
        return result

    @property
    def d_penalty(self):
        """The `d` group's first penalty (None without one)."""
        return (getattr(self, "penalties", {}).get("d") or [None])[0]

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or not hasattr(self, "penalties"):
            return None
        return {
            "optimizers": {g.name: _serialize(self.optimizer_of(g.name))
                           for g in self.update_groups()},
            "d_loss": _serialize(self.d_loss_fn),
            "g_loss": _serialize(self.g_loss_fn),
            "penalties": {group: [_serialize(p) for p in items]
                          for group, items in self.penalties.items()},
        }

    def compile_from_config(self, config):
        config = dict(config)
        # Checkpoints written before update groups named two optimizers and one penalty.
        optimizers = dict(config.pop("optimizers", None) or {})
        for name in ("d", "g"):
            if f"{name}_optimizer" in config:
                optimizers[name] = config.pop(f"{name}_optimizer")
        penalties = config.pop("penalties", None) or {}
        if config.get("d_penalty") is not None:
            penalties = {**penalties, "d": config["d_penalty"]}
        config.pop("d_penalty", None)
        penalties = {group: [_deserialize(p) if isinstance(p, dict) else p
                             for p in (items if isinstance(items, list) else [items])]
                     for group, items in penalties.items()}
        for key in ("d_loss", "g_loss"):
            if isinstance(config.get(key), dict):
                config[key] = _deserialize(config[key])
        self.compile(optimizers=optimizers, penalties=penalties, **config)

    # ----------------------------------------------------------------- hooks
    def unpack(self, data):
        """Splits a batch into `(images, labels)`; labels are None if absent."""
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            images, labels = data, None
        return images, labels

    def shared_noise(self, draw, shape):
        """Noise of `shape` from the next stateless seed of the training stream, the same
        on every replica (for state all replicas update alike, such as CycleGAN's
        history buffer)."""
        counter = self.noise_counter.value
        seed = tf.stack([tf.constant(self._noise_seed, tf.int32), counter])
        self.noise_counter.assign(counter + 1)
        return draw(shape, seed=seed)

    def _replica_slice(self, draw, batch_size, shape):
        """Draws noise for the *global* batch from one stateless seed and keeps this
        replica's rows: every replica gets different noise, and N replicas draw exactly
        what one device would for the same global batch."""
        ctx = tf.distribute.get_replica_context()
        replicas = ctx.num_replicas_in_sync if ctx is not None else 1
        noise = self.shared_noise(draw, tf.concat([[batch_size * replicas], shape], 0))
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

    def discriminator_inputs(self, images, labels):
        return images

    def discriminate(self, images, labels, training=False):
        inputs = self.discriminator_inputs(images, labels)
        if self._unrolled_discriminator is not None:
            # Unrolled GAN: the discriminator with its unrolled weights (tensors that
            # depend on the generator), its real variables left unchanged.
            trainable, non_trainable = self._unrolled_discriminator
            logits, _ = self.discriminator.stateless_call(trainable, non_trainable, inputs,
                                                          training=training)
            return logits
        return self.discriminator(inputs, training=training)

    def global_mean(self, per_example):
        """A hand-written loss term's mean over the global batch (right under tf.distribute)."""
        return gan_penalties.mean_over_global_batch(per_example)

    def loss_terms(self, group: str, batch, training: bool = True) -> GroupLosses:
        """The loss terms of `group` for one batch (see the module docstring).

        The base class: `d` compares real and generated images, `g` fools `d`.
        """
        real, labels = batch
        batch_size = tf.shape(real)[0]
        fake_labels = self.sample_fake_labels(labels, batch_size)
        latents = self.sample_latents(batch_size)
        if group == "d":
            fake = self.generator(self.generator_inputs(latents, fake_labels), training=training)
            if self._unrolled_discriminator is None:
                # Unrolling differentiates the discriminator's steps through the fakes.
                fake = tf.stop_gradient(fake)
            return self.discriminator_terms(real, labels, fake, fake_labels, training)[0]
        fake = self.generator(self.generator_inputs(latents, fake_labels), training=training)
        augment = self.augment_images if training else (lambda x: x)
        fake_logits = self.discriminate(augment(fake), fake_labels, training=training)
        return GroupLosses({"loss": self.g_loss_fn.generator_loss(fake_logits)})

    def discriminator_terms(self, real, labels, fake, fake_labels, training, fuse=True):
        """The base `d` terms for given fakes, and the fakes' logits. `fuse=False` keeps
        two calls even where one would do (`fuses_discriminator_pass`)."""
        augment = self.augment_images if training else (lambda x: x)
        batch_size = tf.shape(real)[0]
        if fuse and self.fuses_discriminator_pass and (labels is None) == (fake_labels is None):
            # One call on [real; fake]: the same logits as two calls when no layer
            # mixes samples (checked by `fuses_discriminator_pass`), in fewer, larger ops.
            both_labels = None if labels is None else tf.concat(
                [labels, tf.cast(fake_labels, labels.dtype)], 0)
            logits = self.discriminate(tf.concat([augment(real), augment(fake)], 0),
                                       both_labels, training=training)
            real_logits, fake_logits = logits[:batch_size], logits[batch_size:]
        else:
            real_logits = self.discriminate(augment(real), labels, training=training)
            fake_logits = self.discriminate(augment(fake), fake_labels, training=training)
        losses = GroupLosses(
            {"loss": self.d_loss_fn.discriminator_loss(real_logits, fake_logits)},
            {"discriminate": lambda x: self.discriminate(x, labels, training=True),
             "real": real, "fake": fake},
            real_logits=real_logits)
        return losses, fake_logits

    def loss_term_names(self, group: str) -> tuple[str, ...]:
        return tuple(self.LOSS_TERMS[group])

    def loss_weights(self, group: str) -> dict:
        """Weights of the terms in the group's total loss (1 where not named)."""
        return {}

    # ------------------------------------------------------------- training
    def update(self, group: UpdateGroup | str, batch) -> dict:
        """One optimizer update of `group` on `batch` (already unpacked); returns the
        group's terms (and penalty) as float32 tensors, each a global-batch mean."""
        if isinstance(group, str):
            group = self.group(group)
        with tf.GradientTape() as tape:
            if self.unrolled_steps and group.name == "g":
                self._unrolled_discriminator = self.unroll_discriminator(batch)
            try:
                losses = self.loss_terms(group.name, batch, training=True)
            finally:
                self._unrolled_discriminator = None
            terms, scaled = self._group_total(group, losses)
        self._apply_gradients(group, tape.gradient(scaled, self.group_variables(group)), losses)
        return terms

    def simultaneous_update(self, batch) -> list:
        """Both updates from one generator pass and one discriminator call on each of the
        real and fake batches (`simultaneous_updates`): `g`'s gradient is taken through
        the discriminator as it was before `d`'s update. Returns the logged
        (group, term, value) triples."""
        real, labels = batch
        batch_size = tf.shape(real)[0]
        fake_labels = self.sample_fake_labels(labels, batch_size)
        latents = self.sample_latents(batch_size)
        d_group, g_group = self.group("d"), self.group("g")
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake = self.generator(self.generator_inputs(latents, fake_labels), training=True)
            # Two discriminator calls: `g`'s gradient then runs back through the fake
            # call only, where a fused call would backpropagate the real half as well.
            d_losses, fake_logits = self.discriminator_terms(real, labels, fake, fake_labels,
                                                             training=True, fuse=False)
            g_losses = GroupLosses({"loss": self.g_loss_fn.generator_loss(fake_logits)})
            d_terms, d_scaled = self._group_total(d_group, d_losses)
            g_terms, g_scaled = self._group_total(g_group, g_losses)
        d_grads = d_tape.gradient(d_scaled, self.group_variables(d_group))
        g_grads = g_tape.gradient(g_scaled, self.group_variables(g_group))
        self._apply_gradients(d_group, d_grads, d_losses)
        self._apply_gradients(g_group, g_grads, g_losses)
        return [("d", term, value) for term, value in d_terms.items()] + \
            [("g", term, value) for term, value in g_terms.items()]

    def _group_total(self, group: UpdateGroup, losses: GroupLosses):
        """(float32 terms with the penalty, the optimizer-scaled weighted total)."""
        if set(losses.terms) != set(self.loss_term_names(group.name)):
            raise ValueError(
                f"{type(self).__name__}.loss_terms('{group.name}') returned the terms "
                f"{sorted(losses.terms)}, but loss_term_names('{group.name}') declares "
                f"{sorted(self.loss_term_names(group.name))}.")
        terms = {k: tf.cast(v, tf.float32) for k, v in losses.terms.items()}
        penalties = self.penalties.get(group.name, [])
        if penalties:
            terms["penalty"] = tf.add_n([self._penalty_value(group, p, losses)
                                         for p in penalties])
        weights = self.loss_weights(group.name)
        total = tf.add_n([weights.get(k, 1.0) * v for k, v in terms.items()])
        return terms, self.optimizer_of(group.name).scale_loss(total)

    def _penalty_value(self, group: UpdateGroup, penalty, losses: GroupLosses):
        """One penalty's float32 value; a lazy one (`every=k`) is k times its value on
        every k-th update of the group (counted by its optimizer), else 0."""
        def value():
            return tf.cast(penalty(sample_uniform=self.sample_uniform, **losses.penalty_inputs),
                           tf.float32)

        if penalty.every == 1:
            return value()
        due = tf.equal(self.optimizer_of(group.name).iterations % penalty.every, 0)
        return tf.cond(due, lambda: float(penalty.every) * value(), lambda: tf.constant(0.0))

    def _apply_gradients(self, group: UpdateGroup, grads, losses: GroupLosses):
        self.optimizer_of(group.name).apply_gradients(zip(grads, self.group_variables(group)))
        if group.name == "d" and hasattr(self.augment, "update") and losses.real_logits is not None:
            self.augment.update(losses.real_logits)

    def unroll_discriminator(self, batch):
        """Unrolled GAN (Metz et al. 2017): the discriminator's weights after
        `unrolled_steps` updates on its loss, as tensors the generator's gradient flows
        through (second-order terms included). The updates replay the discriminator's
        own optimizer, as the authors' code does: Adam with its moments and step count
        copied (the real ones are left untouched); any other optimizer is unrolled as
        plain SGD at `unrolled_learning_rate`. Penalties are left out of the unrolled
        steps."""
        optimizer = self.optimizer_of("d")
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # loss scaling
        variables = self.discriminator.trainable_variables
        trainable = [v.value for v in variables]
        non_trainable = [v.value for v in self.discriminator.non_trainable_variables]
        update = _ReplayedUpdate(optimizer, variables, self.unrolled_learning_rate)
        for _ in range(self.unrolled_steps):
            with tf.GradientTape() as tape:
                tape.watch(trainable)
                self._unrolled_discriminator = (trainable, non_trainable)
                terms = self.loss_terms("d", batch, training=True).terms
                total = tf.add_n([tf.cast(v, tf.float32) for v in terms.values()])
            trainable = update(trainable, tape.gradient(total, trainable))
        return trainable, non_trainable

    @property
    def step_cache(self) -> dict | None:
        """Tensors the update groups of one training step share, by key: a dict while
        `train_step` runs (one per replica), None outside it. A group that computes what
        a later group needs puts it here (CycleGAN's `g` group leaves its translations
        for `d`, as the paper's code feeds one forward pass to both updates); a later
        group falls back to computing it when the key is absent (e.g. `gan.update("d",
        batch)` on its own)."""
        return getattr(self._step_local, "cache", None)

    #: Networks whose weights a preset load left at their initial values (the
    #: discriminators, without `with_discriminator=True`); `save_to_preset` leaves them
    #: out rather than write untrained weights under a trained checkpoint's name. `fit`
    #: trains them, so it clears this.
    networks_not_loaded: tuple = ()

    def fit(self, *args, **kwargs):
        self.networks_not_loaded = ()
        return super().fit(*args, **kwargs)

    def update_training_phase(self):
        """Sets the state that follows a training schedule from the step count, before a
        step's updates (ProGAN's fade-in alphas); none in the base. The state lives in
        the networks' weights, so checkpoints hold it, and it is a function of the saved
        step count, so a resumed run is in the same phase as an uninterrupted one."""

    def train_step(self, data):
        batch = self.unpack(data)
        self.update_training_phase()
        self._step_local.cache = {}
        try:
            if self.simultaneous_updates:
                logged = self.simultaneous_update(batch)
            else:
                logged = []
                for group in self.update_groups():
                    for _ in range(group.repeats):
                        terms = self.update(group, batch)
                    logged += [(group.name, term, value) for term, value in terms.items()]
        finally:
            self._step_local.cache = None
        self.update_ema()
        self.record_terms(logged)
        if hasattr(self.augment, "p"):
            self.ada_p_tracker.update_state(self.augment.p.value)
        return self.training_logs()

    def test_step(self, data):
        batch = self.unpack(data)
        logged = []
        for group in self.update_groups():
            terms = self.loss_terms(group.name, batch, training=False).terms
            logged += [(group.name, term, value) for term, value in terms.items()]
        self.record_terms(logged)
        return self.training_logs()

    def tracker_name(self, group: str, term: str) -> str:
        """`d_loss`, `g_loss`, `d_penalty`; other terms keep their own name (`l1`, `kl`)
        unless another group has a term of that name too (InfoGAN's `d_info`, `g_info`)."""
        if term in ("loss", "penalty"):
            return f"{group}_{term}"
        shared = sum(term in self.loss_term_names(g.name) for g in self.update_groups()) > 1
        return f"{group}_{term}" if shared else term

    def tracker(self, group: str, term: str) -> keras.metrics.Mean:
        return self._trackers[self.tracker_name(group, term)]

    def record_terms(self, logged):
        """`(group, term, value)` triples: values are global-batch means, i.e. scaled by
        1/replicas for the gradient sum, so the logged value is multiplied back."""
        replicas = float(replica_count())
        for group, term, value in logged:
            self.tracker(group, term).update_state(value * replicas)

    def training_logs(self):
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras reduces MultiWorkerMirroredStrategy outputs on axis 0 (tensorflow#72388).
            return {m.name: tf.reshape(m.result(), (1,)) for m in self.metrics}
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        trackers = list(getattr(self, "_trackers", {}).values())
        if hasattr(getattr(self, "augment", None), "p"):
            trackers.append(self.ada_p_tracker)
        return trackers

    def update_ema(self):
        if not self.ema_decay:
            return
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        # Warm-up: early on the average follows the generator closely.
        decay = tf.minimum(tf.constant(self.ema_decay, tf.float32), (1.0 + step) / (10.0 + step))
        pairs = [(ema_var, var) for name in self.SAMPLED_NETWORKS
                 for ema_var, var in zip(getattr(self, f"ema_{name}").weights,
                                         getattr(self, name).weights)]

        def assign_all(strategy=None):
            for ema_var, var in pairs:
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
        latents = self.resolve_latents(num_images, latents, seed, truncation, output)
        batch_size = check_num_images(batch_size, name="batch_size")
        num_images = len(latents)
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

    def resolve_latents(self, num_images=None, latents=None, seed=None, truncation=None,
                        output="uint8") -> np.ndarray:
        """The latents `generate`'s arguments ask for, checked: given ones (also passed
        positionally as `num_images`), or `num_images` (default 16) drawn from `seed`;
        refuses an `output` that would not fit in memory."""
        if output not in ("uint8", "float"):
            raise ValueError(f"output must be 'uint8' or 'float'. Received: output={output!r}")
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
        return latents

    def example_inputs(self, num_images: int, seed=None) -> dict:
        """Generator inputs keyed like the serving signature's inputs: `latents` (a
        variant adds its conditioning, e.g. `labels` cycling through the classes)."""
        return {"latents": self.make_latents(num_images, seed)}

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        """Images for a dict of inputs as `example_inputs` makes (and golden files store)."""
        return self.generate(inputs["latents"], inputs.get("labels"), output=output)

    def golden_outputs_from(self, inputs: dict, output="uint8") -> dict:
        """Every output a golden file records for `inputs`, by name: "images" (from
        `generate_from`), plus any a variant adds (a second translation direction)."""
        return {"images": self.generate_from(inputs, output=output)}

    def preview(self, inputs: dict) -> np.ndarray:
        """A uint8 image grid of the outputs for `inputs`."""
        from kerasgan.utils import image_grid

        return image_grid(self.generate_from(inputs))

    # --------------------------------------------------------- serialization
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            **{name: _serialize(network) for name, network in self.networks.items()},
            "latent_dim": self.latent_dim,
            "d_steps": self.d_steps,
            "ema_decay": self.ema_decay,
            "seed": self.seed,
            "augment": _serialize(self.augment),
            "unrolled_steps": self.unrolled_steps,
            "unrolled_learning_rate": self.unrolled_learning_rate,
            "simultaneous_updates": self.simultaneous_updates,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.NETWORKS:
            config[name] = _deserialize(config[name])
        if config.get("augment") is not None:
            config["augment"] = _deserialize(config["augment"])
        return cls(**config)

    def count_params_by_network(self) -> dict:
        return {name: int(network.count_params()) for name, network in self.networks.items()}


class _ReplayedUpdate:
    """One optimizer step as a differentiable function of the weights, on copies of the
    optimizer's state: Keras' Adam update (`keras.optimizers.Adam.update_step`, without
    amsgrad) where `optimizer` is one, else SGD at `fallback_learning_rate`."""

    def __init__(self, optimizer, variables, fallback_learning_rate):
        self.adam = isinstance(optimizer, keras.optimizers.Adam) and not optimizer.amsgrad
        self.learning_rate = fallback_learning_rate
        if not self.adam:
            return
        built = optimizer.built and bool(optimizer._momentums)
        self.learning_rate = tf.cast(optimizer.learning_rate, tf.float32)
        self.beta_1, self.beta_2 = float(optimizer.beta_1), float(optimizer.beta_2)
        self.epsilon = float(optimizer.epsilon)
        self.step = tf.cast(optimizer.iterations, tf.float32) if built else tf.constant(0.0)
        if built:
            index = [optimizer._get_variable_index(v) for v in variables]
            self.m = [optimizer._momentums[i].value for i in index]
            self.v = [optimizer._velocities[i].value for i in index]
        else:  # the discriminator has not been updated yet: Adam's zero state
            self.m = [tf.zeros_like(v.value) for v in variables]
            self.v = [tf.zeros_like(v.value) for v in variables]

    def __call__(self, weights, grads):
        if not self.adam:
            return [w - self.learning_rate * tf.cast(g, w.dtype) if g is not None else w
                    for w, g in zip(weights, grads)]
        self.step = self.step + 1.0
        alpha = (self.learning_rate * tf.sqrt(1.0 - self.beta_2 ** self.step)
                 / (1.0 - self.beta_1 ** self.step))
        new_weights, new_m, new_v = [], [], []
        for w, g, m, v in zip(weights, grads, self.m, self.v):
            if g is None:
                new_weights.append(w), new_m.append(m), new_v.append(v)
                continue
            g = tf.cast(g, w.dtype)
            m = m + (g - m) * (1.0 - self.beta_1)
            v = v + (tf.square(g) - v) * (1.0 - self.beta_2)
            new_weights.append(w - alpha * m / (tf.sqrt(v) + self.epsilon))
            new_m.append(m), new_v.append(v)
        self.m, self.v = new_m, new_v
        return new_weights
