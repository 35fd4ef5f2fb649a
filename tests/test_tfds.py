"""`kerasgan.data.tfds`: TensorFlow Datasets pipelines, tested offline on real TFDS code.

TFDS's own `fashion_mnist` builder is built once per session from Debian's
`dataset-fashion-mnist` files, with their original gzip headers restored so that
TFDS's recorded sha256 checksums accept them as the official downloads (about
30 s on one core). A TFDS `ImageFolder` over real photos (scikit-learn's two
sample images, cut into crops) checks the resizing against `image_folder`.
Nothing here downloads: every file TFDS asks for is already on disk.
"""

import gzip
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from kerasgan.data import tfds as tfds_source
from kerasgan.data import (FASHION_MNIST_CLASSES, DatasetNotFoundError, image_folder,
                           load_fashion_mnist)
from kerasgan.data.tfds import (DEBIAN_FASHION_MNIST, from_tfds, load_tfds, parse_tfds_spec,
                                  prepare_fashion_mnist_from_debian,
                                  restore_fashion_mnist_downloads, tfds_info)
from kerasgan.utils import to_uint8

# Tests on the built fashion_mnist share one ~30-50 s build per session.
large = pytest.mark.large
needs_debian_fashion_mnist = pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)


def _recorded_downloads():
    """TFDS's recorded `{file name: (size, sha256)}` of the official fashion_mnist downloads."""
    builder = tfds.builder("fashion_mnist")
    return {info.filename: (info.size, info.checksum) for info in builder.url_infos.values()}


def _sorted_examples(images, labels):
    """Order-free fingerprints of (image, label) pairs: TFDS shuffles examples on write."""
    return sorted(hashlib.sha256(image.tobytes() + bytes([int(label)])).hexdigest()
                  for image, label in zip(images, labels))


