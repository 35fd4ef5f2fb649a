"""Reproducible training from a TOML config: `kerasgan train CONFIG --out DIR`.

A config names the data, model, losses, optimizers, schedule, seed and the
evaluation protocol. The run writes `DIR/preset/`, a zoo-ready checkpoint
folder, plus `DIR/grids/` (sample grids), `DIR/logs/` (TensorBoard) and
`DIR/backup/` (resumable state; `--resume` continues from it). Ctrl-C saves the
state at that step and prints the command that resumes it.

The whole config (every key's type, range and allowed names, the dataset, and
whether data, model and metrics fit together) is checked before any data is
read or any step is taken.

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

import contextlib
import dataclasses
import hashlib
import inspect
import json
import logging
import math
import os
import platform
import shlex
import shutil
import signal
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from kerasgan.utils import (atomic_directory, check_writable, hardware_description,  # noqa: F401
                            logs_are_finite, unknown_name_error)

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
#: keys a section accepts beyond its defaults (they have no default: unset unless given).
OPTIONAL_KEYS = {"model": {"variant", "num_classes", "image_shape", "d_normalization",
                           "l1_weight", "kl_weight", "info_weight", "continuous_weight",
                           "gradient_penalty", "unrolled_steps", "unrolled_learning_rate",
                           "minibatch_stddev", "simultaneous_updates", "mode_seeking_weight",
                           "cycle_weight", "identity_weight", "history_size", "scale",
                           "adversarial_weight", "content_loss", "generator_init",
                           "phase_steps", "drift", "style_mixing", "path_length_weight",
                           "r1_gamma", "d_downsamples", "d_dropout"},
                 "data": {"dataset", "image_size", "channels", "data_dir", "download"},
                 "optimizer": {"variant_defaults"}}
#: keys that only some variants take (each is checked against the variant's arguments).
VARIANT_KEYS = ("num_classes", "image_shape", "d_normalization", "l1_weight", "kl_weight",
                "info_weight", "continuous_weight", "gradient_penalty", "unrolled_steps",
                "unrolled_learning_rate", "minibatch_stddev", "simultaneous_updates",
                "mode_seeking_weight", "cycle_weight", "identity_weight", "history_size",
                "scale", "adversarial_weight", "content_loss", "phase_steps", "drift",
                "style_mixing", "path_length_weight", "r1_gamma", "d_downsamples", "d_dropout")
KNOWN_SECTIONS = set(DEFAULTS) | {"name", "description"}
PRECISION_SETTINGS = ("auto", "off", "float32", "mixed_float16", "mixed_bfloat16")
PENALTY_KINDS = ("gradient_penalty", "r1", "none")
_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a table"}


# ----------------------------------------------------------------- config checks
@dataclasses.dataclass(frozen=True)
class Rule:
    """What one config value accepts: `expected` is the phrase errors use ("an integer
    >= 1"), `types` the TOML types it may have and `accepts` the full test."""

    expected: str
    types: tuple
    accepts: Callable[[object], bool]


def _is_a(value, types) -> bool:
    # TOML booleans are Python ints: `epochs = true` is not an integer.
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def integer(minimum: int | None = None, maximum: int | None = None) -> Rule:
    bounds = (f" >= {minimum}" if maximum is None else f" in [{minimum}, {maximum}]"
              ) if minimum is not None else ""
    return Rule(f"an integer{bounds}", (int,),
                lambda v: _is_a(v, (int,)) and (minimum is None or v >= minimum)
                and (maximum is None or v <= maximum))


def number(*, minimum: float | None = None, above: float | None = None,
           below: float | None = None) -> Rule:
    parts = [f">= {minimum:g}" if minimum is not None else "",
             f"> {above:g}" if above is not None else "",
             f"< {below:g}" if below is not None else ""]
    bounds = " and ".join(p for p in parts if p)
    return Rule(f"a number{' ' + bounds if bounds else ''}", (int, float),
                lambda v: _is_a(v, (int, float)) and math.isfinite(v)
                and (minimum is None or v >= minimum) and (above is None or v > above)
                and (below is None or v < below))


def text() -> Rule:
    return Rule("a non-empty string", (str,), lambda v: _is_a(v, (str,)) and bool(v.strip()))


def one_of(choices) -> Rule:
    choices = tuple(choices)
    return Rule(f"one of {', '.join(map(repr, choices))}", tuple({type(c) for c in choices}),
                lambda v: any(_is_a(v, (type(c),)) and v == c for c in choices))


def boolean() -> Rule:
    return Rule("true or false", (bool,), lambda v: isinstance(v, bool))


def list_of(item: Rule, *, length: int | None = None, empty: bool = False) -> Rule:
    items = item.expected.replace("an integer", "integers").replace("a non-empty string",
                                                                    "strings")
    expected = (f"a list of {length} {items}" if length
                else f"a list of {items}" if empty else f"a non-empty list of {items}")
    return Rule(expected, (list,),
                lambda v: isinstance(v, list) and (empty or len(v) > 0)
                and (length is None or len(v) == length) and all(item.accepts(x) for x in v))


def either(first: Rule, second: Rule) -> Rule:
    return Rule(f"{first.expected} or {second.expected}", first.types + second.types,
                lambda v: first.accepts(v) or second.accepts(v))


def config_rules() -> dict[str, dict[str, Rule]]:
    """Section -> key -> `Rule`. Names that typos hit most (variant, losses, metrics) are
    checked separately so their errors can suggest the closest match."""
    from kerasgan import metrics

    # The metrics refuse smaller samples; refusing them here saves the training first.
    min_eval_samples = getattr(metrics, "MIN_SAMPLES", 1)
    return {
        "": {"name": text(), "description": Rule("a string", (str,),
                                                   lambda v: isinstance(v, str))},
        "model": {"variant": text(), "size": text(), "latent_dim": integer(1),
                  "d_steps": integer(1), "ema_decay": number(minimum=0, below=1),
                  "num_classes": integer(2), "image_shape": list_of(integer(1), length=3),
                  "d_normalization": text(), "l1_weight": number(minimum=0),
                  "kl_weight": number(minimum=0), "info_weight": number(minimum=0),
                  "continuous_weight": number(minimum=0), "gradient_penalty": number(minimum=0),
                  "unrolled_steps": integer(1), "unrolled_learning_rate": number(above=0),
                  "minibatch_stddev": integer(0), "simultaneous_updates": boolean(),
                  "mode_seeking_weight": number(minimum=0), "cycle_weight": number(minimum=0),
                  "identity_weight": number(minimum=0), "history_size": integer(0),
                  "scale": integer(2), "adversarial_weight": number(minimum=0),
                  "content_loss": text(), "generator_init": text(),
                  "phase_steps": integer(1), "drift": number(minimum=0),
                  "style_mixing": number(minimum=0),
                  "path_length_weight": number(minimum=0), "r1_gamma": number(minimum=0),
                  "d_downsamples": integer(0, 2), "d_dropout": number(minimum=0, below=1)},
        "data": {"dataset": text(), "split": text(), "batch_size": integer(1),
                 "labels": boolean(),
                 "image_size": either(integer(1), list_of(integer(1), length=2)),
                 "channels": one_of((1, 3)), "data_dir": text(), "download": boolean()},
        "loss": {"d": text(), "g": text(), "label_smoothing": number(minimum=0, below=1)},
        "optimizer": {"d_learning_rate": number(above=0), "g_learning_rate": number(above=0),
                      "beta_1": number(minimum=0, below=1),
                      "beta_2": number(minimum=0, below=1),
                      # The variant's own optimizers (StyleGAN's, adjusted for its lazy
                      # regularisation) instead of the keys above.
                      "variant_defaults": boolean()},
        "penalty": {"kind": text(), "weight": number(minimum=0)},
        "train": {"epochs": integer(1), "steps_per_epoch": integer(1),
                  "seed": integer(0, 2**32 - 1), "backup_every_steps": integer(1),
                  "mixed_precision": text()},
        # Empty: no distribution metrics (a dataset without a feature classifier).
        "eval": {"metrics": list_of(text(), empty=True), "num_samples": integer(min_eval_samples),
                 "reference_split": text()},
    }


def check_value(rule: Rule, key: str, value, where: str) -> None:
    """Raises a `TypeError` (wrong TOML type) or `ValueError` (out of range) naming
    `where` ("[train] epochs in run.toml", "--epochs"), the expectation and the value."""
    if rule.accepts(value):
        return
    if not _is_a(value, rule.types):
        received = _TYPE_NAMES.get(type(value), type(value).__name__)
        raise TypeError(f"Expected {where} to be {rule.expected}. "
                        f"Received: {key}={value!r} ({received})")
    raise ValueError(f"Expected {where} to be {rule.expected}. Received: {key}={value!r}")


def _check_name(kind: str, value: str, choices, where: str) -> None:
    if value not in choices:
        raise unknown_name_error(f"{kind} in {where}:", value, choices)


def _model_arguments(cls) -> set[str]:
    """The keyword arguments a variant's `from_size` and constructors take by name."""
    from kerasgan.models import GAN

    functions = [cls.from_size] + [klass.__init__ for klass in cls.__mro__
                                   if "__init__" in vars(klass) and issubclass(klass, GAN)]
    return {name for function in functions
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)}


