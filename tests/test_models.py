import keras
import numpy as np
import pytest

import kerasgan
from gan_test_case import (VARIANT_SPECS, dataset_for, run_determinism_test, run_fit_test,
                           run_isolation_test, run_serialization_test, tiny_gan)

VARIANTS = kerasgan.models.variant_names()


def test_every_variant_has_a_test_spec():
    assert set(VARIANT_SPECS) == set(kerasgan.models.variant_names())


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
    with pytest.raises(TypeError, match=r"Labels must be class ids \(integers\) or class names"):
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
    with pytest.raises(ValueError, match=r"Expected latents of shape \(N, 16\) with N >= 1. "
                                         r"Received: shape=\(2, 8\)"):
        gan.generate(np.zeros((2, 8), np.float32))
    with pytest.raises(ValueError, match=r"num_images must be a positive int \(>= 1\). "
                                         "Received: num_images=0"):
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


def test_generate_takes_latents_by_keyword_or_position():
    gan = tiny_gan("dcgan")
    latents = gan.make_latents(3, seed=5)
    by_keyword = gan.generate(latents=latents)
    np.testing.assert_array_equal(by_keyword, gan.generate(latents))
    np.testing.assert_array_equal(by_keyword, gan.generate(3, seed=5))
    np.testing.assert_array_equal(gan.generate(latents=latents.tolist()), by_keyword)
    with pytest.raises(ValueError, match="Pass either num_images or latents, not both"):
        gan.generate(3, latents=latents)
    with pytest.raises(ValueError, match="seed and truncation draw new latents.*Received: seed=1"):
        gan.generate(latents=latents, seed=1)
    conditional = tiny_gan("cgan")
    z = conditional.make_latents(2, seed=0)
    np.testing.assert_array_equal(conditional.generate(latents=z, labels=[3, 4]),
                                  conditional.generate(z, [3, 4]))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_images": 2.5}, TypeError, r"num_images must be a positive int. Received: num_images=2.5"),
    ({"num_images": "4"}, TypeError, r"num_images must be a positive int. Received: num_images='4'"),
    ({"num_images": True}, TypeError, r"num_images must be a positive int. Received: num_images=True"),
    ({"num_images": -3}, ValueError, r"num_images must be a positive int \(>= 1\). Received: num_images=-3"),
    ({"num_images": 2, "seed": -1}, ValueError,
     r"seed must be a non-negative int or None. Received: seed=-1"),
    ({"num_images": 2, "seed": 1.5}, ValueError,
     r"seed must be a non-negative int or None. Received: seed=1.5"),
    ({"num_images": 2, "truncation": -0.5}, ValueError,
     r"truncation must be a number > 0 or None. Received: truncation=-0.5"),
    ({"num_images": 2, "batch_size": 0}, ValueError, r"batch_size must be a positive int"),
    ({"num_images": 2, "output": "png"}, ValueError, r"output must be 'uint8' or 'float'"),
    ({"latents": np.full((2, 16), np.nan, np.float32)}, ValueError,
     r"Latents must be finite.*Received: non-finite values in rows \[0, 1\]"),
    ({"latents": np.zeros((0, 16), np.float32)}, ValueError, r"with N >= 1. Received: shape=\(0, 16\)"),
])
def test_generate_refuses_bad_arguments_with_its_own_message(kwargs, error, message):
    gan = tiny_gan("dcgan")
    with pytest.raises(error, match=message):
        gan.generate(**kwargs)


def test_generate_refuses_an_output_larger_than_memory(monkeypatch):
    gan = tiny_gan("dcgan")
    # 10**9 images of 28x28x1 uint8 plus 16 float32 latents each: 848 GB, more than any
    # machine this runs on. Refused before a byte is allocated.
    with pytest.raises(ValueError, match=r"1,000,000,000 images of shape \(28, 28, 1\) \(uint8\) "
                                         r"would need 848,000,000,000 bytes .*Generate them in parts"):
        gan.generate(10**9)
    with pytest.raises(ValueError, match=r"would need 848,000,000,000 bytes"):
        gan.make_latents(13_250_000_000)  # the same bytes as latents alone
    # The bound is the memory the OS reports available: with 100 kB, 200 images are too many.
    import kerasgan.models.gan as gan_module

    monkeypatch.setattr(gan_module, "available_memory_bytes", lambda: 100_000)
    assert gan.generate(100).shape == (100, 28, 28, 1)       # 84,800 bytes
    with pytest.raises(ValueError, match=r"200 images .* would need 169,600 bytes"):
        gan.generate(200)
    # Given latents are already in memory: only the float32 output counts.
    with pytest.raises(ValueError, match=r"200 images .*\(float\) would need 627,200 bytes "
                                         r"\(612.5 KiB\), more than the 97.7 KiB of memory"):
        gan.generate(latents=np.zeros((200, 16), np.float32), output="float")


