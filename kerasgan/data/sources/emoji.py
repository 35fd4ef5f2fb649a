"""RGB emoji rendered from Debian's `fonts-noto-color-emoji` (Google's Noto Color Emoji,
a bitmap font of 136x128 colour images per glyph), and the 4x super-resolution task on them.

Registers
- `emoji` (images, labelled by Unicode block): every single-code-point emoji of the
  font, drawn with Pillow on white, scaled (Lanczos, antialiased) to 64x64 RGB. Its
  label is the Unicode block of the code point (`EMOJI_BLOCKS`: emoticons, transport
  and map symbols, ...), the only grouping Python knows offline; it is what the
  `emoji` feature classifier learns, so the Frechet distance of upscaled emoji has
  features trained on the training emoji.
- `emoji-sr-4x` (paired): (16x16 input, 64x64 target), the input the target downscaled
  with Pillow's antialiased bicubic filter, as SRGAN's inputs are made (Ledig et al.:
  bicubic downsampling by 4).

Split **by emoji** (not by crop): an emoji whose code point hashes to 0 mod 10 is `test`,
so the held-out emoji are pictures never seen in training. Captions: `unicodedata.name`
of each emoji ("GRINNING FACE"), returned with `with_names=True`.

Example:
>>> targets = load_emoji("test")[0]                     # doctest: +SKIP
>>> targets.shape                                       # doctest: +SKIP
(141, 64, 64, 3)
>>> low, high = load_emoji_sr("train")                  # doctest: +SKIP
>>> low.shape[1:], high.shape[1:]                       # doctest: +SKIP
((16, 16, 3), (64, 64, 3))
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

import numpy as np

from kerasgan.data._common import DatasetNotFoundError, cache_dir
from kerasgan.data.registry import register_dataset
from kerasgan.utils import atomic_write

EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
#: The only size a CBDT bitmap font like Noto Color Emoji renders at.
BITMAP_SIZE = 109
IMAGE_SIZE = 64
SCALE = 4
TEST_EVERY = 10
REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)
#: (first, last code point, class name) of the Unicode blocks that hold most emoji; the
#: rest (enclosed letters, arrows, mahjong tiles, geometric shapes, ...) are "other".
EMOJI_BLOCKS = (
    (0x1F300, 0x1F5FF, "misc-symbols-and-pictographs"),
    (0x1F900, 0x1F9FF, "supplemental-symbols-and-pictographs"),
    (0x1F680, 0x1F6FF, "transport-and-map"),
    (0x1FA70, 0x1FAFF, "symbols-and-pictographs-extended-a"),
    (0x2600, 0x26FF, "miscellaneous-symbols"),
    (0x1F600, 0x1F64F, "emoticons"),
    (0x2700, 0x27BF, "dingbats"),
)
EMOJI_CLASSES = tuple(name for _, _, name in EMOJI_BLOCKS) + ("other",)
_RENDER_VERSION = 1  # bump when rendering changes, to invalidate caches


def emoji_font_path() -> Path:
    """The Noto Color Emoji font file (`$KERASGAN_EMOJI_FONT` overrides), or a clear error."""
    path = Path(os.environ.get("KERASGAN_EMOJI_FONT", EMOJI_FONT))
    if not path.is_file():
        raise DatasetNotFoundError(
            f"The emoji font {path} was not found. Install it with `sudo apt-get install -y "
            "fonts-noto-color-emoji` (or run `make data`), or set KERASGAN_EMOJI_FONT to a "
            "colour emoji font file.")
    return path


def is_test_emoji(code_point: int) -> bool:
    """Whether an emoji is held out: its code point's SHA-256 is 0 mod `TEST_EVERY` (stable
    on every machine and for every font version)."""
    digest = hashlib.sha256(f"U+{code_point:04X}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % TEST_EVERY == 0


def _emoji_code_points(font_path: Path) -> list[int]:
    """The font's single code points that are pictures: symbols (So) outside ASCII, the
    way the font maps them (its cmap), in code point order; the regional indicators
    (letters A-Z that pair into flags) are left out."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(font_path), lazy=True).getBestCmap()
    return sorted(cp for cp in cmap if cp > 0x7F and unicodedata.category(chr(cp)) == "So"
                  and not REGIONAL_INDICATORS[0] <= cp <= REGIONAL_INDICATORS[1])


def emoji_block(code_point: int) -> int:
    """The class id (index in `EMOJI_CLASSES`) of an emoji: its Unicode block."""
    for index, (first, last, _) in enumerate(EMOJI_BLOCKS):
        if first <= code_point <= last:
            return index
    return len(EMOJI_BLOCKS)


