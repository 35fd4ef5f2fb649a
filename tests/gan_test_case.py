"""Shared checks run for every GAN variant, in the keras-hub `TestCase` style.

Each variant's test supplies tiny `init_kwargs` and real data; these helpers
assert the base contract.
"""

from __future__ import annotations

import contextlib
import unicodedata

import keras
import numpy as np

import kerasgan


def tiny_gan(variant: str, seed: int = 0, **overrides):
    kwargs = dict(TINY_INIT_KWARGS[variant])
    kwargs.update(overrides)
    keras.utils.set_random_seed(seed)
    gan = kerasgan.models.create(variant, **kwargs)
    gan.compile()
    return gan


DIGIT_CAPTIONS = [unicodedata.name(str(d)).lower() for d in range(10)]  # "digit zero", ...

TINY_INIT_KWARGS = {
    "gan": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16, "seed": 1},
    "dcgan": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16, "seed": 1,
              "ema_decay": 0.9},
    "cgan": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16, "seed": 1,
             "num_classes": 10},
    "pix2pix": {"size": "small", "image_shape": (28, 28, 1), "seed": 1, "ema_decay": 0.9},
    "stackgan": {"size": "small", "image_shape": (32, 32, 1), "seed": 1, "ema_decay": 0.9,
                 "captions": DIGIT_CAPTIONS},
}


# ----------------------------------------------------------------------------
# Comparing images recomputed on another machine
# ----------------------------------------------------------------------------
# Machines of the same kind have different CPUs: TensorFlow turns oneDNN's kernels on by
# default only on some of them (AVX-512 VNNI and newer), and those sum in another order.
# Golden images recomputed there differ from the stored ones in the last bits of float32
# (up to 8e-6 measured here with TF_ENABLE_ONEDNN_OPTS=1, 1.2e-5 reported on an AVX-512
# machine), which moves a uint8 pixel by one level when it sits on a rounding edge.
# Bit-exact comparisons are only for outputs recomputed on the same machine.

#: Float images in [-1, 1]: 1e-4 is 10x the difference seen across CPUs, and 1/80 of a
#: uint8 level, so a weight change of 0.1% is still caught.
FLOAT_IMAGE_ATOL = 1e-4


def assert_float_images_close(actual, expected, atol=FLOAT_IMAGE_ATOL):
    """Float images in [-1, 1] equal up to the last bits another CPU changes."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)


def assert_images_close(actual, expected, *, levels=1, fraction=0.999, max_levels=4):
    """uint8 images recomputed on another machine: within `levels` gray levels on at
    least `fraction` of the values, and no value off by more than `max_levels`.

    A float difference of 1e-5 can still flip a rounding, so "equal" is too strict; a
    different checkpoint (1% noise on the weights) moves 5-12% of the values by more
    than one level. `max_levels` catches a few pixels gone wrong, which the fraction
    alone would let through (0.1% of a golden batch is about 6 pixels); pass
    `max_levels=None` for lossy exports such as int8 quantization.

    Example:
    >>> assert_images_close(gan.generate_from(inputs), golden["images_uint8"])  # doctest: +SKIP
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == np.uint8 and expected.dtype == np.uint8, (
        f"expected uint8 images, got {actual.dtype} and {expected.dtype}")
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    difference = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    within = float(np.mean(difference <= levels))
    worst = int(difference.max()) if difference.size else 0
    summary = (f"{within:.4%} of {difference.size} values within {levels} level(s) "
               f"(need {fraction:.1%}), largest difference {worst} levels")
    assert within >= fraction, summary
    assert max_levels is None or worst <= max_levels, f"{summary} (allowed {max_levels})"


#: Metrics recomputed on another CPU: FID and KID come from features that differ in the
#: last bits, then from sums over thousands of them (a card's KID of 7411.0566 came out
#: 7411.0436 on an AVX-512 machine, 1.8e-6 apart); 1e-3 leaves room for more.
METRIC_RTOL = 1e-3


