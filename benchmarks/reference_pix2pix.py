"""A reference Pix2Pix in the style of the TensorFlow `pix2pix` tutorial, scaled from
256x256 to 28x28 images: a U-Net generator of the tutorial's blocks (4x4 stride-2
convolutions with batch norm and LeakyReLU down; 4x4 stride-2 transposed convolutions
with batch norm, dropout 0.5 on the innermost, and ReLU up; skip connections;
tanh output), three levels on the input padded to 32x32 and cropped back; the
tutorial's PatchGAN discriminator on the (source, target) pair; BCE from logits plus
100 x L1; Adam(2e-4, beta_1=0.5) for both; one simultaneous update per step; no EMA.
Written from the public recipe as a baseline for image-to-image checkpoints
(`bench_translation_vs_reference.py`)."""

import keras
import tensorflow as tf
from keras import layers

L1_WEIGHT = 100.0


def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _down(filters, batch_norm=True):
    block = [layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=_init(),
                           use_bias=False)]
    block += [layers.BatchNormalization()] if batch_norm else []
    return keras.Sequential(block + [layers.LeakyReLU(0.3)])


def _up(filters, dropout=False):
    block = [layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                    kernel_initializer=_init(), use_bias=False),
             layers.BatchNormalization()]
    block += [layers.Dropout(0.5)] if dropout else []
    return keras.Sequential(block + [layers.ReLU()])


def pix2pix_networks(image_shape=(28, 28, 1), filters=(64, 128, 256)):
    """The tutorial's U-Net and PatchGAN at three levels instead of eight."""
    height, width, channels = image_shape
    pad_h, pad_w = (-height) % 8, (-width) % 8
    padding = ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2))

    source = keras.Input(image_shape)
    x = layers.ZeroPadding2D(padding)(source)
    skips = []
    for level, count in enumerate(filters):
        x = _down(count, batch_norm=level > 0)(x)
        skips.append(x)
    for level, count in enumerate(reversed(filters[:-1])):
        x = _up(count, dropout=level == 0)(x)
        x = layers.Concatenate()([x, skips[-2 - level]])
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same",
                               kernel_initializer=_init(), activation="tanh")(x)
    generator = keras.Model(source, layers.Cropping2D(padding)(x),
                            name="reference_pix2pix_generator")

    pair_source, pair_target = keras.Input(image_shape), keras.Input(image_shape)
    x = layers.Concatenate()([pair_source, pair_target])
    for level, count in enumerate(filters[:2]):
        x = _down(count, batch_norm=level > 0)(x)
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(filters[2], 4, kernel_initializer=_init(), use_bias=False)(x)
    x = layers.LeakyReLU(0.3)(layers.BatchNormalization()(x))
    x = layers.ZeroPadding2D()(x)
    patches = layers.Conv2D(1, 4, kernel_initializer=_init())(x)
    discriminator = keras.Model([pair_source, pair_target], patches,
                                name="reference_pix2pix_discriminator")
    return generator, discriminator


class ReferencePix2Pix(keras.Model):
    """Trains on `(sources, targets)` batches in [-1, 1]."""

    def __init__(self, image_shape=(28, 28, 1)):
        super().__init__()
        self.generator, self.discriminator = pix2pix_networks(image_shape)

    def compile(self):
        super().compile()
        self.generator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.discriminator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.loss_object = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.l1_metric = keras.metrics.Mean(name="l1")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric, self.l1_metric]

    def train_step(self, data):
        sources, targets = data
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = self.generator(sources, training=True)
            real_output = self.discriminator([sources, targets], training=True)
            fake_output = self.discriminator([sources, generated], training=True)
            adversarial = self.loss_object(tf.ones_like(fake_output), fake_output)
            l1 = tf.reduce_mean(tf.abs(targets - generated))
            g_loss = adversarial + L1_WEIGHT * l1
            d_loss = (self.loss_object(tf.ones_like(real_output), real_output)
                      + self.loss_object(tf.zeros_like(fake_output), fake_output))
        g_grads = gen_tape.gradient(g_loss, self.generator.trainable_variables)
        d_grads = disc_tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.generator_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        self.discriminator_optimizer.apply_gradients(
            zip(d_grads, self.discriminator.trainable_variables))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        self.l1_metric.update_state(l1)
        return {m.name: m.result() for m in self.metrics}

    def translate(self, sources):
        return self.generator(sources, training=False)
