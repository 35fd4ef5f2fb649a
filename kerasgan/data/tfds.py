"""TensorFlow Datasets as kerasgan pipelines: `from_tfds("cifar10")`.

`from_tfds` reads any prepared TFDS image dataset into the same pipeline as
`kerasgan.data.from_numpy` and `image_folder`: batches of float32 NHWC images in
[-1, 1], or `(images, labels)`. The image and label features are found from the
builder's `info.features`, and images are resized and converted to the
requested channels the way `image_folder` does it.

Nothing is downloaded unless `download=True`: a dataset that is not prepared in
`data_dir` gets one error that says how to prepare it. Training configs name a
TFDS dataset as `dataset = "tfds:NAME"` (see `parse_tfds_spec`).

Example:
>>> ds = from_tfds("cifar10", image_size=32, labels=True, download=True)  # doctest: +SKIP
>>> images, labels = next(iter(ds))                                     # doctest: +SKIP
>>> images.shape, labels.dtype                                          # doctest: +SKIP
(TensorShape([128, 32, 32, 3]), tf.int32)

Offline, TFDS's own `fashion_mnist` can be built from Debian's
`dataset-fashion-mnist` package with `prepare_fashion_mnist_from_debian()`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import struct
import tempfile
from pathlib import Path

import tensorflow as tf

from kerasgan.data._common import DatasetNotFoundError
from kerasgan.data.pipelines import _finish, _scale, filled_cache
from kerasgan.data.sources.fashion_mnist import DEBIAN_FASHION_MNIST

logger = logging.getLogger("kerasgan.tfds")

TFDS_PREFIX = "tfds:"
# TFDS's own name syntax: `name`, `name/config`, `name:version`, `name/config:version`.
_TFDS_NAME = re.compile(r"^[a-z0-9_]+(/[A-Za-z0-9_.\-]+)?(:[0-9*]+(\.[0-9*]+){0,2})?$")


def _tfds():
    # Imported on first use: TFDS adds about a second to `import kerasgan`.
    import tensorflow_datasets

    return tensorflow_datasets


def parse_tfds_spec(spec) -> str | None:
    """The TFDS dataset name in a training-config dataset spec, or None if the spec
    does not start with `"tfds:"`.

    The name is TFDS's own: `NAME`, `NAME/CONFIG`, `NAME:VERSION` or
    `NAME/CONFIG:VERSION`, as `tfds.builder` takes it.

    Example:
    >>> parse_tfds_spec("tfds:fashion_mnist")
    'fashion_mnist'
    >>> parse_tfds_spec("tfds:celeb_a:2.1.0")
    'celeb_a:2.1.0'
    >>> parse_tfds_spec("fashion-mnist") is None
    True
    """
    if not isinstance(spec, str) or not spec.startswith(TFDS_PREFIX):
        return None
    name = spec[len(TFDS_PREFIX):].strip()
    if not _TFDS_NAME.match(name):
        raise ValueError(
            "A TFDS dataset spec is 'tfds:NAME', 'tfds:NAME/CONFIG', 'tfds:NAME:VERSION' or "
            "'tfds:NAME/CONFIG:VERSION', with NAME in TFDS's snake_case (e.g. 'tfds:cifar10'). "
            f"Received: spec={spec!r}"
        )
    return name


# ---------------------------------------------------------------------------
# Builders, features and splits
# ---------------------------------------------------------------------------

def _data_dir_root(builder) -> Path:
    # data_path is <root>/<name>[/<config>]/<version>; an ImageFolder's is its own folder.
    path = Path(builder.data_path)
    config = [builder.builder_config.name] if builder.builder_config else []
    tail = [builder.name, *config, str(builder.version)]
    return path.parents[len(tail) - 1] if list(path.parts[-len(tail):]) == tail else path


def _builder(name, data_dir=None):
    """A TFDS builder by name (never downloading), or `name` itself if it is a builder."""
    tfds = _tfds()
    if isinstance(name, tfds.core.DatasetBuilder):
        return name
    if not isinstance(name, str) or not name:
        raise TypeError(
            "name must be a TFDS dataset name or a tfds.core.DatasetBuilder. "
            f"Received: name={name!r}"
        )
    dataset_name, _ = tfds.core.naming.parse_builder_name_kwargs(name)
    if dataset_name.namespace:
        # Community and Hugging Face builders are looked up online; refuse rather than hang.
        raise ValueError(
            f"'{name}' names a TFDS community dataset (namespace '{dataset_name.namespace}'), "
            "which TFDS resolves over the network; kerasgan reads only TFDS's registered "
            f"datasets and datasets prepared in data_dir. Received: name={name!r}"
        )
    try:
        return tfds.builder(name, data_dir=None if data_dir is None else str(data_dir))
    except tfds.core.DatasetNotFoundError:
        from kerasgan.utils import closest_matches

        known = tfds.list_builders(with_community_datasets=False)
        matches = closest_matches(dataset_name.name, known)
        hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
        raise ValueError(
            f"Unknown TFDS dataset '{dataset_name.name}'.{hint} See `tfds.list_builders()` "
            f"for the {len(known)} registered datasets. Received: name={name!r}"
        ) from None
    except AssertionError as e:
        # TFDS asserts on an unknown version or config; say so as a ValueError.
        raise ValueError(
            f"TFDS cannot make dataset '{name}': {e} Received: name={name!r}"
        ) from None


def _describe_features(features) -> str:
    return ", ".join(f"{key} ({type(feature).__name__})" for key, feature in features.items())


def _find_keys(builder, image_key, label_key, want_labels):
    """The image feature key and (when labels are wanted) the ClassLabel key."""
    tfds = _tfds()
    features = builder.info.features
    name = builder.info.full_name
    if image_key is None:
        image_key = next((k for k, f in features.items()
                          if isinstance(f, tfds.features.Image)), None)
        if image_key is None:
            raise ValueError(
                f"TFDS dataset '{name}' has no image feature (tfds.features.Image) at the top "
                f"level. Its features: {_describe_features(features)}. "
                f"Received: image_key={image_key!r}"
            )
    elif image_key not in features or not isinstance(features[image_key], tfds.features.Image):
        raise ValueError(
            f"image_key must name an image feature of TFDS dataset '{name}'. Its features: "
            f"{_describe_features(features)}. Received: image_key={image_key!r}"
        )
    if not want_labels:
        return image_key, None
    class_keys = [k for k, f in features.items() if isinstance(f, tfds.features.ClassLabel)]
    if label_key is None:
        if not class_keys:
            raise ValueError(
                f"labels=True, but TFDS dataset '{name}' has no class-label feature "
                f"(tfds.features.ClassLabel). Its features: {_describe_features(features)}. "
                f"Received: labels=True"
            )
        label_key = class_keys[0]
    elif label_key not in class_keys:
        raise ValueError(
            f"label_key must name a class-label feature (tfds.features.ClassLabel) of TFDS "
            f"dataset '{name}': {', '.join(class_keys) or 'it has none'}. Its features: "
            f"{_describe_features(features)}. Received: label_key={label_key!r}"
        )
    return image_key, label_key


def _is_prepared(builder) -> bool:
    # An ImageFolder reads its image files directly; there is nothing to prepare.
    return isinstance(builder, _tfds().ImageFolder) or builder.is_prepared()


def _ensure_prepared(builder, download: bool):
    if _is_prepared(builder):
        return
    name = builder.info.full_name
    if download:
        logger.warning("Downloading and preparing TFDS dataset '%s' in %s.", name,
                       _data_dir_root(builder))
        builder.download_and_prepare()
        return
    root = _data_dir_root(builder)
    on_disk = sorted(p.name for p in Path(builder.data_path).parent.glob("*")
                     if (p / "dataset_info.json").is_file())
    other_versions = (f" Versions prepared there: {', '.join(on_disk)} "
                      f"(ask for one as '{builder.name}:VERSION')." if on_disk else "")
    raise DatasetNotFoundError(
        f"TFDS dataset '{name}' is not prepared in data_dir {root} (looked for "
        f"{builder.data_path}).{other_versions} Prepare it once with "
        f"`tfds build {builder.name} --data_dir {root}` or pass download=True (`download = "
        "true` in a training config's [data]; both need internet), or point data_dir (or "
        "$TFDS_DATA_DIR) at a folder where it is prepared. "
        f"Received: name={builder.name!r}, data_dir={str(root)!r}"
    )


def _num_examples(builder, split) -> int:
    splits = builder.info.splits
    try:
        return int(splits[split].num_examples)
    except (KeyError, ValueError, TypeError, AssertionError):
        available = ", ".join(sorted(splits.keys())) or "none recorded"
        raise ValueError(
            f"TFDS dataset '{builder.info.full_name}' has no split {split!r}. "
            f"Available splits: {available} (slices such as 'train[:10%]' also work). "
            f"Received: split={split!r}"
        ) from None


@dataclasses.dataclass(frozen=True)
class TFDSInfo:
    """What the rest of kerasgan needs to know of a TFDS image dataset.

    Attributes:
        name: TFDS's full name, `name[/config]/version`.
        kind: always `"images"`: `from_tfds` yields images, or `(images, labels)`
            when `classes` is not None.
        image_key, label_key: the features `from_tfds` reads by default
            (`label_key` is None when the dataset has no ClassLabel).
        image_shape: `(height, width, channels)` as TFDS declares it; None where
            it varies from image to image.
        classes: the class names of the ClassLabel, or None.
        splits: `{split: number of examples}`, empty until prepared.
        prepared: whether the dataset is prepared in `data_dir`.
        data_dir: the TFDS data folder looked in.
    """

    name: str
    kind: str
    image_key: str
    label_key: str | None
    image_shape: tuple
    classes: tuple | None
    splits: dict
    prepared: bool
    data_dir: str


def tfds_info(name, data_dir=None) -> TFDSInfo:
    """Describes a TFDS image dataset from its builder, without reading or downloading data.

    The image shape and the classes come from the builder's features, so they are
    known before the dataset is prepared (though some builders, such as cifar10's,
    only learn their class names while preparing and say '0', '1', ... before);
    split sizes are known only once prepared.

    Example:
    >>> info = tfds_info("fashion_mnist")                            # doctest: +SKIP
    >>> info.classes[:3], info.image_shape                             # doctest: +SKIP
    (('T-shirt/top', 'Trouser', 'Pullover'), (28, 28, 1))
    """
    builder = _builder(name, data_dir)
    image_key, _ = _find_keys(builder, None, None, want_labels=False)
    features = builder.info.features
    label_key = next((k for k, f in features.items()
                      if isinstance(f, _tfds().features.ClassLabel)), None)
    prepared = _is_prepared(builder)
    classes = tuple(features[label_key].names) if label_key else None
    return TFDSInfo(
        name=builder.info.full_name, kind="images", image_key=image_key, label_key=label_key,
        image_shape=tuple(features[image_key].shape), classes=classes,
        splits={k: int(v.num_examples) for k, v in builder.info.splits.items()} if prepared else {},
        prepared=prepared, data_dir=str(_data_dir_root(builder)),
    )


# ---------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------

def _image_converter(feature, dataset_name, image_size, channels):
    """A function from one TFDS image to uint8 `(height, width, channels)`, and that shape."""
    height, width, source_channels = feature.shape
    if source_channels is None:
        raise ValueError(
            f"TFDS dataset '{dataset_name}' declares images with an unknown number of channels, "
            f"which kerasgan cannot convert. Received: image shape={feature.shape}"
        )
    if channels is None:
        # RGBA -> RGB and gray+alpha -> gray: GANs here make opaque images.
        channels = 1 if source_channels in (1, 2) else 3
    elif channels not in (1, 3):
        raise ValueError(f"channels must be 1, 3 or None. Received: channels={channels!r}")
    if image_size is None:
        if height is None or width is None:
            raise ValueError(
                f"TFDS dataset '{dataset_name}' has images of varying size, so pass image_size "
                f"(an int or (height, width)). Received: image shape={feature.shape}, "
                "image_size=None"
            )
        image_size = (height, width)
    elif isinstance(image_size, int):
        image_size = (image_size, image_size)
    image_size = tuple(image_size)
    if len(image_size) != 2 or not all(isinstance(s, int) and s > 0 for s in image_size):
        raise ValueError(
            "image_size must be a positive int or (height, width). "
            f"Received: image_size={image_size!r}"
        )
    if source_channels != channels:
        logger.warning("from_tfds(%s): converting %d-channel images to %d channels.",
                       dataset_name, source_channels, channels)
    resize = image_size != (height, width)
    dtype = feature.tf_dtype

    def convert(image):
        if dtype == tf.uint8:
            image = tf.cast(image, tf.float32)
        else:  # uint16 or float images: onto the same 0..255 scale.
            image = tf.image.convert_image_dtype(image, tf.float32) * 255.0
        if source_channels in (2, 4):
            image = image[..., :source_channels - 1]  # drop alpha
        if channels == 1 and image.shape[-1] == 3:
            image = tf.image.rgb_to_grayscale(image)
        elif channels == 3 and image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        if resize:
            import keras

            # The same centre crop to the aspect ratio and area resize as image_folder.
            image = keras.preprocessing.image.smart_resize(image, image_size, interpolation="area")
        # Kept as uint8 so that cache() holds a quarter of the float32 bytes.
        return tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)

    return convert, (*image_size, channels)


def _uint8_dataset(name, split, data_dir, image_key, label_key, labels, image_size, channels,
                   download):
    """`(builder, dataset of uint8 images or (image, int32 label), number of examples)`."""
    builder = _builder(name, data_dir)
    labels = labels or label_key is not None
    image_key, label_key = _find_keys(builder, image_key, label_key, labels)
    _ensure_prepared(builder, download)
    num_examples = _num_examples(builder, split)
    convert, _ = _image_converter(builder.info.features[image_key], builder.info.full_name,
                                  image_size, channels)
    tfds = _tfds()
    # In file order; kerasgan shuffles after its own cache, so TFDS needn't cache too.
    ds = builder.as_dataset(split=split, shuffle_files=False,
                            read_config=tfds.ReadConfig(try_autocache=False))
    if labels:
        ds = ds.map(lambda ex: (convert(ex[image_key]), tf.cast(ex[label_key], tf.int32)),
                    num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda ex: convert(ex[image_key]), num_parallel_calls=tf.data.AUTOTUNE)
    return builder, ds, num_examples


def from_tfds(name, split: str = "train", *, data_dir=None, image_key: str | None = None,
              label_key: str | None = None, labels: bool = False, image_size=None,
              channels: int | None = None, batch_size: int = 128, shuffle: bool = True,
              drop_remainder: bool = True, cache: bool = True, seed: int | None = None,
              download: bool = False) -> tf.data.Dataset:
    """A pipeline from a TensorFlow Datasets image dataset.

    Yields float32 NHWC images in [-1, 1], or `(images, int32 labels)`, shuffled,
    batched and prefetched like `kerasgan.data.from_numpy`, and cached (decoded, as
    uint8) by default, since decoding is the cost here: the cache is filled when the
    pipeline is made (one pass over the split), so a strategy's iterator never sees
    it half-filled.

    Args:
        name: a TFDS name (`"cifar10"`, `"celeb_a"`, `"NAME/CONFIG:VERSION"`) or a
            `tfds.core.DatasetBuilder`, such as `tfds.ImageFolder(path)`.
        split: a TFDS split, slices included (`"train"`, `"test[:1000]"`).
        data_dir: the TFDS data folder; by default `$TFDS_DATA_DIR` or
            `~/tensorflow_datasets`.
        image_key: the image feature; by default the first `tfds.features.Image`.
        label_key: the label feature; by default the first `tfds.features.ClassLabel`.
            Giving it implies `labels=True`.
        labels: also yield the class labels.
        image_size: `(height, width)` or an int; by default the dataset's own size.
            Other sizes are centre-cropped to the aspect ratio and area-resized,
            as `image_folder` does.
        channels: 1 (gray) or 3 (RGB); by default the dataset's own (alpha dropped).
        download: download and prepare the dataset if it is not prepared in
            `data_dir` (needs internet). Off by default: a missing dataset is an
            error that says how to prepare it.

    Example:
    >>> ds = from_tfds("fashion_mnist", "test", labels=True, batch_size=64)  # doctest: +SKIP
    >>> ds = from_tfds("celeb_a", image_size=64, download=True)            # doctest: +SKIP
    """
    builder, ds, num_examples = _uint8_dataset(name, split, data_dir, image_key, label_key,
                                               labels, image_size, channels, download)
    if batch_size and drop_remainder and num_examples < batch_size:
        raise ValueError(
            f"Only {num_examples} images in split {split!r} of TFDS dataset "
            f"'{builder.info.full_name}' for batch_size={batch_size}: no full batch can be made. "
            f"Use a smaller batch_size or a larger split. Received: batch_size={batch_size}"
        )
    if cache:
        ds = filled_cache(ds)
    if labels or label_key is not None:
        ds = ds.map(lambda x, y: (_scale(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(_scale, num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(ds, batch_size, shuffle, False, drop_remainder, seed, num_examples)


def load_tfds(name, split: str = "test", *, data_dir=None, image_key: str | None = None,
              label_key: str | None = None, image_size=None, channels: int | None = None,
              max_examples: int | None = None, download: bool = False):
    """Arrays `(images uint8 NHWC, labels int32 or None)` of a TFDS image dataset, in
    TFDS's file order, converted exactly as `from_tfds` does (for metrics'
    reference images).

    Example:
    >>> images, labels = load_tfds("fashion_mnist", "test", max_examples=1000)  # doctest: +SKIP
    """
    import numpy as np

    builder = _builder(name, data_dir)
    has_labels = label_key is not None or any(
        isinstance(f, _tfds().features.ClassLabel) for f in builder.info.features.values())
    _, ds, _ = _uint8_dataset(builder, split, None, image_key, label_key, has_labels,
                              image_size, channels, download)
    if max_examples is not None:
        ds = ds.take(max_examples)
    images, labels = [], []
    for batch in ds.batch(1024).as_numpy_iterator():
        images.append(batch[0] if has_labels else batch)
        if has_labels:
            labels.append(batch[1])
    if not images:
        raise ValueError(f"Split {split!r} of TFDS dataset '{builder.info.full_name}' is empty. "
                         f"Received: split={split!r}")
    return np.concatenate(images), np.concatenate(labels) if has_labels else None


# ---------------------------------------------------------------------------
# TFDS's fashion_mnist, offline, from Debian's dataset-fashion-mnist
# ---------------------------------------------------------------------------

# Debian ships the official Fashion-MNIST .gz files with a bare gzip header (no
# file name, a 2020 time stamp); the compressed bytes after the header are the
# official ones. These are the time stamps of the original headers (those of
# zalandoresearch/fashion-mnist's data/fashion/*.gz, 2017-08-31). With the name
# and time stamp put back, each file is again the official download, byte for
# byte, and TFDS's recorded sha256 accepts it.
FASHION_MNIST_GZIP_MTIMES = {
    "train-images-idx3-ubyte": 1504176606,
    "train-labels-idx1-ubyte": 1504176606,
    "t10k-images-idx3-ubyte": 1504176627,
    "t10k-labels-idx1-ubyte": 1504176627,
}
_GZIP_MAGIC = b"\x1f\x8b\x08"
_GZIP_FNAME = 0x08


def restore_fashion_mnist_downloads(source_dir, out_dir) -> dict[str, Path]:
    """Writes the official Fashion-MNIST `.gz` downloads into `out_dir` from a folder of
    the same files with a bare gzip header (as Debian ships them) or the original one.

    Returns `{file name: path}`. The result is checked against TFDS's recorded
    checksums by `prepare_fashion_mnist_from_debian`, not here.
    """
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for stem, mtime in FASHION_MNIST_GZIP_MTIMES.items():
        source = source_dir / f"{stem}.gz"
        if not source.is_file():
            raise DatasetNotFoundError(
                f"{source} is missing. Install Debian's Fashion-MNIST with "
                "`sudo apt-get install dataset-fashion-mnist`, or pass source_dir. "
                f"Received: source_dir={str(source_dir)!r}"
            )
        raw = source.read_bytes()
        if raw[:3] != _GZIP_MAGIC or len(raw) < 18:
            raise ValueError(f"{source} is not a gzip file. Received: first bytes={raw[:4]!r}")
        flags = raw[3]
        if flags == _GZIP_FNAME:
            restored = raw  # already the original header
        elif flags == 0:
            # magic + method, FNAME flag, original time stamp, XFL + OS, the name, then
            # the unchanged deflate stream and trailer.
            restored = (raw[:3] + bytes([_GZIP_FNAME]) + struct.pack("<I", mtime) + raw[8:10]
                        + stem.encode() + b"\x00" + raw[10:])
        else:
            raise ValueError(
                f"{source} has gzip header flags {flags:#04x}; expected 0x00 (Debian's bare "
                f"header) or 0x08 (the original, with a file name). Received: flags={flags:#04x}"
            )
        target = out_dir / f"{stem}.gz"
        target.write_bytes(restored)
        written[target.name] = target
    return written


def prepare_fashion_mnist_from_debian(data_dir=None, source_dir=DEBIAN_FASHION_MNIST) -> Path:
    """Builds TFDS's own `fashion_mnist` into `data_dir` from local files, offline.

    The `.gz` files of `source_dir` (Debian's `dataset-fashion-mnist` by default)
    get their original gzip header back (`restore_fashion_mnist_downloads`), are
    checked against the sha256 and sizes TFDS records for the official
    downloads, and are handed to TFDS as manually downloaded files; TFDS's
    `fashion_mnist` builder then writes its TFRecords (about 30 s). Nothing is
    downloaded: a file that does not match stops here, before TFDS runs.

    Returns the prepared dataset's folder. Does nothing if already prepared.

    Example:
    >>> prepare_fashion_mnist_from_debian("/tmp/tfds")                  # doctest: +SKIP
    >>> ds = from_tfds("fashion_mnist", data_dir="/tmp/tfds")            # doctest: +SKIP
    """
    tfds = _tfds()
    builder = tfds.builder("fashion_mnist", data_dir=None if data_dir is None else str(data_dir))
    if builder.is_prepared():
        return Path(builder.data_path)
    expected = {info.filename: (url, info) for url, info in builder.url_infos.items()}
    with tempfile.TemporaryDirectory(prefix="kerasgan-tfds-") as tmp:
        manual_dir = Path(tmp) / "manual"
        restored = restore_fashion_mnist_downloads(source_dir, manual_dir)
        if set(restored) != set(expected):
            raise ValueError(
                f"TFDS's fashion_mnist expects the files {sorted(expected)}. "
                f"Received: {sorted(restored)}"
            )
        for filename, path in restored.items():
            url, info = expected[filename]
            data = path.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            if (len(data), sha256) != (info.size, info.checksum):
                raise ValueError(
                    f"{Path(source_dir) / filename}, with its gzip header restored, is not the "
                    f"official {url}: TFDS records size {info.size} and sha256 {info.checksum}. "
                    f"Received: size={len(data)}, sha256={sha256}"
                )
        config = tfds.download.DownloadConfig(manual_dir=str(manual_dir), try_download_gcs=False)
        builder.download_and_prepare(download_dir=str(Path(tmp) / "downloads"),
                                     download_config=config)
    return Path(builder.data_path)