def metric_abs_floor(key: str, card_metrics: dict) -> float:
    """The absolute tolerance under which `METRIC_RTOL` does not reach, for metric `key`
    (e.g. "kid[kerasgan-mnist-classifier-v1]") of a card's `metrics`.

    - KID is an unbiased estimate: near zero, or negative, when the two sets match, where
      a relative tolerance means nothing. Its scale is its own spread over subsets, so
      the floor is 1e-3 of the card's `kid_std`.
    - Fractions of samples (precision, recall, class accuracies) lie in [0, 1]: 1e-3, ten
      of 10,000 samples on the other side of a boundary.
    - The others (FID, classifier score, PSNR, MAE) are large and positive: relative only.
    """
    metric, _, extractor = key.partition("[")
    if metric in ("kid", "kid_std"):
        spread = card_metrics.get(f"kid_std[{extractor}" if extractor else "kid_std", 0.0)
        return METRIC_RTOL * abs(float(spread))
    if metric in ("precision", "recall") or metric.endswith("accuracy"):
        return METRIC_RTOL
    return 0.0


@contextlib.contextmanager
def perturbed_weights(model, relative=0.01, seed=0):
    """Adds Gaussian noise of `relative` times each float weight's spread to `model`,
    then restores the weights: a stand-in for a slightly different checkpoint, to show
    that a tolerance still catches one."""
    saved = model.get_weights()
    rng = np.random.default_rng(seed)
    noisy = []
    for weight in saved:
        if np.issubdtype(weight.dtype, np.floating) and weight.size:
            spread = float(np.std(weight)) if weight.size > 1 else float(np.abs(weight).max())
            weight = weight + (relative * spread * rng.standard_normal(weight.shape)).astype(weight.dtype)
        noisy.append(weight)
    model.set_weights(noisy)
    try:
        yield model
    finally:
        model.set_weights(saved)


def dataset_for(gan, images, labels, batch_size=32):
    """Real training batches of the kind `gan` takes: images, (images, labels), or
    (edge map, image) pairs for image-to-image models."""
    if gan.task == "image-to-image":
        return kerasgan.data.from_pairs(kerasgan.data.edge_maps(images), images,
                                        batch_size=batch_size, seed=0)
    if gan.task == "text-to-image":  # digits padded to 32x32, captioned "digit seven" etc.
        padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
        return kerasgan.data.from_captions(padded, np.asarray(DIGIT_CAPTIONS)[labels],
                                           batch_size=batch_size, seed=0)
    with_labels = labels if gan.task == "conditional" else None
    return kerasgan.data.from_numpy(images, with_labels, batch_size=batch_size, seed=0)


def run_fit_test(gan, ds, steps=3):
    history = gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), f"{name} is not finite: {values}"
    assert int(gan.g_optimizer.iterations.numpy()) == steps
    assert int(gan.d_optimizer.iterations.numpy()) == steps * gan.d_steps
    return history


def run_isolation_test(gan, ds):
    """The generator step leaves D's trainable weights alone, and the D step leaves G's."""
    batch = next(iter(ds))
    real, labels = gan.unpack(batch)
    batch_size = real.shape[0]
    d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    gan.generator_step(real, labels, batch_size)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(d_before, gan.discriminator.trainable_weights))
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(g_before, gan.generator.trainable_weights))
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    gan.discriminator_step(real, labels, batch_size)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(g_before, gan.generator.trainable_weights))
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(d_before, gan.discriminator.trainable_weights))


def run_determinism_test(gan):
    a = gan.generate_from(gan.example_inputs(6, seed=3))
    b = gan.generate_from(gan.example_inputs(6, seed=3))
    c = gan.generate_from(gan.example_inputs(6, seed=4))
    assert a.dtype == np.uint8 and a.shape == (6, *gan.image_shape)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def run_serialization_test(gan, ds, tmp_path):
    """save -> load_model gives the same images, and fit continues with the optimizer state."""
    gan.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
    path = tmp_path / "model.keras"
    gan.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(gan)
    inputs = gan.example_inputs(4, seed=0)
    np.testing.assert_array_equal(restored.generate_from(inputs), gan.generate_from(inputs))
    assert int(restored.g_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy())
    for original, loaded in zip(gan.d_optimizer.variables, restored.d_optimizer.variables):
        np.testing.assert_allclose(original.numpy(), loaded.numpy())
    restored.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
    assert int(restored.g_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) + 2
