"""StyleGAN beyond the shared variant tests: the truncation trick around the tracked mean
of W, style mixing, interpolation in W, projection, the lazy regularisers, and the
state (W's mean, the mean path length) through save, resume and presets."""

from pathlib import Path

import keras
import numpy as np
import pytest

import kerasgan
from gan_test_case import padded_digits, run_preset_test, run_resume_test, tiny_gan
from kerasgan.layers.style import ModulatedConv2D


@pytest.fixture(scope="module")
def trained(mnist_small):
    gan = tiny_gan("stylegan")
    gan.fit(padded_digits(*mnist_small, batch_size=16).repeat(), epochs=1, steps_per_epoch=6,
            verbose=0)
    return gan


def test_layout_and_networks(trained):
    assert (trained.latent_dim, trained.num_ws, trained.w_dim) == (16, 8, 16)
    assert set(trained.networks) == {"mapping", "generator", "discriminator"}
    # One noise plane per convolution: 4x4, then two per finer resolution.
    assert [s[0] for s in trained.noise_shapes] == [4, 8, 8, 16, 16, 32, 32]
    assert trained.generate(3, seed=0).shape == (3, 32, 32, 1)


def test_training_tracks_the_mean_of_w(trained):
    """w_avg moves from zero towards the batch means of W during training (never outside
    it), and is a weight of the mapping network."""
    w_avg = trained.w_average
    assert np.abs(w_avg).max() > 0
    assert any("w_avg" in w.path for w in trained.mapping.non_trainable_weights)
    w = trained.map_to_w(trained.make_latents(256, seed=0))
    # After 6 steps at beta 0.995 the average is about 3% of the way to W's mean.
    assert np.corrcoef(w_avg, w.mean(axis=0))[0, 1] > 0.9
    assert float(trained.path_length_mean.numpy()) > 0


def test_truncation_at_zero_gives_one_image_and_one_keeps_them(trained):
    z = trained.make_latents(5, seed=2)
    mean_image = trained.generate(latents=z, truncation=0.0)
    assert (mean_image == mean_image[:1]).all()
    np.testing.assert_array_equal(trained.generate(latents=z, truncation=1.0),
                                  trained.generate(latents=z))
    # Truncation pulls W towards its mean: psi 0.5 is halfway in W.
    w, w_half = trained.map_to_w(z), trained.map_to_w(z, truncation=0.5)
    np.testing.assert_allclose(w_half, trained.w_average + 0.5 * (w - trained.w_average),
                               atol=1e-5)
    assert not np.array_equal(trained.generate(latents=z, truncation=0.5), trained.generate(latents=z))


@pytest.mark.parametrize("psi", [-0.1, 1.5, "0.5", True])
def test_truncation_outside_zero_one_is_refused(trained, psi):
    with pytest.raises(ValueError, match=r"psi in W, a number in \[0, 1\].*truncation="):
        trained.generate(4, seed=0, truncation=psi)


def test_style_mixing_at_the_ends_gives_the_pure_images(trained):
    a, b = trained.make_latents(4, seed=0), trained.make_latents(4, seed=1)
    np.testing.assert_array_equal(trained.mix_styles(a, b, 0), trained.generate(latents=b))
    np.testing.assert_array_equal(trained.mix_styles(a, b, trained.num_ws),
                                  trained.generate(latents=a))
    middle = trained.mix_styles(a, b, 4)
    assert not np.array_equal(middle, trained.generate(latents=a))
    assert not np.array_equal(middle, trained.generate(latents=b))
    # The same as synthesizing the mixed styles by hand.
    ws = np.concatenate([np.repeat(trained.map_to_w(a)[:, None], 4, 1),
                         np.repeat(trained.map_to_w(b)[:, None], 4, 1)], axis=1)
    np.testing.assert_array_equal(middle, trained.synthesize(ws))
    # One crossover per row.
    rows = trained.mix_styles(a, b, np.array([0, 8, 0, 8]))
    np.testing.assert_array_equal(rows[[1, 3]], trained.generate(latents=a)[[1, 3]])


