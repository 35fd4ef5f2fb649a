"""Fine-tuning a pretrained GAN on the user's images: `kerasgan finetune NAME --data DIR`.

Transfer defaults: a lower learning rate (1e-4 instead of 2e-4), EMA on, no
discriminator augmentation, optional FreezeD (the first k discriminator blocks
frozen), and for conditional models an optional new class count (label embeddings
re-initialised, everything else kept).

Why no augmentation by default: fine-tuning `dcgan-fashion-mnist` on 200 digits,
no augmentation gave the best FID up to 4,000 steps (the CLI's default is 1,000);
the pretrained discriminator does not overfit that soon. From 6,000 steps on, ADA
was ahead (FID 101.5 vs 129.5 at 10,000), and from scratch on 200 digits both ADA
and DiffAugment beat no augmentation on every seed (docs/finetuning.md). Pass
`augment="ada"` for long runs on few images.

Example:
>>> gan = kerasgan.load("dcgan-fashion-mnist", with_discriminator=True)        # doctest: +SKIP
>>> gan = kerasgan.finetune.prepare(gan, augment="ada", freeze_d=1)             # doctest: +SKIP
>>> gan.fit(kerasgan.data.image_folder("digits/", image_size=gan.image_size,   # doctest: +SKIP
...                                    channels=gan.image_shape[-1]), epochs=20)
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from kerasgan.models.gan import GAN

EMBEDDING_LAYERS = ("label_embedding", "label_projection")


def freeze_discriminator_blocks(discriminator: keras.Model, num_blocks: int) -> list[str]:
    """FreezeD (Mo et al. 2020): freezes the first `num_blocks` weight layers of D
    (with their batch norms). Returns the names of the frozen layers."""
    if num_blocks < 0:
        raise ValueError(f"freeze_d must be >= 0. Received: {num_blocks}")
    weighted = [layer for layer in discriminator.layers
                if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    if num_blocks >= len(weighted):
        raise ValueError(
            f"freeze_d={num_blocks} would freeze every weight layer of the discriminator "
            f"({len(weighted)} in all). Use at most {len(weighted) - 1}."
        )
    frozen = []
    blocks_seen = 0
    for layer in discriminator.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            blocks_seen += 1
        if blocks_seen > num_blocks:
            break
        if layer.weights:
            layer.trainable = False
            frozen.append(layer.name)
    return frozen


def _rebuild(gan: GAN, **changes) -> GAN:
    """A copy of `gan` with config `changes`, keeping every weight whose shape still fits."""
    config = gan.get_config()
    num_classes = changes.pop("num_classes", None)
    config.update(changes)
    if num_classes is not None:
        for network in gan.NETWORKS:
            for layer in config[network]["config"]["layers"]:
                if layer["config"]["name"] in EMBEDDING_LAYERS:
                    layer["config"]["input_dim"] = int(num_classes)
        config["num_classes"] = int(num_classes)
    new = type(gan).from_config(config)
    for name in gan.NETWORKS:
        # A sampled network continues from its EMA weights: the ones that generate.
        source = gan.sampling_network(name) if name in gan.SAMPLED_NETWORKS else \
            getattr(gan, name)
        for old_layer, new_layer in zip(source.layers, getattr(new, name).layers):
            if old_layer.name in EMBEDDING_LAYERS and num_classes is not None:
                continue  # re-initialised for the new classes
            new_layer.set_weights(old_layer.get_weights())
        ema = getattr(new, f"ema_{name}", None)
        if ema is not None:
            ema.set_weights(getattr(new, name).get_weights())
    for attr in ("preset_path", "preset_metadata"):
        if hasattr(gan, attr):
            setattr(new, attr, getattr(gan, attr))
    return new


def prepare(gan: GAN, *, learning_rate: float = 1e-4, augment="none", freeze_d: int = 0,
            ema_decay: float | None = 0.999, num_classes: int | None = None) -> GAN:
    """Returns a compiled GAN set up for transfer learning (see the module docstring)."""
    changes = {}
    if ema_decay and gan.ema_decay != ema_decay:
        changes["ema_decay"] = ema_decay
    if num_classes is not None:
        if gan.task != "conditional":
            raise ValueError(f"num_classes applies to conditional models; {type(gan).__name__} "
                             "is unconditional.")
        if num_classes != gan.num_classes:
            changes["num_classes"] = num_classes
    if changes:
        gan = _rebuild(gan, **changes)
    gan.set_augment(augment)
    if freeze_d:
        freeze_discriminator_blocks(gan.discriminator, freeze_d)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                d_loss=gan.d_loss_fn if hasattr(gan, "d_loss_fn") else "auto",
                g_loss=gan.g_loss_fn if hasattr(gan, "g_loss_fn") else "auto")
    return gan


def _load_user_images(data_dir, gan, holdout: float, seed: int):
    """Reads a folder into uint8 arrays at the model's size, split train / held-out."""
    from kerasgan import data

    height, width, channels = gan.image_shape
    ds, info = data.image_folder(data_dir, image_size=(height, width), channels=channels,
                                 labels=False, batch_size=None, shuffle=False, cache=False,
                                 return_info=True)
    images = np.stack([((x.numpy() + 1.0) * 127.5).round().astype(np.uint8) for x in ds])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    n_holdout = int(round(len(images) * holdout))
    return images[order[n_holdout:]], images[order[:n_holdout]], info


