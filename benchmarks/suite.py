"""The benchmark suite behind `python -m benchmarks`.

Parts (`--only` picks some, comma-separated):
- `throughput`: training images/s of kerasgan vs a reference on the same networks,
  batch and data (Fashion-MNIST), kerasgan with EMA and its loss trackers, for the
  keras.io DCGAN, the TensorFlow DCGAN tutorial and the keras.io WGAN-GP recipes;
- `flops`: FLOPs of each training step (counted on its traced graph, see `flops.py`)
  and the float32 matmul peak measured in the same rounds, giving the fraction of the
  peak each training step achieves;
- `sampling`: `gan.generate(n)` vs the exported SavedModel's `serving_default` and the
  LiteRT model, at batch 1, 64 and 1024;
- `coldstart`: `python -c "import kerasgan; kerasgan.load(NAME).generate(1)"` vs
  `python -c "import tensorflow"` (and a bare `python -c pass`), fresh processes.

Every part measures its contenders in interleaved rounds (`timing.interleaved`) and
reports the median and spread of the per-round values; ratios are medians of the
per-round ratios. Results go to `<out>/performance.md`, `<out>/performance.json` (raw
numbers) and `<out>/images/performance-*.png`; `<out>` is `docs/` by default and a new
temporary folder with `--quick`. A run of some parts keeps the other parts already in
`<out>/performance.json`.

Example:
    python -m benchmarks --quick --only throughput,flops
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PARTS = ("throughput", "flops", "sampling", "coldstart")
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHECKPOINT = "dcgan-fashion-mnist"


@dataclasses.dataclass
class Settings:
    """How much each part measures. `--quick` shrinks everything to a smoke run."""

    quick: bool = False
    batch_size: int = 128
    train_images: int = 20000
    repeats: int = 5
    steps: int = 10              # training steps per repeat, DCGAN-like steps
    wgan_steps: int = 2          # per repeat for WGAN-GP (3 critic updates per step)
    matmul_size: int = 2048
    matmul_chain: int = 8
    sampling_batches: tuple = (1, 64, 1024)
    sampling_calls: dict = dataclasses.field(default_factory=lambda: {1: 100, 64: 20, 1024: 2})
    coldstart_repeats: int = 5
    checkpoint: str = DEFAULT_CHECKPOINT

    @classmethod
    def for_run(cls, quick: bool, **overrides):
        settings = cls(quick=quick)
        if quick:
            settings = dataclasses.replace(
                settings, batch_size=16, train_images=256, repeats=2, steps=2, wgan_steps=1,
                matmul_size=256, matmul_chain=2, sampling_calls={1: 3, 64: 1, 1024: 1},
                coldstart_repeats=1)
        return dataclasses.replace(settings, **{k: v for k, v in overrides.items()
                                                if v is not None})


# ------------------------------------------------------------------ training
@dataclasses.dataclass
class Contender:
    """A model trained in the throughput part: `make()` returns it compiled."""

    name: str
    make: object
    wgan: bool = False


def _logits_discriminator(discriminator):
    """The keras.io reference's discriminator with its final sigmoid removed: kerasgan's
    losses take logits (the same layers, weights and cost otherwise)."""
    import keras

    last = discriminator.layers[-1]

    def clone(layer):
        config = layer.get_config()
        if layer is last:
            config["activation"] = "linear"
        return layer.__class__.from_config(config)

    return keras.models.clone_model(discriminator, clone_function=clone)


def _adam(learning_rate, beta_1=0.9, beta_2=0.999):
    import keras

    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)


def training_contenders() -> tuple[list, list]:
    """The models of the throughput part, and the pairs compared:
    `(label, reference name, kerasgan name, same networks?)`."""
    import kerasgan

    from .reference_dcgan import ReferenceDCGAN, reference_networks
    from .reference_tf_tutorial_dcgan import (ReferenceTFTutorialDCGAN, tutorial_discriminator,
                                              tutorial_generator)
    from .reference_wgan_gp import ReferenceWGANGP, wgan_gp_critic, wgan_gp_generator

    def compiled(model, **compile_kwargs):
        model.compile(**compile_kwargs)
        return model

    def kerasgan_keras_io():
        generator, discriminator = reference_networks()
        gan = kerasgan.DCGAN(generator, _logits_discriminator(discriminator), ema_decay=0.999,
                             seed=0)
        return compiled(gan, d_optimizer=_adam(1e-4), g_optimizer=_adam(1e-4))

    def kerasgan_tutorial(simultaneous_updates=False):
        gan = kerasgan.DCGAN(tutorial_generator(), tutorial_discriminator(), ema_decay=0.999,
                             seed=0, simultaneous_updates=simultaneous_updates)
        return compiled(gan, d_optimizer=_adam(1e-4), g_optimizer=_adam(1e-4))

    def kerasgan_small(simultaneous_updates=False):
        gan = kerasgan.DCGAN.from_size("small", ema_decay=0.999, seed=0,
                                       simultaneous_updates=simultaneous_updates)
        return compiled(gan)

    def reference_tutorial_step_on_small():
        small = kerasgan.DCGAN.from_size("small", seed=0)
        return compiled(ReferenceTFTutorialDCGAN(generator=small.generator,
                                                 discriminator=small.discriminator))

    def kerasgan_wgan_gp():
        # The example's recipe on both sides: 3 critic updates, GP weight 10, its Adam.
        gan = kerasgan.WGANGP(wgan_gp_generator(), wgan_gp_critic(), d_steps=3,
                              gradient_penalty=10.0, ema_decay=0.999, seed=0)
        return compiled(gan, d_optimizer=_adam(2e-4, 0.5, 0.9),
                        g_optimizer=_adam(2e-4, 0.5, 0.9))

    contenders = [
        Contender("reference keras.io DCGAN", lambda: compiled(ReferenceDCGAN())),
        Contender("kerasgan DCGAN on keras.io DCGAN networks", kerasgan_keras_io),
        Contender("reference TF tutorial DCGAN", lambda: compiled(ReferenceTFTutorialDCGAN())),
        Contender("kerasgan DCGAN on TF tutorial networks", kerasgan_tutorial),
        Contender("reference keras.io WGAN-GP", lambda: compiled(ReferenceWGANGP()), wgan=True),
        Contender("kerasgan WGANGP on keras.io WGAN-GP networks", kerasgan_wgan_gp, wgan=True),
        Contender("kerasgan DCGAN small (its own networks)", kerasgan_small),
        # The tutorial's own step: one batch of fakes feeds both updates.
        Contender("kerasgan DCGAN on TF tutorial networks, simultaneous updates",
                  lambda: kerasgan_tutorial(simultaneous_updates=True)),
        # The tutorial's step on DCGAN small's networks: what a plain loop gets from them.
        Contender("reference TF tutorial step on DCGAN small networks",
                  reference_tutorial_step_on_small),
        Contender("kerasgan DCGAN small, simultaneous updates",
                  lambda: kerasgan_small(simultaneous_updates=True)),
    ]
    pairs = [
        ("keras.io DCGAN", contenders[0].name, contenders[1].name, True),
        ("TF tutorial DCGAN (its step: simultaneous updates)", contenders[2].name,
         contenders[7].name, True),
        ("TF tutorial DCGAN, kerasgan alternating updates", contenders[2].name,
         contenders[3].name, True),
        ("keras.io WGAN-GP", contenders[4].name, contenders[5].name, True),
        ("DCGAN small networks, TF tutorial's step (simultaneous updates)", contenders[8].name,
         contenders[9].name, True),
        ("DCGAN small networks, kerasgan alternating updates", contenders[8].name,
         contenders[6].name, True),
        ("kerasgan DCGAN small vs keras.io DCGAN", contenders[0].name, contenders[6].name, False),
    ]
    return contenders, pairs


def run_training(settings: Settings, measure_throughput: bool, count_flops: bool) -> dict:
    """The throughput and flops parts, measured in the same rounds."""
    import keras
    import tensorflow as tf

    import kerasgan

    from . import flops as flop_counts
    from .timing import fit_rate, interleaved, ratio_summary, summarize

    images, _ = kerasgan.data.load_fashion_mnist("train")
    dataset = kerasgan.data.from_numpy(images[:settings.train_images],
                                       batch_size=settings.batch_size, seed=0).repeat()
    batch_spec = tf.TensorSpec((settings.batch_size, 28, 28, 1), tf.float32)
    contenders, pairs = training_contenders()
    models, steps = {}, {}
    for contender in contenders:
        print(f"  building and warming up: {contender.name}", flush=True)
        keras.utils.set_random_seed(0)
        models[contender.name] = contender.make()
        steps[contender.name] = settings.wgan_steps if contender.wgan else settings.steps
        # One step traces the train function (and builds lazily built optimizers). Quiet:
        # TensorFlow counts each new model's first trace as a "retracing" of fit's function.
        with flop_counts.quiet_tf_logs():
            fit_rate(models[contender.name], dataset, 1, settings.batch_size)

    result = {"settings": {"batch_size": settings.batch_size, "train_images": settings.train_images,
                           "repeats": settings.repeats, "steps_per_repeat": steps,
                           "data": "Fashion-MNIST train split, kerasgan.data.from_numpy",
                           "dtype": "float32"}}
    if count_flops:
        result["flops_per_step"] = {}
        for name, model in models.items():
            print(f"  counting FLOPs: {name}", flush=True)
            result["flops_per_step"][name] = flop_counts.train_step_flops(model, batch_spec)
        result["matmul"] = {"size": settings.matmul_size, "chain": settings.matmul_chain,
                            "method": "median of chained float32 tf.linalg.matmul calls"}

    runs = {}
    if measure_throughput:
        runs = {name: functools.partial(fit_rate, model, dataset, steps[name], settings.batch_size)
                for name, model in models.items()}
    if count_flops:
        runs["matmul peak"] = lambda: flop_counts.matmul_flops_per_second(
            settings.matmul_size, settings.matmul_chain)[0]
    print(f"  {settings.repeats} interleaved rounds of {len(runs)} contenders", flush=True)
    rates = interleaved(runs, settings.repeats)

    if count_flops:
        result["matmul"]["flops_per_second"] = summarize(rates.pop("matmul peak"))
    if measure_throughput:
        result["images_per_second"] = {name: summarize(values) for name, values in rates.items()}
        result["pairs"] = [
            {"label": label, "reference": reference, "kerasgan": ours, "same_networks": same,
             "ratio": ratio_summary(rates[ours], rates[reference])}
            for label, reference, ours, same in pairs]
        if count_flops:
            peaks = result["matmul"]["flops_per_second"]["values"]
            result["fraction_of_peak"] = {
                name: summarize([rate / settings.batch_size * result["flops_per_step"][name] / peak
                                 for rate, peak in zip(values, peaks)])
                for name, values in rates.items()}
    return result


# ------------------------------------------------------------------ sampling
def run_sampling(settings: Settings) -> dict:
    """`gan.generate(n)` vs the exported SavedModel signature and LiteRT model."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    import kerasgan

    from .timing import interleaved, ratio_summary, summarize, timed_rate

    gan = kerasgan.load(settings.checkpoint)
    threads = os.cpu_count()
    result = {"checkpoint": settings.checkpoint, "repeats": settings.repeats,
              "calls_per_repeat": {str(k): v for k, v in settings.sampling_calls.items()},
              "litert_threads": threads, "batches": {}}
    with tempfile.TemporaryDirectory(prefix="kerasgan-bench-export-") as folder:
        print("  exporting SavedModel and LiteRT", flush=True)
        saved_model = tf.saved_model.load(str(kerasgan.export(gan, folder, format="saved_model")))
        signature = saved_model.signatures["serving_default"]
        litert_path = str(kerasgan.export(gan, folder, format="tflite"))
        for batch in settings.sampling_batches:
            latents = gan.make_latents(batch, seed=0)
            # One interpreter per batch size: only the warm-up call resizes its tensors.
            runner = Interpreter(model_path=litert_path, num_threads=threads).get_signature_runner()
            backends = {
                "generate": lambda n=batch: gan.generate(n, seed=0),
                "SavedModel serving_default":
                    lambda z=latents: signature(latents=tf.constant(z))["images"].numpy(),
                "LiteRT": lambda z=latents, run=runner: run(latents=z)["images"],
            }
            for call in backends.values():
                call()  # trace / allocate
            calls = settings.sampling_calls[batch]
            rates = interleaved({name: functools.partial(timed_rate, call, batch, calls)
                                 for name, call in backends.items()}, settings.repeats)
            result["batches"][str(batch)] = {
                "images_per_second": {name: summarize(v) for name, v in rates.items()},
                "generate_vs_saved_model": ratio_summary(rates["generate"],
                                                         rates["SavedModel serving_default"]),
                "generate_vs_litert": ratio_summary(rates["generate"], rates["LiteRT"]),
            }
            print(f"  batch {batch} done", flush=True)
    return result


