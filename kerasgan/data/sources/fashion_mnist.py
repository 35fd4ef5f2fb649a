"""Fashion-MNIST (Zalando, 28x28 gray, 10 classes) from local IDX files, and its
edges-to-image pairs `fashion-mnist-edges` (edges2shoes at 28x28).

Registers `fashion-mnist` (images), `fashion-mnist-edges` (paired) and `bags2shoes`
(unpaired: handbags to shoes, DiscoGAN's task at 28x28).
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import tensorflow as tf

from kerasgan.data._common import DatasetNotFoundError
from kerasgan.data.edges import edge_maps
from kerasgan.data.pipelines import from_numpy, from_pairs
from kerasgan.data.registry import register_dataset

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
_IDX_IMAGES_MAGIC = 2051
_IDX_LABELS_MAGIC = 2049


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
    candidates += [keras_home / "datasets" / "fashion-mnist", DEBIAN_FASHION_MNIST]
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



def fashion_mnist(split: str = "train", *, batch_size: int = 128, labels: bool = False,
                  shuffle: bool = True, path=None, drop_remainder: bool = True,
                  seed: int | None = None) -> tf.data.Dataset:
    """Fashion-MNIST (28x28x1, 10 classes) from local IDX files; see `load_fashion_mnist`."""
    images, y = load_fashion_mnist(split, path)
    return from_numpy(images, y if labels else None, batch_size=batch_size, shuffle=shuffle,
                      num_classes=10, drop_remainder=drop_remainder, seed=seed)



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


#: bags2shoes: domain A the bags, domain B the shoes (sandals, sneakers, ankle boots).
BAG_CLASSES = (8,)
SHOE_CLASSES = (5, 7, 9)


def load_bags2shoes(split: str = "train", path=None):
    """`((bags, labels), (shoes, labels))` of a Fashion-MNIST split: 6,000 bags and 18,000
    shoes in train, 1,000 and 3,000 in test; the labels are Fashion-MNIST's class ids
    (8 for a bag; 5, 7 or 9 for a shoe).

    Example:
    >>> (bags, _), (shoes, shoe_kinds) = load_bags2shoes("test")   # doctest: +SKIP
    """
    images, labels = load_fashion_mnist(split, path)
    bags = np.isin(labels, BAG_CLASSES)
    shoes = np.isin(labels, SHOE_CLASSES)
    return (images[bags], labels[bags]), (images[shoes], labels[shoes])


register_dataset(
    "fashion-mnist", kind="images", load=load_fashion_mnist, splits=("train", "test"),
    classes=FASHION_MNIST_CLASSES, classifier="fashion-mnist",
    hub_id="zalando-datasets/fashion_mnist",
    description="Zalando's Fashion-MNIST: 70,000 28x28 gray images of 10 kinds of clothing "
                "(60,000 train, 10,000 test).")


def load_fashion_mnist_32(split: str = "train", path=None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST padded to `(N, 32, 32, 1)` with 2 pixels of its black background on
    every side (for the 8 -> 16 -> 32 pyramids of LAPGAN and ProGAN), and the labels."""
    images, labels = load_fashion_mnist(split, path)
    return np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0))), labels


register_dataset(
    "fashion-mnist-32", kind="images", load=load_fashion_mnist_32, splits=("train", "test"),
    classes=FASHION_MNIST_CLASSES, classifier="fashion-mnist", classifier_crop=2,
    hub_id="zalando-datasets/fashion_mnist",
    description="Fashion-MNIST padded to 32x32 with its background (60,000 train, 10,000 "
                "test); its classifier reads the centre 28x28, the original image.")
register_dataset(
    "fashion-mnist-edges", kind="paired", load=load_fashion_mnist_edges,
    splits=("train", "test"), classifier="fashion-mnist",
    hub_id="zalando-datasets/fashion_mnist",
    description="(Sobel edge map, image) pairs of Fashion-MNIST: edges2shoes at 28x28.")
register_dataset(
    "bags2shoes", kind="unpaired", load=load_bags2shoes, splits=("train", "test"),
    classes=FASHION_MNIST_CLASSES, classifier=("fashion-mnist", "fashion-mnist"),
    domains=("fashion-mnist-bags", "fashion-mnist-shoes"),
    hub_id="zalando-datasets/fashion_mnist",
    description="Unpaired domains of Fashion-MNIST: bags (A) and shoes (B: sandals, sneakers, "
                "ankle boots), DiscoGAN's handbags-to-shoes at 28x28; labels are the "
                "Fashion-MNIST class ids.")
