"""A reference DCGAN in the style of the keras.io `examples/generative/dcgan_overriding_train_step`
example: one discriminator pass over concatenated real+fake images, noisy labels, a
hand-written `train_step`, no EMA and no get_config. Used only as a baseline.

The example's networks for 28x28 images; any side divisible by 4 (32x32 for the padded
Fashion-MNIST of the pyramid models) starts the generator at a quarter of the side."""

import keras
import tensorflow as tf
from keras import layers


def reference_networks(latent_dim=100, filters=32, image_shape=(28, 28, 1)):
    start = image_shape[0] // 4
    generator = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(start * start * filters * 4), layers.Reshape((start, start, filters * 4)),
        layers.Conv2DTranspose(filters * 2, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(filters, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(image_shape[-1], 5, padding="same", activation="tanh"),
    ], name="reference_generator")
    discriminator = keras.Sequential([
        keras.Input(tuple(image_shape)),
        layers.Conv2D(filters, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(filters * 2, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Flatten(), layers.Dropout(0.2), layers.Dense(1, activation="sigmoid"),
    ], name="reference_discriminator")
    return generator, discriminator


class ReferenceDCGAN(keras.Model):
    def __init__(self, latent_dim=100, filters=32, image_shape=(28, 28, 1)):
        super().__init__()
        self.latent_dim = latent_dim
        self.generator, self.discriminator = reference_networks(latent_dim, filters,
                                                                image_shape)
        self.seed_generator = keras.random.SeedGenerator(0)

    def compile(self):
        super().compile()
        self.d_optimizer = keras.optimizers.Adam(1e-4)
        self.g_optimizer = keras.optimizers.Adam(1e-4)
        self.loss_fn = keras.losses.BinaryCrossentropy()
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(z)
        combined = tf.concat([generated, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(tf.zeros((batch_size, 1)), self.discriminator(self.generator(z)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
