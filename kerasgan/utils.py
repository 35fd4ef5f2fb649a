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


# The one place for the pixel scale: uint8 [0, 255] <-> float [-1, 1] (the generators'
# tanh range), for NumPy arrays and, in graphs, TensorFlow tensors.
def to_uint8(images) -> np.ndarray:
    """Maps images in [-1, 1] (the generators' tanh range) to uint8 [0, 255]."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def from_uint8(images) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1], the inverse of `to_uint8`."""
    return np.asarray(images).astype(np.float32) / 127.5 - 1.0


def check_image_batch(images, shape, what: str = "images") -> np.ndarray:
    """A batch of images as float32 in [-1, 1], or a clear error: uint8 `(N, *shape)` in
    [0, 255] (or `(N, H, W)` for one channel), or floats in [-1, 1]."""
    images = np.asarray(images)
    shape = tuple(shape)
    if images.ndim == 3 and shape[-1] == 1:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != shape:
        raise ValueError(
            f"Expected {what} of shape (N, {', '.join(map(str, shape))}). "
            f"Received: shape={images.shape}. Resize them first, e.g. with "
            "kerasgan.data.image_folder(..., image_size=gan.image_size).")
    if images.dtype == np.uint8:
        return from_uint8(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"Images must be uint8 or float in [-1, 1]. Received: dtype={images.dtype}")
    low, high = float(np.min(images)), float(np.max(images))
    # A little slack for values rounded on the way to [-1, 1] (x / 127.5 - 1).
    if not (np.isfinite(low) and np.isfinite(high)) or low < -1.0 - 1e-5 or high > 1.0 + 1e-5:
        hint = (" They look like pixel values in [0, 255]: pass them as uint8 "
                "(images.astype('uint8')) or scale them with images / 127.5 - 1."
                if high > 1.0 + 1e-5 and np.isfinite(high) and high <= 255 and low >= 0 else "")
        raise ValueError(
            f"Float images must be in [-1, 1].{hint} Received: values in [{low:g}, {high:g}]")
    return images.astype(np.float32)


def tensor_to_uint8(images):
    """`to_uint8` in a TensorFlow graph (round half to even, like `np.rint`)."""
    import tensorflow as tf

    return tf.cast(tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5),
                                    0, 255), tf.uint8)


def tensor_from_uint8(images):
    """`from_uint8` in a TensorFlow graph."""
    import tensorflow as tf

    return tf.cast(images, tf.float32) / 127.5 - 1.0


