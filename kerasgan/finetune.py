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

import logging
import time
from pathlib import Path

import keras
import numpy as np

from kerasgan.models.gan import GAN

EMBEDDING_LAYERS = ("label_embedding", "label_projection")
logger = logging.getLogger("kerasgan.finetune")


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
        if not hasattr(gan, "num_classes"):
            raise ValueError(f"num_classes applies to conditional models; {type(gan).__name__} "
                             f"is {gan.task}. Received: num_classes={num_classes}")
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


class FinetuneInterrupted(KeyboardInterrupt):
    """Ctrl-C during `finetune`'s training. The weights at that step were saved as a
    preset first (unless no step had finished); the message says where, and the
    command that trains the remaining steps from there.

    Attributes:
        preset: the saved preset folder, or None.
        steps: the training steps the saved weights have taken.
        continue_command: the command line that trains the remaining steps.
    """

    def __init__(self, message: str, *, preset=None, steps: int = 0, continue_command=None):
        super().__init__(message)
        self.preset, self.steps, self.continue_command = preset, steps, continue_command

    def __str__(self):
        return self.args[0]


def _check_arguments(*, steps, batch_size, learning_rate, holdout, num_eval_samples, freeze_d,
                     seed, augment, extractor):
    """Every argument, before anything is loaded or trained."""
    from kerasgan import metrics
    from kerasgan.layers import augment as augment_lib

    def is_int(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))

    def is_number(value):
        return (isinstance(value, (int, float, np.number))
                and not isinstance(value, (bool, np.bool_)) and np.isfinite(value))

    if not is_int(steps) or steps < 1:
        raise ValueError("steps must be an int >= 1 (0 or a negative count would never end "
                         f"the run). Received: steps={steps!r}")
    if not is_int(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1. Received: batch_size={batch_size!r}")
    if not is_number(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a number > 0. "
                         f"Received: learning_rate={learning_rate!r}")
    if not is_number(holdout) or not 0 <= holdout < 1:
        raise ValueError(f"holdout must be a fraction in [0, 1). Received: holdout={holdout!r}")
    if not is_int(num_eval_samples) or num_eval_samples < metrics.MIN_SAMPLES:
        raise ValueError(f"num_eval_samples must be an int >= {metrics.MIN_SAMPLES} "
                         f"(see kerasgan.metrics.MIN_SAMPLES). "
                         f"Received: num_eval_samples={num_eval_samples!r}")
    if not is_int(freeze_d) or freeze_d < 0:
        raise ValueError(f"freeze_d must be an int >= 0. Received: freeze_d={freeze_d!r}")
    if not is_int(seed) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an int in [0, 2**32 - 1]. Received: seed={seed!r}")
    augment_lib.get(augment)  # an unknown kind or transform names the closest ones
    if extractor is not None and extractor not in metrics.extractor_names():
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("feature extractor", str(extractor), metrics.extractor_names())


def _load_user_images(data_dir, gan, holdout: float, seed: int):
    """Reads a folder into uint8 arrays at the model's size, split train / held-out."""
    from kerasgan import data

    height, width, channels = gan.image_shape
    images, _, info = data.load_image_folder(data_dir, image_size=(height, width),
                                             channels=channels)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    n_holdout = int(round(len(images) * holdout))
    return images[order[n_holdout:]], images[order[:n_holdout]], info


def _check_batch_fits_discriminator(gan, batch_size, name) -> None:
    """A discriminator with `MinibatchStdDev` (e.g. gan-mnist's) splits each batch into
    groups: refuse a batch it can't split before any step rather than inside TensorFlow."""
    from kerasgan.layers import MinibatchStdDev

    for layer in gan.discriminator._flatten_layers(include_self=False):
        if isinstance(layer, MinibatchStdDev) and batch_size > layer.group_size \
                and batch_size % layer.group_size:
            raise ValueError(
                f"{name}'s discriminator compares samples in groups of {layer.group_size} "
                f"(MinibatchStdDev layer '{layer.name}'): --batch-size must be a multiple of "
                f"{layer.group_size}. Received: batch_size={batch_size}")


def finetune(name_or_path: str, data_dir, out_dir, *, steps: int = 1000, batch_size: int = 32,
             augment: str = "none", freeze_d: int = 0, learning_rate: float = 1e-4,
             holdout: float = 0.2, extractor: str | None = None, num_eval_samples: int = 1000,
             seed: int = 0, overwrite: bool = False, verbose="auto", callbacks=None) -> dict:
    """Fine-tunes a zoo model on a folder of images and writes a new preset folder.

    Every argument, the data folder and the output folder's writability are checked
    before the model loads. A `holdout` fraction of the images is kept out of
    training; when that is at least `kerasgan.metrics.MIN_SAMPLES` (50) images, the
    card reports FID and KID on them before and after fine-tuning, with `extractor`
    (see `kerasgan.metrics.extractor_names()`; default: the classifier of the
    model's training data). Ctrl-C saves the weights reached so far to `out_dir` and
    raises `FinetuneInterrupted`, whose message gives the command that continues.

    Args:
        seed: seeds the new weights' noise, the data order and the held-out split.
        callbacks: extra Keras callbacks for `fit`.

    Returns:
        The new preset's metadata.

    Example:
    >>> kerasgan.finetune.finetune("dcgan-fashion-mnist", "digits/", "my-gan",  # doctest: +SKIP
    ...                            steps=600)
    """
    import shlex
    import warnings

    from kerasgan import data, metrics
    from kerasgan.utils import check_writable
    from kerasgan.zoo import load, model_info, registry
    from kerasgan.zoo.preset import save_to_preset

    _check_arguments(steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                     holdout=holdout, num_eval_samples=num_eval_samples, freeze_d=freeze_d,
                     seed=seed, augment=augment, extractor=extractor)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"{out_dir} exists and is not empty. Pass --overwrite to replace it.")
    # The preset is written next to out_dir and renamed, so out_dir's parent must take it.
    check_writable(out_dir.parent if out_dir.exists() else out_dir, what="output folder")
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"Image folder {data_dir} does not exist or is not a folder. "
                                f"Received: data_dir='{data_dir}'")
    keras.utils.set_random_seed(seed)
    gan = load(name_or_path, with_discriminator=True)
    from kerasgan.tasks import task_of

    refusal = task_of(gan).folder_finetuning_error(str(name_or_path))
    if refusal:
        raise NotImplementedError(refusal)
    train_images, holdout_images, info = _load_user_images(data_dir, gan, holdout, seed)
    if len(train_images) < batch_size:
        raise ValueError(
            f"Only {len(train_images)} training images in {data_dir} after holding out "
            f"{len(holdout_images)} for evaluation, fewer than batch_size={batch_size}. "
            "Add images, or lower --batch-size or --holdout."
        )
    _check_batch_fits_discriminator(gan, batch_size, name_or_path)
    extractor_name, feature_net, metrics_note = extractor, None, None
    if len(holdout_images) >= metrics.MIN_SAMPLES:
        try:
            extractor_name = extractor or metrics.default_extractor_name(gan)
            feature_net = metrics.get_extractor(extractor_name, gan.image_shape)
        except ValueError as e:
            if extractor is not None:
                raise
            metrics_note = f"Held-out metrics not measured: {e}"
    elif holdout > 0:
        metrics_note = (f"Held-out metrics not measured: {len(holdout_images)} held-out "
                        f"images, fewer than the {metrics.MIN_SAMPLES} the metrics need. Add "
                        "images or raise --holdout.")
    if metrics_note:
        logger.warning("%s", metrics_note)

    def measure(model):
        if feature_net is None:
            return {}
        with warnings.catch_warnings():  # the card says what the sample size means
            warnings.filterwarnings("ignore", message=r"Measured on \d+ images")
            return metrics.evaluate(model, holdout_images, extractor=feature_net,
                                    metrics=["fid", "kid"], progress=False,
                                    num_samples=min(num_eval_samples, len(holdout_images)))

    before = measure(gan)
    gan = prepare(gan, learning_rate=learning_rate, augment=augment, freeze_d=freeze_d)
    ds = data.from_numpy(train_images, batch_size=batch_size, seed=seed).repeat()
    base_name = gan.preset_metadata.get("name", str(name_or_path))
    revision = (model_info(base_name)["revision"] if base_name in registry() else "local")
    options = (f"--batch-size {batch_size} --augment {shlex.quote(str(augment))} "
               f"--freeze-d {freeze_d} --learning-rate {learning_rate:g} --holdout {holdout:g} "
               f"--seed {seed}" + (f" --extractor {extractor}" if extractor else ""))
    quoted_data, quoted_out = shlex.quote(str(data_dir)), shlex.quote(str(out_dir))
    metadata = {
        "name": out_dir.name,
        "variant": gan.preset_metadata.get("variant"),
        "finetuned_from": {"name": base_name, "revision": revision},
        "data": {"dataset": str(data_dir), "folder": str(Path(data_dir).resolve()),
                 "split": f"{1 - holdout:.0%} of the folder",
                 "num_train_images": int(len(train_images)),
                 "num_holdout_images": int(len(holdout_images)),
                 "conversions": info["conversions"], "skipped": info["skipped"]},
        "training": {"steps": steps, "batch_size": batch_size, "augment": augment,
                     "freeze_d": freeze_d, "learning_rate": learning_rate, "seed": seed,
                     "command": (f"kerasgan finetune {shlex.quote(str(name_or_path))} --data "
                                 f"{quoted_data} --steps {steps} {options} --out {quoted_out}")},
        "evaluation": {"extractor": extractor_name, "note": metrics_note},
        "metrics_before": before,
    }
    start = time.time()
    try:
        gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=verbose, callbacks=callbacks)
    except KeyboardInterrupt:
        continue_template = (f"kerasgan finetune {quoted_out} --data {quoted_data} --steps "
                             f"{{remaining}} {options} --out "
                             f"{shlex.quote(str(out_dir) + '-continued')}")
        _save_at_interrupt(gan, metadata, out_dir, steps, time.time() - start, overwrite,
                           continue_template)
        raise FinetuneInterrupted(f"Interrupted before the first of {steps} steps finished; "
                                  f"nothing was saved in {out_dir}.") from None
    metadata["training"]["wall_time_s"] = round(time.time() - start, 1)
    metadata["training"]["epochs"] = round(steps * batch_size / len(train_images), 1)
    metadata["metrics"] = measure(gan)
    save_to_preset(gan, out_dir, metadata=metadata, overwrite=overwrite)
    return metadata