def render_emoji(font, code_point: int, size: int = IMAGE_SIZE) -> np.ndarray | None:
    """One emoji as uint8 `(size, size, 3)` on white, its bitmap centred and scaled to
    fit with an antialiased Lanczos filter; None where the font draws nothing."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((80, 80), chr(code_point), font=font, anchor="mm",
                                embedded_color=True)
    box = canvas.getbbox()
    if box is None:
        return None
    glyph = canvas.crop(box)
    side = max(glyph.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    square.paste(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    small = square.resize((size, size), Image.Resampling.LANCZOS)
    white = Image.new("RGBA", small.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, small).convert("RGB"), np.uint8)


def build_emoji(font_path: Path) -> dict:
    """Renders every emoji: `images` uint8 [N, 64, 64, 3], `code_points`, `is_test`.
    Blank renders and exact duplicates of an emoji kept before are dropped."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(font_path), BITMAP_SIZE)
    images, points, seen = [], [], set()
    for cp in _emoji_code_points(font_path):
        image = render_emoji(font, cp)
        if image is None or image.min() == 255:
            continue
        digest = hashlib.sha256(image.tobytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        images.append(image)
        points.append(cp)
    if not images:
        raise DatasetNotFoundError(f"The font {font_path} rendered no emoji: is it a colour "
                                   "emoji font?")
    points = np.asarray(points, np.int32)
    return {"images": np.stack(images), "code_points": points,
            "is_test": np.array([is_test_emoji(int(cp)) for cp in points])}


def _cache_path(font_path: Path) -> Path:
    stat = font_path.stat()
    key = json.dumps([_RENDER_VERSION, IMAGE_SIZE, font_path.name, stat.st_size])
    return cache_dir() / f"emoji-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def _emoji_arrays() -> dict:
    font_path = emoji_font_path()
    cache = _cache_path(font_path)
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    arrays = build_emoji(font_path)
    with atomic_write(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return arrays


def _split_mask(arrays: dict, split: str) -> np.ndarray:
    if split not in ("train", "test", "all"):
        raise ValueError(f"Unknown emoji split '{split}'. Expected 'train', 'test' or 'all'.")
    if split == "all":
        return np.ones(len(arrays["images"]), bool)
    return arrays["is_test"] if split == "test" else ~arrays["is_test"]


def load_emoji(split: str = "train", with_names: bool = False):
    """`(images uint8 [N, 64, 64, 3], labels int32 [N])`: the emoji of a split (about 1.2k
    train, 0.1k test), each labelled with its Unicode block (`EMOJI_CLASSES`). The first
    call renders the font (seconds) and caches the arrays in `~/.cache/kerasgan`.
    `with_names=True` adds each emoji's Unicode name."""
    arrays = _emoji_arrays()
    mask = _split_mask(arrays, split)
    points = arrays["code_points"][mask]
    labels = np.asarray([emoji_block(int(cp)) for cp in points], np.int32)
    result = (arrays["images"][mask], labels)
    if with_names:
        result += (np.asarray([unicodedata.name(chr(int(cp)), f"U+{int(cp):04X}")
                               for cp in points]),)
    return result


def downscale(images: np.ndarray, factor: int = SCALE) -> np.ndarray:
    """uint8 NHWC images shrunk by `factor` with Pillow's antialiased bicubic filter (the
    inputs of `emoji-sr-4x`)."""
    from PIL import Image

    images = np.asarray(images)
    height, width = images.shape[1] // factor, images.shape[2] // factor
    out = [np.asarray(Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image)
                      .resize((width, height), Image.Resampling.BICUBIC), np.uint8)
           for image in images]
    return np.stack(out).reshape(len(images), height, width, images.shape[-1])


def bicubic_upscale(images: np.ndarray, factor: int = SCALE) -> np.ndarray:
    """uint8 NHWC images enlarged by `factor` with Pillow's bicubic filter: the baseline
    every super-resolution model is measured against."""
    from PIL import Image

    images = np.asarray(images)
    height, width = images.shape[1] * factor, images.shape[2] * factor
    out = [np.asarray(Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image)
                      .resize((width, height), Image.Resampling.BICUBIC), np.uint8)
           for image in images]
    return np.stack(out).reshape(len(images), height, width, images.shape[-1])


def load_emoji_sr(split: str = "train"):
    """`(inputs uint8 [N, 16, 16, 3], targets uint8 [N, 64, 64, 3])`: each target emoji and
    its 4x bicubic (antialiased) downscale."""
    targets, _ = load_emoji(split)
    return downscale(targets), targets


register_dataset(
    "emoji", kind="images", load=load_emoji, splits=("train", "test", "all"),
    classes=EMOJI_CLASSES, classifier="emoji",
    description="The single-code-point emoji of Noto Color Emoji (Debian fonts-noto-color-emoji), "
                "64x64 RGB on white, labelled by Unicode block; test = every emoji whose code "
                "point hashes to 0 mod 10.")
register_dataset(
    "emoji-sr-4x", kind="paired", load=load_emoji_sr, splits=("train", "test"),
    classifier="emoji",
    description="4x super-resolution pairs of the emoji: (16x16 bicubic-downscaled input, "
                "64x64 target), split by emoji.")