@pytest.fixture(scope="session")
def fashion_mnist_dir(tmp_path_factory):
    if not (DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    data_dir = tmp_path_factory.mktemp("tfds")
    start = time.perf_counter()
    prepare_fashion_mnist_from_debian(data_dir)
    seconds = time.perf_counter() - start
    print(f"\nBuilt TFDS fashion_mnist from the Debian files in {seconds:.1f} s")
    return data_dir


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """A TFDS ImageFolder tree (split/label/image.png) of 48x32 crops of two real photos."""
    from PIL import Image
    from sklearn.datasets import load_sample_images

    root = tmp_path_factory.mktemp("photos")
    sample = load_sample_images()
    for label, photo in zip(("china", "flower"), sample.images):
        folder = root / "train" / label
        folder.mkdir(parents=True)
        for i in range(6):
            Image.fromarray(photo[40 * i:40 * i + 48, 60 * i:60 * i + 32]).save(folder / f"{i}.png")
    return root


# ---------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------

def test_parse_tfds_spec():
    assert parse_tfds_spec("tfds:fashion_mnist") == "fashion_mnist"
    assert parse_tfds_spec("tfds:cifar10_corrupted/brightness_1:3.0.0") == \
        "cifar10_corrupted/brightness_1:3.0.0"
    assert parse_tfds_spec("fashion-mnist") is None
    assert parse_tfds_spec("data/my_photos") is None
    for bad in ("tfds:", "tfds:Fashion MNIST", "tfds:mnist:latest"):
        with pytest.raises(ValueError, match="tfds:NAME.*Received: spec="):
            parse_tfds_spec(bad)


# ---------------------------------------------------------------------------
# Building TFDS's fashion_mnist offline
# ---------------------------------------------------------------------------

@needs_debian_fashion_mnist
def test_restored_debian_files_are_the_official_downloads(tmp_path):
    restored = restore_fashion_mnist_downloads(DEBIAN_FASHION_MNIST, tmp_path)
    recorded = _recorded_downloads()
    assert set(restored) == set(recorded) and len(recorded) == 4
    for filename, path in restored.items():
        data = path.read_bytes()
        # TFDS's own url_checksums/fashion_mnist.txt accepts the restored bytes...
        assert (len(data), hashlib.sha256(data).hexdigest()) == recorded[filename]
        # ...the Debian file differs from it only by the file name in the gzip header...
        debian = (DEBIAN_FASHION_MNIST / filename).read_bytes()
        assert len(data) - len(debian) == len(filename) - len(".gz") + 1
        assert hashlib.sha256(debian).hexdigest() != recorded[filename][1]
        # ...and both hold the same IDX data.
        assert gzip.decompress(data) == gzip.decompress(debian)


@needs_debian_fashion_mnist
def test_tfds_rejects_the_debian_files_as_shipped(tmp_path):
    """TFDS checks manual files against its recorded checksums, so the acceptance above
    is a real check. (All four files are present, so TFDS never tries to download.)"""
    from tensorflow_datasets.core.download.download_manager import NonMatchingChecksumError

    builder = tfds.builder("fashion_mnist", data_dir=str(tmp_path / "data"))
    config = tfds.download.DownloadConfig(manual_dir=str(DEBIAN_FASHION_MNIST),
                                          try_download_gcs=False)
    with pytest.raises(NonMatchingChecksumError, match="wrong checksum"):
        builder.download_and_prepare(download_dir=str(tmp_path / "downloads"),
                                     download_config=config)
    assert not builder.is_prepared()


def test_prepare_refuses_files_that_are_not_the_official_ones(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for stem in tfds_source.FASHION_MNIST_GZIP_MTIMES:
        (source / f"{stem}.gz").write_bytes(gzip.compress(b"not fashion-mnist", mtime=0))
    with pytest.raises(ValueError, match=r"is not the official .*sha256.*Received: size="):
        prepare_fashion_mnist_from_debian(tmp_path / "data", source_dir=source)
    assert not any((tmp_path / "data").rglob("*.tfrecord*"))


# ---------------------------------------------------------------------------
# from_tfds on the real builder
# ---------------------------------------------------------------------------

@large
def test_tfds_info(fashion_mnist_dir):
    info = tfds_info("fashion_mnist", data_dir=fashion_mnist_dir)
    assert info.prepared and info.kind == "images"
    assert (info.image_key, info.label_key) == ("image", "label")
    assert info.image_shape == (28, 28, 1)
    assert info.classes == FASHION_MNIST_CLASSES
    assert info.splits == {"train": 60000, "test": 10000}
    assert Path(info.data_dir) == fashion_mnist_dir


def test_tfds_info_before_preparing(tmp_path):
    # Known from the builder's code before anything is prepared, and nothing is fetched.
    empty = tmp_path / "empty"
    cifar = tfds_info("cifar10", data_dir=empty)
    assert not cifar.prepared and cifar.splits == {}
    assert cifar.image_shape == (32, 32, 3) and len(cifar.classes) == 10
    assert not empty.exists() or not any(empty.iterdir())


@large
def test_fashion_mnist_test_split_equals_debian_idx(fashion_mnist_dir):
    ds = from_tfds("fashion_mnist", "test", data_dir=fashion_mnist_dir, labels=True,
                   batch_size=500, shuffle=False)
    assert ds.element_spec[0].shape.as_list() == [500, 28, 28, 1]
    assert ds.element_spec[0].dtype == tf.float32 and ds.element_spec[1].dtype == tf.int32
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 20
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.min() == -1.0 and images.max() == 1.0
    # The same scaling as from_numpy: exactly k / 127.5 - 1 for uint8 level k.
    levels = to_uint8(images)
    np.testing.assert_array_equal(images, levels.astype(np.float32) / 127.5 - 1.0)
    debian_images, debian_labels = load_fashion_mnist("test")
    # TFDS writes examples in an order of its own (hashed keys), so compare as sets.
    assert _sorted_examples(levels, labels) == _sorted_examples(debian_images, debian_labels)


@large
def test_fashion_mnist_train_pipeline(fashion_mnist_dir):
    first = from_tfds("fashion_mnist", data_dir=fashion_mnist_dir, batch_size=128, seed=3)
    assert first.element_spec.shape.as_list() == [128, 28, 28, 1]
    assert int(first.cardinality()) == 60000 // 128
    batch = next(iter(first)).numpy()
    assert -1.0 <= batch.min() < batch.max() <= 1.0
    again = next(iter(from_tfds("fashion_mnist", data_dir=fashion_mnist_dir, batch_size=128,
                                seed=3))).numpy()
    np.testing.assert_array_equal(batch, again)


def test_cache_is_filled_when_the_pipeline_is_made(fashion_mnist_dir, tmp_path):
    """`cache=True` fills the in-memory cache with one plain pass when the pipeline is
    made (a first pass through a strategy's iterator completed it short, #24), so every
    epoch reads the whole split from memory: it still does with the files gone."""
    import shutil

    copy = tmp_path / "tfds"
    shutil.copytree(fashion_mnist_dir, copy)
    plain = [b.numpy() for b in from_tfds("fashion_mnist", "test[:256]", data_dir=copy,
                                          batch_size=64, shuffle=False, cache=False)]
    cached = from_tfds("fashion_mnist", "test[:256]", data_dir=copy, batch_size=64,
                       shuffle=False)
    uncached = from_tfds("fashion_mnist", "test[:256]", data_dir=copy, batch_size=64,
                         shuffle=False, cache=False)
    shutil.rmtree(copy)
    for _ in range(2):
        epoch = [b.numpy() for b in cached]
        assert len(epoch) == 4
        np.testing.assert_array_equal(np.concatenate(epoch), np.concatenate(plain))
    with pytest.raises(tf.errors.NotFoundError):
        for _ in uncached:
            pass


@large
def test_resize_and_channels(fashion_mnist_dir):
    native, native_labels = load_tfds("fashion_mnist", "test[:256]", data_dir=fashion_mnist_dir)
    assert native.shape == (256, 28, 28, 1) and native.dtype == np.uint8
    ds = from_tfds("fashion_mnist", "test[:256]", data_dir=fashion_mnist_dir, image_size=32,
                   channels=3, labels=True, batch_size=64, shuffle=False)
    assert ds.element_spec[0].shape.as_list() == [64, 32, 32, 3]
    batches = list(ds.as_numpy_iterator())
    images = to_uint8(np.concatenate([b[0] for b in batches]))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), native_labels)
    # Gray copied to RGB.
    np.testing.assert_array_equal(images[..., 0], images[..., 1])
    np.testing.assert_array_equal(images[..., 0], images[..., 2])
    # Square to square: the area resize of the very same images, within a level.
    expected = tf.image.resize(native.astype(np.float32), (32, 32), method="area").numpy()
    assert np.abs(images[..., :1].astype(int) - np.rint(expected).astype(int)).max() <= 1