@pytest.mark.parametrize("crossover", [-1, 9, 2.5, [1, 2]])
def test_crossover_outside_the_layers_is_refused(trained, crossover):
    z = trained.make_latents(4, seed=0)
    with pytest.raises(ValueError, match=r"crossover must be .*\[0, 8\]"):
        trained.mix_styles(z, z, crossover)


def test_interpolation_in_w_ends_at_the_endpoints(trained):
    a, b = trained.make_latents(2, seed=0), trained.make_latents(2, seed=1)
    walk = kerasgan.latent.interpolation_images(trained, a, b, steps=5, space="w")
    assert walk.shape == (2, 5, 32, 32, 1)
    np.testing.assert_array_equal(walk[:, 0], trained.generate(latents=a))
    np.testing.assert_array_equal(walk[:, -1], trained.generate(latents=b))
    middle = trained.synthesize((trained.map_to_w(a) + trained.map_to_w(b)) / 2)
    np.testing.assert_array_equal(walk[:, 2], middle)
    with pytest.raises(ValueError, match="space='w' needs a style-based model"):
        kerasgan.latent.interpolation_images(tiny_gan("dcgan"), num_paths=1, space="w")
    with pytest.raises(ValueError, match="latent space"):
        kerasgan.latent.interpolation_images(trained, num_paths=1, space="q")


def test_project_recovers_a_generated_image_and_reports_a_real_ones_error(trained, mnist_small):
    target = trained.generate(latents=trained.make_latents(2, seed=9), truncation=0.5)
    found = trained.project(target, steps=150, verbose=False)
    assert found.latents.shape == (2, trained.w_dim)
    assert found.images.shape == target.shape and found.images.dtype == np.uint8
    np.testing.assert_allclose(found.error, np.abs(found.images.astype(float) - target).mean(
        axis=(1, 2, 3)), rtol=1e-6)
    real = np.pad(mnist_small[0][:2], ((0, 0), (2, 2), (2, 2), (0, 0)))
    real_found = trained.project(real, steps=150, w_plus=True, verbose=False)
    assert real_found.latents.shape == (2, trained.num_ws, trained.w_dim)
    # A generated image is in the model's range; a real digit (to a tiny model barely
    # trained) is not: its error is the larger.
    start = np.abs(trained.synthesize(np.broadcast_to(trained.w_average, (2, trained.w_dim)))
                   .astype(float) - target).mean(axis=(1, 2, 3))
    assert (found.error < 0.5 * start).all(), (found.error, start)
    assert found.error.max() < real_found.error.min()


@pytest.mark.parametrize("images, message", [
    (np.zeros((2, 28, 28, 1), np.uint8), r"shape \(N, 32, 32, 1\).*\(2, 28, 28, 1\)"),
    (np.zeros((2, 32, 32, 3), np.uint8), r"shape \(N, 32, 32, 1\).*\(2, 32, 32, 3\)"),
    (np.zeros((2, 32, 32, 1), np.float32), r"uint8 images.*float32"),
])
def test_project_refuses_images_of_another_size_or_kind(trained, images, message):
    with pytest.raises((ValueError, TypeError), match=message):
        trained.project(images, steps=2, verbose=False)


def test_lazy_regularisers_apply_every_kth_update(mnist_small):
    """r1_every = path_length_every = 2 (the spec's): updates 0 and 2 carry R1 and the
    path length (scaled by 2), update 1 neither."""
    gan = tiny_gan("stylegan")
    batch = gan.unpack(next(iter(padded_digits(*mnist_small, batch_size=8))))
    penalties = [float(gan.update("d", batch)["penalty"]) for _ in range(3)]
    lengths = [float(gan.update("g", batch)["path_length"]) for _ in range(3)]
    assert penalties[1] == 0 and penalties[0] > 0 and penalties[2] > 0, penalties
    assert lengths[1] == 0 and lengths[0] > 0 and lengths[2] > 0, lengths
    with pytest.raises(ValueError, match=r"every .* int >= 1.*every=0"):
        kerasgan.penalties.R1Penalty(1.0, every=0)
    assert kerasgan.penalties.R1Penalty(1.0, every=16).get_config() == {"weight": 1.0, "every": 16}