def dataset_kind(name: str) -> str:
    """The kind of a registered dataset ("images", "paired", "captioned" or "unpaired", see
    `kerasgan.data.get_dataset`); "tfds" for a "tfds:NAME" spec; "folder" for a folder
    of images. Raises an error with the closest names for anything else."""
    from kerasgan import data
    from kerasgan.data.tfds import parse_tfds_spec

    if parse_tfds_spec(name) is not None:
        return "tfds"
    registered = data.find_dataset(name)
    if registered is not None:
        return registered.kind
    if Path(name).expanduser().is_dir():
        return "folder"
    known = data.dataset_names()
    if os.sep in name or name.startswith((".", "~")):
        raise FileNotFoundError(f"The dataset folder {name} does not exist (relative paths are "
                                f"read from {Path.cwd()}). Received: dataset='{name}'")
    raise unknown_name_error("dataset (a name, or a folder of images)", name, known)


def check_config(config: dict, source: str = "the config") -> dict:
    """Checks every value of a filled-in config, before any data is read.

    Each key's TOML type and range (e.g. `epochs` an integer >= 1, learning rates > 0),
    the names (variant and its size, losses, penalty, metrics, precision, dataset and
    splits), which keys apply to the variant, and whether the variant's task fits the
    dataset (paired data for image-to-image, labels for conditional models...).

    Raises:
        TypeError: a value of the wrong type, naming the key, the expected type and the
            value received.
        ValueError: a value out of range, an unknown name (with the closest matches) or
            a combination that can't train.

    Example:
    >>> check_config(load_config("training/configs/dcgan-fashion-mnist.toml"))  # doctest: +SKIP
    """
    from kerasgan import data as datasets, losses, metrics, models
    from kerasgan.models.dcgan import D_NORMALIZATIONS

    for section, rules in config_rules().items():
        values = config if not section else config[section]
        for key, rule in rules.items():
            if values.get(key) is not None:  # None: unset (TOML has no null)
                where = f"{key} in {source}" if not section else f"[{section}] {key} in {source}"
                check_value(rule, key, values[key], where)
    model, data, train_cfg, eval_cfg = (config[s] for s in ("model", "data", "train", "eval"))
    variant = model["variant"]
    _check_name("GAN variant", variant, models.VARIANTS, f"[model] variant of {source}")
    cls = models.VARIANTS[variant]
    sizes = getattr(sys.modules[cls.__module__], "SIZES", None)
    if sizes is not None:
        _check_name(f"{variant} size", model["size"], sizes, f"[model] size of {source}")
    for key in VARIANT_KEYS:
        if key in model and key not in _model_arguments(cls):
            takers = [name for name, other in models.VARIANTS.items()
                      if key in _model_arguments(other)]
            raise ValueError(f"[model] {key} in {source} does not apply to {variant} models "
                             f"(only to: {', '.join(takers)}). Received: {key}={model[key]!r}")
    if "d_normalization" in model:
        _check_name("discriminator normalization", model["d_normalization"], D_NORMALIZATIONS,
                    f"[model] d_normalization of {source}")
    for key in ("d", "g"):
        _check_name("GAN loss", config["loss"][key], losses.LOSSES, f"[loss] {key} of {source}")
    if config["penalty"]["kind"] is not None:
        _check_name("penalty kind", config["penalty"]["kind"], PENALTY_KINDS,
                    f"[penalty] kind of {source}")
    _check_name("mixed_precision setting", train_cfg["mixed_precision"], PRECISION_SETTINGS,
                f"[train] mixed_precision of {source}")
    for metric in eval_cfg["metrics"]:
        _check_name("metric", metric, metrics.METRICS, f"[eval] metrics of {source}")

    dataset = data["dataset"]
    kind = dataset_kind(dataset)
    registered = datasets.find_dataset(dataset)
    if not eval_cfg["metrics"] and registered is not None and registered.classifier is not None:
        # Only a dataset without a feature classifier (the task's own scores only) may
        # leave the list empty; anywhere else an empty list would silently score nothing.
        raise ValueError(
            f"[eval] metrics in {source} must be a non-empty list of metric names: "
            f"'{dataset}' has a feature classifier to score with. Pass --no-eval to skip "
            f"the evaluation. Received: metrics=[]")
    if registered is not None:
        for section, key in (("data", "split"), ("eval", "reference_split")):
            _check_name(f"{dataset} split", config[section][key], registered.splits,
                        f"[{section}] {key} of {source}")
    if kind != "tfds":
        for key in ("data_dir", "download"):
            if key in data:
                raise ValueError(f"[data] {key} in {source} applies to TFDS datasets "
                                 f"('tfds:NAME'). Received: {key}={data[key]!r}")
    if kind not in ("folder", "tfds"):
        for key in ("image_size", "channels"):
            if key in data:
                raise ValueError(f"[data] {key} in {source} applies to folders of images; "
                                 f"'{dataset}' has a fixed size. Received: {key}={data[key]!r}")
    from kerasgan.tasks import task_of

    wanted = task_of(cls).data_kind
    if wanted is not None and {"folder": "images", "tfds": "images"}.get(kind, kind) != wanted:
        named = {k: ", ".join(datasets.dataset_names(k)) for k in datasets.KINDS}
        kinds = {"images": f"images ({named['images']} or a folder of images)",
                 "paired": f"(source, target) pairs ({named['paired']})",
                 "captioned": f"captioned images ({named['captioned']})",
                 "unpaired": f"two unpaired domains ({named['unpaired']})",
                 "folder": "images (a folder)", "tfds": "images (a TFDS dataset)"}
        raise ValueError(f"{variant} models ({task_of(cls).name}) train on {kinds[wanted]}, but [data] "
                         f"dataset in {source} holds {kinds[kind]}. Received: "
                         f"dataset='{dataset}'")
    if task_of(cls).trains_on_labels:
        if not data["labels"]:
            raise ValueError(f"{variant} is a conditional model: it trains on class labels. "
                             f"Set labels = true in [data] of {source}. Received: labels=false")
        classes = registered.classes if registered is not None else None
        if classes is not None and model.get("num_classes", 10) < len(classes):
            raise ValueError(f"{dataset} has {len(classes)} classes, but [model] num_classes "
                             f"in {source} is smaller. Received: "
                             f"num_classes={model.get('num_classes', 10)}")
    group = model.get("minibatch_stddev", 0)
    if group and data["batch_size"] % group:
        raise ValueError(f"[model] minibatch_stddev = {group} in {source} splits each batch into "
                         f"groups of {group}: [data] batch_size must be a multiple of it. "
                         f"Received: batch_size={data['batch_size']}")
    return config


