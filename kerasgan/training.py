"""Reproducible training from a TOML config: `kerasgan train CONFIG --out DIR`.

A config names the data, model, losses, optimizers, schedule, seed and the
evaluation protocol. The run writes `DIR/preset/`, a zoo-ready checkpoint
folder, plus `DIR/grids/` (sample grids), `DIR/logs/` (TensorBoard) and
`DIR/backup/` (resumable state; `--resume` continues from it).

Config example (see `training/configs/` for the zoo's):

    name = "dcgan-fashion-mnist"
    [model]
    variant = "dcgan"
    size = "small"
    ema_decay = 0.999
    [data]
    dataset = "fashion-mnist"
    batch_size = 128
    [train]
    epochs = 10
    seed = 0
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import shlex
import shutil
import time
import tomllib
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from kerasgan.utils import atomic_directory

logger = logging.getLogger("kerasgan.training")

DEFAULTS = {
    "model": {"size": "small", "latent_dim": 100, "d_steps": 1, "ema_decay": None},
    "data": {"split": "train", "batch_size": 128, "labels": False},
    "loss": {"d": "non_saturating", "g": "non_saturating", "label_smoothing": 0.0},
    "optimizer": {"d_learning_rate": 2e-4, "g_learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "penalty": {"kind": None, "weight": 10.0},
    "train": {"epochs": 1, "steps_per_epoch": None, "seed": 0, "backup_every_steps": 500,
              "mixed_precision": "auto"},
    "eval": {"metrics": ["fid", "kid", "pr", "cs"], "num_samples": 10000,
             "reference_split": "test"},
}
KNOWN_SECTIONS = set(DEFAULTS) | {"name", "description"}


def load_config(path) -> dict:
    """Reads a TOML config and fills in defaults; unknown sections and keys are errors."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Training config {path} does not exist.")
    raw = path.read_bytes()
    try:
        user = tomllib.loads(raw.decode())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path} is not valid TOML: {e}") from e
    from kerasgan.utils import unknown_name_error

    for section in user:
        if section not in KNOWN_SECTIONS:
            raise unknown_name_error(f"section in {path}:", section, KNOWN_SECTIONS)
    config = {"name": user.get("name", path.stem), "description": user.get("description", "")}
    for section, defaults in DEFAULTS.items():
        values = dict(defaults)
        given = user.get(section, {})
        extra_ok = {"model": {"variant", "num_classes", "image_shape", "d_normalization",
                              "l1_weight", "kl_weight"},
                    "data": {"dataset", "image_size", "channels"}}
        for key in given:
            if key not in defaults and key not in extra_ok.get(section, set()):
                raise unknown_name_error(f"key in [{section}] of {path}:", key,
                                         set(defaults) | extra_ok.get(section, set()))
        values.update(given)
        config[section] = values
    for section, key in (("model", "variant"), ("data", "dataset")):
        if key not in config[section]:
            raise ValueError(f"{path}: [{section}] needs a '{key}'.")
    config["config_sha256"] = hashlib.sha256(raw).hexdigest()
    config["config_path"] = str(path)
    return config


def build_dataset(data_cfg: dict, *, global_batch_size: int, seed: int, split=None,
                  shuffle=True):
    from kerasgan import data

    loaders = {"fashion-mnist": data.fashion_mnist, "mnist": data.mnist}
    name = data_cfg["dataset"]
    if name in data.PAIRED_DATASETS:
        sources, targets = data.load_pairs(name, split or data_cfg["split"])
        return data.from_pairs(sources, targets, batch_size=global_batch_size, shuffle=shuffle,
                               seed=seed)
    if name in data.CAPTIONED_DATASETS:
        images, captions = data.load_captions(name, split or data_cfg["split"])
        return data.from_captions(images, captions, batch_size=global_batch_size,
                                  shuffle=shuffle, seed=seed)
    if name in loaders:
        return loaders[name](split or data_cfg["split"], batch_size=global_batch_size,
                             labels=data_cfg["labels"], shuffle=shuffle, seed=seed)
    if Path(name).is_dir():
        return data.image_folder(name, batch_size=global_batch_size, labels=data_cfg["labels"],
                                 seed=seed, image_size=data_cfg.get("image_size", 28),
                                 channels=data_cfg.get("channels", 1))
    from kerasgan.utils import unknown_name_error

    raise unknown_name_error("dataset", name, [*loaders, *data.PAIRED_DATASETS,
                                               *data.CAPTIONED_DATASETS])


