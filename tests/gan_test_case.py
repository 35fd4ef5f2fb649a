"""Shared checks run for every GAN variant, in the keras-hub `TestCase` style.

Each variant's test supplies tiny `init_kwargs` and real data; these helpers
assert the base contract.
"""

from __future__ import annotations

import contextlib
import unicodedata

import keras
import numpy as np
import pytest

import kerasgan


def tiny_gan(variant: str, seed: int = 0, **overrides):
    variant = kerasgan.models.ALIASES.get(variant, variant)  # "gan" is "vanilla"
    kwargs = dict(VARIANT_SPECS[variant]["init_kwargs"])
    kwargs.update(overrides)
    keras.utils.set_random_seed(seed)
    gan = kerasgan.models.create(variant, **kwargs)
    gan.compile()
    return gan


DIGIT_CAPTIONS = [unicodedata.name(str(d)).lower() for d in range(10)]  # "digit zero", ...


def images_only(images, labels, batch_size=32):
    return kerasgan.data.from_numpy(images, batch_size=batch_size, seed=0)


def images_and_labels(images, labels, batch_size=32):
    return kerasgan.data.from_numpy(images, labels, batch_size=batch_size, seed=0)


def edges_and_images(images, labels, batch_size=32):
    """(edge map, image) pairs of the real digits."""
    return kerasgan.data.from_pairs(kerasgan.data.edge_maps(images), images,
                                    batch_size=batch_size, seed=0)


def edges_and_digits_unpaired(images, labels, batch_size=32):
    """Unpaired domains from the real digits: edge maps of one half (A), the other half (B)."""
    half = len(images) // 2
    return kerasgan.data.from_unpaired(kerasgan.data.edge_maps(images[:half]), images[half:],
                                       batch_size=batch_size, seed=0)


def captioned_digits(images, labels, batch_size=32):
    """Digits padded to 32x32, captioned "digit seven" etc."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    return kerasgan.data.from_captions(padded, np.asarray(DIGIT_CAPTIONS)[labels],
                                       batch_size=batch_size, seed=0)


def padded_digits(images, labels, batch_size=32):
    """The real digits padded to 32x32 (LAPGAN's 8 -> 16 -> 32 pyramid)."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    return kerasgan.data.from_numpy(padded, batch_size=batch_size, seed=0)


def emoji_pairs(images, labels, batch_size=32):
    """(16x16, 64x64) pairs of the real held-out emoji (the digits are gray 28x28, too
    small for a 4x super-resolution discriminator): the first 64, bicubic-downscaled."""
    low, high = kerasgan.data.load_emoji_sr("test")
    return kerasgan.data.from_pairs(low[:64], high[:64], batch_size=min(batch_size, 16), seed=0)


#: variant -> tiny constructor kwargs and the factory of its real training batches
#: (from real digits), as keras-hub's `setUp` gives `init_kwargs` and data. A new
#: variant adds its spec here (or with `register_spec`) and every shared test runs on it.
VARIANT_SPECS = {
    "vanilla": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                                "seed": 1},
                "data": images_only},
    "dcgan": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                              "seed": 1, "ema_decay": 0.9},
              "data": images_only},
    "cgan": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                             "seed": 1, "num_classes": 10},
             "data": images_and_labels},
    "pix2pix": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "seed": 1,
                                "ema_decay": 0.9},
                "data": edges_and_images},
    "wgan-gp": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                                "seed": 1, "d_steps": 2},
                "data": images_only},
    "sngan": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                              "seed": 1, "ema_decay": 0.9},
              "data": images_only},
    "infogan": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                                "seed": 1, "ema_decay": 0.9},
                "data": images_only},
    "bigan": {"init_kwargs": {"size": "small", "image_shape": (28, 28, 1), "latent_dim": 16,
                              "seed": 1, "ema_decay": 0.9},
              "data": images_only},
    "cyclegan": {"init_kwargs": {"size": "tiny", "image_shape": (28, 28, 1), "seed": 1,
                                 "ema_decay": 0.9, "history_size": 8},
                 "data": edges_and_digits_unpaired},
    "discogan": {"init_kwargs": {"size": "tiny", "image_shape": (28, 28, 1), "seed": 1,
                                 "ema_decay": 0.9},
                 "data": edges_and_digits_unpaired},
    "srresnet": {"init_kwargs": {"size": "tiny", "image_shape": (64, 64, 3), "seed": 1,
                                 "ema_decay": 0.9},
                 "data": emoji_pairs},
    "srgan": {"init_kwargs": {"size": "tiny", "image_shape": (64, 64, 3), "seed": 1,
                              "ema_decay": 0.9},
              "data": emoji_pairs},
    "lapgan": {"init_kwargs": {"size": "tiny", "image_shape": (32, 32, 1), "latent_dim": 16,
                               "seed": 1, "ema_decay": 0.9},
               "data": padded_digits},
    "progan": {"init_kwargs": {"size": "tiny", "image_shape": (32, 32, 1), "latent_dim": 16,
                               "seed": 1, "ema_decay": 0.9, "phase_steps": 1},
               "data": padded_digits},
    # Lazy intervals of 2: a few steps take both the regularised and the plain branch.
    "stylegan": {"init_kwargs": {"size": "tiny", "image_shape": (32, 32, 1), "latent_dim": 16,
                                 "seed": 1, "ema_decay": 0.9, "r1_every": 2,
                                 "path_length_every": 2},
                 "data": padded_digits},
    "stackgan": {"init_kwargs": {"size": "small", "image_shape": (32, 32, 1), "seed": 1,
                                 "ema_decay": 0.9, "captions": DIGIT_CAPTIONS},
                 "data": captioned_digits},
}


