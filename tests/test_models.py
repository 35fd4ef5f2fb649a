import keras
import numpy as np
import pytest

import kerasgan
from gan_test_case import (VARIANT_SPECS, dataset_for, run_determinism_test, run_fit_test,
                           run_isolation_test, run_serialization_test, tiny_gan)

VARIANTS = kerasgan.models.variant_names()


def test_every_variant_has_a_test_spec():
    assert set(VARIANT_SPECS) == set(VARIANTS)


def test_vanilla_is_also_registered_under_its_old_name():
    assert kerasgan.models.VARIANTS["gan"] is kerasgan.models.VARIANTS["vanilla"] \
        is kerasgan.VanillaGAN
    assert "gan" not in VARIANTS


@pytest.mark.parametrize("variant", VARIANTS)
def test_fit_gives_finite_losses(variant, mnist_small):
    gan = tiny_gan(variant)
    run_fit_test(gan, dataset_for(gan, *mnist_small))


@pytest.mark.parametrize("variant", VARIANTS)
def test_steps_update_only_their_network(variant, mnist_small):
    gan = tiny_gan(variant)
    run_isolation_test(gan, dataset_for(gan, *mnist_small))


@pytest.mark.parametrize("variant", VARIANTS)
def test_generate_is_deterministic(variant):
    run_determinism_test(tiny_gan(variant))


@pytest.mark.parametrize("variant", VARIANTS)
def test_save_load_continues_fit(variant, mnist_small, tmp_path):
    gan = tiny_gan(variant)
    run_serialization_test(gan, dataset_for(gan, *mnist_small), tmp_path)


def test_d_steps_runs_several_discriminator_updates(mnist_small):
    gan = tiny_gan("dcgan", d_steps=3)
    run_fit_test(gan, dataset_for(gan, *mnist_small), steps=2)


def test_ema_generator_lags_the_generator(mnist_small):
    gan = tiny_gan("dcgan", ema_decay=0.5)
    gan.fit(dataset_for(gan, *mnist_small), epochs=1, steps_per_epoch=3, verbose=0)
    g = gan.generator.trainable_weights[0].numpy()
    ema = gan.ema_generator.weights[0].numpy()
    assert gan.generator.weights[0].trainable
    assert not np.array_equal(g, ema)
    # generate() samples from the EMA copy.
    z = gan.make_latents(2, seed=0)
    np.testing.assert_allclose(gan.generate(z, output="float"),
                               gan.ema_generator(z, training=False).numpy(), atol=1e-6)


@pytest.mark.parametrize("loss", sorted(kerasgan.losses.LOSSES))
def test_every_loss_trains(loss, mnist_small):
    gan = tiny_gan("dcgan")
    gan.compile(d_loss=loss, g_loss=loss)
    run_fit_test(gan, dataset_for(gan, *mnist_small), steps=2)


def test_gradient_penalty_is_logged(mnist_small):
    gan = tiny_gan("dcgan", d_normalization="layer")
    gan.compile(d_loss="wasserstein", g_loss="wasserstein",
                d_penalty=kerasgan.penalties.GradientPenalty(10.0))
    history = run_fit_test(gan, dataset_for(gan, *mnist_small), steps=2)
    assert history.history["d_penalty"][-1] > 0


def test_penalty_on_a_batch_normalized_critic_warns():
    gan = tiny_gan("dcgan")
    with pytest.warns(UserWarning, match="batch-normalized discriminator.*d_normalization='layer'"):
        gan.compile(d_penalty=kerasgan.penalties.R1Penalty(10.0))
    with pytest.raises(ValueError, match="Unknown discriminator normalization 'group'"):
        tiny_gan("dcgan", d_normalization="group")


