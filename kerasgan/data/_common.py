"""What every dataset source shares (no imports of the sources themselves, so the
font renderer and the dataset files can use it without an import circle)."""

from __future__ import annotations

import os
from pathlib import Path


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not on this machine; the message says how to get them."""


def cache_dir() -> Path:
    """Where kerasgan keeps converted datasets: `$KERASGAN_CACHE` or `~/.cache/kerasgan`."""
    path = Path(os.environ.get("KERASGAN_CACHE", Path.home() / ".cache" / "kerasgan"))
    path.mkdir(parents=True, exist_ok=True)
    return path
