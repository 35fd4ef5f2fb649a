"""Shared checks run for every GAN variant, in the keras-hub `TestCase` style.

Each variant's test supplies tiny `init_kwargs` and real data; these helpers
assert the base contract.
"""

from __future__ import annotations

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
