"""Text rendered from font files into small fixed-size images, as uint8.

The renderer behind the `glyphs` dataset, written for any dataset of printed
characters: digits in many typefaces, or emoji from a colour font (Debian's
`fonts-noto-color-emoji`, with `channels=3` and the font's only size, 109).

A set of texts rendered together shares one scale and one baseline, so relative
sizes survive (a small "o" stays smaller than an "O", descenders hang below the
line): the set's ink band (highest ascender to lowest descender) and its widest
text fit a `box` x `box` square; the band is centred vertically in the image and
each text horizontally. One text rendered alone is centred both ways.

Example:
>>> font = load_font(find_font_files()[0])                               # doctest: +SKIP
>>> digits = render_texts(font, "0123456789", image_size=32, box=28)  # doctest: +SKIP
>>> digits.shape, digits.dtype                                      # doctest: +SKIP
((10, 32, 32), dtype('uint8'))
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FONT_DIRS = ("/usr/share/fonts",)
FONT_SUFFIXES = (".ttf", ".otf")
#: An unassigned code point: a font draws it as its .notdef box, the same box it draws
#: for every character it lacks.
UNASSIGNED_CHARACTER = "\U000e0fff"


def find_font_files(dirs=None, *, exclude_prefixes=()) -> list[Path]:
    """Font files (.ttf, .otf) under `dirs`, sorted by file name.

    Args:
        dirs: folders searched with their subfolders; default `$KERASGAN_FONT_DIRS`
            (separated by `os.pathsep`), else `/usr/share/fonts`.
        exclude_prefixes: file names starting with any of these are left out.
    """
    if dirs is None:
        env = os.environ.get("KERASGAN_FONT_DIRS")
        dirs = env.split(os.pathsep) if env else FONT_DIRS
    files = []
    for d in dirs:
        files += [p for p in Path(d).rglob("*") if p.suffix.lower() in FONT_SUFFIXES
                  and not p.name.startswith(tuple(exclude_prefixes))]
    return sorted(files, key=lambda p: p.name)


def load_font(path, size: int = 64):
    """A Pillow font at `size` pixels. Raises OSError for an unreadable file or a
    bitmap-only font without that size (colour emoji fonts have only 109).

    Pillow's basic layout engine: single characters need no shaping, and the result
    is the same with or without libraqm.
    """
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def draw_text(font, text: str, *, canvas: int | None = None, channels: int = 1,
              stroke_width: int = 0) -> np.ndarray:
    """`text` drawn white on black on its baseline, at a fixed point of a blank square
    canvas (uint8 `(canvas, canvas)`, or `(canvas, canvas, 3)` in colour).

    The baseline point is a quarter of the canvas from the left and two thirds down,
    so any text of this font lands at the same place. `canvas` defaults to three
    times the font size, room for the tallest and widest characters. `stroke_width`
    thickens the strokes by that many pixels on each side (gray only).
    """
    from PIL import Image, ImageDraw

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3. Received: channels={channels}")
    canvas = canvas or 3 * int(font.size)
    if channels == 1:
        image = Image.new("L", (canvas, canvas), 0)
        ImageDraw.Draw(image).text((canvas // 4, canvas * 2 // 3), text, fill=255, font=font,
                                   anchor="ls", stroke_width=stroke_width, stroke_fill=255)
    else:
        image = Image.new("RGB", (canvas, canvas), (0, 0, 0))
        ImageDraw.Draw(image).text((canvas // 4, canvas * 2 // 3), text, fill=(255, 255, 255),
                                   font=font, anchor="ls", embedded_color=True)
    return np.asarray(image)


def ink_box(canvas: np.ndarray):
    """`(top, bottom, left, right)` of the ink on a canvas, or None if it is blank."""
    ink = canvas if canvas.ndim == 2 else canvas.any(axis=-1)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def render_texts(font, texts, *, image_size: int = 32, box: int = 28, channels: int = 1,
                 canvas: int | None = None) -> np.ndarray | None:
    """Texts (characters or short strings) rendered with one shared scale and baseline,
    each in an `image_size` square: uint8 `[N, image_size, image_size]` (`[..., 3]` in
    colour), or None if the font lacks any of them.

    The texts' ink band and the widest text fit `box` pixels (area-preserving Lanczos
    downscaling); the band is centred vertically, each text horizontally. A text
    that draws nothing, or draws exactly the font's .notdef box, counts as missing.

    Args:
        font: a font from `load_font`.
        texts: a sequence of strings (a string is its characters).
        image_size: the side of each image.
        box: the side of the square the ink fits, at most `image_size`.
        channels: 1 (gray) or 3 (colour: colour fonts keep their colours).
        canvas: the side of the drawing canvas (see `draw_text`).

    Example:
    >>> font = load_font("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # doctest: +SKIP
    >>> render_texts(font, ["A", "g"]).shape                                 # doctest: +SKIP
    (2, 32, 32)
    """
    from PIL import Image

    if not 1 <= box <= image_size:
        raise ValueError(f"box must be in [1, image_size={image_size}]. Received: box={box}")
    notdef = draw_text(font, UNASSIGNED_CHARACTER, canvas=canvas, channels=channels)
    canvases = [draw_text(font, text, canvas=canvas, channels=channels) for text in texts]
    boxes = [ink_box(c) for c in canvases]
    if any(b is None for b in boxes) or any(np.array_equal(c, notdef) for c in canvases):
        return None
    top = min(b[0] for b in boxes)
    bottom = max(b[1] for b in boxes)
    widest = max(b[3] - b[2] for b in boxes)
    scale = box / max(bottom - top, widest)
    band = max(1, round((bottom - top) * scale))
    offset = (image_size - band) // 2
    shape = (len(canvases), image_size, image_size) + ((3,) if channels == 3 else ())
    images = np.zeros(shape, np.uint8)
    for i, (drawn, (_, _, left, right)) in enumerate(zip(canvases, boxes)):
        width = max(1, round((right - left) * scale))
        ink = Image.fromarray(drawn[top:bottom, left:right]).resize(
            (width, band), Image.Resampling.LANCZOS)
        x = (image_size - width) // 2
        images[i, offset:offset + band, x:x + width] = np.asarray(ink)
    return images


def render_text(font, text: str, **kwargs) -> np.ndarray | None:
    """One text alone, scaled to fit the box and centred both ways; see `render_texts`.

    Example:
    >>> font = load_font("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # doctest: +SKIP
    >>> render_text(font, "7", image_size=28, box=20).shape                  # doctest: +SKIP
    (28, 28)
    """
    images = render_texts(font, [text], **kwargs)
    return None if images is None else images[0]
