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


def captioned_digits(images, labels, batch_size=32):
    """Digits padded to 32x32, captioned "digit seven" etc."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    return kerasgan.data.from_captions(padded, np.asarray(DIGIT_CAPTIONS)[labels],
                                       batch_size=batch_size, seed=0)


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
    "stackgan": {"init_kwargs": {"size": "small", "image_shape": (32, 32, 1), "seed": 1,
                                 "ema_decay": 0.9, "captions": DIGIT_CAPTIONS},
                 "data": captioned_digits},
}


def register_spec(variant: str, init_kwargs: dict, data):
    VARIANT_SPECS[variant] = {"init_kwargs": init_kwargs, "data": data}


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
