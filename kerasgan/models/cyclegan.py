"""CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks"): generators G: A -> B and F: B -> A, least-squares
discriminators D_B and D_A, cycle consistency ||F(G(a)) - a||_1 + ||G(F(b)) - b||_1 at
weight lambda = 10, the identity terms ||G(b) - b||_1 + ||F(a) - a||_1 at 0.5 lambda, and a
history of 50 generated images per discriminator (Shrivastava et al. 2017): once full,
each fake shown to D is, with probability 1/2, swapped for one from the history.

As the paper: the ResNet generator (c7s1-k, two stride-2 downsamplings, residual blocks,
two fractionally strided upsamplings, c7s1-3; reflection padding, instance norm), the
PatchGAN discriminator (C64-C128-C256 style, instance norm but on the first layer,
LeakyReLU 0.2), LSGAN, D's objective halved, Adam(2e-4, beta_1 = 0.5).

Departures, each for the 28x28 digits of the zoo checkpoint and a 2-core CPU:
- Width and depth: `small` has 16 base filters (the paper's 64; 0.5M parameters per
  generator, 1.4x faster than 32 filters per step here) and 6 residual blocks (the
  paper's count at 128x128); the PatchGAN has 3 convolutions before its logits
  (7x7 patches of a 28x28 image; the paper's 70x70 receptive field is larger than the
  image).
- Batches of 16 (the paper trains with batch 1) and a constant learning rate (the paper
  decays it linearly to 0 over its second 100 epochs).
- The history buffer is shared by the replicas under `tf.distribute`: each replica
  gathers the global batch's fakes and applies the same buffer update, so N replicas
  train as one device does on the same global batch. The buffer's draws come from the
  model's stateless noise stream, and the buffer is a model weight: a backup holds it
  and a resumed run continues with the same history.

How DiscoGAN (`kerasgan.models.DiscoGAN`) differs: its generators are encoder-decoders
with no residual blocks, its discriminators give one logit per image, it uses the
non-saturating (BCE) loss, an L2 reconstruction at weight 1 and no identity terms or
history.

Example:
>>> gan = CycleGAN.from_size("small", image_shape=(28, 28, 1))
>>> gan.compile()
>>> gan.fit(kerasgan.data.pipeline("printed2handwritten"), epochs=1)   # doctest: +SKIP
>>> handwritten = gan.translate(printed, direction="a2b")               # doctest: +SKIP
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from kerasgan import losses as gan_losses
from kerasgan.layers.padding import ReflectionPadding2D
from kerasgan.models._registry import register_variant
from kerasgan.models.unpaired import UnpairedTranslationGAN, check_halvable

SIZES = {
    "tiny": {"filters": 8, "num_blocks": 1},
    "small": {"filters": 16, "num_blocks": 6},
    "base": {"filters": 64, "num_blocks": 9},
}


def instance_norm():
    # Group norm with one group per channel: instance norm (per image and channel), so no
    # sample's output depends on the others in its batch.
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def build_resnet_generator(source_shape=(28, 28, 1), target_channels=1, filters=32,
                           num_blocks=6, name="generator") -> keras.Model:
    """images in [-1, 1] -> images in [-1, 1]: c7s1-k, d2k, d4k, R4k x num_blocks, u2k,
    uk, c7s1-C with reflection padding and instance norm (the paper's ResNet generator)."""
    check_halvable(source_shape, 2, "CycleGAN")
    source = keras.Input(tuple(source_shape), name="images")
    x = ReflectionPadding2D(3)(source)
    x = layers.Conv2D(filters, 7, use_bias=False)(x)
    x = layers.ReLU()(instance_norm()(x))
    for multiple in (2, 4):
        x = layers.Conv2D(filters * multiple, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(instance_norm()(x))
    for _ in range(num_blocks):
        y = ReflectionPadding2D(1)(x)
        y = layers.Conv2D(filters * 4, 3, use_bias=False)(y)
        y = layers.ReLU()(instance_norm()(y))
        y = ReflectionPadding2D(1)(y)
        y = instance_norm()(layers.Conv2D(filters * 4, 3, use_bias=False)(y))
        x = layers.Add()([x, y])
    for multiple in (2, 1):
        x = layers.Conv2DTranspose(filters * multiple, 3, strides=2, padding="same",
                                   use_bias=False)(x)
        x = layers.ReLU()(instance_norm()(x))
    x = ReflectionPadding2D(3)(x)
    x = layers.Conv2D(target_channels, 7)(x)
    images = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(source, images, name=name)


def patch_receptive_field(downsamples: int) -> int:
    """The side in pixels of the patch each PatchGAN logit sees (34 with 2 stride-2
    layers, 22 with 1, 13 with none)."""
    field, jump = 1, 1
    for stride in (2 if downsamples >= 1 else 1, 2 if downsamples >= 2 else 1, 1, 1):
        field, jump = field + 3 * jump, jump * stride
    return field


def build_patch_discriminator(image_shape=(28, 28, 1), filters=32, name="discriminator",
                              downsamples: int = 2, **_) -> keras.Model:
    """images -> a grid of logits, one per overlapping patch (PatchGAN): C(k, stride 2,
    no norm), C(2k, stride 2), C(4k, stride 1), each 4x4 with LeakyReLU 0.2, then a 4x4
    convolution to one logit per patch. `downsamples` < 2 makes the first layers stride
    1, for smaller patches (`patch_receptive_field`)."""
    if downsamples not in (0, 1, 2):
        raise ValueError(f"d_downsamples (stride-2 layers of the PatchGAN) must be 0, 1 or 2. "
                         f"Received: d_downsamples={downsamples!r}")
    check_halvable(image_shape, downsamples, "CycleGAN")
    images = keras.Input(tuple(image_shape), name="images")
    first, second = (2 if downsamples >= 1 else 1), (2 if downsamples >= 2 else 1)
    x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 4, strides=first, padding="same")(images))
    for multiple, stride in ((2, second), (4, 1)):
        x = layers.Conv2D(filters * multiple, 4, strides=stride, padding="same",
                          use_bias=False)(x)
        x = layers.LeakyReLU(0.2)(instance_norm()(x))
    logits = layers.Conv2D(1, 4, padding="same", dtype="float32", name="patch_logits")(x)
    return keras.Model(images, logits, name=name)