def finetune(name_or_path: str, data_dir, out_dir, *, steps: int = 1000, batch_size: int = 32,
             augment: str = "none", freeze_d: int = 0, learning_rate: float = 1e-4,
             holdout: float = 0.2, extractor: str | None = None, num_eval_samples: int = 1000,
             seed: int = 0, overwrite: bool = False, verbose="auto") -> dict:
    """Fine-tunes a zoo model on a folder of images and writes a new preset folder.

    A `holdout` fraction of the images is kept out of training; the card reports FID
    on it before and after fine-tuning, with `extractor` ("mnist", "fashion-mnist",
    or "inception-v3"; default: the classifier of the model's training dataset).
    """
    from kerasgan import data, metrics
    from kerasgan.zoo import load, model_info, registry
    from kerasgan.zoo.preset import save_to_preset

    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"{out_dir} exists and is not empty. Pass --overwrite to replace it.")
    keras.utils.set_random_seed(seed)
    gan = load(name_or_path, with_discriminator=True)
    if gan.task == "image-to-image":
        raise NotImplementedError(
            f"{name_or_path} translates images, so it needs (source, target) pairs, which a "
            "folder of images doesn't give. Fine-tune it in Python: "
            "gan.fit(kerasgan.data.from_pairs(sources, targets), ...)."
        )
    if gan.task == "text-to-image":
        raise NotImplementedError(
            f"{name_or_path} draws images from captions, so it needs (image, caption) pairs, "
            "which a folder of images doesn't give. Fine-tune it in Python: "
            "gan.fit(kerasgan.data.from_captions(images, captions), ...).")
    if gan.task == "conditional":
        raise NotImplementedError(
            "kerasgan finetune trains on unlabeled folders; fine-tune conditional models in "
            "Python with kerasgan.finetune.prepare(gan, num_classes=...) and labeled data."
        )
    train_images, holdout_images, info = _load_user_images(data_dir, gan, holdout, seed)
    if len(train_images) < batch_size:
        raise ValueError(
            f"Only {len(train_images)} training images in {data_dir} after holding out "
            f"{len(holdout_images)} for evaluation, fewer than batch_size={batch_size}. "
            "Add images, or lower --batch-size or --holdout."
        )
    source = gan.preset_metadata.get("data", {}).get("dataset")
    if extractor == "inception-v3":
        feature_net = metrics.InceptionFeatures(image_shape=gan.image_shape)
    else:
        feature_net = metrics.load_feature_extractor(extractor or source)
    evaluate_on = holdout_images if len(holdout_images) >= 10 else None

    def measure(model):
        if evaluate_on is None:
            return {}
        return metrics.evaluate(model, evaluate_on, extractor=feature_net, metrics=["fid", "kid"],
                                num_samples=min(num_eval_samples, max(len(evaluate_on), 10)),
                                progress=False)

    before = measure(gan)
    gan = prepare(gan, learning_rate=learning_rate, augment=augment, freeze_d=freeze_d)
    ds = data.from_numpy(train_images, batch_size=batch_size, seed=seed).repeat()
    start = time.time()
    gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=verbose)
    wall = time.time() - start
    after = measure(gan)
    base_name = gan.preset_metadata.get("name", str(name_or_path))
    revision = (model_info(base_name)["revision"] if base_name in registry() else "local")
    metadata = {
        "name": out_dir.name,
        "variant": gan.preset_metadata.get("variant"),
        "finetuned_from": {"name": base_name, "revision": revision},
        "data": {"dataset": str(data_dir), "split": f"{1 - holdout:.0%} of the folder",
                 "num_train_images": int(len(train_images)),
                 "num_holdout_images": int(len(holdout_images)),
                 "conversions": info["conversions"], "skipped": info["skipped"]},
        "training": {"steps": steps, "batch_size": batch_size, "epochs": round(
                         steps * batch_size / len(train_images), 1),
                     "wall_time_s": round(wall, 1), "augment": augment, "freeze_d": freeze_d,
                     "learning_rate": learning_rate,
                     "command": (f"kerasgan finetune {name_or_path} --data {data_dir} --steps {steps} "
                                 f"--augment {augment} --freeze-d {freeze_d} --out {out_dir}")},
        "metrics_before": before, "metrics": after,
    }
    save_to_preset(gan, out_dir, metadata=metadata, card=_card(metadata), overwrite=overwrite)
    return metadata


def _card(meta) -> str:
    def table(results):
        rows = [f"| `{k}` | {v:.4g} |" for k, v in results.items() if k != "protocol"]
        return "\n".join(["| metric | value |", "|---|---|", *rows]) if rows else "_not measured_"

    base = meta["finetuned_from"]
    d, t = meta["data"], meta["training"]
    return f"""---
library_name: keras
license: apache-2.0
tags: [gan, kerasgan, fine-tuned]
base_model: kerasgan/{base['name']}
---
# {meta['name']}

Fine-tuned from `{base['name']}` (revision `{base['revision']}`) on
{d['num_train_images']} images from `{d['dataset']}`; {d['num_holdout_images']} more were
held out for the metrics below.

![samples](samples.png)

- Steps: {t['steps']} at batch {t['batch_size']} ({t['epochs']} passes over the images),
  {t['wall_time_s']} s; augmentation: {t['augment']}; FreezeD: {t['freeze_d']};
  learning rate {t['learning_rate']}.
- Command: `{t['command']}`

## Held-out metrics before fine-tuning
{table(meta['metrics_before'])}

## After
{table(meta['metrics'])}
"""