def load_config(path) -> dict:
    """Reads a TOML config, fills in `DEFAULTS` and checks it all (`check_config`):
    unknown sections and keys, wrong types and out-of-range values are errors.

    Example:
    >>> config = load_config("training/configs/dcgan-fashion-mnist.toml")  # doctest: +SKIP
    >>> config["train"]["epochs"], config["data"]["batch_size"]            # doctest: +SKIP
    (6, 128)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Training config {path} does not exist.")
    raw = path.read_bytes()
    try:
        user = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not valid TOML: {e}") from e
    if isinstance(user.get("data"), str):
        # `data = "tfds:cifar10"` is short for `[data] dataset = "tfds:cifar10"`.
        user["data"] = {"dataset": user["data"]}
    for section in user:
        if section not in KNOWN_SECTIONS:
            raise unknown_name_error(f"section in {path}:", section, KNOWN_SECTIONS)
    config = {"name": user.get("name", path.stem), "description": user.get("description", "")}
    for section, defaults in DEFAULTS.items():
        given = user.get(section, {})
        if not isinstance(given, dict):
            raise TypeError(f"Expected {section} in {path} to be a table (a [{section}] "
                            f"section). Received: {section}={given!r}")
        allowed = set(defaults) | OPTIONAL_KEYS.get(section, set())
        for key in given:
            if key not in allowed:
                raise unknown_name_error(f"key in [{section}] of {path}:", key, allowed)
        config[section] = {**defaults, **given}
    for section, key in (("model", "variant"), ("data", "dataset")):
        if key not in config[section]:
            raise ValueError(f"{path}: [{section}] needs a '{key}'.")
    config["config_sha256"] = hashlib.sha256(raw).hexdigest()
    config["config_path"] = str(path)
    return check_config(config, source=str(path))


def build_dataset(data_cfg: dict, *, global_batch_size: int, seed: int, split=None,
                  shuffle=True):
    from kerasgan import data

    name = data_cfg["dataset"]
    if data.find_dataset(name) is not None:
        return data.pipeline(name, split or data_cfg["split"], batch_size=global_batch_size,
                             labels=data_cfg["labels"], shuffle=shuffle, seed=seed)
    from kerasgan.data.tfds import from_tfds, parse_tfds_spec

    tfds_name = parse_tfds_spec(name)
    if tfds_name is not None:
        return from_tfds(tfds_name, split or data_cfg["split"], data_dir=data_cfg.get("data_dir"),
                         labels=data_cfg["labels"], image_size=data_cfg.get("image_size"),
                         channels=data_cfg.get("channels"), batch_size=global_batch_size,
                         shuffle=shuffle, seed=seed, download=data_cfg.get("download", False))
    if Path(name).expanduser().is_dir():
        return data.image_folder(Path(name).expanduser(), batch_size=global_batch_size,
                                 labels=data_cfg["labels"], seed=seed,
                                 image_size=data_cfg.get("image_size", 28),
                                 channels=data_cfg.get("channels", 1))
    raise unknown_name_error("dataset", name, data.dataset_names())


def build_gan(config: dict):
    from kerasgan import data, losses, models, penalties

    m = config["model"]
    kwargs = {"latent_dim": m["latent_dim"], "d_steps": m["d_steps"],
              "ema_decay": m["ema_decay"], "seed": config["train"]["seed"]}
    if "image_shape" in m:
        kwargs["image_shape"] = tuple(m["image_shape"])
    for key in VARIANT_KEYS:
        if key in m and key != "image_shape":
            kwargs[key] = m[key]
    registered = data.find_dataset(config["data"]["dataset"])
    if registered is not None and registered.kind == "captioned" and registered.classes:
        # Text-to-image: the vocabulary and example captions come from the dataset.
        kwargs["captions"] = list(registered.classes)
    gan = models.create(m["variant"], m["size"], **kwargs)
    o, loss_cfg, pen = config["optimizer"], config["loss"], config["penalty"]
    d_loss = losses.get(loss_cfg["d"])
    if loss_cfg["label_smoothing"]:
        d_loss = type(d_loss)(label_smoothing=loss_cfg["label_smoothing"])
    # No [penalty] kind: the variant's default (WGAN-GP's gradient penalty); "none": none.
    penalty = "auto"
    if pen["kind"] == "none":
        penalty = None
    elif pen["kind"] is not None:
        penalty = type(penalties.get(pen["kind"]))(pen["weight"])
    groups = {g.name for g in gan.update_groups()}
    optimizers = {name: keras.optimizers.Adam(o[f"{name}_learning_rate"], beta_1=o["beta_1"],
                                              beta_2=o["beta_2"])
                  for name in ("d", "g") if name in groups}  # SRResNet has no `d`
    if o.get("variant_defaults"):
        optimizers = {}
    gan.compile(optimizers=optimizers, d_loss=d_loss, g_loss=losses.get(loss_cfg["g"]),
                d_penalty=penalty)
    if m.get("generator_init"):
        initialize_generator(gan, m["generator_init"])
    return gan


def initialize_generator(gan, source: str) -> None:
    """Copies the generator (and its EMA copy) of a zoo model or preset folder into `gan`,
    as SRGAN starts from a trained SRResNet; a clear error when the two don't match."""
    from kerasgan.zoo import load

    trained = load(source, compile=False)
    mine, theirs = gan.generator.get_weights(), trained.sampling_generator.get_weights()
    if [w.shape for w in mine] != [w.shape for w in theirs]:
        raise ValueError(f"[model] generator_init = {source!r}: its generator's weights "
                         f"({sum(w.size for w in theirs):,} values in {len(theirs)} arrays) do "
                         f"not fit this model's ({sum(w.size for w in mine):,} in {len(mine)}). "
                         "Use the same variant size and image channels.")
    gan.generator.set_weights(theirs)
    if gan.ema_decay:
        gan.ema_generator.set_weights(theirs)