@register_variant("cyclegan")
class CycleGAN(UnpairedTranslationGAN):
    """Unpaired translation with cycle consistency (see the module docstring).

    Args:
        generator, discriminator, generator_b2a, discriminator_a: G (A -> B), D_B,
            F (B -> A), D_A.
        cycle_weight: lambda, the cycle terms' weight (10).
        identity_weight: the identity terms' weight as a fraction of lambda (0.5).
        history_size: generated images kept per discriminator (50; 0: none).
        ema_decay, seed, d_steps: as for `GAN`.
    """

    RECONSTRUCTION = "l1"
    D_LOSS_SCALE = 0.5
    SIZES = SIZES

    def __init__(self, generator, discriminator, *, generator_b2a, discriminator_a,
                 cycle_weight: float = 10.0, identity_weight: float = 0.5,
                 history_size: int = 50, **kwargs):
        super().__init__(generator, discriminator, generator_b2a=generator_b2a,
                         discriminator_a=discriminator_a, cycle_weight=cycle_weight,
                         identity_weight=identity_weight, **kwargs)
        if isinstance(history_size, bool) or not isinstance(history_size, int) or history_size < 0:
            raise ValueError(f"history_size must be an int >= 0. Received: "
                             f"history_size={history_size!r}")
        self.history_size = history_size
        if history_size:
            # Model weights, so backups hold the buffer; every replica keeps the same copy.
            self.history_b = self.add_weight(
                name="history_b", shape=(history_size, *self.domain_shape("b")),
                initializer="zeros", trainable=False, aggregation="only_first_replica")
            self.history_a = self.add_weight(
                name="history_a", shape=(history_size, *self.domain_shape("a")),
                initializer="zeros", trainable=False, aggregation="only_first_replica")
            self.history_count = self.add_weight(
                name="history_count", shape=(), dtype="int32", initializer="zeros",
                trainable=False, aggregation="only_first_replica")

    @staticmethod
    def build_generator(source_shape, target_channels, spec, name):
        return build_resnet_generator(source_shape, target_channels, spec["filters"],
                                      spec["num_blocks"], name=name)

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), source_shape=None,
                  d_downsamples: int = 2, **kwargs):
        """A new, untrained CycleGAN of a named size; `d_downsamples` sets the
        discriminators' patch (2: 34 px, the paper's layout; 1: 22 px; 0: 13 px; the
        paper's 70x70 patches are 27% of its 256x256 images)."""
        from kerasgan.models import check_size

        spec = dict(check_size(SIZES, size), d_downsamples=d_downsamples)
        return cls.from_spec(spec, image_shape=image_shape, source_shape=source_shape, **kwargs)

    @staticmethod
    def build_discriminator(image_shape, spec, name):
        return build_patch_discriminator(image_shape, spec["filters"], name=name,
                                         downsamples=spec.get("d_downsamples", 2))

    def default_loss(self):
        return gan_losses.LeastSquares()

    # ------------------------------------------------------------ history buffer
    def discriminator_fakes(self, fake_b, fake_a, training):
        if not self.history_size:
            return fake_b, fake_a
        ctx = tf.distribute.get_replica_context()
        replicas = ctx.num_replicas_in_sync if ctx is not None else 1
        local = tf.shape(fake_b)[0]
        if replicas > 1:
            # The global batch, in replica order, on every replica: each applies the same
            # update, and keeps its own rows of what D is shown.
            fake_b, fake_a = ctx.all_gather(fake_b, axis=0), ctx.all_gather(fake_a, axis=0)
        total = tf.shape(fake_b)[0]
        draws = self.shared_noise(tf.random.stateless_uniform, tf.stack([total, 2]))
        shown_b, shown_a, history_b, history_a, count = self._query_history(
            fake_b, fake_a, draws)
        self.history_b.assign(history_b)
        self.history_a.assign(history_a)
        self.history_count.assign(count)
        if replicas > 1:
            start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * local
            shown_b, shown_a = shown_b[start:start + local], shown_a[start:start + local]
        return shown_b, shown_a

    def _query_history(self, fake_b, fake_a, draws):
        """The paper's ImagePool, image by image: while the history is not full, a fake is
        stored and shown; then with probability 1/2 it is shown, else it replaces a random
        stored image, which is shown instead. Both histories fill and swap together (the
        same draws), as the two pools of the paper's code do with their own draws."""
        size = self.history_size
        n = tf.shape(fake_b)[0]

        def body(i, count, history_b, history_a, shown_b, shown_a):
            new_b, new_a = fake_b[i], fake_a[i]
            full = count >= size
            swap = tf.logical_and(full, draws[i, 0] > 0.5)
            slot = tf.where(full, tf.minimum(tf.cast(draws[i, 1] * size, tf.int32), size - 1),
                            tf.minimum(count, size - 1))
            store = tf.logical_or(tf.logical_not(full), swap)
            old_b, old_a = history_b[slot], history_a[slot]
            shown_b = shown_b.write(i, tf.where(swap, old_b, new_b))
            shown_a = shown_a.write(i, tf.where(swap, old_a, new_a))
            history_b = tf.where(store, tf.tensor_scatter_nd_update(history_b, [[slot]], [new_b]),
                                 history_b)
            history_a = tf.where(store, tf.tensor_scatter_nd_update(history_a, [[slot]], [new_a]),
                                 history_a)
            count = tf.where(full, count, count + 1)
            return i + 1, count, history_b, history_a, shown_b, shown_a

        arrays = [tf.TensorArray(fake.dtype, size=n, element_shape=fake.shape[1:])
                  for fake in (fake_b, fake_a)]
        _, count, history_b, history_a, shown_b, shown_a = tf.while_loop(
            lambda i, *_: i < n, body,
            (tf.constant(0), self.history_count.value, tf.cast(self.history_b.value, fake_b.dtype),
             tf.cast(self.history_a.value, fake_a.dtype), *arrays))
        return shown_b.stack(), shown_a.stack(), history_b, history_a, count

    def get_config(self):
        return {**super().get_config(), "history_size": self.history_size}
