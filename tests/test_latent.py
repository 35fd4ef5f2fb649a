"""Latent interpolation (kerasgan.latent) for every model that draws from latents."""

import numpy as np
import pytest
from PIL import Image

import kerasgan
from gan_test_case import tiny_gan
from kerasgan import latent


def assert_within_one_level(a, b):
    """Batches of other sizes may run other CPU kernels: equal to within 1 uint8 level."""
    assert a.shape == b.shape and a.dtype == b.dtype == np.uint8
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_linear_and_spherical_paths():
    gan = tiny_gan("dcgan")
    a, b = gan.make_latents(2, seed=0)
    linear = latent.interpolate(gan, a, b, steps=5, method="linear")
    assert linear.shape == (5, 16) and linear.dtype == np.float32
    np.testing.assert_allclose(linear[2], (a + b) / 2, atol=1e-6)
    path = latent.interpolate(gan, a, b, steps=5)  # slerp by default
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)
    # Orthogonal unit vectors: slerp stays on the unit sphere, a line cuts inside it.
    x, y = np.eye(16, dtype=np.float32)[:2]
    arc = latent.interpolate(gan, x, y, steps=7)
    np.testing.assert_allclose(np.linalg.norm(arc, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(arc[3], (x + y) / np.sqrt(2), atol=1e-6)
    assert np.linalg.norm(latent.interpolate(gan, x, y, steps=7, method="linear")[3]) < 0.75
    # Parallel endpoints have no unique arc: slerp falls back to the line.
    np.testing.assert_allclose(latent.interpolate(gan, x, 3 * x, steps=3)[1], 2 * x, atol=1e-6)


def test_batches_interpolate_row_by_row():
    gan = tiny_gan("dcgan")
    a, b = gan.make_latents(3, seed=1), gan.make_latents(3, seed=2)
    paths = latent.interpolate(gan, a, b, steps=4)
    assert paths.shape == (3, 4, 16)
    np.testing.assert_allclose(paths[1], latent.interpolate(gan, a[1], b[1], steps=4), atol=1e-6)


def test_interpolation_errors_name_the_problem():
    gan = tiny_gan("dcgan")
    a, b = gan.make_latents(2, seed=0)
    with pytest.raises(ValueError, match="steps must be an int >= 2.*Received: steps=1"):
        latent.interpolate(gan, a, b, steps=1)
    with pytest.raises(ValueError, match="Unknown interpolation method 'slurp'. Did you mean: slerp"):
        latent.interpolate(gan, a, b, method="slurp")
    with pytest.raises(ValueError, match=r"a and b must both have shape \(16,\) or \(N, 16\). "
                                         r"Received: a.shape=\(16,\), b.shape=\(8,\)"):
        latent.interpolate(gan, a, b[:8])
    with pytest.raises(ValueError, match="Latents must be finite"):
        latent.interpolate(gan, a, np.full(16, np.nan, np.float32))
    with pytest.raises(TypeError, match="Pix2Pix has no latents to interpolate: it translates"):
        latent.interpolate(tiny_gan("pix2pix"), a, b)
    with pytest.raises(ValueError, match="seed draws the endpoints"):
        latent.interpolation_images(gan, a, b, seed=0)


@pytest.mark.parametrize("variant", ["gan", "dcgan", "cgan", "stackgan"])
def test_interpolation_images_for_every_latent_model(variant):
    gan = tiny_gan(variant)
    images = latent.interpolation_images(gan, num_paths=3, steps=4, seed=0)
    assert images.shape == (3, 4, *gan.image_shape) and images.dtype == np.uint8
    # Each path is gan.generate on its latents, with one condition for the whole path.
    endpoints = gan.make_latents(6, seed=0)
    path = latent.interpolate(gan, endpoints[1], endpoints[4], steps=4)
    condition = None  # unconditional
    if variant == "cgan":
        condition = [1] * 4
    elif variant == "stackgan":
        condition = [gan.captions[1]] * 4
    assert_within_one_level(images[1], gan.generate(path, condition))
    assert not np.array_equal(images[1, 0], images[1, -1])


def test_conditions_hold_along_each_path():
    gan = tiny_gan("cgan", class_names=kerasgan.data.FASHION_MNIST_CLASSES)
    by_name = latent.interpolation_images(gan, num_paths=2, steps=3, seed=0, labels="bag")
    np.testing.assert_array_equal(by_name, latent.interpolation_images(gan, num_paths=2, steps=3,
                                                                       seed=0, labels=8))
    with pytest.raises(ValueError, match=r"one per path \(2\). Received: shape=\(3,\)"):
        latent.interpolation_images(gan, num_paths=2, seed=0, labels=[1, 2, 3])
    writer = tiny_gan("stackgan")
    sevens = latent.interpolation_images(writer, num_paths=2, steps=3, seed=0, labels="digit seven")
    z = writer.make_latents(4, seed=0)
    assert_within_one_level(
        sevens[0], writer.generate(latent.interpolate(writer, z[0], z[2], 3), "digit seven"))
    with pytest.raises(ValueError, match="A caption has no words"):
        latent.interpolation_images(writer, num_paths=2, seed=0, labels="")


def test_save_interpolation_as_grid_and_gif(tmp_path):
    gan = tiny_gan("dcgan")
    images = latent.interpolation_images(gan, num_paths=2, steps=5, seed=0)
    grid = latent.save_interpolation(tmp_path / "walk.png", images, upscale=1)
    with Image.open(grid) as png:
        assert png.format == "PNG" and png.size == (5 * 30 + 2, 2 * 30 + 2)  # a row per path
    gif = latent.save_interpolation(tmp_path / "walk.gif", images, upscale=1)
    with Image.open(gif) as animation:
        assert animation.format == "GIF" and animation.is_animated
        assert animation.n_frames == 2 * 5 - 2  # there and back
        first = np.asarray(animation.convert("L"))
    np.testing.assert_array_equal(first, kerasgan.utils.image_grid(images[:, 0], cols=2)[..., 0])
    with pytest.raises(ValueError, match=r"expects images of shape \(paths, steps, H, W, C\)"):
        latent.save_interpolation(tmp_path / "x.png", images[0])