# ---------------------------------------------------------------- cold start
def coldstart_commands(checkpoint: str) -> dict:
    return {
        "python -c pass": "pass",
        "import tensorflow": "import tensorflow",
        "kerasgan load + generate(1)":
            f"import kerasgan; kerasgan.load({checkpoint!r}).generate(1)",
    }


def _seconds_of(code: str) -> float:
    import time

    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                               text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"The cold-start command failed (exit {completed.returncode}):\n"
                           f"{completed.stderr[-2000:]}\nReceived: command=python -c {code!r}")
    return seconds


def run_coldstart(settings: Settings) -> dict:
    """Fresh-process wall times, interleaved; the target is
    kerasgan <= 1.5 x `import tensorflow` + 1 s (medians)."""
    from .timing import interleaved, summarize

    commands = coldstart_commands(settings.checkpoint)
    seconds = interleaved({name: functools.partial(_seconds_of, code)
                           for name, code in commands.items()}, settings.coldstart_repeats)
    ours, tensorflow = seconds["kerasgan load + generate(1)"], seconds["import tensorflow"]
    target = 1.5 * statistics.median(tensorflow) + 1.0
    return {
        "commands": {name: f"python -c {code!r}" for name, code in commands.items()},
        "repeats": settings.coldstart_repeats,
        "seconds": {name: summarize(values) for name, values in seconds.items()},
        "kerasgan_beyond_import_tensorflow": summarize([a - b for a, b in zip(ours, tensorflow)]),
        "ratio_to_import_tensorflow": summarize([a / b for a, b in zip(ours, tensorflow)]),
        "target_seconds": target,
        "target_met": statistics.median(ours) <= target,
    }