def _save_at_interrupt(gan, metadata, out_dir, steps, wall, overwrite, continue_template):
    """On Ctrl-C: saves the weights reached as a preset and raises `FinetuneInterrupted`
    saying where and how to continue; returns only when no step had finished."""
    from kerasgan.zoo.preset import save_to_preset

    done = int(gan.g_optimizer.iterations.numpy())
    if done == 0:
        return
    training = metadata["training"]
    training.update({"steps": done, "interrupted": {"at_step": done, "of": steps},
                     "wall_time_s": round(wall, 1),
                     "epochs": round(done * training["batch_size"]
                                     / metadata["data"]["num_train_images"], 1)})
    metadata["metrics"] = {}
    metadata["evaluation"]["note"] = (f"Interrupted at step {done} of {steps}: the held-out "
                                      "metrics after training were not measured.")
    save_to_preset(gan, out_dir, metadata=metadata, overwrite=overwrite)
    command = continue_template.format(remaining=steps - done)
    raise FinetuneInterrupted(
        f"Interrupted at step {done} of {steps}; the fine-tuned weights so far are saved in "
        f"{out_dir} (a complete preset: kerasgan sample {out_dir}). To train the remaining "
        f"{steps - done} steps from there: {command} (the optimizer's state is not kept, so "
        "this continues from the weights rather than exactly where the run stopped).",
        preset=out_dir, steps=done, continue_command=command) from None