def image_grid(images, rows: int | None = None, cols: int | None = None, padding: int = 2,
               pad_value: int = 255, captions=None, upscale: int = 1) -> np.ndarray:
    """Tiles a batch of images into one image, optionally with a caption under each.

    Args:
        images: uint8 array of shape `(N, H, W, C)` or `(N, H, W)`; floats in
            [-1, 1] are converted with `to_uint8`.
        rows, cols: the grid shape; by default as square as possible.
        padding: pixels between tiles.
        pad_value: the gray level of the padding.
        captions: a string per image (a class name, a caption), written under
            it with Pillow's default font; long ones wrap at spaces.
        upscale: enlarge every tile this many times (nearest neighbour) before the
            captions are drawn, so the text stays sharp.

    Returns:
        A uint8 array of shape `(rows*(H+p)+p, cols*(W+p)+p, C)` without captions;
        with captions, each cell is as wide as its longest caption line needs
        (up to twice the tile) and has room for the text under the tile.

    Example:
    >>> grid = image_grid(np.zeros((16, 28, 28, 1), np.uint8))
    >>> grid.shape
    (122, 122, 1)
    >>> labelled = image_grid(np.zeros((2, 28, 28, 1), np.uint8), captions=["Bag", "Sneaker"])
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
    upscale = _check_upscale(upscale)
    if upscale > 1:
        images = images.repeat(upscale, axis=1).repeat(upscale, axis=2)
    n, h, w, c = images.shape
    if n == 0:
        raise ValueError("image_grid needs at least one image. Received: 0 images")
    if captions is not None:
        if isinstance(captions, str) or len(captions) != n:
            raise ValueError(f"image_grid needs one caption per image ({n}). Received: "
                             f"{'a single string' if isinstance(captions, str) else len(captions)}"
                             " captions")
        captions = [str(caption) for caption in captions]
    if cols is None:
        cols = math.ceil(math.sqrt(n)) if rows is None else math.ceil(n / rows)
    if rows is None:
        rows = math.ceil(n / cols)
    lines, font, cell_w, band = None, None, w, 0
    if captions is not None:
        font = _caption_font(upscale)
        cell_w, lines, line_height = _layout_captions(captions, font, w)
        band = max(len(caption_lines) for caption_lines in lines) * line_height + 2
    cell_h = h + band
    grid = np.full((rows * (cell_h + padding) + padding, cols * (cell_w + padding) + padding, c),
                   pad_value, dtype=np.uint8)
    offset = (cell_w - w) // 2  # tiles centred over their captions
    for i in range(min(n, rows * cols)):
        r, k = divmod(i, cols)
        y, x = padding + r * (cell_h + padding), padding + k * (cell_w + padding)
        grid[y:y + h, x + offset:x + offset + w] = images[i]
    if captions is None:
        return grid
    from PIL import Image, ImageDraw

    pil = Image.fromarray(grid[..., 0] if c == 1 else grid)
    draw = ImageDraw.Draw(pil)
    ink = 0 if pad_value >= 128 else 255
    ink = ink if c == 1 else (ink,) * c
    for i in range(min(n, rows * cols)):
        r, k = divmod(i, cols)
        y, x = padding + r * (cell_h + padding) + h + 1, padding + k * (cell_w + padding)
        draw.multiline_text((x + cell_w / 2, y), "\n".join(lines[i]), fill=ink, font=font,
                            anchor="ma", align="center", spacing=0)
    out = np.asarray(pil)
    return out[..., None] if c == 1 else out


def _caption_font(upscale: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=min(8 + 2 * upscale, 16))


def _layout_captions(captions, font, tile_width):
    """(cell width, the lines of each caption, line height): a cell widens to fit its text
    up to twice the tile width (or 64 px); longer captions wrap at spaces."""
    def width(text):  # with a margin, so neighbouring captions don't touch
        return math.ceil(font.getlength(text)) + 8

    widest = max(width(caption) for caption in captions)
    widest_word = max((width(word) for caption in captions for word in caption.split()), default=0)
    cell_w = max(tile_width, widest_word, min(widest, max(2 * tile_width, 64)))
    lines = []
    for caption in captions:
        caption_lines, line = [], ""
        for word in caption.split():
            candidate = f"{line} {word}" if line else word
            if line and width(candidate) > cell_w:
                caption_lines.append(line)
                candidate = word
            line = candidate
        lines.append(caption_lines + [line])
    ascent, descent = font.getmetrics()
    return cell_w, lines, ascent + descent


def _check_upscale(upscale) -> int:
    if isinstance(upscale, bool) or not isinstance(upscale, (int, np.integer)) or upscale < 1:
        raise ValueError(f"upscale must be a positive int (1 keeps the size). "
                         f"Received: upscale={upscale!r}")
    return int(upscale)


#: File extensions `save_image` writes, and their Pillow format.
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".gif": "GIF",
                 ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


def image_format(path) -> str:
    """The Pillow format an image path's extension names ("PNG", "JPEG", ...).

    Example:
    >>> image_format("grid.JPG")
    'JPEG'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        matches = closest_matches(suffix, IMAGE_FORMATS) if suffix else []
        hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
        raise ValueError(
            f"Can't tell the image format of {str(path)!r} from its extension.{hint} Supported: "
            f"{', '.join(IMAGE_FORMATS)}. Received: extension={suffix or '(none)'!r}")
    return IMAGE_FORMATS[suffix]


def save_image(path, image: np.ndarray, upscale: int = 1, format: str | None = None) -> Path:
    """Writes a uint8 HWC image (1 or 3 channels) atomically, in the format its
    extension names (PNG, JPEG, WebP, GIF, BMP, TIFF) unless `format` is given.

    Example:
    >>> save_image("grid.jpg", image_grid(images), upscale=2)   # doctest: +SKIP
    """
    from PIL import Image

    path = Path(path)
    format = format or image_format(path)
    upscale = _check_upscale(upscale)
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    pil = Image.fromarray(image)
    if upscale > 1:
        pil = pil.resize((pil.width * upscale, pil.height * upscale), Image.NEAREST)
    # Lossy formats at a quality that keeps single pixels of small images readable.
    options = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}}.get(format, {})
    with atomic_write(path) as tmp:
        pil.save(tmp, format=format, **options)
    return path


def save_image_grid(path, images, upscale: int = 2, captions=None, **grid_kwargs) -> Path:
    """`image_grid` followed by `save_image`; with `captions`, the tiles are enlarged
    before the text is drawn, so the text isn't upscaled with them.

    Example:
    >>> save_image_grid("bags.png", gan.generate(8, labels="bag"), captions=["Bag"] * 8)  # doctest: +SKIP
    """
    if captions is None:
        return save_image(path, image_grid(images, **grid_kwargs), upscale=upscale)
    padding = grid_kwargs.pop("padding", 2) * _check_upscale(upscale)  # as if upscaled too
    return save_image(path, image_grid(images, captions=captions, upscale=upscale,
                                       padding=padding, **grid_kwargs))


def _create_beside(path: Path, create) -> Path:
    """Creates a hidden `.NAME.<random>.tmp` sibling of `path` with `create`, which must
    refuse an existing name (O_EXCL, mkdir), and returns it."""
    for _ in range(100):
        candidate = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            create(candidate)
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary name beside {path}. Received: path={path}")


def _create_file(path: Path) -> None:
    # Mode 0o666 like open(path, "w"): the kernel takes the umask off (mkstemp's 0o600
    # would leave presets and exports unreadable to other users, e.g. TF Serving).
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