def test_image_folder_builder_resizes_like_image_folder(photo_folder):
    builder = tfds.ImageFolder(str(photo_folder))
    info = tfds_info(builder)
    assert info.classes == ("china", "flower") and info.splits == {"train": 12}
    assert info.image_shape == (None, None, 3)
    with pytest.raises(ValueError, match="varying size, so pass image_size"):
        from_tfds(builder, batch_size=4)
    for channels in (3, 1):
        ds = from_tfds(builder, image_size=16, channels=channels, labels=True, batch_size=12,
                       shuffle=False)
        images, labels = next(iter(ds))
        assert images.shape == (12, 16, 16, channels)
        ours, labels = to_uint8(images.numpy()).astype(int), labels.numpy()
        folder_images, folder_labels = next(iter(image_folder(
            photo_folder / "train", image_size=16, channels=channels, labels=True,
            batch_size=12, shuffle=False)))
        theirs = to_uint8(folder_images.numpy()).astype(int)
        assert sorted(labels) == sorted(folder_labels.numpy()) == [0] * 6 + [1] * 6
        # Centre crop of 48x32 to 1:1, then area resize, as image_folder does (the
        # ImageFolder shuffles files, so match each image to its nearest of its class).
        for image, label in zip(ours, labels):
            same_class = theirs[folder_labels.numpy() == label]
            assert np.abs(same_class - image).max(axis=(1, 2, 3)).min() <= 1


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_unknown_name_gets_closest_matches():
    with pytest.raises(ValueError, match=r"Unknown TFDS dataset 'fashon_mnist'\. Did you mean: "
                                         r"fashion_mnist.*Received: name='fashon_mnist'"):
        from_tfds("fashon_mnist")


