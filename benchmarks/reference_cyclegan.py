"""A reference CycleGAN in the style of the keras.io example ("CycleGAN", A_K_Nain), scaled
from 256x256 to 28x28 images: its ResNet generator (reflection padding, a 7x7 convolution,
two stride-2 downsamplings, residual blocks, two stride-2 transposed convolutions, a 7x7
convolution to tanh; instance norm with N(0, 0.02) gammas; N(0, 0.02) kernels), its
PatchGAN (4x4 stride-2 convolutions with LeakyReLU 0.2, instance norm after the first,
a 4x4 stride-1 convolution, then one logit per patch), least-squares losses, cycle
weight 10, identity weight 0.5 x 10, the discriminators' loss halved, Adam(2e-4,
beta_1=0.5) for all four networks, one simultaneous update per step, no history buffer
and no EMA.

Scaled: 32 base filters (the example's 64) and 6 residual blocks (its 9; the paper's
count at 128x128), and two downsamplings in the PatchGAN (28 -> 7) instead of three.
Written from the public recipe as a baseline for unpaired checkpoints
(`bench_unpaired_vs_reference.py`)."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.layers.padding import ReflectionPadding2D
from kerasgan.utils import check_image_batch, to_uint8

CYCLE_WEIGHT = 10.0
IDENTITY_WEIGHT = 0.5


def _kernel_init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _norm():
    return layers.GroupNormalization(groups=-1, gamma_initializer=_kernel_init())


def resnet_generator(image_shape, filters=32, num_blocks=6, name="generator"):
    images = keras.Input(image_shape)
    x = ReflectionPadding2D(3)(images)
    x = layers.Conv2D(filters, 7, kernel_initializer=_kernel_init(), use_bias=False)(x)
    x = layers.ReLU()(_norm()(x))
    for multiple in (2, 4):
        x = layers.Conv2D(filters * multiple, 3, strides=2, padding="same",
                          kernel_initializer=_kernel_init(), use_bias=False)(x)
        x = layers.ReLU()(_norm()(x))
    for _ in range(num_blocks):
        y = ReflectionPadding2D(1)(x)
        y = layers.Conv2D(filters * 4, 3, kernel_initializer=_kernel_init(), use_bias=False)(y)
        y = layers.ReLU()(_norm()(y))
        y = ReflectionPadding2D(1)(y)
        y = _norm()(layers.Conv2D(filters * 4, 3, kernel_initializer=_kernel_init(),
                                  use_bias=False)(y))
        x = layers.Add()([x, y])
    for multiple in (2, 1):
        x = layers.Conv2DTranspose(filters * multiple, 3, strides=2, padding="same",
                                   kernel_initializer=_kernel_init(), use_bias=False)(x)
        x = layers.ReLU()(_norm()(x))
    x = ReflectionPadding2D(3)(x)
    x = layers.Conv2D(image_shape[-1], 7)(x)
    return keras.Model(images, layers.Activation("tanh")(x), name=name)


def patch_discriminator(image_shape, filters=32, name="discriminator"):
    images = keras.Input(image_shape)
    x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=_kernel_init())(images)
    x = layers.LeakyReLU(0.2)(x)
    for multiple, stride in ((2, 2), (4, 1)):
        x = layers.Conv2D(filters * multiple, 4, strides=stride, padding="same",
                          kernel_initializer=_kernel_init(), use_bias=False)(x)
        x = layers.LeakyReLU(0.2)(_norm()(x))
    logits = layers.Conv2D(1, 4, padding="same", kernel_initializer=_kernel_init())(x)
    return keras.Model(images, logits, name=name)


class ReferenceCycleGAN(keras.Model):
    """G: A -> B, F: B -> A, D_B, D_A, trained on `(a_batch, b_batch)` in [-1, 1]."""

    def __init__(self, image_shape=(28, 28, 1), filters=32, num_blocks=6):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.gen_g = resnet_generator(image_shape, filters, num_blocks, "gen_g")
        self.gen_f = resnet_generator(image_shape, filters, num_blocks, "gen_f")
        self.disc_b = patch_discriminator(image_shape, filters, "disc_b")
        self.disc_a = patch_discriminator(image_shape, filters, "disc_a")

    def compile(self):
        super().compile()
        self.reference_optimizers = {name: keras.optimizers.Adam(2e-4, beta_1=0.5)
                           for name in ("gen_g", "gen_f", "disc_b", "disc_a")}

    def train_step(self, data):
        real_a, real_b = data
        mse = keras.losses.MeanSquaredError()
        mae = keras.losses.MeanAbsoluteError()
        with tf.GradientTape(persistent=True) as tape:
            fake_b = self.gen_g(real_a, training=True)
            fake_a = self.gen_f(real_b, training=True)
            cycled_a = self.gen_f(fake_b, training=True)
            cycled_b = self.gen_g(fake_a, training=True)
            same_b = self.gen_g(real_b, training=True)
            same_a = self.gen_f(real_a, training=True)
            d_real_b, d_fake_b = self.disc_b(real_b, training=True), self.disc_b(fake_b, training=True)
            d_real_a, d_fake_a = self.disc_a(real_a, training=True), self.disc_a(fake_a, training=True)
            cycle = CYCLE_WEIGHT * (mae(real_a, cycled_a) + mae(real_b, cycled_b))
            g_loss = (mse(tf.ones_like(d_fake_b), d_fake_b) + cycle
                      + CYCLE_WEIGHT * IDENTITY_WEIGHT * mae(real_b, same_b))
            f_loss = (mse(tf.ones_like(d_fake_a), d_fake_a) + cycle
                      + CYCLE_WEIGHT * IDENTITY_WEIGHT * mae(real_a, same_a))
            db_loss = 0.5 * (mse(tf.ones_like(d_real_b), d_real_b)
                             + mse(tf.zeros_like(d_fake_b), d_fake_b))
            da_loss = 0.5 * (mse(tf.ones_like(d_real_a), d_real_a)
                             + mse(tf.zeros_like(d_fake_a), d_fake_a))
        for name, loss in (("gen_g", g_loss), ("gen_f", f_loss), ("disc_b", db_loss),
                           ("disc_a", da_loss)):
            network = getattr(self, name)
            grads = tape.gradient(loss, network.trainable_variables)
            self.reference_optimizers[name].apply_gradients(zip(grads, network.trainable_variables))
        del tape
        return {"g_loss": g_loss, "f_loss": f_loss, "db_loss": db_loss, "da_loss": da_loss}

    def translate(self, images, direction="a2b", *, batch_size=256, output="uint8"):
        """The interface `kerasgan.metrics` evaluates unpaired translators through."""
        network = self.gen_g if direction == "a2b" else self.gen_f
        images = check_image_batch(images, self.image_shape, "images")
        out = np.concatenate([network(images[i:i + batch_size], training=False).numpy()
                              for i in range(0, len(images), batch_size)])
        return out if output == "float" else to_uint8(out)
