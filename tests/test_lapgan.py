"""LAPGAN beyond the shared variant tests: the pyramid, its latents, every level on request,
the preset round trip of all six networks, and the export of the whole pyramid."""

import numpy as np
import pytest
import tensorflow as tf

import kerasgan
from gan_test_case import padded_digits, run_preset_test, tiny_gan
from kerasgan.models import lapgan


@pytest.fixture(scope="module")
def trained(mnist_small):
    gan = tiny_gan("lapgan")
    gan.fit(padded_digits(*mnist_small), epochs=1, steps_per_epoch=3, verbose=0)
    return gan


def test_pyramid_levels_and_latent_layout():
    assert lapgan.level_sizes(32) == [8, 16, 32]
    assert lapgan.level_sizes(28) == [7, 14, 28]
    with pytest.raises(ValueError, match=r"divisible by 4.*Received: image_size=30"):
        lapgan.level_sizes(30)
    gan = kerasgan.LAPGAN.from_size("tiny", image_shape=(32, 32, 1), latent_dim=10)
    # The coarse noise, then one noise plane per finer level.
    assert gan.latent_dim == 10 + 16 * 16 + 32 * 32
    z = gan.make_latents(2, seed=0)
    coarse, planes = gan.split_latents(tf.constant(z))
    assert coarse.shape == (2, 10) and [p.shape for p in planes] == [(2, 16, 16, 1), (2, 32, 32, 1)]
    np.testing.assert_array_equal(planes[0].numpy().reshape(2, -1), z[:, 10:10 + 256])
    with pytest.raises(ValueError, match=r"latent_dim=99 does not match.*10 \+ 256 \+ 1024"):
        kerasgan.LAPGAN(**gan.networks, latent_dim=99)


def test_the_real_pyramid_is_a_gaussian_pyramid(mnist_small):
    images = kerasgan.utils.from_uint8(np.pad(mnist_small[0][:4], ((0, 0), (2, 2), (2, 2), (0, 0))))
    coarse, middle, full = lapgan.laplacian_pyramid(tf.constant(images))
    assert [coarse.shape[1], middle.shape[1], full.shape[1]] == [8, 16, 32]
    np.testing.assert_allclose(middle.numpy(), images.reshape(4, 16, 2, 16, 2, 1).mean((2, 4)),
                               atol=1e-6)


def test_levels_add_a_residual_to_the_upsampled_coarser_level(trained):
    coarse, middle, final = trained.generate(5, seed=2, return_levels=True, output="float")
    assert [x.shape for x in (coarse, middle, final)] == [(5, 8, 8, 1), (5, 16, 16, 1),
                                                          (5, 32, 32, 1)]
    z = trained.make_latents(5, seed=2)
    _, planes = trained.split_latents(tf.constant(z))
    low_pass = lapgan.upsample(tf.constant(middle))
    residual = trained.sampling_network("generator_2")([low_pass, planes[1]], training=False)
    np.testing.assert_allclose(final, (low_pass + residual).numpy(), atol=1e-5)
    # The final level is what `generate` returns, by seed or by latents.
    np.testing.assert_array_equal(trained.generate(5, seed=2),
                                  kerasgan.utils.to_uint8(final))
    levels = trained.generate(latents=z, return_levels=True)
    np.testing.assert_array_equal(levels[-1], trained.generate(latents=z))
    assert all(level.dtype == np.uint8 for level in levels)


def test_return_levels_and_bad_arguments_are_refused_clearly(trained):
    with pytest.raises(TypeError, match="return_levels must be True or False"):
        trained.generate(2, return_levels="yes")
    with pytest.raises(ValueError, match=r"Expected latents of shape \(N, 1296\)"):
        trained.generate(latents=np.zeros((2, 16), np.float32), return_levels=True)
    with pytest.raises(ValueError, match="takes no labels"):
        trained.generate(2, labels=[1, 2], return_levels=True)


def test_preview_shows_one_row_per_level(trained):
    grid = trained.preview(trained.example_inputs(8, seed=0))
    # Three rows of eight 32-pixel tiles, 2 pixels of padding around each.
    assert grid.shape[:2] == (3 * 32 + 4 * 2, 8 * 32 + 9 * 2)


def test_preset_round_trip_holds_all_six_networks(trained, tmp_path):
    loaded = run_preset_test(trained, tmp_path)
    assert set(loaded.networks) == {"generator", "discriminator", "generator_1",
                                    "discriminator_1", "generator_2", "discriminator_2"}
    np.testing.assert_array_equal(loaded.generate(3, seed=1, return_levels=True)[0],
                                  trained.generate(3, seed=1, return_levels=True)[0])


def test_saved_model_serves_the_whole_pyramid(trained, tmp_path):
    path = kerasgan.export.export(trained, tmp_path, model_name="lapgan")
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    z = trained.make_latents(3, seed=5)
    images = served(latents=tf.constant(z))["images"].numpy()
    np.testing.assert_array_equal(images, trained.generate(latents=z))


def test_fashion_mnist_32_is_scored_on_its_centre_by_the_fashion_mnist_classifier():
    padded, labels = kerasgan.data.load_dataset("fashion-mnist-32", "test")
    original, original_labels = kerasgan.data.load_dataset("fashion-mnist", "test")
    assert padded.shape == (10000, 32, 32, 1)
    np.testing.assert_array_equal(padded[:, 2:-2, 2:-2], original)
    np.testing.assert_array_equal(labels, original_labels)
    assert padded[:, :2].max() == 0 and padded[:, :, -2:].max() == 0
    extractor = kerasgan.metrics.dataset_extractor("fashion-mnist-32")
    assert extractor.extractor_id == "kerasgan-fashion-mnist-classifier-v1-center-28x28"
    assert extractor.image_shape == (32, 32, 1)
    plain = kerasgan.metrics.load_feature_extractor("fashion-mnist")
    np.testing.assert_array_equal(extractor.features(padded[:64]), plain.features(original[:64]))
    with pytest.raises(ValueError, match=r"expects images of shape \(N, 32, 32, 1\)"):
        extractor.features(original[:4])


def test_evaluate_on_fashion_mnist_32_names_the_centre_crop(trained):
    with pytest.warns(UserWarning, match="Measured on 60 images"):
        results = kerasgan.metrics.evaluate(trained, "fashion-mnist-32", num_samples=60,
                                            metrics=["fid"], progress=False)
    key = "fid[kerasgan-fashion-mnist-classifier-v1-center-28x28]"
    assert results[key] > 0 and np.isfinite(results[key])
