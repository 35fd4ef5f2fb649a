"""Edge maps: the sources of edges-to-image translation datasets (`fashion-mnist-edges`)."""

from __future__ import annotations

import numpy as np


def edge_maps(images) -> np.ndarray:
    """Sobel edge magnitude of uint8 images (NHWC or NHW), as uint8 NHWC, one channel.

    A fixed scale (magnitude / 2, clipped to 255), so the same image always gives
    the same map. Color images are converted to gray first.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"edge_maps expects uint8 images. Received: dtype={images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (N, H, W[, C]). Received: shape={images.shape}")
    gray = images.astype(np.float64).mean(axis=-1)
    padded = np.pad(gray, ((0, 0), (1, 1), (1, 1)), mode="edge")

    def at(dy, dx):
        return padded[:, 1 + dy:padded.shape[1] - 1 + dy, 1 + dx:padded.shape[2] - 1 + dx]

    gx = (at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))
    gy = (at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))
    magnitude = np.sqrt(gx ** 2 + gy ** 2) / 2.0
    return np.clip(np.rint(magnitude), 0, 255).astype(np.uint8)[..., None]