def test_resume_is_bit_exact_with_the_tracked_state(mnist_small, tmp_path):
    straight, resumed = run_resume_test(
        "stylegan", lambda gan: padded_digits(*mnist_small, batch_size=8).repeat(), tmp_path,
        steps=4)
    assert float(straight.path_length_mean.numpy()) == float(resumed.path_length_mean.numpy())
    np.testing.assert_array_equal(straight.w_average, resumed.w_average)


def test_preset_round_trip_keeps_the_mean_of_w(trained, tmp_path):
    loaded = run_preset_test(trained, tmp_path)
    np.testing.assert_array_equal(loaded.w_average, trained.w_average)
    z = trained.make_latents(3, seed=4)
    np.testing.assert_array_equal(loaded.generate(latents=z, truncation=0.3),
                                  trained.generate(latents=z, truncation=0.3))
    np.testing.assert_array_equal(loaded.mix_styles(z, z[::-1], 3), trained.mix_styles(z, z[::-1], 3))


def test_demodulation_normalises_each_output_map():
    """With unit-variance inputs, a demodulated convolution's outputs have about unit
    variance whatever the style's scale (StyleGAN2's eq. 3); without it they scale."""
    layer = ModulatedConv2D(16, 3, activation="linear")
    plain = ModulatedConv2D(16, 3, activation="linear", demodulate=False)
    x = keras.random.normal((64, 8, 8, 32), seed=0)
    for scale in (0.1, 10.0):
        w = keras.ops.ones((64, 8)) * scale
        std = float(keras.ops.std(layer([x, w])[:, 2:-2, 2:-2]))
        assert 0.7 < std < 1.3, (scale, std)
    plain([x, keras.ops.ones((64, 8))])
    plain.style_kernel.assign(plain.style_kernel * 0.0)
    plain.style_bias.assign(plain.style_bias * 10.0)
    assert float(keras.ops.std(plain([x, keras.ops.ones((64, 8))]))) > 5.0


def test_bad_networks_and_settings_are_refused():
    with pytest.raises(ValueError, match="style_mixing must be in"):
        tiny_gan("stylegan", style_mixing=1.5)
    with pytest.raises(ValueError, match=r"path_length_every must be an int >= 1"):
        tiny_gan("stylegan", path_length_every=0)
    with pytest.raises(ValueError, match="4 times a power of two"):
        kerasgan.models.create("stylegan", "tiny", image_shape=(28, 28, 1))
    gan = tiny_gan("stylegan")
    with pytest.raises(ValueError, match="must end in a WAverage layer"):
        kerasgan.StyleGAN(gan.generator, gan.discriminator,
                          mapping=keras.Sequential([keras.Input((16,)),
                                                    keras.layers.Dense(16)]))


def test_the_committed_config_builds_the_papers_optimizers_and_lazy_r1():
    """`[optimizer] variant_defaults = true`: Adam(0.0025, 0, 0.99) adjusted by
    c = k / (k + 1) for the lazy intervals (16 for D, 4 for G), and R1 every 16th update."""
    from kerasgan import training

    config = training.load_config(Path(__file__).parents[1] / "training" / "configs"
                                  / "stylegan-fashion-mnist-32.toml")
    gan = training.build_gan(config)
    for group, every in (("d", 16), ("g", 4)):
        optimizer = gan.optimizer_of(group)
        c = every / (every + 1)
        assert float(optimizer.learning_rate) == pytest.approx(0.0025 * c)
        assert float(optimizer.beta_2) == pytest.approx(0.99 ** c)
        assert float(optimizer.beta_1) == 0.0
    (r1,) = gan.penalties["d"]
    assert isinstance(r1, kerasgan.penalties.R1Penalty) and (r1.weight, r1.every) == (0.01, 16)
