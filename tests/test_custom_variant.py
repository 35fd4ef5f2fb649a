"""A variant defined in a test file only: a GAN with an encoder (three networks, the
encoder trained with the generator, as in BiGAN). Registering it is all it takes for
the shared helpers to fit it, check each update group's isolation, its determinism,
save/load/continue and the preset round trip, with the encoder's weights in the preset."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgan
from gan_test_case import (images_only, register_spec, run_determinism_test, run_fit_test,
                           run_isolation_test, run_preset_test, run_serialization_test,
                           tiny_gan)
from kerasgan.models import GroupLosses, UpdateGroup


def _encoder(image_shape, latent_dim):
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Flatten()(images)
    x = keras.layers.Dense(32, activation="relu")(x)
    return keras.Model(images, keras.layers.Dense(latent_dim, name="codes")(x), name="encoder")


def _joint_discriminator(image_shape, latent_dim):
    images = keras.Input(image_shape, name="images")
    codes = keras.Input((latent_dim,), name="codes")
    x = keras.layers.Concatenate()([keras.layers.Flatten()(images), codes])
    x = keras.layers.Dense(32)(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    return keras.Model([images, codes], keras.layers.Dense(1)(x), name="discriminator")


@kerasgan.models.register_variant("toy-encoder-gan")
class ToyEncoderGAN(kerasgan.GAN):
    """D judges (image, code) pairs: (x, E(x)) real, (G(z), z) fake."""

    NETWORKS = ("generator", "discriminator", "encoder")
    SAMPLED_NETWORKS = ("generator", "encoder")
    PENALTY_GROUPS = ()

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), latent_dim=8, **kwargs):
        from kerasgan.models.vanilla_gan import build_mlp_generator

        generator = build_mlp_generator(latent_dim, image_shape, (32,))
        return cls(generator, _joint_discriminator(image_shape, latent_dim),
                   encoder=_encoder(image_shape, latent_dim), **kwargs)

    def update_groups(self):
        return (UpdateGroup("d", ("discriminator",), self.d_steps),
                UpdateGroup("g", ("generator", "encoder")))

    def loss_terms(self, group, batch, training=True):
        real, _ = batch
        latents = self.sample_latents(tf.shape(real)[0])
        fake = self.generator(latents, training=training)
        real_logits = self.discriminator([real, self.encoder(real, training=training)],
                                         training=training)
        fake_logits = self.discriminator([fake, latents], training=training)
        if group == "d":
            return GroupLosses({"loss": self.d_loss_fn.discriminator_loss(real_logits,
                                                                          fake_logits)})
        # The generator and encoder fool D together (labels swapped).
        return GroupLosses({"loss": self.g_loss_fn.discriminator_loss(fake_logits,
                                                                      real_logits)})


register_spec("toy-encoder-gan", {"size": "small", "latent_dim": 8, "seed": 1, "ema_decay": 0.9},
              images_only)


@pytest.fixture
def toy(mnist_small):
    gan = tiny_gan("toy-encoder-gan")
    return gan, images_only(*mnist_small)


def test_toy_variant_fits_with_three_networks(toy):
    gan, ds = toy
    assert set(gan.networks) == {"generator", "discriminator", "encoder"}
    assert gan.ema_encoder is not None
    run_fit_test(gan, ds)


def test_toy_variant_groups_touch_only_their_networks(toy):
    run_isolation_test(*toy)


def test_toy_variant_is_deterministic(toy):
    run_determinism_test(toy[0])


def test_toy_variant_saves_loads_and_continues(toy, tmp_path):
    run_serialization_test(*toy, tmp_path)


def test_toy_variant_preset_holds_the_encoder(toy, tmp_path):
    gan, ds = toy
    gan.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
    loaded = run_preset_test(gan, tmp_path)
    assert loaded.count_params_by_network()["encoder"] == gan.encoder.count_params() > 0
    np.testing.assert_array_equal(loaded.sampling_network("encoder").weights[0].numpy(),
                                  gan.ema_encoder.weights[0].numpy())


def test_toy_variant_refuses_a_penalty_it_cannot_feed():
    gan = tiny_gan("toy-encoder-gan")
    with pytest.raises(ValueError, match="takes penalties on the groups none.*'d' group"):
        gan.compile(d_penalty="gradient_penalty")


def test_missing_network_is_named():
    gan = tiny_gan("toy-encoder-gan")
    with pytest.raises(ValueError, match="ToyEncoderGAN needs the networks encoder"):
        ToyEncoderGAN(gan.generator, gan.discriminator)
