"""A reference WGAN-GP following the recipe of the keras.io example "WGAN-GP overriding
`Model.train_step`" (keras.io/examples/generative/wgan_gp), written from its published
recipe. Used only as a baseline.

The recipe, for Fashion-MNIST:
- critic: the 28x28 input zero-padded to 32x32, then 5x5 stride-2 convolutions to
  64, 128, 256 and 512 channels, each followed by LeakyReLU(0.2), with Dropout(0.3)
  after the 128- and 256-channel ones; flattened, Dropout(0.2), Dense(1). No batch
  norm (the penalty is per sample);
- generator: 128-d latents, Dense(4·4·256, no bias) + batch norm + LeakyReLU(0.2),
  then three blocks of 2x nearest upsampling + 3x3 convolution (no bias) + batch norm
  to 128, 64 and 1 channels (LeakyReLU(0.2) after the first two, tanh after the
  last), and the 32x32 output cropped to 28x28;
- per step, `critic_steps` critic updates (the example uses 3, where the paper uses
  5) on the Wasserstein loss plus `gp_weight` (10) times the squared distance of the
  critic's gradient norm from 1 at interpolates between real and fake images (the
  example draws the interpolation weight from a normal distribution, the paper from
  a uniform one; the cost is the same), then one generator update;
- Adam(2e-4, beta_1=0.5, beta_2=0.9) for both networks (the example's batch is 512).

Example:
>>> model = ReferenceWGANGP()
>>> model.compile()
>>> model.fit(kerasgan.data.fashion_mnist(batch_size=512), epochs=1)   # doctest: +SKIP
"""

import keras
import tensorflow as tf
from keras import layers


def wgan_gp_critic(image_shape=(28, 28, 1), name="wgan_gp_critic") -> keras.Model:
    """Images `(batch, 28, 28, 1)` (or 32x32, unpadded) to one critic score each."""
    images = keras.Input(image_shape)
    x = layers.ZeroPadding2D(2)(images) if image_shape[0] == 28 else images
    for filters, dropout in ((64, None), (128, 0.3), (256, 0.3), (512, None)):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(images, layers.Dense(1)(x), name=name)


def wgan_gp_generator(latent_dim=128, image_shape=(28, 28, 1),
                      name="wgan_gp_generator") -> keras.Model:
    """Latents `(batch, latent_dim)` to images `(batch, 28, 28, 1)` in [-1, 1] (or the
    32x32 output uncropped, for 32x32 data)."""
    latents = keras.Input((latent_dim,))
    x = layers.Dense(4 * 4 * 256, use_bias=False)(latents)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 256))(x)
    for filters in (128, 64, image_shape[-1]):
        x = layers.UpSampling2D(2)(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x) if filters > image_shape[-1] else layers.Activation("tanh")(x)
    images = layers.Cropping2D(2)(x) if image_shape[0] == 28 else x
    return keras.Model(latents, images, name=name)


class ReferenceWGANGP(keras.Model):
    """The example's training step, inside `fit`, with its losses tracked as metrics."""

    def __init__(self, latent_dim=128, critic_steps=3, gp_weight=10.0, image_shape=(28, 28, 1)):
        super().__init__()
        self.latent_dim = latent_dim
        self.critic_steps = critic_steps
        self.gp_weight = gp_weight
        if tuple(image_shape[:2]) not in ((28, 28), (32, 32)):
            raise ValueError(f"The reference WGAN-GP is written for 28x28 or 32x32 images. "
                             f"Received: image_shape={tuple(image_shape)}")
        self.generator = wgan_gp_generator(latent_dim, tuple(image_shape))
        self.critic = wgan_gp_critic(tuple(image_shape))

    def compile(self):
        super().compile()
        self.critic_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9)
        self.generator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def gradient_penalty(self, real_images, fake_images):
        weight = tf.random.normal([tf.shape(real_images)[0], 1, 1, 1])
        interpolates = real_images + weight * (fake_images - real_images)
        with tf.GradientTape() as tape:
            tape.watch(interpolates)
            scores = self.critic(interpolates, training=True)
        gradients = tape.gradient(scores, interpolates)
        norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))
        return tf.reduce_mean(tf.square(norms - 1.0))

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        for _ in range(self.critic_steps):
            latents = tf.random.normal([batch_size, self.latent_dim])
            with tf.GradientTape() as tape:
                fake_images = self.generator(latents, training=True)
                wasserstein = (tf.reduce_mean(self.critic(fake_images, training=True))
                               - tf.reduce_mean(self.critic(real_images, training=True)))
                d_loss = wasserstein + self.gp_weight * self.gradient_penalty(real_images,
                                                                              fake_images)
            gradients = tape.gradient(d_loss, self.critic.trainable_variables)
            self.critic_optimizer.apply_gradients(zip(gradients, self.critic.trainable_variables))
        latents = tf.random.normal([batch_size, self.latent_dim])
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.critic(self.generator(latents, training=True),
                                                 training=True))
        gradients = tape.gradient(g_loss, self.generator.trainable_variables)
        self.generator_optimizer.apply_gradients(zip(gradients, self.generator.trainable_variables))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}
