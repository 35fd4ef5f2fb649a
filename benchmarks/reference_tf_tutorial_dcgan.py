"""A reference DCGAN following the recipe of the TensorFlow DCGAN tutorial
(tensorflow.org/tutorials/generative/dcgan), the start most TensorFlow users take
on MNIST-size images. Written from the tutorial's published recipe, as a
`keras.Model` with a `train_step` in the tutorial's style. Used only as a baseline.

The recipe:
- generator: Dense(7·7·256, no bias) + batch norm + LeakyReLU, then transposed
  convolutions (5x5) to 128 (stride 1), 64 (stride 2), each with batch norm and
  LeakyReLU, and 1 (stride 2, tanh);
- discriminator: Conv2D 64 and 128 (5x5, stride 2), each followed by LeakyReLU and
  Dropout(0.3), then Dense(1) logits;
- binary cross-entropy from logits, Adam(1e-4) for both networks;
- a step draws one batch of latents, generates once, and updates both networks from
  the same forward pass, under two gradient tapes.

Example:
>>> model = ReferenceTFTutorialDCGAN()
>>> model.compile()
>>> model.fit(kerasgan.data.fashion_mnist(batch_size=256), epochs=1)   # doctest: +SKIP
"""

import keras
import tensorflow as tf
from keras import layers


def tutorial_generator(latent_dim=100, name="tutorial_generator") -> keras.Model:
    """Latents `(batch, latent_dim)` to images `(batch, 28, 28, 1)` in [-1, 1]."""
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                               activation="tanh"),
    ], name=name)


def tutorial_discriminator(name="tutorial_discriminator") -> keras.Model:
    """Images `(batch, 28, 28, 1)` to one real/fake logit each."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ], name=name)


class ReferenceTFTutorialDCGAN(keras.Model):
    """The tutorial's training step, inside `fit`, with its losses tracked as metrics."""

    def __init__(self, latent_dim=100, generator=None, discriminator=None):
        """The tutorial's networks, or others (a discriminator that returns logits) to run the
        tutorial's step on them."""
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = generator or tutorial_generator(latent_dim)
        self.discriminator = discriminator or tutorial_discriminator()

    def compile(self):
        super().compile()
        self.generator_optimizer = keras.optimizers.Adam(1e-4)
        self.discriminator_optimizer = keras.optimizers.Adam(1e-4)
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def generator_loss(self, fake_output):
        # The generator wants its images classified as real (1).
        return self.cross_entropy(tf.ones_like(fake_output), fake_output)

    def discriminator_loss(self, real_output, fake_output):
        return (self.cross_entropy(tf.ones_like(real_output), real_output)
                + self.cross_entropy(tf.zeros_like(fake_output), fake_output))

    def train_step(self, images):
        noise = tf.random.normal([tf.shape(images)[0], self.latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated_images, training=True)
            gen_loss = self.generator_loss(fake_output)
            disc_loss = self.discriminator_loss(real_output, fake_output)
        gen_gradients = gen_tape.gradient(gen_loss, self.generator.trainable_variables)
        disc_gradients = disc_tape.gradient(disc_loss, self.discriminator.trainable_variables)
        self.generator_optimizer.apply_gradients(
            zip(gen_gradients, self.generator.trainable_variables))
        self.discriminator_optimizer.apply_gradients(
            zip(disc_gradients, self.discriminator.trainable_variables))
        self.d_loss_metric.update_state(disc_loss)
        self.g_loss_metric.update_state(gen_loss)
        return {m.name: m.result() for m in self.metrics}