def test_unprepared_dataset_is_an_error_not_a_download(tmp_path):
    data_dir = tmp_path / "tfds"
    with pytest.raises(DatasetNotFoundError) as error:
        from_tfds("cifar10", data_dir=data_dir)
    message = str(error.value)
    for part in ("'cifar10/", str(data_dir), "download=True",
                 f"tfds build cifar10 --data_dir {data_dir}", "Received: name='cifar10'"):
        assert part in message
    assert not data_dir.exists() or not any(data_dir.rglob("*"))


def test_bad_keys_and_names_are_clear(tmp_path):
    # Keys are checked from the builder's features, before asking for a download.
    empty = tmp_path / "empty"
    with pytest.raises(ValueError, match=r"image_key must name an image feature.*image \(Image\), "
                                         r"label \(ClassLabel\).*Received: image_key='label'"):
        from_tfds("fashion_mnist", data_dir=empty, image_key="label")
    with pytest.raises(ValueError, match=r"label_key must name a class-label feature.*: label\. "
                                         r".*Received: label_key='image'"):
        from_tfds("fashion_mnist", data_dir=empty, label_key="image")
    with pytest.raises(ValueError, match=r"cannot be loaded at version 9\.9\.9.*Received: name="):
        from_tfds("fashion_mnist:9.9.9", data_dir=empty)
    with pytest.raises(ValueError, match=r"community dataset.*Received: name='huggingface:mnist'"):
        from_tfds("huggingface:mnist")
    with pytest.raises(TypeError, match=r"Received: name=None"):
        from_tfds(None)
    assert not empty.exists() or not any(empty.rglob("*"))


@large
def test_bad_splits_sizes_and_channels_are_clear(fashion_mnist_dir):
    with pytest.raises(ValueError, match=r"no split 'validation'.*Available splits: test, train.*"
                                         r"Received: split='validation'"):
        from_tfds("fashion_mnist", "validation", data_dir=fashion_mnist_dir)
    with pytest.raises(ValueError, match=r"Only 10 images.*Received: batch_size=128"):
        from_tfds("fashion_mnist", "test[:10]", data_dir=fashion_mnist_dir)
    with pytest.raises(ValueError, match=r"channels must be 1, 3 or None.*Received: channels=2"):
        from_tfds("fashion_mnist", data_dir=fashion_mnist_dir, channels=2)
    with pytest.raises(ValueError, match=r"image_size must be a positive.*Received: image_size="):
        from_tfds("fashion_mnist", data_dir=fashion_mnist_dir, image_size=(0, 28))


@pytest.mark.large
def test_kerasgan_train_runs_a_tfds_config(fashion_mnist_dir, tmp_path):
    """`data = "tfds:fashion_mnist"` in a config: TFDS's builder, prepared offline above."""
    from kerasgan import cli

    config = tmp_path / "tfds.toml"
    config.write_text(f'''
name = "tfds-dcgan"
[model]
variant = "dcgan"
size = "small"
latent_dim = 16
[data]
dataset = "tfds:fashion_mnist"
data_dir = "{fashion_mnist_dir}"
[train]
epochs = 1
steps_per_epoch = 3
''')
    assert cli.main(["train", str(config), "--out", str(tmp_path / "run"), "--no-eval"]) == 0
    meta = json.loads((tmp_path / "run" / "preset" / "metadata.json").read_text())
    assert meta["training"]["steps"] == 3 and meta["data"]["dataset"] == "tfds:fashion_mnist"
    # The one-line form: `data = "tfds:NAME"`.
    short = tmp_path / "short.toml"
    short.write_text('name = "s"\ndata = "tfds:cifar10"\n[model]\nvariant = "dcgan"\n')
    from kerasgan.training import load_config

    assert load_config(short)["data"]["dataset"] == "tfds:cifar10"