def build_gan(config: dict):
    from kerasgan import data, losses, models, penalties

    m = config["model"]
    kwargs = {"latent_dim": m["latent_dim"], "d_steps": m["d_steps"],
              "ema_decay": m["ema_decay"], "seed": config["train"]["seed"]}
    if "image_shape" in m:
        kwargs["image_shape"] = tuple(m["image_shape"])
    for key in ("num_classes", "d_normalization", "l1_weight", "kl_weight"):
        if key in m:
            kwargs[key] = m[key]
    if config["data"]["dataset"] in data.CAPTIONED_DATASETS:
        # Text-to-image: the vocabulary and example captions come from the dataset.
        kwargs["captions"] = list(data.caption_classes(config["data"]["dataset"]))
    gan = models.create(m["variant"], m["size"], **kwargs)
    o, loss_cfg, pen = config["optimizer"], config["loss"], config["penalty"]
    d_loss = losses.get(loss_cfg["d"])
    if loss_cfg["label_smoothing"]:
        d_loss = type(d_loss)(label_smoothing=loss_cfg["label_smoothing"])
    penalty = None
    if pen["kind"] == "gradient_penalty":
        penalty = penalties.GradientPenalty(pen["weight"])
    elif pen["kind"] == "r1":
        penalty = penalties.R1Penalty(pen["weight"])
    elif pen["kind"] is not None:
        raise ValueError(f"Unknown penalty kind {pen['kind']!r}: use 'gradient_penalty' or 'r1'.")
    gan.compile(
        d_optimizer=keras.optimizers.Adam(o["d_learning_rate"], beta_1=o["beta_1"], beta_2=o["beta_2"]),
        g_optimizer=keras.optimizers.Adam(o["g_learning_rate"], beta_1=o["beta_1"], beta_2=o["beta_2"]),
        d_loss=d_loss, g_loss=losses.get(loss_cfg["g"]), d_penalty=penalty,
    )
    return gan


def precision_policy(setting: str, strategy) -> str:
    """"auto": mixed_float16 on GPUs, mixed_bfloat16 on TPUs, float32 on CPUs (where
    mixed precision measured 11x slower: 18 vs 200 img/s)."""
    choices = ("auto", "off", "float32", "mixed_float16", "mixed_bfloat16")
    if setting not in choices:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("mixed_precision setting", setting, choices)
    if setting == "off":
        return "float32"
    if setting != "auto":
        return setting
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16"
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "float32"


STATE_FILE = "state.weights.h5"
PROGRESS_FILE = "progress.json"


def count_batches(dataset) -> int:
    cardinality = int(dataset.cardinality())
    if cardinality >= 0:
        return cardinality
    return sum(1 for _ in dataset)


def latest_checkpoint(backup_dir) -> tuple[Path, dict] | None:
    """The newest complete checkpoint folder in `backup_dir` and its progress record."""
    backup_dir = Path(backup_dir)
    if not backup_dir.is_dir():
        return None
    for folder in sorted(backup_dir.glob("ckpt-*"), reverse=True):
        if (folder / STATE_FILE).is_file() and (folder / PROGRESS_FILE).is_file():
            return folder, json.loads((folder / PROGRESS_FILE).read_text())
    return None


