"""The checkpoint ("preset") folder format: write one atomically, read one safely.

A preset folder holds `config.json`, `metadata.json`, `<network>.weights.h5` for
every network the GAN holds (`generator.weights.h5` holds the EMA weights where
there are any; `discriminator.weights.h5` and the other training networks are
there for fine-tuning), `golden.npz`, `samples.png` and a `README.md` model card.
`metadata.json["files"]` lists the sha256 of every file that is loaded, so a copy
can be verified without the registry.
"""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import keras
import numpy as np

from kerasgan.utils import atomic_directory, image_grid, save_image, sha256_file

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
GENERATOR_WEIGHTS = "generator.weights.h5"
DISCRIMINATOR_WEIGHTS = "discriminator.weights.h5"
GOLDEN_FILE = "golden.npz"
SAMPLES_FILE = "samples.png"
CARD_FILE = "README.md"
REQUIRED_FILES = (CONFIG_FILE, METADATA_FILE, GENERATOR_WEIGHTS)
WEIGHTS_SUFFIX = ".weights.h5"
#: Files other than the networks' weights whose bytes are loaded, and so verified.
VERIFIED_FILES = (CONFIG_FILE, GOLDEN_FILE)


def weights_file(network: str) -> str:
    return f"{network}{WEIGHTS_SUFFIX}"


def is_verified(name: str) -> bool:
    """Whether a checkpoint file is read when loading (and so must match its sha256)."""
    return name in VERIFIED_FILES or name.endswith(WEIGHTS_SUFFIX)
GOLDEN_SEED = 1234
GOLDEN_COUNT = 8


class PresetError(ValueError):
    """A checkpoint folder is incomplete, corrupt, or does not match its pinned hashes."""


