"""Training the feature classifiers the metrics use: `kerasgan train-classifier CONFIG --out DIR`.

The classifier learns the dataset's training split and is scored on its test
split; the folder it writes (config.json, classifier.weights.h5, metadata.json,
README.md) is laid out like a zoo checkpoint and loaded by the same resolver.
"""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from kerasgan.utils import atomic_directory, sha256_file

WEIGHTS_FILE = "classifier.weights.h5"
DEFAULTS = {"epochs": 4, "batch_size": 128, "learning_rate": 1e-3, "seed": 0, "feature_dim": 128,
            "augment_translation": 0.1, "recompute_batch_norm": False, "conv_blocks": 2}


def load_classifier_config(path) -> dict:
    path = Path(path)
    raw = path.read_bytes()
    config = dict(DEFAULTS)
    config.update(tomllib.loads(raw.decode()))
    for key in ("name", "dataset", "extractor_id"):
        if key not in config:
            raise ValueError(f"{path} needs '{key}'.")
    config["config_sha256"] = hashlib.sha256(raw).hexdigest()
    return config


def train_classifier(config_path, out_dir, *, overwrite: bool = False, verbose="auto") -> dict:
    from kerasgan.data import load_dataset
    from kerasgan.metrics.features import build_feature_classifier
    from kerasgan.utils import hardware_description

    config = load_classifier_config(config_path)
    keras.utils.set_random_seed(config["seed"])
    x_train, y_train = load_dataset(config["dataset"], "train")
    x_test, y_test = load_dataset(config["dataset"], "test")
    from kerasgan.utils import from_uint8 as scale
    if y_train is None:
        raise ValueError(f"{config_path}: the dataset '{config['dataset']}' has no labels; a "
                         "feature classifier learns a labelled dataset.")
    model = build_feature_classifier(x_train.shape[1:], int(y_train.max()) + 1,
                                     config["feature_dim"], conv_blocks=config["conv_blocks"])
    shift = config["augment_translation"]
    train_ds = (tf.data.Dataset.from_tensor_slices((scale(x_train), y_train))
                .shuffle(len(x_train), seed=config["seed"]).batch(config["batch_size"]))
    if shift:
        augment = keras.layers.RandomTranslation(shift, shift, fill_mode="constant",
                                                 fill_value=-1.0)
        train_ds = train_ds.map(lambda x, y: (augment(x, training=True), y))
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    steps = config["epochs"] * int(np.ceil(len(x_train) / config["batch_size"]))
    model.compile(optimizer=keras.optimizers.Adam(
                      keras.optimizers.schedules.CosineDecay(config["learning_rate"], steps)),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.time()
    model.fit(train_ds, epochs=config["epochs"], verbose=verbose)
    if config["recompute_batch_norm"]:
        recompute_batch_norm_statistics(model, scale(x_train))
    wall = time.time() - start
    _, accuracy = model.evaluate(scale(x_test), y_test, batch_size=500, verbose=0)
    metadata = {
        "name": config["name"], "kind": "feature-classifier", "dataset": config["dataset"],
        "extractor_id": config["extractor_id"], "features_layer": "features (pre-activation)",
        "test_accuracy": float(accuracy), "num_train": int(len(x_train)),
        "num_test": int(len(x_test)), "image_shape": list(x_train.shape[1:]),
        "training": {"epochs": config["epochs"], "steps": steps, "wall_time_s": round(wall, 1),
                     "hardware": hardware_description(),
                     "command": f"kerasgan train-classifier {config_path} --out {out_dir}"},
        "config": config, "config_sha256": config["config_sha256"],
    }
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        plain = save_inference_weights(model, tmp / WEIGHTS_FILE)
        (tmp / "config.json").write_text(json.dumps(keras.saving.serialize_keras_object(plain),
                                                    indent=2, sort_keys=True))
        metadata["files"] = {f: sha256_file(tmp / f) for f in ("config.json", WEIGHTS_FILE)}
        (tmp / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True))
        (tmp / "README.md").write_text(_card(metadata))
    return metadata


def recompute_batch_norm_statistics(model: keras.Model, images, batch_size: int = 500) -> None:
    """Sets every BatchNormalization layer's moving mean and variance to its input's exact
    mean and variance over `images` (in [-1, 1]), layer by layer in inference mode.

    A few hundred steps leave the moving averages (momentum 0.99) far from the trained
    network's statistics: they still weigh the initial (0, 1) and the early weights'
    activations. On the 7k printed digits this cost 0.98 -> 0.75 accuracy in inference.

    Example:
    >>> recompute_batch_norm_statistics(classifier, from_uint8(train_images))  # doctest: +SKIP
    """
    images = np.asarray(images, np.float32)
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        # Earlier layers already hold their recomputed statistics.
        upstream = keras.Model(model.inputs, layer.input)
        count, total, total_sq = 0, 0.0, 0.0
        for start in range(0, len(images), batch_size):
            x = upstream(images[start:start + batch_size], training=False)
            x = tf.reshape(tf.cast(x, tf.float64), (-1, x.shape[-1]))
            count += int(x.shape[0])
            total += tf.reduce_sum(x, 0)
            total_sq += tf.reduce_sum(x * x, 0)
        mean = total / count
        variance = tf.maximum(total_sq / count - mean * mean, 0.0)
        layer.moving_mean.assign(tf.cast(mean, layer.moving_mean.dtype))
        layer.moving_variance.assign(tf.cast(variance, layer.moving_variance.dtype))


def save_inference_weights(model, path):
    """Saves the layers' weights only: a compiled model's save_weights adds the optimizer."""
    plain = model.__class__.from_config(model.get_config())
    plain.set_weights(model.get_weights())
    plain.save_weights(path)
    return plain


def strip_optimizer_state(folder):
    """Rewrites an existing classifier folder's weights without optimizer state."""
    import keras as _keras

    folder = Path(folder)
    model = _keras.saving.deserialize_keras_object(json.loads((folder / "config.json").read_text()))
    model.load_weights(folder / WEIGHTS_FILE)
    plain = save_inference_weights(model, folder / WEIGHTS_FILE)
    (folder / "config.json").write_text(json.dumps(_keras.saving.serialize_keras_object(plain),
                                                   indent=2, sort_keys=True))
    meta = json.loads((folder / "metadata.json").read_text())
    meta["files"] = {f: sha256_file(folder / f) for f in ("config.json", WEIGHTS_FILE)}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True))


def _card(meta) -> str:
    t = meta["training"]
    return f"""---
library_name: keras
license: apache-2.0
tags: [kerasgan, feature-extractor, image-classification]
---
# {meta['name']}

The feature network behind kerasgan's offline metrics on **{meta['dataset']}**
(extractor id `{meta['extractor_id']}`). Metrics computed with it are named
`fid[{meta['extractor_id']}]` etc. They are not InceptionV3 FIDs and can't be
compared with published numbers, only with other kerasgan numbers on this extractor.

- Features: the 128-d penultimate Dense layer, before its ReLU.
- Test accuracy: **{meta['test_accuracy']:.4f}** on {meta['num_test']} held-out images
  (trained on {meta['num_train']}).
- Training: {t['epochs']} epochs, {t['steps']} steps, {t['wall_time_s']} s on {t['hardware']}.
- Command: `{t['command']}`
"""
