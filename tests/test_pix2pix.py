"""Pix2Pix specifics; the shared contract (fit, isolation, determinism, save/load) runs
for it in test_models.py like for every variant."""

import numpy as np
import pytest

import kerasgan
from gan_test_case import assert_images_close, dataset_for, tiny_gan
from kerasgan.data import edge_maps, from_pairs
from kerasgan.zoo.preset import golden_inputs, save_to_preset


def test_edge_maps_find_edges_and_only_edges():
    flat = np.full((1, 8, 8), 200, np.uint8)
    assert not edge_maps(flat).any()
    step = np.zeros((1, 8, 8), np.uint8)
    step[:, :, 4:] = 255
    edges = edge_maps(step)[0, :, :, 0]
    assert edges.shape == (8, 8) and edges.dtype == np.uint8
    assert (edges[:, 3:5] == 255).all() and not edges[:, :2].any() and not edges[:, 6:].any()
    rgb = np.repeat(step[..., None], 3, axis=-1)
    np.testing.assert_array_equal(edge_maps(rgb), edge_maps(step))
    with pytest.raises(TypeError, match="expects uint8 images. Received: dtype=float32"):
        edge_maps(step.astype(np.float32))


def test_pairs_must_match(mnist_small):
    images = mnist_small[0]
    with pytest.raises(ValueError, match=r"must pair up.*sources \(10, 28, 28, 1\), targets \(9, 28, 28, 1\)"):
        from_pairs(images[:10], images[:9], batch_size=4)
    with pytest.raises(ValueError, match="Only 10 pairs for batch_size=32"):
        from_pairs(images[:10], images[:10], batch_size=32)
    source, target = next(iter(from_pairs(edge_maps(images), images, batch_size=8, seed=0)))
    assert source.shape == target.shape == (8, 28, 28, 1)
    assert float(target.numpy().min()) >= -1.0 and float(target.numpy().max()) <= 1.0


def test_training_lowers_held_out_l1(mnist_small):
    images = mnist_small[0]
    train, held_out = images[:224], images[224:]
    gan = tiny_gan("pix2pix")
    before = np.abs(gan.translate(edge_maps(held_out), output="float")
                    - (held_out / 127.5 - 1.0)).mean()
    gan.fit(dataset_for(gan, train, None).repeat(), epochs=1, steps_per_epoch=60, verbose=0)
    after = np.abs(gan.translate(edge_maps(held_out), output="float")
                   - (held_out / 127.5 - 1.0)).mean()
    assert after < 0.6 * before, (before, after)


def test_translate_checks_its_input(mnist_small):
    gan = tiny_gan("pix2pix")
    edges = edge_maps(mnist_small[0][:3])
    out = gan.translate(edges)
    assert out.shape == (3, 28, 28, 1) and out.dtype == np.uint8
    np.testing.assert_array_equal(gan.translate(edges[..., 0]), out)  # (N, H, W) for one channel
    # Floats made in float64 differ from the uint8 path's float32 in the last bit (128 of
    # the 256 gray levels), which can flip a rounded output pixel on some CPU.
    assert_images_close(gan.translate(edges / 127.5 - 1.0), out)
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28, 1\). Received: shape=\(2, 32, 32, 1\)"):
        gan.translate(np.zeros((2, 32, 32, 1), np.uint8))
    with pytest.raises(TypeError, match="uint8 or float in \\[-1, 1\\]. Received: dtype=int64"):
        gan.translate(np.zeros((2, 28, 28, 1), np.int64))
    with pytest.raises(TypeError, match=r"use gan.translate\(images\)"):
        gan.generate(4)
    with pytest.raises(ValueError, match="does not support discriminator augmentation"):
        kerasgan.models.create("pix2pix", "small", augment="diffaugment")
    with pytest.raises(ValueError, match="divisible by 8"):
        kerasgan.models.create("pix2pix", "base", image_shape=(28, 28, 1))


def test_batch_without_targets_is_refused(mnist_small):
    gan = tiny_gan("pix2pix")
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=32)
    with pytest.raises(ValueError, match=r"\(source, target\) image pairs"):
        gan.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)


def test_preset_keeps_real_sample_inputs(mnist_small, tmp_path):
    gan = tiny_gan("pix2pix")
    sources = edge_maps(mnist_small[0][:64])
    save_to_preset(gan, tmp_path / "p", sample_inputs={"images": sources})
    loaded = kerasgan.load(tmp_path / "p")
    with np.load(tmp_path / "p" / "golden.npz") as golden:
        inputs = golden_inputs(golden)
        np.testing.assert_array_equal(inputs["images"], sources[:8])
        np.testing.assert_array_equal(loaded.generate_from(inputs), golden["images_uint8"])
    assert loaded.preset_metadata["task"] == "image-to-image"
    grid = gan.preview({"images": sources[:8]})
    assert grid.shape[1] > grid.shape[0]  # 8 columns of (source, translation): 2 rows


def test_pix2pix_takes_d_steps_and_a_penalty(mnist_small):
    from gan_test_case import run_fit_test

    gan = tiny_gan("pix2pix", d_steps=2)
    gan.compile(d_penalty="r1")
    history = run_fit_test(gan, dataset_for(gan, *mnist_small), steps=2)
    assert int(gan.d_optimizer.iterations.numpy()) == 4
    assert history.history["d_penalty"][-1] > 0


def test_translate_refuses_floats_outside_minus_one_to_one(mnist_small):
    gan = tiny_gan("pix2pix")
    edges = edge_maps(mnist_small[0][:3])
    with pytest.raises(ValueError, match=r"Float images must be in \[-1, 1\]. They look like pixel "
                                         r"values in \[0, 255\].*Received: values in \[0, 255\]"):
        gan.translate(edges.astype(np.float32))
    with pytest.raises(ValueError, match=r"Float images must be in \[-1, 1\]. Received: values in "
                                         r"\[-2, 0.5\]"):
        gan.translate(np.full((1, 28, 28, 1), 0.5, np.float32) - 2.5 * (np.arange(28) == 0)[:, None, None])
    nan = np.zeros((1, 28, 28, 1), np.float32)
    nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="Float images must be in"):
        gan.translate(nan)
    # The ends of the range are fine, and so are floats that went through x / 127.5 - 1.
    scaled = edges / 127.5 - 1.0
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    # float64 scaling may differ from translate's float32 one in the last bit: 1 level.
    assert np.abs(gan.translate(scaled).astype(int) - gan.translate(edges)).max() <= 1