def environment_versions() -> dict:
    import tensorflow as tf

    import kerasgan

    return {"kerasgan": kerasgan.__version__, "keras": keras.__version__,
            "tensorflow": tf.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def golden_outputs(gan, inputs: dict | None = None) -> dict:
    """Fixed inputs (by default `gan.example_inputs(GOLDEN_COUNT, seed=GOLDEN_SEED)`)
    and the float and uint8 outputs for them."""
    if inputs is None:
        inputs = gan.example_inputs(GOLDEN_COUNT, seed=GOLDEN_SEED)
    else:
        inputs = {k: np.asarray(v)[:GOLDEN_COUNT] for k, v in inputs.items()}
    outputs = {}
    for output, suffix in (("float", "_float"), ("uint8", "_uint8")):
        for name, images in gan.golden_outputs_from(inputs, output=output).items():
            outputs[name + suffix] = images
    return {**inputs, **outputs}


def golden_inputs(golden) -> dict:
    """The input arrays of a loaded `golden.npz` (every key but the outputs, which end
    in `_float` and `_uint8`)."""
    return {k: golden[k] for k in golden.files if not k.endswith(("_float", "_uint8"))}


def save_to_preset(gan, path, *, metadata: dict | None = None, card: str | None = None,
                   overwrite: bool = False, samples_seed: int = 0,
                   sample_inputs: dict | None = None) -> Path:
    """Writes `gan` as a zoo checkpoint folder, atomically (temp dir, then rename).

    The generator weights are the EMA weights when the model keeps an EMA.
    `sample_inputs` (e.g. held-out source images for an image-to-image model,
    `{"images": ...}`) feed `samples.png` and the golden outputs; by default
    they are `gan.example_inputs(...)`.

    Example:
    >>> gan.save_to_preset("zoo/my-dcgan")   # doctest: +SKIP
    """
    path = Path(path)
    with atomic_directory(path, overwrite=overwrite) as tmp:
        (tmp / CONFIG_FILE).write_text(json.dumps(keras.saving.serialize_keras_object(gan),
                                                  indent=2, sort_keys=True))
        left_out = [name for name in gan.NETWORKS if name in gan.networks_not_loaded]
        if left_out:
            warnings.warn(
                f"Saving {path} without {', '.join(map(weights_file, left_out))}: this "
                f"{type(gan).__name__} was loaded without its {', '.join(left_out)} (load "
                "with `with_discriminator=True` to keep them), so their weights are "
                "untrained. The preset samples as before; fine-tuning it needs them.",
                stacklevel=2)
        for name in gan.NETWORKS:
            if name in left_out:
                continue
            # A sampled network is stored as its EMA copy: the weights that generate.
            network = gan.sampling_network(name) if name in gan.SAMPLED_NETWORKS else \
                getattr(gan, name)
            network.save_weights(tmp / weights_file(name))
        golden = golden_outputs(gan, sample_inputs)
        with open(tmp / GOLDEN_FILE, "wb") as f:
            np.savez(f, **golden)
        if sample_inputs is None:
            sample_inputs = gan.example_inputs(64, seed=samples_seed)
        save_image(tmp / SAMPLES_FILE, gan.preview(sample_inputs), upscale=2)
        from kerasgan.tasks import task_of

        for file_name, grid in task_of(gan).preset_images(gan).items():
            save_image(tmp / file_name, grid, upscale=2)
        meta = dict(metadata or {})
        meta.setdefault("name", path.name)
        meta["class_name"] = type(gan).__name__
        meta["task"] = gan.task
        meta["image_shape"] = list(gan.image_shape)
        meta["latent_dim"] = gan.latent_dim
        meta.update(task_of(gan).preset_metadata(gan))
        meta["parameters"] = gan.count_params_by_network()
        meta["versions"] = environment_versions()
        meta["golden"] = {"seed": GOLDEN_SEED, "count": GOLDEN_COUNT}
        meta["networks"] = {name: "sampled" if name in gan.SAMPLED_NETWORKS else "training"
                            for name in gan.NETWORKS}
        meta["files"] = {p.name: sha256_file(p) for p in sorted(tmp.iterdir())
                         if is_verified(p.name)}
        (tmp / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        if card is None:
            from kerasgan.zoo.card import render_card

            card = render_card(meta)
        (tmp / CARD_FILE).write_text(card)
    return path


def read_metadata(path) -> dict:
    file = Path(path) / METADATA_FILE
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as e:
        raise PresetError(f"{file} is not valid JSON: {e}") from e


def verify_files(path, expected: dict[str, str], *, source: str) -> None:
    """Checks every file's sha256 before anything is loaded."""
    path = Path(path)
    for name, digest in expected.items():
        file = path / name
        if not file.is_file():
            raise PresetError(f"Checkpoint {path} is missing {name} (expected by {source}).")
        actual = sha256_file(file)
        if actual != digest:
            raise PresetError(
                f"sha256 mismatch for {file}: expected {digest} ({source}), got {actual}. "
                "The file is corrupt, truncated or was modified; nothing was loaded. "
                "Delete it (or the HF cache entry) and download it again."
            )


def load_from_preset(path, *, with_discriminator: bool = False, compile: bool = True,
                     expected_hashes: dict | None = None):
    """Builds a GAN from a preset folder, verifying sha256 first.

    `expected_hashes` (from the registry) take precedence over the folder's own
    `metadata.json` manifest.
    """
    path = Path(path)
    if not path.is_dir():
        raise PresetError(f"Checkpoint folder {path} does not exist.")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise PresetError(
            f"Checkpoint folder {path} is missing {', '.join(missing)}. A kerasgan checkpoint "
            f"holds {', '.join(REQUIRED_FILES)} (+ {DISCRIMINATOR_WEIGHTS} for fine-tuning)."
        )
    metadata = read_metadata(path)
    if expected_hashes is not None:
        manifest, source = expected_hashes, "the kerasgan registry"
    else:
        manifest, source = metadata.get("files"), METADATA_FILE
    if manifest is not None:
        # Weights are verified below, once the config names the networks to load.
        verify_files(path, {k: v for k, v in manifest.items() if k in VERIFIED_FILES},
                     source=source)
    config_text = (path / CONFIG_FILE).read_text()
    try:
        config = json.loads(config_text)
    except json.JSONDecodeError as e:
        raise PresetError(f"{path / CONFIG_FILE} is not valid JSON: {e}") from e
    import kerasgan.models  # noqa: F401  (registers the classes)

    try:
        gan = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except (TypeError, ValueError) as e:
        name = config.get("registered_name") or config.get("class_name")
        from kerasgan.models import VARIANTS

        known = ", ".join(sorted({f"kerasgan>{cls.__name__}" for cls in VARIANTS.values()}))
        raise PresetError(
            f"{path / CONFIG_FILE} names a class that can't be built: '{name}'. "
            f"Known classes: {known}. Is kerasgan older than the checkpoint? ({e})"
        ) from e
    to_load = [name for name in gan.NETWORKS
               if name in gan.SAMPLED_NETWORKS or with_discriminator]
    missing = [weights_file(name) for name in to_load if not (path / weights_file(name)).is_file()]
    if missing:
        raise PresetError(
            f"Checkpoint folder {path} is missing {', '.join(missing)}, which "
            f"{type(gan).__name__} needs{' for fine-tuning' if with_discriminator else ''}.")
    if manifest is not None:
        verify_files(path, {weights_file(n): manifest[weights_file(n)] for n in to_load
                            if weights_file(n) in manifest}, source=source)
    for name in to_load:
        getattr(gan, name).load_weights(path / weights_file(name))
        ema = getattr(gan, f"ema_{name}", None)
        if ema is not None:
            ema.set_weights(getattr(gan, name).get_weights())
    gan.networks_not_loaded = tuple(name for name in gan.NETWORKS if name not in to_load)
    if compile:
        gan.compile()
    gan.preset_path = str(path)
    gan.preset_metadata = metadata
    return gan
