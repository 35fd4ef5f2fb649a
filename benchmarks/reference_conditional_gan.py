"""A reference class-conditional GAN in the style of the keras.io
`examples/generative/conditional_gan` example, scaled to 32x32 glyphs: one-hot labels
concatenated to the latent vector and, as constant image channels, to the
discriminator's input; Adam 3e-4 for both networks; images in [0, 1] (sigmoid output);
a hand-written `train_step` with one discriminator pass over [fake; real]; no EMA.
Written from the public recipe as a baseline for text-to-image checkpoints whose
captions name one class each (`bench_text_to_image_vs_reference.py`)."""

import keras
import tensorflow as tf
from keras import layers


def conditional_networks(num_classes, image_shape=(32, 32, 1), latent_dim=128):
    height, width, channels = image_shape
    generator_inputs = latent_dim + num_classes
    generator = keras.Sequential([
        keras.Input((generator_inputs,)),
        layers.Dense((height // 4) * (width // 4) * generator_inputs), layers.LeakyReLU(0.2),
        layers.Reshape((height // 4, width // 4, generator_inputs)),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(channels, 7, padding="same", activation="sigmoid"),
    ], name="reference_conditional_generator")
    discriminator = keras.Sequential([
        keras.Input((height, width, channels + num_classes)),
        layers.Conv2D(64, 3, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(128, 3, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.GlobalMaxPooling2D(), layers.Dense(1),
    ], name="reference_conditional_discriminator")
    return generator, discriminator


class ReferenceConditionalGAN(keras.Model):
    """Trains on `(images in [0, 1], one-hot labels)` batches."""

    def __init__(self, num_classes, image_shape=(32, 32, 1), latent_dim=128):
        super().__init__()
        self.num_classes = num_classes
        self.image_shape = tuple(image_shape)
        self.latent_dim = latent_dim
        self.generator, self.discriminator = conditional_networks(num_classes, image_shape,
                                                                  latent_dim)
        self.seed_generator = keras.random.SeedGenerator(0)

    def compile(self):
        super().compile()
        self.d_optimizer = keras.optimizers.Adam(3e-4)
        self.g_optimizer = keras.optimizers.Adam(3e-4)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def generate(self, latents, one_hot_labels):
        return self.generator(tf.concat([latents, one_hot_labels], axis=1))

    def train_step(self, data):
        real_images, one_hot_labels = data
        batch_size = tf.shape(real_images)[0]
        height, width, _ = self.image_shape
        label_channels = tf.tile(one_hot_labels[:, None, None, :], [1, height, width, 1])
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generate(z, one_hot_labels)
        combined = tf.concat([tf.concat([generated, label_channels], -1),
                              tf.concat([real_images, label_channels], -1)], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fakes = tf.concat([self.generate(z, one_hot_labels), label_channels], -1)
            g_loss = self.loss_fn(tf.zeros((batch_size, 1)), self.discriminator(fakes))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
