"""Folders of the user's own images: `image_folder` (a pipeline) and `load_image_folder`
(the arrays), read with Pillow whatever their mode, converted and resized."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from kerasgan.data.pipelines import from_numpy

logger = logging.getLogger("kerasgan.data")

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


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
                 drop_remainder: bool = True, cache: bool = False,
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
