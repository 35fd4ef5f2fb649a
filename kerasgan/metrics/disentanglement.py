"""Measured disentanglement of a code-controlled generator (InfoGAN).

- `categorical_code_accuracy`: how well the categorical code matches the classes a
  classifier reads: the best one-to-one code -> class assignment (the Hungarian
  method, `scipy.optimize.linear_sum_assignment`) and the share of images whose
  class is their code's assigned class.
- `continuous_code_effects`: for each continuous code, the correlation between the
  code's value (others fixed) and simple image statistics (`image_statistics`).

Example:
>>> gan = kerasgan.load("infogan-mnist")                                      # doctest: +SKIP
>>> ext = kerasgan.metrics.load_feature_extractor("mnist")                   # doctest: +SKIP
>>> categorical_code_accuracy(gan, ext)["accuracy"]                           # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

STATISTICS = ("slant", "ink", "stroke_width", "width", "height")


def categorical_code_accuracy(gan, extractor, *, per_category: int = 1000, seed: int = 0,
                              batch_size: int = 500) -> dict:
    """Generates `per_category` images for each categorical code value (other codes and
    noise drawn from `seed`) and matches codes to the classifier's classes one to one."""
    from scipy.optimize import linear_sum_assignment

    k = gan.num_categories
    category = np.repeat(np.arange(k), per_category)
    images = gan.generate(len(category), codes={"category": category}, seed=seed,
                          batch_size=batch_size)
    predicted = extractor.probabilities(images).argmax(axis=1)
    num_classes = int(predicted.max(initial=0)) + 1
    confusion = np.zeros((k, max(k, num_classes)), np.int64)
    np.add.at(confusion, (category, predicted), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return {"accuracy": float(confusion[rows, cols].sum() / len(category)),
            "assignment": {int(r): int(c) for r, c in zip(rows, cols)},
            "confusion": confusion.tolist(), "num_images": int(len(category))}


def image_statistics(images) -> dict[str, np.ndarray]:
    """Per-image statistics of uint8 `(N, H, W[, 1])` images (ink bright on dark):

    - `slant`: the shear of the ink from its second moments, mu11 / mu02 (positive
      leans right as it rises);
    - `ink`: the mean intensity in [0, 1];
    - `stroke_width`: ink area divided by half the perimeter (boundary pixels), a
      thickness in pixels;
    - `width`, `height`: the extent of the pixels above half intensity.
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:
        x = x[..., 0]
    x = x / 255.0
    n, h, w = x.shape
    ys, xs = np.mgrid[0:h, 0:w]
    mass = x.sum(axis=(1, 2)) + 1e-9
    cy = (x * ys).sum(axis=(1, 2)) / mass
    cx = (x * xs).sum(axis=(1, 2)) / mass
    dy = ys[None] - cy[:, None, None]
    dx = xs[None] - cx[:, None, None]
    mu11 = (x * dx * dy).sum(axis=(1, 2)) / mass
    mu02 = (x * dy * dy).sum(axis=(1, 2)) / mass
    # Image rows grow downwards, so a stroke leaning right as it rises has mu11 < 0.
    slant = -mu11 / (mu02 + 1e-9)
    ink = x > 0.5
    padded = np.pad(ink, ((0, 0), (1, 1), (1, 1)))
    interior = (padded[:, 1:-1, 1:-1] & padded[:, :-2, 1:-1] & padded[:, 2:, 1:-1]
                & padded[:, 1:-1, :-2] & padded[:, 1:-1, 2:])
    boundary = (ink & ~interior).sum(axis=(1, 2))
    area = ink.sum(axis=(1, 2))
    rows_any, cols_any = ink.any(axis=2), ink.any(axis=1)

    def extent(mask):
        first = mask.argmax(axis=1)
        last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
        return np.where(mask.any(axis=1), last - first + 1, 0)

    return {"slant": slant, "ink": x.mean(axis=(1, 2)),
            "stroke_width": area / np.maximum(boundary / 2.0, 1.0),
            "width": extent(cols_any).astype(float), "height": extent(rows_any).astype(float)}


def continuous_code_effects(gan, *, values=np.linspace(-1, 1, 9), per_value: int = 200,
                            seed: int = 0, batch_size: int = 500) -> dict:
    """For each continuous code j: the same `per_value` (noise, category, other codes)
    drawn from `seed`, with code j set to each of `values`; Pearson correlation between
    code j and each statistic over all those images, and the strongest statistic."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((per_value, gan.latent_dim)).astype(np.float32)
    category = rng.integers(0, gan.num_categories, per_value)
    base = rng.uniform(-1, 1, (per_value, gan.num_continuous))
    effects = {}
    for j in range(gan.num_continuous):
        codes = np.repeat(base[None], len(values), axis=0)
        codes[:, :, j] = values[:, None]
        images = gan.generate(np.tile(latents, (len(values), 1)),
                              codes={"category": np.tile(category, len(values)),
                                     "continuous": codes.reshape(-1, gan.num_continuous)},
                              batch_size=batch_size)
        stats = image_statistics(images)
        code_values = np.repeat(values, per_value)
        correlations = {name: _correlation(code_values, stat) for name, stat in stats.items()}
        strongest = max(correlations, key=lambda k: abs(correlations[k]))
        effects[f"c{j + 1}"] = {"correlations": correlations, "strongest": strongest,
                                "num_images": int(len(images))}
    return effects


def _correlation(a, b) -> float:
    """Pearson correlation; 0 where a statistic does not vary (no measurable effect)."""
    if np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])