# ---------------------------------------------------------------------- CLI
def parse_parts(text: str) -> tuple[str, ...]:
    """`--only`'s comma-separated parts, checked against `PARTS`."""
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    for part in parts:
        if part not in PARTS:
            from kerasgan.utils import unknown_name_error

            raise argparse.ArgumentTypeError(str(unknown_name_error("benchmark part", part, PARTS)))
    if not parts:
        raise argparse.ArgumentTypeError(f"--only needs at least one of {', '.join(PARTS)}. "
                                         f"Received: --only={text!r}")
    return parts


def machine_description() -> dict:
    import keras
    import tensorflow as tf

    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").open()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO_ROOT,
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cpu_count": os.cpu_count(),
            "gpus": len(tf.config.list_physical_devices("GPU")),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "git_commit": commit,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="kerasgan vs references, side by side in one run (interleaved repeats), "
                    "as ratios; writes performance.md, performance.json and plots.")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: a few steps and images; writes to a temporary folder")
    parser.add_argument("--only", type=parse_parts, default=PARTS,
                        help=f"comma-separated parts to run (default: all): {','.join(PARTS)}")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: docs/; with --quick, a new temporary folder)")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds per part")
    parser.add_argument("--batch-size", type=int, default=None, help="training batch size")
    parser.add_argument("--checkpoint", default=None,
                        help="zoo checkpoint for sampling and cold start "
                             f"(default {DEFAULT_CHECKPOINT})")
    args = parser.parse_args(argv)
    settings = Settings.for_run(args.quick, repeats=args.repeats, coldstart_repeats=args.repeats,
                                batch_size=args.batch_size, checkpoint=args.checkpoint)
    if args.out is None:
        args.out = (Path(tempfile.mkdtemp(prefix="kerasgan-bench-quick-")) if args.quick
                    else REPO_ROOT / "docs")
    elif args.quick and args.out.resolve() == (REPO_ROOT / "docs").resolve():
        parser.error("--quick is a smoke run, not a measurement: it must not replace the published "
                     "docs/performance.md. Leave out --out (a temporary folder is used) or give "
                     f"another folder. Received: --out={args.out}")
    from kerasgan.utils import check_writable

    out = check_writable(args.out, what="--out folder")

    from . import report

    results = report.load_results(out)
    results["machine"] = machine_description()
    arguments = sys.argv[1:] if argv is None else list(argv)
    results["command"] = " ".join(["python -m benchmarks", *arguments])
    parts = args.only
    stamp = {"machine": results["machine"], "quick": settings.quick}
    if "throughput" in parts or "flops" in parts:
        print("training throughput" + (" and FLOPs" if "flops" in parts else ""), flush=True)
        training = run_training(settings, "throughput" in parts, "flops" in parts)
        results["training"] = {**training, **stamp,
                               "parts": [p for p in ("throughput", "flops") if p in parts]}
    if "sampling" in parts:
        print("sampling", flush=True)
        results["sampling"] = {**run_sampling(settings), **stamp}
    if "coldstart" in parts:
        print("cold start", flush=True)
        results["coldstart"] = {**run_coldstart(settings), **stamp}
    written = report.write(results, out)
    print()
    print(report.tables(results))
    print(f"wrote {', '.join(str(p) for p in written)}")
