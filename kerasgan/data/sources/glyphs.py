"""Captioned glyphs: the 62 Latin letters and digits rendered from the fonts on this machine.

Registers `glyphs` (captioned; its classes are the 62 captions).

Each image is one character, white on black, in 32x32, drawn by the shared font
renderer (`kerasgan.data.fonts`): a font's glyphs share one scale and baseline (its
ink band fits 28 pixels), so case shows in size. Its caption is the character's
Unicode name in lower case ("latin capital letter q", "digit seven"), and its label
the character's index in `CHARACTERS`. Debian's font packages (`make data` installs fonts-dejavu,
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

from kerasgan.data._common import DatasetNotFoundError, cache_dir
from kerasgan.data.fonts import FONT_DIRS, find_font_files, load_font, render_texts
from kerasgan.data.registry import register_dataset
from kerasgan.utils import atomic_write

CHARACTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase
CAPTIONS = tuple(unicodedata.name(c).lower() for c in CHARACTERS)
IMAGE_SIZE = 32
GLYPH_BOX = 28
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
    """Font files (.ttf, .otf) under `dirs` (default: $KERASGAN_FONT_DIRS, else
    /usr/share/fonts), without the symbol faces of `EXCLUDED_FONT_PREFIXES`."""
    return find_font_files(dirs, exclude_prefixes=EXCLUDED_FONT_PREFIXES)


def render_font(path) -> np.ndarray | None:
    """The 62 glyphs of one font, uint8 [62, 32, 32], or None if it lacks any of them.

    All glyphs of a font share one scale and one baseline (`kerasgan.data.fonts.
    render_texts`), so a small "o" stays smaller than a capital "O" and descenders
    hang below the line: the font's ink band (highest ascender to lowest descender)
    and its widest glyph fit GLYPH_BOX. Each glyph is centred horizontally. A missing
    character renders as the font's .notdef box, so a glyph identical to the
    rendering of an unassigned code point counts as missing.
    """
    try:
        font = load_font(path, 64)
        return render_texts(font, CHARACTERS, image_size=IMAGE_SIZE, box=GLYPH_BOX)
    except (OSError, ValueError):  # unreadable, or a bitmap-only font at this size
        return None


def is_test_font(name: str) -> bool:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 5 == 0


def build_glyphs(fonts=None, progress: bool = False) -> dict:
    """Renders every usable font: `images` uint8 [F*62, 32, 32, 1], `labels`, `fonts`, `is_test`."""
    font_paths = font_files() if fonts is None else [Path(f) for f in fonts]
    kept, names, seen = [], [], set()
    if progress:
        from keras.utils import Progbar

        bar = Progbar(len(font_paths), unit_name="font")
    for i, path in enumerate(font_paths):
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


def _cache_path(font_paths) -> Path:
    key = hashlib.sha256(json.dumps([_RENDER_VERSION, [f.name for f in font_paths]]).encode())
    return cache_dir() / f"glyphs-{key.hexdigest()[:16]}.npz"


def load_glyphs(split: str = "train", with_fonts: bool = False):
    """`(images uint8 [N, 32, 32, 1], labels int32 [N])` of the rendered glyphs.

    The first call renders the fonts (about a minute) and caches the arrays in
    `~/.cache/kerasgan`. `with_fonts=True` adds each image's font file name.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"Unknown glyphs split '{split}'. Expected 'train', 'test' or 'all'.")
    font_paths = font_files()
    cache = _cache_path(font_paths)
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    else:
        arrays = build_glyphs(font_paths)
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


def load_captioned_glyphs(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """`(images uint8 [N, 32, 32, 1], captions)` of the rendered glyphs."""
    images, labels = load_glyphs(split)
    return images, glyph_captions(labels)


register_dataset(
    "glyphs", kind="captioned", load=load_captioned_glyphs, splits=("train", "test", "all"),
    classes=CAPTIONS, classifier="glyphs",
    description="The 62 Latin letters and digits, 32x32 gray, rendered from the Debian fonts "
                "on this machine, captioned with their Unicode names; test = held-out fonts.")
