"""Training callbacks: sample grids (PNG + TensorBoard)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from kerasgan.utils import logs_are_finite, save_image


class SampleGrid(keras.callbacks.Callback):
    """Writes a grid of samples from fixed latents every `every_n_epochs` epochs.

    Args:
        out_dir: folder for `samples_epoch_0001.png`, ...; None to skip PNGs.
        log_dir: a TensorBoard log folder for an image summary; None to skip.
        num_images: grid size; conditional models cycle through the classes.
        seed: the fixed latents' seed, so grids are comparable across epochs.
        inputs: fixed generator inputs instead (a dict as `gan.example_inputs`
            returns), e.g. `{"images": held_out_sources}` for image-to-image models.

    Example:
    >>> gan.fit(ds, epochs=5, callbacks=[SampleGrid("runs/grids", log_dir="runs/tb")])  # doctest: +SKIP
    """

    def __init__(self, out_dir=None, log_dir=None, every_n_epochs: int = 1, num_images: int = 64,
                 seed: int = 0, inputs: dict | None = None):
        super().__init__()
        self.inputs = inputs
        self.out_dir = Path(out_dir) if out_dir else None
        self.log_dir = log_dir
        self.every_n_epochs = every_n_epochs
        self.num_images = num_images
        self.seed = seed
        self._writer = None
        self.last_grid = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        if not logs_are_finite(logs):
            return  # a diverged epoch's weights draw NaN: no grid to keep
        gan = self.model
        inputs = self.inputs or gan.example_inputs(self.num_images, seed=self.seed)
        grid = gan.preview(inputs)
        self.last_grid = grid
        if self.out_dir is not None:
            save_image(self.out_dir / f"samples_epoch_{epoch + 1:04d}.png", grid, upscale=2)
        if self.log_dir is not None:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "samples"))
            with self._writer.as_default():
                tf.summary.image("samples", grid[None].astype(np.float32) / 255.0, step=epoch + 1)
            self._writer.flush()
