"""Pipelines: NumPy arrays in memory -> batched `tf.data` datasets in [-1, 1].

`from_numpy` (images, optionally labelled), `from_pairs` (paired image-to-image),
`from_captions` (text to image) and `from_unpaired` (two independent domains, for
unpaired translation). Every pipeline takes uint8 images in [0, 255] or float
images in [-1, 1], NHWC (or NHW for gray), and yields float32 in [-1, 1].
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from kerasgan.utils import tensor_from_uint8


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


def filled_cache(ds: tf.data.Dataset) -> tf.data.Dataset:
    """`ds.cache()`, filled now by one plain pass. Read first through a tf.distribute
    strategy's MultiDeviceIterator, TF's in-memory cache sometimes completed short, and
    every later epoch then trained on part of the data (issue #24; with TFDS's
    fashion_mnist 32 of 155 one-device fits, 0 of 132 filled first, 0 of 209 without a
    strategy: scripts/repro_short_epoch.py). Later passes read the whole cache."""
    ds = ds.cache()
    for _ in ds:
        pass
    return ds


def _finish(ds, batch_size, shuffle, cache, drop_remainder, seed, size):
    # No cache by default: the arrays are in memory already and the map is a cast
    # (unfilled, the cache completed short in 2 of 336 one-device fits, 0 of 330
    # without one).
    if cache:
        ds = filled_cache(ds)
    if shuffle:
        ds = ds.shuffle(min(size, 10_000) if size else 10_000, seed=seed,
                        reshuffle_each_iteration=True)
    if batch_size:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def from_numpy(images, labels=None, *, batch_size: int = 128, shuffle: bool = True,
               num_classes: int | None = None, drop_remainder: bool = True,
               cache: bool = False, seed: int | None = None) -> tf.data.Dataset:
    """A pipeline from NumPy arrays.

    Args:
        images: uint8 in [0, 255] or float in [-1, 1], shape `(N, H, W[, C])`.
        labels: optional integer class ids, shape `(N,)`.
        num_classes: when given, labels are checked to lie in `[0, num_classes)`.
        cache: keep the scaled float32 copy in memory after the first pass (off: see
            `_finish`).

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


def from_pairs(sources, targets, *, batch_size: int = 128, shuffle: bool = True,
               drop_remainder: bool = True, cache: bool = False,
               seed: int | None = None) -> tf.data.Dataset:
    """A pipeline of `(source, target)` image pairs for image-to-image models.

    Args:
        sources, targets: uint8 in [0, 255] or float in [-1, 1], `(N, H, W[, C])`,
            the same N (their sizes may differ: super-resolution pairs 16x16 inputs
            with 64x64 targets; the model checks the shapes it takes).

    Example:
    >>> ds = from_pairs(edge_maps(photos), photos, batch_size=64)   # doctest: +SKIP
    """
    sources, _ = _validate_arrays(sources, None, None)
    targets, _ = _validate_arrays(targets, None, None)
    if len(sources) != len(targets):
        raise ValueError(
            "Sources and targets must pair up: the same count. "
            f"Received: sources {sources.shape}, targets {targets.shape}"
        )
    if batch_size and drop_remainder and len(sources) < batch_size:
        raise ValueError(
            f"Only {len(sources)} pairs for batch_size={batch_size}: no full batch can be made."
        )
    ds = tf.data.Dataset.from_tensor_slices((sources, targets))
    ds = ds.map(lambda x, y: (_scale(x), _scale(y)), num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(ds, batch_size, shuffle, cache, drop_remainder, seed, len(sources))



def from_captions(images, captions, *, batch_size: int = 64, shuffle: bool = True,
                  drop_remainder: bool = True, cache: bool = False,
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



def _domain_seeds(seed: int | None) -> tuple[int | None, int | None]:
    """Two different shuffle seeds from one. With one seed for both, two domains of the
    same size would be shuffled alike, always pairing image i of one with image i of
    the other: paired data in disguise."""
    if seed is None:
        return None, None
    children = np.random.SeedSequence(seed).spawn(2)
    return tuple(int(child.generate_state(1)[0]) for child in children)


def _domain_batches(images: np.ndarray, batch_size: int, shuffle: bool, seed,
                    drop_remainder: bool) -> tf.data.Dataset:
    """One domain's batches. Indices, not images, fill the shuffle buffer, so every pass
    is a full permutation even of a large domain; each batch's images are then gathered
    and scaled."""
    table = tf.constant(images)
    ds = tf.data.Dataset.range(len(images))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.map(lambda indices: _scale(tf.gather(table, indices)),
                  num_parallel_calls=tf.data.AUTOTUNE)


def from_unpaired(domain_a, domain_b, *, batch_size: int = 64, shuffle: bool = True,
                  seed: int | None = None, drop_remainder: bool = True) -> tf.data.Dataset:
    """A pipeline of `(a_batch, b_batch)` from two independent image domains, for unpaired
    translation (CycleGAN, DiscoGAN): no image of one domain belongs with any image of
    the other.

    Each domain is shuffled on its own, with its own seed (both derived from `seed`),
    and reshuffled every pass. The domains may hold different numbers of images: a pass
    (an epoch) is as many batches as the smaller domain makes, and the larger domain
    shows a different random part of itself each pass, so all of it is seen over the
    epochs. The domains may differ in channels (gray to RGB); their height and width
    must agree.

    Args:
        domain_a, domain_b: uint8 in [0, 255] or float in [-1, 1], `(N, H, W[, C])`
            with C 1 or 3; the same H and W.
        batch_size: images per batch, in each domain.
        shuffle: shuffle each domain (off: both in their given order).
        seed: makes the shuffles reproducible.
        drop_remainder: drop each domain's last partial batch.

    Returns:
        A `tf.data.Dataset` of `(a_batch, b_batch)`, float32 NHWC in [-1, 1].

    Example:
    >>> horses = np.zeros((300, 32, 32, 3), np.uint8)
    >>> zebras = np.full((200, 32, 32, 1), 255, np.uint8)
    >>> ds = from_unpaired(horses, zebras, batch_size=50, seed=0)
    >>> a, b = next(iter(ds))
    >>> a.shape, b.shape, len(ds)
    (TensorShape([50, 32, 32, 3]), TensorShape([50, 32, 32, 1]), 4)
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1. Received: batch_size={batch_size!r}")
    domains = []
    for name, images in (("domain_a", domain_a), ("domain_b", domain_b)):
        try:
            images, _ = _validate_arrays(images, None, None)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{name} of from_unpaired: {e}") from None
        if drop_remainder and len(images) < batch_size:
            raise ValueError(
                f"Only {len(images)} images in {name} for batch_size={batch_size}: no full "
                f"batch can be made. Use a smaller batch_size or more images. "
                f"Received: {name} shape={images.shape}")
        if not len(images):
            raise ValueError(f"{name} of from_unpaired holds no images. "
                             f"Received: {name} shape={images.shape}")
        domains.append(images)
    a, b = domains
    if a.shape[1:3] != b.shape[1:3]:
        raise ValueError(
            "The two domains must have the same height and width (their channels may "
            f"differ). Received: domain_a shape={a.shape}, domain_b shape={b.shape}")
    seed_a, seed_b = _domain_seeds(seed)
    ds = tf.data.Dataset.zip((_domain_batches(a, batch_size, shuffle, seed_a, drop_remainder),
                              _domain_batches(b, batch_size, shuffle, seed_b, drop_remainder)))
    return ds.prefetch(tf.data.AUTOTUNE)
