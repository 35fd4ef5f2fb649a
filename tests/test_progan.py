"""ProGAN beyond the shared variant tests: the growth schedule, the fade-in blending, the
phase held by the weights through save, load and presets, and a resume mid-fade-in."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgan
from gan_test_case import dataset_for, run_preset_test, run_resume_test, tiny_gan
from kerasgan.models import progan


def test_growth_schedule_stabilizes_and_fades_in_turn():
    steps = [0, 9, 10, 15, 20, 30, 35, 40, 55, 60, 1000]
    growth = [float(progan.growth_at(s, phase_steps=10, levels=4)) for s in steps]
    #  4x4 ......  fade 8 | 8x8 stable | fade 16 | 16 | fade 32 | 32x32 to the end
    assert growth == pytest.approx([0, 0, 0, 0.5, 1, 1, 1.5, 2, 2.5, 3, 3])
    assert progan.resolutions(32) == [4, 8, 16, 32]
    with pytest.raises(ValueError, match=r"4 times a power of two.*image_size=28"):
        progan.resolutions(28)
    with pytest.raises(ValueError, match=r"phase_steps .* int >= 1.*phase_steps=0"):
        tiny_gan("progan", phase_steps=0)


def test_set_growth_sets_every_alpha_and_the_resolution():
    gan = tiny_gan("progan")
    assert (gan.growth, gan.resolution) == (0.0, 4)
    gan.set_growth(1.5)
    for network in (gan.generator, gan.discriminator, gan.ema_generator):
        alphas = {layer.name: float(layer.alpha.numpy()) for layer in gan._fade_layers(network)}
        assert alphas == {"fade_in_8": 1.0, "fade_in_16": 0.5, "fade_in_32": 0.0}, network.name
    assert (gan.growth, gan.resolution) == (1.5, 16)


def test_a_coarse_phase_makes_and_reads_coarse_images(mnist_small):
    gan = tiny_gan("progan")
    gan.set_growth(1.0)  # 8x8 fully faded in, 16x16 not yet
    images = gan.generate(4, seed=0, output="float")
    # The 8x8 image upsampled (nearest) to 32x32: constant in 4x4 blocks.
    blocks = images.reshape(4, 8, 4, 8, 4, 1)
    np.testing.assert_allclose(blocks, np.broadcast_to(blocks[:, :, :1, :, :1], blocks.shape),
                               atol=1e-6)
    # The discriminator reads the 8x8 average only: detail within the blocks is invisible.
    real = kerasgan.utils.from_uint8(np.pad(mnist_small[0][:4], ((0, 0), (2, 2), (2, 2), (0, 0))))
    coarse = real.reshape(4, 8, 4, 8, 4, 1).mean(axis=(2, 4), keepdims=True)
    flattened = np.broadcast_to(coarse, (4, 8, 4, 8, 4, 1)).reshape(real.shape)
    np.testing.assert_allclose(gan.discriminator(real).numpy(),
                               gan.discriminator(flattened).numpy(), atol=1e-4)
    gan.set_growth(3.0)
    assert not np.allclose(gan.discriminator(real).numpy(), gan.discriminator(flattened).numpy(),
                           atol=1e-3)


def test_fit_follows_the_schedule(mnist_small):
    gan = tiny_gan("progan", phase_steps=2)
    ds = dataset_for(gan, *mnist_small, batch_size=8).repeat()
    seen = []
    for _ in range(4):
        gan.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
        seen.append(gan.growth)
    # Each step sets the alphas from the step count before its updates (steps 1, 3, 5, 7).
    assert seen == pytest.approx([0.0, 0.5, 1.0, 1.5])
    assert {"d_loss", "d_penalty", "drift", "g_loss"} <= set(gan.get_metrics_result())


def test_fit_resumed_mid_fade_in_matches_uninterrupted(mnist_small, tmp_path):
    """Same machine: bit-exact, alphas and the step's noise included. Saved after 4 steps,
    halfway through fading in 8x8."""
    straight, resumed = run_resume_test(
        "progan", lambda gan: dataset_for(gan, *mnist_small, batch_size=8).repeat(), tmp_path,
        steps=8, phase_steps=2)
    assert resumed.growth == straight.growth == pytest.approx(1.5)
    half = keras.saving.load_model(tmp_path / "half.keras")
    assert half.growth == pytest.approx(0.5)


def test_preset_round_trip_keeps_the_phase(mnist_small, tmp_path):
    gan = tiny_gan("progan", phase_steps=2)
    gan.fit(dataset_for(gan, *mnist_small, batch_size=8).repeat(), epochs=1, steps_per_epoch=4,
            verbose=0)
    loaded = run_preset_test(gan, tmp_path)
    assert loaded.growth == gan.growth == pytest.approx(0.5)
    inference = kerasgan.load(str(tmp_path / "preset"))
    assert inference.growth == pytest.approx(0.5) and inference.resolution == 8


def test_equalized_layers_scale_unit_weights_at_run_time():
    layer = kerasgan.layers.EqualizedConv2D(4, 3)
    x = tf.ones((1, 5, 5, 2))
    y = layer(x)
    assert layer.scale == pytest.approx(np.sqrt(2.0) / np.sqrt(2 * 9))
    np.testing.assert_allclose(np.std(layer.kernel.numpy()), 1.0, atol=0.35)
    expected = tf.nn.conv2d(x, layer.kernel * layer.scale, 1, "SAME") + layer.bias
    np.testing.assert_allclose(y.numpy(), expected.numpy(), atol=1e-6)
    normalized = kerasgan.layers.PixelNormalization()(tf.constant([[[[3.0, 4.0]]]]))
    np.testing.assert_allclose(np.mean(normalized.numpy() ** 2), 1.0, atol=1e-6)


def test_contiguous_minibatch_stddev_groups_consecutive_samples():
    x = np.random.default_rng(0).normal(size=(8, 2, 2, 3)).astype("float32")
    stat = kerasgan.layers.MinibatchStdDev(4, contiguous=True)(x).numpy()[..., -1]
    for start in (0, 4):
        expected = np.sqrt(x[start:start + 4].var(axis=0) + 1e-8).mean()
        np.testing.assert_allclose(stat[start:start + 4], expected, rtol=1e-5)
    # The default strides through the batch (samples 0, 2, 4, 6 form a group).
    strided = kerasgan.layers.MinibatchStdDev(4)(x).numpy()[..., -1]
    np.testing.assert_allclose(strided[0, 0, 0], np.sqrt(x[::2].var(axis=0) + 1e-8).mean(),
                               rtol=1e-5)