def check_data_fits_model(dataset, gan) -> None:
    """The batches' image shapes must be the model's, or the first step fails inside
    TensorFlow; says which setting to change instead."""
    from kerasgan.tasks import task_of

    pairs = task_of(gan).batch_image_specs(gan, dataset.element_spec)
    for tensor_spec, model_shape, what in pairs:
        if model_shape is None or not hasattr(tensor_spec, "shape"):
            continue
        data_shape = tuple(tensor_spec.shape[1:])
        if None not in data_shape and data_shape != tuple(model_shape):
            size = "x".join(map(str, data_shape))
            raise ValueError(
                f"The data's {what} are {size}, but the model's are "
                f"{'x'.join(map(str, model_shape))}: set [model] image_shape = "
                f"{list(data_shape)} (or, for a folder, [data] image_size and channels to "
                f"match the model). Received: data {what} shape={data_shape}, model "
                f"shape={tuple(model_shape)}")


def precision_policy(setting: str, strategy) -> str:
    """"auto": mixed_float16 on GPUs, mixed_bfloat16 on TPUs, float32 on CPUs (where
    mixed precision measured 11x slower: 18 vs 200 img/s)."""
    if setting not in PRECISION_SETTINGS:
        raise unknown_name_error("mixed_precision setting", setting, PRECISION_SETTINGS)
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
#: what a run writes into its folder; `--overwrite` removes these first, so no stale
#: backup of the previous run can be resumed or outlive the new run's backups.
RUN_OUTPUTS = ("backup", "grids", "logs", "preset", "history.csv", "train_summary.json")