def test_conditional_generate_checks_labels():
    gan = tiny_gan("cgan")
    assert gan.generate(3, labels=[0, 5, 9], seed=0).shape == (3, 28, 28, 1)
    assert gan.generate(4, labels=2, seed=0).shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match=r"Labels must be in \[0, 9\]. Received: min=0, max=10"):
        gan.generate(2, labels=[0, 10])
    with pytest.raises(ValueError, match=r"one label per image, shape \(3,\)"):
        gan.generate(3, labels=[1, 2])
    with pytest.raises(TypeError, match="Labels must be integers"):
        gan.generate(2, labels=[0.5, 1.0])


def test_conditional_labels_change_the_images():
    gan = tiny_gan("cgan")
    z = gan.make_latents(2, seed=0)
    assert not np.array_equal(gan.generate(z, [0, 0], output="float"),
                              gan.generate(z, [7, 7], output="float"))


def test_conditional_fit_needs_labels(mnist_small):
    gan = tiny_gan("cgan")
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=32)
    with pytest.raises(ValueError, match=r"trains on \(images, labels\) batches"):
        gan.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)


def test_unconditional_rejects_labels_and_bad_latents():
    gan = tiny_gan("dcgan")
    with pytest.raises(ValueError, match="is unconditional and takes no labels"):
        gan.generate(2, labels=[1, 2])
    with pytest.raises(ValueError, match=r"Expected latents of shape \(N, 16\). Received: shape=\(2, 8\)"):
        gan.generate(np.zeros((2, 8), np.float32))
    with pytest.raises(ValueError, match="num_images must be >= 1"):
        gan.generate(0)


def test_truncation_bounds_latents():
    gan = tiny_gan("dcgan")
    z = gan.make_latents(50, seed=0, truncation=0.5)
    assert np.abs(z).max() <= 0.5
    assert gan.generate(4, seed=0, truncation=0.7).shape == (4, 28, 28, 1)


def test_unknown_variant_and_size_name_close_matches():
    with pytest.raises(ValueError, match="Unknown GAN variant 'dcgna'. Did you mean: dcgan"):
        kerasgan.models.create("dcgna")
    with pytest.raises(ValueError, match="Unknown model size 'smal'. Did you mean: small"):
        kerasgan.models.create("dcgan", "smal")


def test_dcgan_sizes_and_shapes():
    for size in ("small", "base"):
        gan = kerasgan.models.create("dcgan", size, image_shape=(32, 32, 3))
        assert gan.image_shape == (32, 32, 3)
    with pytest.raises(ValueError, match="image size divisible by 2"):
        kerasgan.models.create("dcgan", image_shape=(27, 27, 1))


def test_all_public_classes_are_registered():
    for cls in (kerasgan.GAN, kerasgan.DCGAN, kerasgan.VanillaGAN, kerasgan.ConditionalGAN,
                *kerasgan.losses.LOSSES.values(), kerasgan.penalties.GradientPenalty,
                kerasgan.penalties.R1Penalty):
        assert keras.saving.get_registered_object(f"kerasgan>{cls.__name__}") is cls


def test_mixed_float16_wraps_optimizers_and_trains(mnist_small):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = kerasgan.models.create("dcgan", "small", latent_dim=16)
        gan.compile(d_penalty=kerasgan.penalties.R1Penalty(1.0))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert gan.generator.outputs[0].dtype == "float32"
    history = gan.fit(kerasgan.data.from_numpy(mnist_small[0][:64], batch_size=32), epochs=1,
                      steps_per_epoch=1, verbose=0)
    assert np.isfinite(history.history["d_penalty"][-1])


def test_precision_policy_selection():
    import tensorflow as tf

    from kerasgan.training import precision_policy

    cpu = tf.distribute.OneDeviceStrategy("/cpu:0")
    assert precision_policy("auto", cpu) == "float32"     # this machine has no GPU
    assert precision_policy("mixed_bfloat16", cpu) == "mixed_bfloat16"
    assert precision_policy("off", cpu) == "float32"
    with pytest.raises(ValueError, match="Did you mean: mixed_float16"):
        precision_policy("mixed_float61", cpu)