def register_spec(variant: str, init_kwargs: dict, data):
    VARIANT_SPECS[variant] = {"init_kwargs": init_kwargs, "data": data}


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
#: Absolute floors (see `metric_abs_floor`): KID in units of the card's kid_std, and
#: fractions of samples.
KID_STD_FLOOR = 2e-2
FRACTION_FLOOR = 3e-3


def metric_abs_floor(key: str, card_metrics: dict) -> float:
    """The absolute tolerance under which `METRIC_RTOL` does not reach, for metric `key`
    (e.g. "kid[kerasgan-mnist-classifier-v1]", or "a2b/kid[...]" for one direction of a
    translation model) of a card's `metrics`.

    - KID is an unbiased estimate: near zero, or negative, when the two sets match, where
      a relative tolerance means nothing. Its scale is its own spread over subsets, so
      the floor is 2e-2 of the card's `kid_std` (of the same direction).
    - Fractions of samples (precision, recall, class accuracies, the rarest class's share,
      the share of translations that keep their class) lie in [0, 1]: 3e-3, thirty of
      10,000 samples on the other side of a boundary.
    Why these floors: on an AVX-512 machine (oneDNN's other kernels), `stackgan-glyphs`'s
    10k images come out within a level of the card machine's, and its FID within 6e-4,
    but 16 of 10,000 samples crossed a k-NN boundary (precision 0.3603 vs 0.3619) and KID
    moved by 73, 1.4% of its kid_std (the pre-change tree gives the same figures there).
    A wrong model or protocol moves KID by several kid_std and fractions by far more.
    - The others (FID, classifier score, PSNR, MAE) are large and positive: relative only.
    """
    direction, slash, name = key.rpartition("/")
    metric, _, extractor = name.partition("[")
    if metric in ("kid", "kid_std"):
        std_key = f"{direction}{slash}kid_std" + (f"[{extractor}" if extractor else "")
        return KID_STD_FLOOR * abs(float(card_metrics.get(std_key, 0.0)))
    if (metric in ("precision", "recall", "min_class_fraction", "class_kept")
            or metric.endswith("accuracy")):
        return FRACTION_FLOOR
    return 0.0


def check_card_reproduces(name: str) -> None:
    """Runs the evaluation command printed in zoo model `name`'s card and compares every
    figure of its metadata with the recomputed one."""
    import json
    import shlex

    from kerasgan import cli, metrics

    folder = kerasgan.zoo.zoo_mirror() / name
    meta = json.loads((folder / "metadata.json").read_text())
    command = meta["metrics"]["protocol"]["command"]
    assert command in (folder / "README.md").read_text()
    args = cli.build_parser().parse_args(shlex.split(command)[1:])
    results = metrics.evaluate_preset(args.model, metrics=cli.metric_names(args.metrics),
                                      num_samples=args.num_samples, reference_split=args.split,
                                      progress=False)
    for key, value in meta["metrics"].items():
        if key != "protocol":
            # Recomputed here, not on the machine that wrote the card: see METRIC_RTOL.
            assert results[key] == pytest.approx(
                value, rel=METRIC_RTOL, abs=metric_abs_floor(key, meta["metrics"])), key