def count_batches(dataset) -> int:
    cardinality = int(dataset.cardinality())
    if cardinality >= 0:
        return cardinality
    return sum(1 for _ in dataset)


def _complete_checkpoints(backup_dir) -> list[tuple[Path, dict]]:
    """Complete checkpoint folders with their progress records, oldest (fewest steps) first."""
    backup_dir = Path(backup_dir)
    if not backup_dir.is_dir():
        return []
    found = []
    for folder in backup_dir.glob("ckpt-*"):
        if (folder / STATE_FILE).is_file() and (folder / PROGRESS_FILE).is_file():
            progress = json.loads((folder / PROGRESS_FILE).read_text())
            found.append((folder, progress))
    return sorted(found, key=lambda item: (item[1].get("steps", 0), item[0].name))


def latest_checkpoint(backup_dir) -> tuple[Path, dict] | None:
    """The complete checkpoint folder in `backup_dir` with the most steps, and its
    progress record (`steps`, `chunks_done`, `wall_time_s`, ...); None if there is none."""
    checkpoints = _complete_checkpoints(backup_dir)
    return checkpoints[-1] if checkpoints else None


class StopAtStep(keras.callbacks.Callback):
    """Ends training once the generator has taken `total_steps` steps."""

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) >= self.total_steps:
            self.model.stop_training = True


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during `train`. The state at the interrupted step was saved first; the
    message says where and gives the command that resumes exactly from there.

    Attributes:
        checkpoint: the saved checkpoint folder (None if nothing could be saved).
        steps: the generator steps the saved state has taken.
        resume_command: the command line that continues the run.
    """

    def __init__(self, message: str, *, checkpoint=None, steps=None, resume_command=None):
        super().__init__(message)
        self.checkpoint, self.steps, self.resume_command = checkpoint, steps, resume_command

    def __str__(self):
        return self.args[0]


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves the whole training state (both networks, EMA, both optimizers, the noise
    seed) every `chunk` steps into `ckpt-NNNNNN/`, written as a temp folder then renamed,
    so a run killed at any moment (SIGKILL included) resumes from the last complete one;
    `save_now` saves it mid-chunk (on Ctrl-C). A resumed run skips the data stream by the
    saved `steps`, so it replays exactly the batches an uninterrupted run would see.
    A state with a non-finite loss is never saved."""

    def __init__(self, backup_dir, chunk, *, started, previous_wall=0.0, keep=2,
                 initial_epoch=0, total_steps=None, config_sha256=None):
        super().__init__()
        self.backup_dir, self.chunk, self.keep = Path(backup_dir), chunk, keep
        self.started, self.previous_wall = started, previous_wall
        self.total_steps, self.config_sha256 = total_steps, config_sha256
        self.epoch = initial_epoch
        self.diverged = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if not logs_are_finite(logs):
            self.diverged = True
            return
        self._save(self.model, epoch + 1, chunks_done=epoch + 1)

    def _save(self, gan, number: int, *, chunks_done: int, interrupted: bool = False) -> Path:
        progress = {"chunks_done": chunks_done,
                    "steps": int(gan.g_optimizer.iterations.numpy()),
                    "chunk": self.chunk, "total_steps": self.total_steps,
                    "interrupted": interrupted, "config_sha256": self.config_sha256,
                    "wall_time_s": self.previous_wall + time.time() - self.started}
        folder = self.backup_dir / f"ckpt-{number:06d}"
        with atomic_directory(folder, overwrite=True) as tmp:
            gan.save_weights(tmp / STATE_FILE)
            (tmp / PROGRESS_FILE).write_text(json.dumps(progress))
        for old, _ in _complete_checkpoints(self.backup_dir)[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return folder

    def save_now(self, gan) -> tuple[Path | None, int]:
        """Saves the state as it is now (between two steps), unless a checkpoint already
        holds this step or the state is not finite. Returns (the checkpoint holding the
        newest good state or None, its steps)."""
        steps = int(gan.g_optimizer.iterations.numpy())
        latest = latest_checkpoint(self.backup_dir)
        if latest is not None and latest[1].get("steps") == steps:
            return latest[0], steps
        if self.diverged or not all(np.isfinite(w).all() for w in gan.get_weights()):
            return (latest[0], latest[1].get("steps")) if latest else (None, 0)
        # Named after the chunk in progress: it sorts after every earlier checkpoint and
        # is replaced when that chunk ends.
        return self._save(gan, self.epoch + 1, chunks_done=self.epoch, interrupted=True), steps


@contextlib.contextmanager
def _sigint_deferred():
    """A second Ctrl-C must not break the state being saved after the first."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def estimated_run_bytes(gan, keep: int = 2) -> int:
    """About the disk a run needs: `keep` backups plus the one being written (weights and
    optimizer slots) and the preset."""
    optimizer_variables = [v for g in gan.update_groups() for v in gan.optimizer_of(g.name).variables]
    variables = {id(v): v for v in [*gan.variables, *optimizer_variables]}
    state = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables.values())
    return state * (keep + 2)


def train_command(config_path, out_dir, *, strategy="auto", epochs=None, steps_per_epoch=None,
                  evaluate=True, num_eval_samples=None, resume=False) -> str:
    """The `kerasgan train` command line for these arguments (recorded in the preset's
    metadata; with `resume=True`, the one an interrupted run prints)."""
    args = [str(config_path), "--out", str(out_dir)]
    if strategy != "auto":
        args += ["--strategy", strategy]
    for flag, value in (("--epochs", epochs), ("--steps-per-epoch", steps_per_epoch),
                        ("--num-eval-samples", num_eval_samples)):
        if value is not None:
            args += [flag, str(value)]
    if not evaluate:
        args.append("--no-eval")
    if resume:
        args.append("--resume")
    return "kerasgan train " + " ".join(shlex.quote(a) for a in args)


def _clear_previous_run(out_dir: Path) -> None:
    for name in RUN_OUTPUTS:
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def train(config_path, out_dir, *, strategy: str = "auto", resume: bool = False,
          epochs: int | None = None, steps_per_epoch: int | None = None, evaluate: bool = True,
          num_eval_samples: int | None = None, verbose: int | str = "auto",
          overwrite: bool = False, callbacks=None) -> Path:
    """Trains from a config and writes `out_dir/preset`. Returns the preset path.

    Everything that can fail on bad input is checked before the first step (most of it
    before any data is read): the config and the overrides (`check_config`), the run
    folder (writable, empty unless `resume` or `overwrite`, a saved state to `resume`
    from), the metrics, and that the data's images fit the model.

    Args:
        config_path: a TOML config (see the module docstring).
        out_dir: the run folder.
        strategy: "auto", "cpu", "gpu", "mirrored", "multiworker" or "tpu".
        resume: continue the run saved in `out_dir/backup` (exactly: same result as
            an uninterrupted run).
        epochs, steps_per_epoch, num_eval_samples: override the config's values.
        evaluate: compute the config's metrics at the end.
        verbose: Keras' `fit` verbosity.
        overwrite: replace a previous run in `out_dir`.
        callbacks: more Keras callbacks for `fit`.

    Raises:
        TrainingInterrupted: Ctrl-C (a `KeyboardInterrupt`); the state at that step is
            saved first, and the message gives the command that resumes it.

    Example:
    >>> preset = train("training/configs/dcgan-fashion-mnist.toml", "runs/dcgan")  # doctest: +SKIP
    """
    config = load_config(config_path)
    rules = config_rules()
    for flag, section, key, value in (("--epochs", "train", "epochs", epochs),
                                      ("--steps-per-epoch", "train", "steps_per_epoch",
                                       steps_per_epoch),
                                      ("--num-eval-samples", "eval", "num_samples",
                                       num_eval_samples)):
        if value is not None:
            check_value(rules[section][key], key, value, f"{flag} (overriding [{section}] {key})")
            config[section][key] = value
    out_dir = Path(out_dir)
    backup_dir = out_dir / "backup"
    command_args = dict(strategy=strategy, epochs=epochs, steps_per_epoch=steps_per_epoch,
                        evaluate=evaluate, num_eval_samples=num_eval_samples)
    resume_command = train_command(config_path, out_dir, resume=True, **command_args)

    # The run folder, before anything is built.
    if resume and overwrite:
        raise ValueError("Pass either --resume (continue the run) or --overwrite (start it "
                         "again), not both. Received: resume=True, overwrite=True")
    check_writable(out_dir, what="run folder (--out)")
    latest = latest_checkpoint(backup_dir) if resume else None
    if resume and latest is None:
        state = ("does not exist" if not out_dir.exists() else
                 f"has no saved training state (no complete checkpoint in {backup_dir})")
        raise FileNotFoundError(
            f"Can't resume: the run folder {out_dir} {state}. Drop --resume to start a new "
            f"run there{' (with --overwrite, as it is not empty)' if out_dir.exists() and any(out_dir.iterdir()) else ''}. "
            f"Received: --out {out_dir} --resume")
    if not resume and not overwrite and out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(
            f"{out_dir} is not empty. Pass --resume to continue that run, or --overwrite.")
    if evaluate and dataset_kind(config["data"]["dataset"]) == "folder":
        raise ValueError(
            "The end-of-run metrics need a named dataset (its held-out split and shipped "
            "feature classifier), and [data] dataset is a folder. Pass --no-eval "
            "(evaluate=False), then score the preset with `kerasgan evaluate RUN/preset "
            f"--data DIR --extractor NAME`. Received: dataset='{config['data']['dataset']}'")

    previous_policy = keras.mixed_precision.global_policy()
    try:
        return _run(config, out_dir, latest=latest, strategy=strategy, evaluate=evaluate,
                    verbose=verbose, overwrite=overwrite, extra_callbacks=callbacks or [],
                    command=train_command(config_path, out_dir, **command_args),
                    resume_command=resume_command)
    except TrainingInterrupted:
        raise
    except KeyboardInterrupt:
        # While the data or the model were being built: nothing new to save.
        if latest is not None:
            message = (f"Interrupted before training resumed; the state in {latest[0]} is "
                       f"unchanged. Resume with: {resume_command}")
        else:
            again = resume_command.removesuffix(" --resume")
            if out_dir.exists() and any(out_dir.iterdir()):
                again += " --overwrite"
            message = f"Interrupted before training started; nothing was saved. Start again with: {again}"
        raise TrainingInterrupted(message, checkpoint=latest[0] if latest else None,
                                  resume_command=resume_command) from None
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def _run(config, out_dir: Path, *, latest, strategy, evaluate, verbose, overwrite,
         extra_callbacks, command, resume_command) -> Path:
    """`train` once its inputs are checked: builds the data and model, fits, saves."""
    from kerasgan.callbacks import SampleGrid
    from kerasgan.distribute import get_strategy
    from kerasgan.zoo.preset import save_to_preset

    t = config["train"]
    backup_dir = out_dir / "backup"
    keras.utils.set_random_seed(t["seed"])
    strat = get_strategy(strategy)
    policy = precision_policy(t["mixed_precision"], strat)
    keras.mixed_precision.set_global_policy(policy)
    global_batch = config["data"]["batch_size"]
    dataset = build_dataset(config["data"], global_batch_size=global_batch, seed=t["seed"])
    with strat.scope():
        gan = build_gan(config)
    check_data_fits_model(dataset, gan)
    data_steps = t["steps_per_epoch"] or count_batches(dataset)
    if data_steps == 0:
        raise ValueError(f"{config['data']['dataset']} has fewer images than one batch: no "
                         f"step can be taken. Received: batch_size={global_batch}")
    total_steps = t["epochs"] * data_steps
    # Equal chunks of at most backup_every_steps that add up to total_steps where
    # possible; otherwise the last one is cut short by StopAtStep.
    num_chunks = math.ceil(total_steps / max(1, min(t["backup_every_steps"], total_steps)))
    chunk = math.ceil(total_steps / num_chunks)
    check_writable(out_dir, min_free_bytes=estimated_run_bytes(gan), what="run folder (--out)")

    start_step, previous_wall = 0, 0.0
    if latest is not None:
        folder, progress = latest
        gan.load_weights(folder / STATE_FILE)
        # Older checkpoints were always whole chunks; both formats record `steps`.
        start_step = int(progress.get("steps", progress.get("chunks_done", 0) * chunk))
        previous_wall = progress.get("wall_time_s", 0.0)
        if start_step > total_steps:
            raise ValueError(f"Can't resume: {out_dir} has trained {start_step} steps, more "
                             f"than the {total_steps} this config (and its overrides) asks for. "
                             f"Received: epochs={t['epochs']}, steps_per_epoch={data_steps}")
        if progress.get("config_sha256") not in (None, config["config_sha256"]):
            logger.warning("%s changed since this run started: the resumed run won't match an "
                           "uninterrupted one.", config["config_path"])
        logger.warning("Resuming %s from %s (step %d of %d).", out_dir, folder, start_step,
                       total_steps)
    elif overwrite:
        _clear_previous_run(out_dir)
    # A repeated, seeded pipeline skipped to the saved step replays exactly the batches
    # an uninterrupted run would see next, mid-chunk included.
    stream = dataset.repeat().skip(start_step)
    initial_epoch = start_step // chunk
    from kerasgan.tasks import task_of

    sample_inputs = task_of(gan).training_sample_inputs(gan, config["data"]["dataset"],
                                                        config["eval"]["reference_split"])
    start = time.time()
    checkpoints = ResumableCheckpoint(backup_dir, chunk, started=start, previous_wall=previous_wall,
                                      initial_epoch=initial_epoch, total_steps=total_steps,
                                      config_sha256=config["config_sha256"])
    callbacks = [
        StopAtStep(total_steps),
        checkpoints,
        keras.callbacks.TerminateOnNaN(),
        SampleGrid(out_dir / "grids", log_dir=out_dir / "logs",
                   every_n_epochs=max(1, data_steps // chunk), inputs=sample_inputs),
        keras.callbacks.TensorBoard(str(out_dir / "logs"), update_freq=50),
        keras.callbacks.CSVLogger(str(out_dir / "history.csv"), append=True),
        *extra_callbacks,
    ]
    history = {}
    try:
        if start_step < total_steps:
            history = gan.fit(stream, epochs=num_chunks, initial_epoch=initial_epoch,
                              steps_per_epoch=chunk, callbacks=callbacks,
                              verbose=verbose).history
    except KeyboardInterrupt:
        with _sigint_deferred():
            folder, steps = checkpoints.save_now(gan)
        where = (f"the state is saved in {folder}" if folder is not None
                 else "no finite state could be saved")
        raise TrainingInterrupted(
            f"Interrupted at step {steps} of {total_steps}; {where}. Resume with: "
            f"{resume_command}", checkpoint=folder, steps=steps,
            resume_command=resume_command) from None
    wall = previous_wall + time.time() - start
    losses = {k: [float(np.ravel(v)[0]) for v in vals] for k, vals in history.items()}
    if checkpoints.diverged or any(not np.isfinite(v[-1]) for v in losses.values() if v):
        last_good = latest_checkpoint(backup_dir)
        raise FloatingPointError(
            f"Training diverged: a loss became NaN or Inf ({losses}). The last good state is "
            f"{last_good[0] if last_good else 'not saved'}; "
            "lower the learning rates or add a penalty, then --resume."
        )
    steps = int(gan.g_optimizer.iterations.numpy())
    metadata = {
        "name": config["name"],
        "variant": config["model"]["variant"],
        "description": config["description"],
        "data": {"dataset": config["data"]["dataset"], "split": config["data"]["split"],
                 "labels": config["data"]["labels"]},
        "training": {"steps": steps, "epochs": round(steps / data_steps, 2),
                     "batch_size": global_batch,
                     "wall_time_s": round(wall, 1), "hardware": hardware_description(),
                     "strategy": type(strat).__name__.lstrip("_"), "precision": policy,
                     "command": command,
                     "final_losses": {k: v[-1] for k, v in losses.items() if v}},
        "config": {k: v for k, v in config.items() if k not in ("config_path",)},
        "config_sha256": config["config_sha256"],
        "evaluation_command": f"kerasgan evaluate {out_dir / 'preset'}",
    }
    keras.mixed_precision.set_global_policy("float32")
    try:
        preset = save_to_preset(gan, out_dir / "preset", metadata=metadata, overwrite=True,
                                sample_inputs=sample_inputs)
        (out_dir / "train_summary.json").write_text(json.dumps(metadata, indent=2))
    except KeyboardInterrupt:
        raise TrainingInterrupted(
            f"Interrupted while writing {out_dir / 'preset'}; training had finished and its "
            f"state is saved. Write the preset with: {resume_command}",
            checkpoint=latest_checkpoint(backup_dir)[0], steps=steps,
            resume_command=resume_command) from None
    if evaluate:
        from kerasgan.metrics import evaluate_preset

        e = config["eval"]
        try:
            evaluate_preset(preset, metrics=e["metrics"], num_samples=e["num_samples"],
                            reference_split=e["reference_split"], write=True)
        except KeyboardInterrupt:
            raise TrainingInterrupted(
                f"Interrupted during the evaluation; the trained preset is in {preset}. "
                f"Evaluate it with: kerasgan evaluate {shlex.quote(str(preset))} --metrics "
                f"{','.join(e['metrics'])} --num-samples {e['num_samples']} --split "
                f"{e['reference_split']} --write", checkpoint=None, steps=steps) from None
    return preset


def main_train(args) -> int:
    preset = train(args.config, args.out, strategy=args.strategy, resume=args.resume,
                   epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                   evaluate=not args.no_eval, num_eval_samples=args.num_eval_samples,
                   overwrite=args.overwrite)
    print(f"Wrote {preset}")
    return 0
