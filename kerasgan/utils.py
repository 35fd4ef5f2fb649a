"""Small helpers shared by the package: image conversion, grids, atomic writes."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


def to_uint8(images) -> np.ndarray:
    """Maps images in [-1, 1] (the generators' tanh range) to uint8 [0, 255]."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images, rows: int | None = None, cols: int | None = None, padding: int = 2,
               pad_value: int = 255) -> np.ndarray:
    """Tiles a batch of images into one image.

    Args:
        images: uint8 array of shape `(N, H, W, C)` or `(N, H, W)`; floats in
            [-1, 1] are converted with `to_uint8`.
        rows, cols: the grid shape; by default as square as possible.
        padding: pixels between tiles.
        pad_value: the gray level of the padding.

    Returns:
        A uint8 array of shape `(rows*(H+p)+p, cols*(W+p)+p, C)`.

    Example:
    >>> grid = image_grid(np.zeros((16, 28, 28, 1), np.uint8))
    >>> grid.shape
    (122, 122, 1)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            "image_grid expects images of shape (N, H, W, C) or (N, H, W). "
            f"Received: shape={images.shape}"
        )
    n, h, w, c = images.shape
    if n == 0:
        raise ValueError("image_grid needs at least one image. Received: 0 images")
    if cols is None:
        cols = math.ceil(math.sqrt(n)) if rows is None else math.ceil(n / rows)
    if rows is None:
        rows = math.ceil(n / cols)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c),
                   pad_value, dtype=np.uint8)
    for i in range(min(n, rows * cols)):
        r, k = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + k * (w + padding)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def save_image(path, image: np.ndarray, upscale: int = 1) -> Path:
    """Writes a uint8 HWC image (1 or 3 channels) to PNG atomically."""
    from PIL import Image

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    pil = Image.fromarray(image)
    if upscale > 1:
        pil = pil.resize((pil.width * upscale, pil.height * upscale), Image.NEAREST)
    path = Path(path)
    with atomic_write(path) as tmp:
        pil.save(tmp, format="PNG")
    return path


def save_image_grid(path, images, upscale: int = 2, **grid_kwargs) -> Path:
    """`image_grid` followed by `save_image`."""
    return save_image(path, image_grid(images, **grid_kwargs), upscale=upscale)


@contextlib.contextmanager
def atomic_write(path):
    """Yields a temporary path beside `path`; renames it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextlib.contextmanager
def atomic_directory(path, overwrite: bool = False):
    """Yields a temporary directory that replaces `path` only if the block succeeds."""
    path = Path(path)
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(
            f"Output directory {path} exists and is not empty. Pass overwrite=True "
            "(or --overwrite) to replace it."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def closest_matches(name: str, candidates, n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.4)


def unknown_name_error(kind: str, name: str, candidates) -> ValueError:
    matches = closest_matches(name, candidates)
    hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
    return ValueError(
        f"Unknown {kind} '{name}'.{hint} Available: {', '.join(sorted(candidates))}."
    )