class StopAtStep(keras.callbacks.Callback):
    """Ends training once the generator has taken `total_steps` steps."""

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) >= self.total_steps:
            self.model.stop_training = True


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves the whole training state (both networks, EMA, both optimizers, the noise
    seed) every `chunk` steps into `ckpt-NNNNNN/`, written as a temp folder then renamed,
    so a run killed at any moment (SIGKILL included) resumes from the last complete one.
    A state with a non-finite loss is never saved."""

    def __init__(self, backup_dir, chunk, *, started, previous_wall=0.0, keep=2):
        super().__init__()
        self.backup_dir, self.chunk, self.keep = Path(backup_dir), chunk, keep
        self.started, self.previous_wall = started, previous_wall
        self.diverged = False

    def on_epoch_end(self, epoch, logs=None):
        values = [np.ravel(v) for v in (logs or {}).values()]
        if not all(np.isfinite(v).all() for v in values):
            self.diverged = True
            return
        progress = {"chunks_done": epoch + 1,
                    "steps": int(self.model.g_optimizer.iterations.numpy()),
                    "wall_time_s": self.previous_wall + time.time() - self.started}
        with atomic_directory(self.backup_dir / f"ckpt-{epoch + 1:06d}", overwrite=True) as tmp:
            self.model.save_weights(tmp / STATE_FILE)
            (tmp / PROGRESS_FILE).write_text(json.dumps(progress))
        for old in sorted(self.backup_dir.glob("ckpt-*"))[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)


def hardware_description() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus]
        return f"{len(gpus)}x {names[0]}"
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU ({os.cpu_count()} cores, {model}), no GPU"


def train(config_path, out_dir, *, strategy: str = "auto", resume: bool = False,
          epochs: int | None = None, steps_per_epoch: int | None = None, evaluate: bool = True,
          num_eval_samples: int | None = None, verbose: int | str = "auto",
          overwrite: bool = False) -> Path:
    """Trains from a config and writes `out_dir/preset`. Returns the preset path."""
    from kerasgan.callbacks import SampleGrid
    from kerasgan.distribute import get_strategy
    from kerasgan.zoo.preset import save_to_preset

    config = load_config(config_path)
    out_dir = Path(out_dir)
    backup_dir = out_dir / "backup"
    if out_dir.exists() and any(out_dir.iterdir()) and not resume and not overwrite:
        raise FileExistsError(
            f"{out_dir} is not empty. Pass --resume to continue that run, or --overwrite."
        )
    t = config["train"]
    if epochs is not None:
        t["epochs"] = epochs
    if steps_per_epoch is not None:
        t["steps_per_epoch"] = steps_per_epoch
    keras.utils.set_random_seed(t["seed"])
    strat = get_strategy(strategy)
    policy = precision_policy(t["mixed_precision"], strat)
    keras.mixed_precision.set_global_policy(policy)
    global_batch = config["data"]["batch_size"]
    dataset = build_dataset(config["data"], global_batch_size=global_batch, seed=t["seed"])
    with strat.scope():
        gan = build_gan(config)
    data_steps = t["steps_per_epoch"] or count_batches(dataset)
    total_steps = t["epochs"] * data_steps
    # Equal chunks of at most backup_every_steps that add up to total_steps where
    # possible; otherwise the last one is cut short by StopAtStep.
    num_chunks = math.ceil(total_steps / max(1, min(t["backup_every_steps"], total_steps)))
    chunk = math.ceil(total_steps / num_chunks)
    chunks_done, previous_wall = 0, 0.0
    if resume:
        latest = latest_checkpoint(backup_dir)
        if latest is not None:
            folder, progress = latest
            gan.load_weights(folder / STATE_FILE)
            chunks_done, previous_wall = progress["chunks_done"], progress["wall_time_s"]
            logger.warning("Resuming %s from %s (step %d).", out_dir, folder, progress["steps"])
    # A repeated, seeded pipeline skipped to the saved position replays exactly the
    # batches an uninterrupted run would see next.
    stream = dataset.repeat().skip(chunks_done * chunk)
    sample_inputs = None
    if gan.task == "image-to-image":
        # Grids and golden outputs from held-out sources, not noise.
        from kerasgan.data import load_pairs

        held_out, _ = load_pairs(config["data"]["dataset"], config["eval"]["reference_split"])
        sample_inputs = {"images": held_out[:64]}
    start = time.time()
    checkpoints = ResumableCheckpoint(backup_dir, chunk, started=start, previous_wall=previous_wall)
    callbacks = [
        StopAtStep(total_steps),
        checkpoints,
        keras.callbacks.TerminateOnNaN(),
        SampleGrid(out_dir / "grids", log_dir=out_dir / "logs",
                   every_n_epochs=max(1, data_steps // chunk), inputs=sample_inputs),
        keras.callbacks.TensorBoard(str(out_dir / "logs"), update_freq=50),
        keras.callbacks.CSVLogger(str(out_dir / "history.csv"), append=True),
    ]
    history = gan.fit(stream, epochs=num_chunks, initial_epoch=chunks_done, steps_per_epoch=chunk,
                      callbacks=callbacks, verbose=verbose)
    wall = previous_wall + time.time() - start
    losses = {k: [float(np.ravel(v)[0]) for v in vals] for k, vals in history.history.items()}
    if checkpoints.diverged or any(not np.isfinite(v[-1]) for v in losses.values() if v):
        last_good = latest_checkpoint(backup_dir)
        raise FloatingPointError(
            f"Training diverged: a loss became NaN or Inf ({losses}). The last good state is "
            f"{last_good[0] if last_good else 'not saved'}; "
            "lower the learning rates or add a penalty, then --resume."
        )
    steps = int(gan.g_optimizer.iterations.numpy())
    command = "kerasgan train " + " ".join(shlex.quote(a) for a in
                                           [str(config_path), "--out", str(out_dir)])
    metadata = {
        "name": config["name"],
        "variant": config["model"]["variant"],
        "description": config["description"],
        "data": {"dataset": config["data"]["dataset"], "split": config["data"]["split"],
                 "labels": config["data"]["labels"]},
        "training": {"steps": steps, "epochs": round(steps / data_steps, 2),
                     "batch_size": global_batch,
                     "wall_time_s": round(wall, 1), "hardware": hardware_description(),
                     "strategy": type(strat).__name__.lstrip("_"), "precision": policy, "command": command,
                     "final_losses": {k: v[-1] for k, v in losses.items() if v}},
        "config": {k: v for k, v in config.items() if k not in ("config_path",)},
        "config_sha256": config["config_sha256"],
        "evaluation_command": f"kerasgan evaluate {out_dir / 'preset'}",
    }
    keras.mixed_precision.set_global_policy("float32")
    preset = save_to_preset(gan, out_dir / "preset", metadata=metadata, overwrite=True,
                            sample_inputs=sample_inputs)
    (out_dir / "train_summary.json").write_text(json.dumps(metadata, indent=2))
    if evaluate:
        from kerasgan.metrics import evaluate_preset

        evaluate_preset(preset, metrics=config["eval"]["metrics"],
                        num_samples=num_eval_samples or config["eval"]["num_samples"],
                        reference_split=config["eval"]["reference_split"], write=True)
    return preset


def main_train(args) -> int:
    preset = train(args.config, args.out, strategy=args.strategy, resume=args.resume,
                   epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                   evaluate=not args.no_eval, num_eval_samples=args.num_eval_samples,
                   overwrite=args.overwrite)
    print(f"Wrote {preset}")
    return 0