def test_generate_fills_the_output_batch_by_batch():
    gan = tiny_gan("dcgan")
    latents = gan.make_latents(7, seed=2)
    # Another batch size may pick other CPU kernels: within 1 level, not bit-exact.
    difference = np.abs(gan.generate(latents, batch_size=3).astype(int) - gan.generate(latents))
    assert difference.max() <= 1
    floats = gan.generate(latents, batch_size=2, output="float")
    assert floats.dtype == np.float32 and floats.shape == (7, 28, 28, 1)
    np.testing.assert_array_equal(kerasgan.utils.to_uint8(floats),
                                  gan.generate(latents, batch_size=2))


def test_conditional_labels_by_class_name():
    names = kerasgan.data.FASHION_MNIST_CLASSES
    gan = tiny_gan("cgan", class_names=names)
    z = gan.make_latents(3, seed=0)
    np.testing.assert_array_equal(gan.generate(z, labels="sneaker"), gan.generate(z, labels=7))
    np.testing.assert_array_equal(gan.generate(z, labels=["Bag", "ANKLE BOOT", "t-shirt/top"]),
                                  gan.generate(z, labels=[8, 9, 0]))
    assert gan.class_ids("Sneaker") == 7 and gan.class_ids(["bag", "coat"]).tolist() == [8, 4]
    with pytest.raises(ValueError, match=r"Unknown class name 'snekaer'. Did you mean: Sneaker"):
        gan.generate(2, labels="snekaer")
    with pytest.raises(ValueError, match=r"Unknown class name 'ANKLE BOTS'. Did you mean: Ankle boot\?"
                                         r" Available: T-shirt/top, Trouser"):
        gan.generate(2, labels=["bag", "ANKLE BOTS"])
    with pytest.raises(TypeError, match=r"not a mix. Received: labels=\['bag', '3'\]"):
        gan.generate(2, labels=["bag", 3])
    unnamed = tiny_gan("cgan")
    assert unnamed.class_names is None
    with pytest.raises(ValueError, match=r"has no class names, so labels must be class ids in "
                                         r"\[0, 9\].*Received: labels='sneaker'"):
        unnamed.generate(2, labels="sneaker")
    with pytest.raises(ValueError, match="class_names must name each of the 10 classes. Received: 2"):
        tiny_gan("cgan", class_names=["a", "b"])
    with pytest.raises(ValueError, match="must be distinct"):
        tiny_gan("cgan", class_names=["a"] * 10)


def test_class_names_survive_save_and_load(tmp_path):
    gan = tiny_gan("cgan", class_names=kerasgan.data.MNIST_CLASSES)
    gan.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert restored.class_names == kerasgan.data.MNIST_CLASSES
    np.testing.assert_array_equal(restored.generate(2, labels="7", seed=0),
                                  gan.generate(2, labels=7, seed=0))


def test_zoo_conditional_model_takes_its_dataset_class_names():
    import json
    from pathlib import Path

    gan = kerasgan.load("cgan-fashion-mnist", compile=False)
    assert gan.class_names == kerasgan.data.FASHION_MNIST_CLASSES
    # The checkpoint's config is untouched: the names come from its dataset.
    config = json.loads((Path(gan.preset_path) / "config.json").read_text())
    assert "class_names" not in config["config"]
    np.testing.assert_array_equal(gan.generate(2, labels="Sneaker", seed=0),
                                  gan.generate(2, labels=7, seed=0))


def test_card_maps_class_ids_to_names():
    from kerasgan.zoo.card import render_card

    meta = {"name": "c", "task": "conditional", "num_classes": 10,
            "data": {"dataset": "fashion-mnist"}}
    card = render_card(meta)
    assert "| 7 | Sneaker |" in card and "| 9 | Ankle boot |" in card
    assert 'gan.generate(16, labels="sneaker", seed=0)' in card
    custom = render_card({**meta, "num_classes": 3, "class_names": ["cat", "dog", "owl"],
                          "data": {"dataset": "my-pets"}})
    assert "| 2 | owl |" in custom and "Sneaker" not in custom
    assert "## Classes" not in render_card({**meta, "task": "unconditional"})
    assert "## Classes" not in render_card({**meta, "data": {"dataset": "my-pets"}})


def test_conditional_preview_writes_class_names_under_the_images():
    gan = tiny_gan("cgan", class_names=kerasgan.data.FASHION_MNIST_CLASSES)
    inputs = gan.example_inputs(4, seed=0)
    labelled = gan.preview(inputs)
    plain = kerasgan.utils.image_grid(gan.generate_from(inputs))
    assert labelled.shape[0] > plain.shape[0]
    assert tiny_gan("cgan").preview(inputs).shape == plain.shape


