"""Captioned glyphs: the 62 Latin letters and digits rendered from the fonts on this machine.

Each image is one character, white on black, in 32x32: a font's glyphs share
one scale and baseline (its ink band fits 28 pixels), so case shows in size; its caption is the character's Unicode name in lower case
("latin capital letter q", "digit seven"), and its label the character's index
in `CHARACTERS`. Debian's font packages (`make data` installs fonts-dejavu,
fonts-liberation, fonts-freefont-ttf, fonts-urw-base35 and fonts-noto-core)
give a few hundred faces; a face is kept only if it has all 62 characters and
renders them differently from every face kept before it (duplicate files);
symbol faces (`EXCLUDED_FONT_PREFIXES`) are skipped.

Split **by font**: a face whose file name hashes (sha256) to 0 mod 5 is `test`,
so held-out images are characters in typefaces never seen in training.

Example:
>>> images, labels = load_glyphs("train")      # doctest: +SKIP
>>> captions = glyph_captions(labels)          # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import string
import unicodedata
from pathlib import Path

import numpy as np

CHARACTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase
CAPTIONS = tuple(unicodedata.name(c).lower() for c in CHARACTERS)
IMAGE_SIZE = 32
GLYPH_BOX = 28
FONT_DIRS = ("/usr/share/fonts",)
FONT_PACKAGES = ("fonts-dejavu-core", "fonts-liberation", "fonts-freefont-ttf", "fonts-urw-base35",
                 "fonts-noto-core")
# Faces that map Latin code points to other symbols (dingbats, Greek, Nüshu).
EXCLUDED_FONT_PREFIXES = ("D050000L", "StandardSymbolsPS", "NotoSansSymbols",
                          "NotoTraditionalNushu")
_RENDER_VERSION = 2  # bump when rendering changes, to invalidate caches


def glyph_captions(labels) -> np.ndarray:
    """Captions (str array) for character indices."""
    return np.asarray(CAPTIONS)[np.asarray(labels, dtype=np.int64)]


def font_files(dirs=None) -> list[Path]:
    """Font files (.ttf, .otf) under `dirs` (default: $KERASGAN_FONT_DIRS, else /usr/share/fonts)."""
    if dirs is None:
        env = os.environ.get("KERASGAN_FONT_DIRS")
        dirs = env.split(os.pathsep) if env else FONT_DIRS
    files = []
    for d in dirs:
        files += [p for p in Path(d).rglob("*") if p.suffix.lower() in (".ttf", ".otf")
                  and not p.name.startswith(EXCLUDED_FONT_PREFIXES)]
    return sorted(files, key=lambda p: p.name)


def _render(font, char, canvas=192) -> np.ndarray:
    """The character drawn on its baseline at a fixed point of a blank canvas (uint8)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (canvas, canvas), 0)
    ImageDraw.Draw(image).text((canvas // 4, canvas * 2 // 3), char, fill=255, font=font,
                               anchor="ls")
    return np.asarray(image)


def _ink_box(canvas: np.ndarray):
    """(top, bottom, left, right) of the ink, or None if the canvas is blank."""
    rows, cols = np.flatnonzero(canvas.any(axis=1)), np.flatnonzero(canvas.any(axis=0))
    if not len(rows):
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def render_font(path) -> np.ndarray | None:
    """The 62 glyphs of one font, uint8 [62, 32, 32], or None if it lacks any of them.

    All glyphs of a font share one scale and one baseline, so a small "o" stays
    smaller than a capital "O" and descenders hang below the line: the font's
    ink band (highest ascender to lowest descender) and its widest glyph fit
    GLYPH_BOX. Each glyph is centred horizontally. A missing character renders
    as the font's .notdef box, so a glyph identical to the rendering of an
    unassigned code point counts as missing.
    """
    from PIL import Image, ImageFont

    try:
        # The basic layout engine: no shaping needed for single characters, and
        # the same result with or without libraqm.
        font = ImageFont.truetype(str(path), 64, layout_engine=ImageFont.Layout.BASIC)
        notdef = _render(font, "\U000e0fff")
        canvases = [_render(font, char) for char in CHARACTERS]
    except (OSError, ValueError):  # unreadable, or a bitmap-only font at this size
        return None
    boxes = [_ink_box(c) for c in canvases]
    if any(b is None for b in boxes) or any(np.array_equal(c, notdef) for c in canvases):
        return None
    top = min(b[0] for b in boxes)
    bottom = max(b[1] for b in boxes)
    widest = max(b[3] - b[2] for b in boxes)
    scale = GLYPH_BOX / max(bottom - top, widest)
    band = max(1, round((bottom - top) * scale))
    offset = (IMAGE_SIZE - band) // 2
    glyphs = np.zeros((len(CHARACTERS), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for i, (canvas, (_, _, left, right)) in enumerate(zip(canvases, boxes)):
        width = max(1, round((right - left) * scale))
        ink = Image.fromarray(canvas[top:bottom, left:right]).resize(
            (width, band), Image.Resampling.LANCZOS)
        x = (IMAGE_SIZE - width) // 2
        glyphs[i, offset:offset + band, x:x + width] = np.asarray(ink)
    return glyphs


def is_test_font(name: str) -> bool:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 5 == 0


def build_glyphs(fonts=None, progress: bool = False) -> dict:
    """Renders every usable font: `images` uint8 [F*62, 32, 32, 1], `labels`, `fonts`, `is_test`."""
    fonts = font_files() if fonts is None else [Path(f) for f in fonts]
    kept, names, seen = [], [], set()
    if progress:
        from keras.utils import Progbar

        bar = Progbar(len(fonts), unit_name="font")
    for i, path in enumerate(fonts):
        glyphs = render_font(path)
        if progress:
            bar.update(i + 1)
        if glyphs is None:
            continue
        digest = hashlib.sha256(glyphs.tobytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        kept.append(glyphs)
        names.append(path.name)
    if not kept:
        from kerasgan.data._common import DatasetNotFoundError

        raise DatasetNotFoundError(
            "No font with all 62 Latin letters and digits was found under "
            f"{os.environ.get('KERASGAN_FONT_DIRS') or FONT_DIRS[0]}. Install Debian's fonts: "
            f"sudo apt-get install -y {' '.join(FONT_PACKAGES)}  (or run `make data`)."
        )
    images = np.concatenate(kept)[..., None]
    labels = np.tile(np.arange(len(CHARACTERS), dtype=np.int32), len(kept))
    font_of_image = np.repeat(np.arange(len(kept)), len(CHARACTERS))
    is_test = np.array([is_test_font(n) for n in names])[font_of_image]
    return {"images": images, "labels": labels, "fonts": np.asarray(names),
            "font_index": font_of_image.astype(np.int32), "is_test": is_test}


def _cache_path(fonts) -> Path:
    from kerasgan.data._common import cache_dir

    key = hashlib.sha256(json.dumps([_RENDER_VERSION, [f.name for f in fonts]]).encode())
    return cache_dir() / f"glyphs-{key.hexdigest()[:16]}.npz"


def load_glyphs(split: str = "train", with_fonts: bool = False):
    """`(images uint8 [N, 32, 32, 1], labels int32 [N])` of the rendered glyphs.

    The first call renders the fonts (about a minute) and caches the arrays in
    `~/.cache/kerasgan`. `with_fonts=True` adds each image's font file name.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"Unknown glyphs split '{split}'. Expected 'train', 'test' or 'all'.")
    fonts = font_files()
    cache = _cache_path(fonts)
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    else:
        arrays = build_glyphs(fonts)
        from kerasgan.utils import atomic_write

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
