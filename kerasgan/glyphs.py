"""The captioned glyphs dataset, importable as before (`kerasgan.glyphs.load_glyphs`,
`kerasgan.glyphs.CAPTIONS`): it lives in `kerasgan/data/sources/glyphs.py`, beside the
other datasets, and draws with the shared font renderer `kerasgan.data.fonts`.

Example:
>>> images, labels = kerasgan.glyphs.load_glyphs("train")      # doctest: +SKIP
>>> captions = kerasgan.glyphs.glyph_captions(labels)          # doctest: +SKIP
"""

from kerasgan.data.fonts import FONT_DIRS
from kerasgan.data.sources.glyphs import (CAPTIONS, CHARACTERS, EXCLUDED_FONT_PREFIXES,
                                          FONT_PACKAGES, GLYPH_BOX, IMAGE_SIZE, build_glyphs,
                                          font_files, glyph_captions, is_test_font,
                                          load_captioned_glyphs, load_glyphs, render_font)

__all__ = ["CAPTIONS", "CHARACTERS", "EXCLUDED_FONT_PREFIXES", "FONT_DIRS", "FONT_PACKAGES",
           "GLYPH_BOX", "IMAGE_SIZE", "build_glyphs", "font_files", "glyph_captions",
           "is_test_font", "load_captioned_glyphs", "load_glyphs", "render_font"]