def test_fused_discriminator_pass_only_where_it_gives_the_same_logits():
    """Real and fake images share one discriminator call only when no layer couples the
    samples of a call (batch norm, minibatch features) or updates per call (spectral
    norm), and none has dropout (its mask rows would pair with other samples on N
    replicas than on one device); the fused call gives the two separate calls' logits
    and loss."""
    import tensorflow as tf

    assert not kerasgan.models.create("dcgan", "small").fuses_discriminator_pass        # BN
    assert not kerasgan.models.create("sngan", "small").fuses_discriminator_pass        # SN
    assert not kerasgan.models.create("gan", "small", minibatch_stddev=4).fuses_discriminator_pass
    assert not kerasgan.models.create("gan", "small").fuses_discriminator_pass          # dropout
    gan = kerasgan.models.create("wgan-gp", "small", seed=3)
    assert gan.fuses_discriminator_pass                                                 # layer norm
    gan.compile()
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)), tf.float32)

    def d_terms(fused):
        gan._fuses_discriminator_pass = fused
        gan.noise_counter.assign(0)              # the same fakes both times
        losses = gan.loss_terms("d", (real, None), training=False)
        return losses.real_logits.numpy(), losses.terms["loss"].numpy()

    (fused_logits, fused_loss), (split_logits, split_loss) = d_terms(True), d_terms(False)
    np.testing.assert_allclose(fused_logits, split_logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fused_loss, split_loss, rtol=1e-5, atol=1e-5)
    assert fused_logits.shape == (8, 1)


def _dense_gan(**kwargs):
    """A GAN of Dense networks without dropout or batch norm: a step is deterministic."""
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(12, activation="tanh"),
                                  keras.layers.Reshape((2, 2, 3))])
    discriminator = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Flatten(),
                                      keras.layers.Dense(5, activation="relu"),
                                      keras.layers.Dense(1)])
    gan = kerasgan.models.GAN(generator, discriminator, seed=7, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    return gan


def test_simultaneous_updates_take_both_gradients_from_one_forward_pass():
    """The TensorFlow DCGAN tutorial's step: one batch of fakes, both gradients at the
    weights before either update. The discriminator's update is the alternating one's;
    the generator's is the gradient through the discriminator before its update."""
    import tensorflow as tf

    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (6, 2, 2, 3)), tf.float32)
    simultaneous = _dense_gan(simultaneous_updates=True)
    alternating = _dense_gan()
    alternating.set_weights(simultaneous.get_weights())
    latents = simultaneous.sample_latents(6)
    simultaneous.noise_counter.assign(0)
    g_before = [w.numpy() for w in simultaneous.generator.trainable_weights]
    with tf.GradientTape() as tape:
        logits = simultaneous.discriminator(simultaneous.generator(latents))
        g_loss = simultaneous.g_loss_fn.generator_loss(logits)
    expected_g = [w - 0.1 * g.numpy() for w, g in
                  zip(g_before, tape.gradient(g_loss, simultaneous.generator.trainable_weights))]

    logs = simultaneous.train_step(real)
    alternating.train_step(real)
    for new, want in zip(simultaneous.generator.trainable_weights, expected_g):
        np.testing.assert_allclose(new.numpy(), want, rtol=1e-4, atol=1e-5)
    for a, b in zip(simultaneous.discriminator.weights, alternating.discriminator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    assert not np.allclose(simultaneous.generator.weights[0].numpy(),
                           alternating.generator.weights[0].numpy(), atol=1e-5)
    assert int(simultaneous.noise_counter.numpy()) == 1      # one draw of latents per step
    assert {"d_loss", "g_loss"} <= set(logs)
    restored = kerasgan.models.GAN.from_config(simultaneous.get_config())
    assert restored.simultaneous_updates


@pytest.mark.parametrize("variant, kwargs, message", [
    ("infogan", {}, "InfoGAN does not support simultaneous_updates"),
    ("wgan-gp", {"d_steps": 5}, "needs d_steps=1 and no unrolled_steps"),
    ("gan", {"unrolled_steps": 2}, "needs d_steps=1 and no unrolled_steps"),
])
def test_simultaneous_updates_refused_where_one_forward_pass_cannot_serve(variant, kwargs,
                                                                           message):
    with pytest.raises(ValueError, match=message):
        kerasgan.models.create(variant, "small", simultaneous_updates=True, **kwargs)
    with pytest.raises(TypeError, match="must be True or False"):
        kerasgan.models.create("gan", "small", simultaneous_updates="yes")