def logs_are_finite(logs) -> bool:
    """Whether every value of a Keras `logs` dict (scalars or arrays) is finite: False
    once a loss has become NaN or Inf.

    Example:
    >>> logs_are_finite({"d_loss": 0.7, "g_loss": float("nan")})
    False
    """
    return all(np.isfinite(np.ravel(value)).all() for value in (logs or {}).values())


@contextlib.contextmanager
def atomic_write(path):
    """Yields a temporary path beside `path`; renames it into place on success.

    The file gets the permissions a plain `open(path, "w")` would give it: those of the
    file it replaces, or 0o666 less the umask for a new one (0o644 under the usual 022).

    Example:
    >>> with atomic_write("out/samples.png") as tmp:   # doctest: +SKIP
    ...     image.save(tmp, format="PNG")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_beside(path, _create_file)
    try:
        if path.is_file():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        yield str(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_directory(path, overwrite: bool = False):
    """Yields a temporary directory that replaces `path` only if the block succeeds.

    The directory gets the permissions `os.mkdir` would give it: 0o777 less the umask
    (0o755 under the usual 022), so another user (a TF Serving process) can read it.
    """
    path = Path(path)
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(
            f"Output directory {path} exists and is not empty. Pass overwrite=True "
            "(or --overwrite) to replace it."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_beside(path, lambda candidate: os.mkdir(candidate, 0o777))
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


def check_writable(path, *, min_free_bytes: int = 0, what: str = "output folder") -> Path:
    """Fails fast, with one error naming the folder, when files can't be written in `path`.

    Call it before long work (training, fine-tuning, exporting) so that a read-only, full
    or mistyped output folder fails at once instead of at the first save, with a traceback
    about a temporary file. `path` need not exist yet: then the nearest existing folder
    above it must accept new folders. A small probe file is written (and fsynced) there
    and removed again; nothing else is created.

    Args:
        path: the output folder.
        min_free_bytes: also require this much free space on its file system.
        what: how the error names the folder, e.g. "--out folder".

    Returns:
        `path` as a `Path`.

    Raises:
        NotADirectoryError: `path`, or a folder above it, is a file.
        PermissionError: the folder is read-only (permissions, a read-only mount).
        OSError: another write failure, e.g. `errno.ENOSPC` on a full disk.

    Example:
    >>> check_writable(tempfile.mkdtemp()).is_dir()
    True
    """
    import errno

    path = Path(path).expanduser()
    existing = path.absolute()
    while not existing.exists():  # the folder the missing ones would be created in
        existing = existing.parent
    if not existing.is_dir():
        error = NotADirectoryError(f"Can't write the {what} {path}: {existing} is a file, "
                                   f"not a folder. Received: path='{path}'")
        error.errno = errno.ENOTDIR
        raise error
    where = "" if existing == path.absolute() else f" (creating it needs {existing})"
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".kerasgan-write-check-") as probe:
            probe.write(bytes(64 * 1024))
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as e:
        reason = e.strerror or str(e)
        read_only = isinstance(e, PermissionError) or e.errno == errno.EROFS
        error = (PermissionError if read_only else OSError)(
            f"Can't write the {what} {path}{where}: {reason}. Choose another folder"
            f"{' or fix its permissions' if read_only else ''}. Received: path='{path}'")
        error.errno = e.errno
        raise error from e
    free = shutil.disk_usage(existing).free
    if free < min_free_bytes:
        error = OSError(f"The {what} {path} has {free / 2**20:.1f} MiB free, but about "
                        f"{min_free_bytes / 2**20:.1f} MiB are needed. Free some space or "
                        f"choose another folder. Received: path='{path}'")
        error.errno = errno.ENOSPC
        raise error
    return path


def hardware_description() -> str:
    """The GPUs, or the CPU model and core count, for model cards."""
    import platform

    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus]
        return f"{len(gpus)}x {names[0]}"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU ({os.cpu_count()} cores, {model}), no GPU"


def image_for_model(image, shape, *, any_size: bool = False) -> np.ndarray:
    """One uploaded image (uint8 HxW, HxWx1, HxWx3 or HxWx4, as a browser sends it) as a
    model input `(H, W, C)` of `shape`: RGB(A) to gray or gray to RGB by luminance,
    alpha dropped; a clear error when its size differs (unless `any_size`)."""
    if image is None:
        raise ValueError("Upload an image first.")
    image = np.asarray(image)
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.floating) and image.size and image.max() <= 1.0:
            image = np.round(image * 255.0)
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3, 4):
        raise ValueError(f"Expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). "
                         f"Received: shape={image.shape}")
    if image.shape[-1] == 4:
        image = image[..., :3]
    channels = int(shape[-1])
    if image.shape[-1] == 3 and channels == 1:
        from PIL import Image

        image = np.asarray(Image.fromarray(image).convert("L"))[..., None]
    elif image.shape[-1] == 1 and channels == 3:
        image = np.repeat(image, 3, axis=-1)
    if not any_size and tuple(image.shape[:2]) != tuple(shape[:2]):
        raise ValueError(f"This model takes {shape[0]}x{shape[1]} images. Received: "
                         f"{image.shape[0]}x{image.shape[1]}")
    return image
