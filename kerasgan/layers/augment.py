"""Differentiable augmentations applied to real *and* fake images before the discriminator.

- `DiffAugment` (Zhao et al. 2020): color, translation and cutout on every image.
- `AdaptiveAugment` (Karras et al. 2020, ADA): the same transforms, each applied
  with probability `p`, where `p` follows the overfitting heuristic
  r_t = E[sign(D(x_real))]: it rises while r_t is above `target` and falls below it.

Both work on NHWC images in [-1, 1] and are differentiable in the images, so
the generator's gradients pass through them.

Example:
>>> gan = kerasgan.load("dcgan-fashion-mnist", with_discriminator=True)   # doctest: +SKIP
>>> gan.set_augment(DiffAugment("color,translation,cutout"))              # doctest: +SKIP
"""

from __future__ import annotations

import keras
import tensorflow as tf

POLICIES = ("color", "translation", "cutout")


def _parse_policy(policy: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in policy.split(",") if p.strip())
    for part in parts:
        if part not in POLICIES:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("augmentation", part, POLICIES)
    return parts


def _per_example(uniform, batch):
    return tf.reshape(uniform, (batch, 1, 1, 1))


def color(x, u):
    """u: (batch, 3) uniform in [0, 1): brightness, saturation, contrast."""
    batch = tf.shape(x)[0]
    x = x + (_per_example(u[:, 0], batch) - 0.5)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * (_per_example(u[:, 1], batch) * 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (_per_example(u[:, 2], batch) + 0.5) + mean


def translation(x, u, ratio=0.125):
    """Shifts each image by up to `ratio` of its size, filling with zeros (u: (batch, 2))."""
    height, width = x.shape[1], x.shape[2]
    max_y, max_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    shift_y = tf.cast(tf.floor(u[:, 0] * (2 * max_y + 1)), tf.int32) - max_y
    shift_x = tf.cast(tf.floor(u[:, 1] * (2 * max_x + 1)), tf.int32) - max_x
    # One-hot shift matrices: rows whose source lies outside the image are all zero
    # (tf.one_hot of an out-of-range index), which is the zero padding.
    rows = tf.one_hot(tf.range(height)[None, :] - shift_y[:, None], height, dtype=x.dtype)
    cols = tf.one_hot(tf.range(width)[None, :] - shift_x[:, None], width, dtype=x.dtype)
    return tf.einsum("bij,bjkc,blk->bilc", rows, x, cols)


def cutout(x, u, ratio=0.5):
    """Zeroes a random square of `ratio` x the image size per image (u: (batch, 2))."""
    height, width = x.shape[1], x.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    center_y = tf.floor(u[:, 0] * (height + (1 - size_y % 2)))
    center_x = tf.floor(u[:, 1] * (width + (1 - size_x % 2)))
    ys = tf.range(height, dtype=tf.float32)[None, :]
    xs = tf.range(width, dtype=tf.float32)[None, :]
    inside_y = tf.abs(ys - center_y[:, None]) < size_y / 2
    inside_x = tf.abs(xs - center_x[:, None]) < size_x / 2
    hole = tf.logical_and(inside_y[:, :, None], inside_x[:, None, :])
    return x * tf.cast(tf.logical_not(hole), x.dtype)[..., None]


_TRANSFORMS = {"color": (color, 3), "translation": (translation, 2), "cutout": (cutout, 2)}


@keras.saving.register_keras_serializable(package="kerasgan")
class DiffAugment(keras.layers.Layer):
    """DiffAugment: applies every transform of `policy` to every image when training.

    Args:
        policy: comma-separated subset of "color,translation,cutout".
        seed: seed of the layer's random stream.
    """

    def __init__(self, policy: str = "color,translation,cutout", seed=None, **kwargs):
        super().__init__(**kwargs)
        self.policy = ",".join(_parse_policy(policy))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _apply(self, x, probability=None):
        batch = tf.shape(x)[0]
        for name in self.policy.split(","):
            transform, num = _TRANSFORMS[name]
            u = keras.random.uniform((batch, num), seed=self.seed_generator)
            out = transform(x, u)
            if probability is not None:
                apply = tf.cast(keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
                                < probability, x.dtype)
                out = apply * out + (1.0 - apply) * x
            x = out
        return x

    def call(self, images, training=False):
        if not training:
            return images
        return self._apply(images)

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "seed": self.seed}


@keras.saving.register_keras_serializable(package="kerasgan")
class AdaptiveAugment(DiffAugment):
    """ADA: each transform is applied with probability `p`, adjusted from r_t.

    Call `update(real_logits)` after each discriminator step (the GAN does);
    every `interval` steps, `p` moves by `interval * batch / (speed_images)` towards
    making r_t = E[sign(D(real))] equal `target`.

    Args:
        target: the r_t to hold (0.6 in the paper).
        speed_images: images over which p can go from 0 to 1 (500k in the paper;
            smaller suits short fine-tuning runs).
        interval: steps between adjustments.
    """

    def __init__(self, policy: str = "color,translation,cutout", target: float = 0.6,
                 speed_images: int = 100_000, interval: int = 4, initial_p: float = 0.0,
                 seed=None, **kwargs):
        super().__init__(policy, seed=seed, **kwargs)
        self.target, self.speed_images, self.interval = target, speed_images, interval
        self.initial_p = initial_p
        self.p = self.add_weight(name="p", shape=(), initializer=keras.initializers.Constant(initial_p),
                                 trainable=False, aggregation="only_first_replica")
        self.sign_sum = self.add_weight(name="sign_sum", shape=(), initializer="zeros",
                                        trainable=False, aggregation="only_first_replica")
        self.count = self.add_weight(name="count", shape=(), initializer="zeros", trainable=False,
                                     aggregation="only_first_replica")

    def call(self, images, training=False):
        if not training:
            return images
        return self._apply(images, probability=self.p.value)

    def update(self, real_logits):
        """Accumulates sign(D(real)) and adjusts p every `interval` calls."""
        signs = tf.sign(tf.cast(tf.reshape(real_logits, (-1,)), tf.float32))
        sign_sum = self.sign_sum.value + tf.reduce_sum(signs)
        count = self.count.value + tf.cast(tf.size(signs), tf.float32)
        batch = tf.cast(tf.size(signs), tf.float32)
        due = count >= batch * self.interval
        r_t = sign_sum / tf.maximum(count, 1.0)
        step = tf.sign(r_t - self.target) * count / float(self.speed_images)
        self.p.assign(tf.where(due, tf.clip_by_value(self.p.value + step, 0.0, 1.0), self.p.value))
        self.sign_sum.assign(tf.where(due, 0.0, sign_sum))
        self.count.assign(tf.where(due, 0.0, count))
        return r_t

    def get_config(self):
        return {**super().get_config(), "target": self.target, "speed_images": self.speed_images,
                "interval": self.interval, "initial_p": self.initial_p}


AUGMENTATIONS = {"diffaugment": DiffAugment, "ada": AdaptiveAugment}


def get(name: str | None):
    """"diffaugment", "ada", "none"/None, a layer instance, or "KIND:POLICY" for a
    subset of transforms, e.g. "diffaugment:translation" or "ada:translation,cutout"."""
    if name is None or name == "none":
        return None
    if isinstance(name, keras.layers.Layer):
        return name
    kind, _, policy = str(name).partition(":")
    if kind not in AUGMENTATIONS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("augmentation", kind, list(AUGMENTATIONS) + ["none"])
    return AUGMENTATIONS[kind](policy) if policy else AUGMENTATIONS[kind]()