def check_card_usage_runs(name: str) -> None:
    """The "Use" snippet of zoo model `name`'s card (README.md), run as a user would copy
    it, gives uint8 NHWC images."""
    import json
    import re

    from kerasgan.zoo.card import render_card

    folder = kerasgan.zoo.zoo_mirror() / name
    card = (folder / "README.md").read_text()
    # The card on disk is the one its metadata renders (re-rendered when the template changes).
    assert card == render_card(json.loads((folder / "metadata.json").read_text()))
    snippet = re.search(r"## Use\n```python\n(.*?)```", card, re.S).group(1)
    scope = {}
    exec(compile(snippet, f"{name}/README.md", "exec"), scope)
    images = scope["images"]
    assert isinstance(images, np.ndarray) and images.dtype == np.uint8 and images.ndim == 4, (
        type(images), getattr(images, "dtype", None))


def card_shard(index: int, count: int = 2) -> list:
    """Every `count`-th zoo model from `index`: the card reproductions take a minute or two
    each, so they are spread over `count` test files, which `--dist loadfile` gives to
    different workers."""
    return kerasgan.list_models()[index::count]


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
    """Real training batches of the kind `gan` takes, from its variant's spec."""
    return VARIANT_SPECS[gan.variant_name]["data"](images, labels, batch_size=batch_size)


def run_fit_test(gan, ds, steps=3):
    history = gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), f"{name} is not finite: {values}"
    for group in gan.update_groups():
        updates = int(gan.optimizer_of(group.name).iterations.numpy())
        assert updates == steps * group.repeats, (group, updates)
    return history


def _trainable_snapshot(gan):
    return {name: [w.numpy().copy() for w in network.trainable_weights]
            for name, network in gan.networks.items()}


def run_isolation_test(gan, ds):
    """Each update group changes its own networks' trainable weights, and no other's."""
    batch = gan.unpack(next(iter(ds)))
    for group in gan.update_groups():
        before = _trainable_snapshot(gan)
        gan.update(group, batch)
        after = _trainable_snapshot(gan)
        for name in gan.networks:
            changed = any(not np.array_equal(a, b) for a, b in zip(before[name], after[name]))
            if name in group.networks:
                assert changed, f"group {group.name} left its network {name} unchanged"
            else:
                assert not changed, f"group {group.name} changed {name}, not one of its networks"


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
    for group in gan.update_groups():
        original, loaded = gan.optimizer_of(group.name), restored.optimizer_of(group.name)
        assert int(loaded.iterations.numpy()) == int(original.iterations.numpy()) > 0
        for a, b in zip(original.variables, loaded.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for name, network in gan.networks.items():
        for a, b in zip(network.weights, restored.networks[name].weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    restored.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
    assert int(restored.g_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy()) + 2


def run_resume_test(variant, data, tmp_path, steps=4, **overrides):
    """Trains `steps` steps in one go, and `steps // 2`, save, load, the other half on
    the same batches: the two must end with bit-identical weights (same machine).
    `data(gan)` gives the repeated training batches. Returns (uninterrupted, resumed)."""
    half = steps // 2
    straight = tiny_gan(variant, **overrides)
    straight.fit(data(straight), epochs=1, steps_per_epoch=steps, verbose=0)
    first = tiny_gan(variant, **overrides)
    first.fit(data(first), epochs=1, steps_per_epoch=half, verbose=0)
    first.save(tmp_path / "half.keras")
    resumed = keras.saving.load_model(tmp_path / "half.keras")
    resumed.fit(data(resumed).skip(half), epochs=1, steps_per_epoch=steps - half, verbose=0)
    for name in straight.networks:
        for a, b in zip(straight.networks[name].weights, resumed.networks[name].weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"{name}/{a.path}")
    return straight, resumed


def run_preset_test(gan, tmp_path):
    """save_to_preset writes `<network>.weights.h5` for every network; loading it back
    restores each (sampled networks from their EMA copy) and reproduces the images."""
    from kerasgan.zoo.preset import save_to_preset

    path = save_to_preset(gan, tmp_path / "preset", metadata={"data": {"dataset": "mnist"}})
    for name in gan.networks:
        assert (path / f"{name}.weights.h5").is_file(), name
    loaded = kerasgan.load(str(path), with_discriminator=True)
    assert type(loaded) is type(gan)
    for name in gan.networks:
        source = gan.sampling_network(name) if name in gan.SAMPLED_NETWORKS else gan.networks[name]
        for a, b in zip(source.weights, loaded.networks[name].weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    inputs = gan.example_inputs(4, seed=0)
    np.testing.assert_array_equal(loaded.generate_from(inputs), gan.generate_from(inputs))
    inference_only = kerasgan.load(str(path))
    np.testing.assert_array_equal(inference_only.generate_from(inputs), gan.generate_from(inputs))
    return loaded
