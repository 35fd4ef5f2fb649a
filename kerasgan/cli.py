"""The `kerasgan` command: list | info | sample | upscale | train | train-classifier | evaluate | export | finetune | push."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

VERBOSE_HELP = ("show TensorFlow's logging (start-up notices, retracing warnings) and the "
                "traceback of an error")


def _count(n) -> str:
    """1173045 -> '1.17M', 86785 -> '86.8k'."""
    if not isinstance(n, (int, float)):
        return "-"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def headline_metric(info: dict) -> str:
    """The FID of a registry entry, with its sample count: '87.29 (10k)'; '-' if absent.
    FIDs are measured in each dataset's own classifier features, so they compare models
    of one dataset, not across datasets."""
    metrics = info.get("metrics") or {}
    fid = next((v for k, v in sorted(metrics.items()) if k.split("[")[0] == "fid"), None)
    if fid is None:
        return "-"
    samples = info.get("num_eval_samples")
    return f"{fid:.2f}" + (f" ({samples / 1000:g}k)" if samples else "")


def _cmd_list(args):
    from kerasgan.zoo import list_models, model_info

    names = list_models(args.pattern)
    if not names:
        raise ValueError(f"No registered model matches '{args.pattern}'. Available: "
                         f"{', '.join(list_models())}.")
    rows = [("NAME", "TASK", "DATA", "RESOLUTION", "G PARAMS", "FID (SAMPLES)")]
    for name in names:
        info = model_info(name)
        rows.append((name, info.get("task", "-"), info.get("dataset", "-"),
                     info.get("resolution", "-"),
                     _count((info.get("parameters") or {}).get("generator")),
                     headline_metric(info)))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print("\nFID: in each dataset's kerasgan classifier features (lower is better; comparable "
          "within a dataset only). `kerasgan info NAME` shows every metric.")
    return 0


def _cmd_info(args):
    from kerasgan.zoo import model_info

    print(json.dumps(model_info(args.name), indent=2))
    return 0


def _cmd_sample(args):
    from pathlib import Path

    from kerasgan.models.gan import check_seed
    from kerasgan.utils import image_format, save_image, save_image_grid

    # Checked before the model loads: a typo shouldn't cost a download.
    for flag, value, low in (("--num", args.num, 1), ("--upscale", args.upscale, 1),
                             ("--steps", args.steps, 2)):
        if value is not None and value < low:
            raise ValueError(f"{flag} must be an int >= {low}. Received: {flag} {value}")
    if args.steps is not None and not args.interpolate:
        raise ValueError("--steps applies with --interpolate. Received: --steps without "
                         "--interpolate")
    if args.interpolate and args.truncation is not None:
        raise ValueError("--truncation applies to sample grids, not to --interpolate "
                         f"(its endpoints are plain latents). Received: --truncation {args.truncation}")
    check_seed(args.seed)
    image_format(args.out)  # a known extension, or an error naming the supported ones
    if Path(args.out).exists() and not args.overwrite:
        raise FileExistsError(f"{args.out} exists. Pass --overwrite to replace it.")
    label = args.label
    if label is not None and label.lstrip("-").isdigit():
        label = int(label)  # a class id; anything else is a class name

    from kerasgan.zoo import load

    gan = load(args.model, compile=False)
    from kerasgan.tasks import task_of

    task = task_of(gan)
    labels = task.sample_conditioning(gan, args.model, label=label, caption=args.caption)
    if not task.has_latents:
        if args.interpolate:
            raise ValueError(f"{args.model} translates source images: it has no latents to "
                             "interpolate. Received: --interpolate")
        # Translations of held-out sources from the model's own paired dataset.
        import numpy as np

        num = args.num or 64
        dataset = gan.preset_metadata.get("data", {}).get("dataset")
        from kerasgan.data import load_pairs

        sources, _ = load_pairs(dataset, "test")
        if num > len(sources):
            raise ValueError(f"{dataset} has {len(sources)} test sources. Received: --num {num}")
        start = np.random.default_rng(args.seed).integers(0, len(sources) - num + 1)
        grid = gan.preview({"images": sources[start:start + num]})
        save_image(args.out, grid, upscale=args.upscale)
        print(f"Wrote {num} (source, translation) pairs from {args.model} to {args.out}")
        return 0
    if args.interpolate:
        from kerasgan.latent import interpolation_images, save_interpolation

        images = interpolation_images(gan, num_paths=args.num or 8, steps=args.steps or 8,
                                      seed=args.seed, labels=labels)
        save_interpolation(args.out, images, upscale=args.upscale)
        print(f"Wrote {images.shape[0]} latent interpolations of {images.shape[1]} steps from "
              f"{args.model} to {args.out}")
        return 0
    num = args.num or 64
    images = gan.generate(num, labels, seed=args.seed, truncation=args.truncation)
    captions = None if args.no_captions else _sample_captions(gan, labels, num)
    save_image_grid(args.out, images, upscale=args.upscale, captions=captions)
    print(f"Wrote {len(images)} samples from {args.model} to {args.out}")
    return 0


def read_image_file(path, channels: int):
    """An image file as uint8 `(1, H, W, C)`: any file Pillow reads; RGB models get RGB
    (transparency composited on white, as the emoji were drawn), gray stays gray."""
    from pathlib import Path

    import numpy as np
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No image file at {path}.")
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                white = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(white, image.convert("RGBA"))
            gray = image.mode in ("1", "L", "I", "I;16", "F")
            image = image.convert("L" if gray or channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"{path} is not an image file Pillow can read ({e}).") from e
    array = np.asarray(image, np.uint8)
    return (array[..., None] if array.ndim == 2 else array)[None]


def _cmd_upscale(args):
    from pathlib import Path

    from kerasgan.utils import image_format, save_image

    image_format(args.out)  # a known extension, or an error naming the supported ones
    if Path(args.out).exists() and not args.overwrite:
        raise FileExistsError(f"{args.out} exists. Pass --overwrite to replace it.")
    from kerasgan.zoo import load

    gan = load(args.model, compile=False)
    if not hasattr(gan, "upscale"):
        from kerasgan.zoo import list_models, model_info

        upscalers = [n for n in list_models() if model_info(n).get("task") == "super-resolution"]
        raise ValueError(f"{args.model} is a model of task '{gan.task}'; `kerasgan upscale` takes a "
                         f"super-resolution model ({', '.join(upscalers) or 'none registered'}).")
    image = read_image_file(args.image, gan.image_shape[-1])
    large = gan.upscale(image, batch_size=1)[0]
    save_image(args.out, large)
    print(f"Wrote {args.image} ({image.shape[2]}x{image.shape[1]}) upscaled {gan.scale}x by "
          f"{args.model} to {args.out} ({large.shape[1]}x{large.shape[0]})")
    return 0


def _sample_captions(gan, labels, num):
    """The text under each sample: its caption, or its class name when the model has them."""
    from kerasgan.tasks import task_of

    return task_of(gan).grid_captions(gan, labels, num)


def _cmd_train(args):
    from kerasgan.training import main_train

    return main_train(args)


def _cmd_train_classifier(args):
    from kerasgan.metrics.classifier_training import train_classifier

    meta = train_classifier(args.config, args.out, overwrite=args.overwrite)
    print(f"Wrote {args.out}: test accuracy {meta['test_accuracy']:.4f}")
    return 0


def _kerasgan_warnings_as_lines(command: str):
    """A context in which kerasgan's own warnings (unreadable images skipped, a small
    sample) print as one line, `kerasgan COMMAND: warning: ...`, not as Python's
    two-line `file:line: UserWarning` form; other warnings are shown as usual."""
    import contextlib
    import warnings
    from pathlib import Path

    package = Path(__file__).resolve().parent

    @contextlib.contextmanager
    def context():
        with warnings.catch_warnings():
            show = warnings.showwarning

            def show_line(message, category, filename, lineno, file=None, line=None):
                if package in Path(filename).resolve().parents:
                    print(f"kerasgan {command}: warning: {message}", file=sys.stderr)
                else:
                    show(message, category, filename, lineno, file, line)

            warnings.showwarning = show_line
            yield

    return context()


def metric_names(text: str) -> list:
    """`--metrics`' value as a list: "fid,kid" -> ["fid", "kid"]; "none" -> [] (only the
    task's own scores, e.g. PSNR for super-resolution)."""
    return [] if text == "none" else text.split(",")


def _cmd_evaluate(args):
    from kerasgan.metrics import evaluate_preset

    if args.data is not None and args.split is not None:
        raise ValueError(f"--split picks a split of the model's dataset; with --data the "
                         f"folder's images are the reference. Received: --split {args.split} "
                         f"--data {args.data}")
    with _kerasgan_warnings_as_lines("evaluate"):
        results = evaluate_preset(args.model, metrics=metric_names(args.metrics),
                                  num_samples=args.num_samples,
                                  reference_split=args.split or "test", write=args.write,
                                  data=args.data, extractor=args.extractor)
    # Non-finite values are None already: NaN would not be valid JSON.
    print(json.dumps(results, indent=2, allow_nan=False))
    return 0


def _cmd_export(args):
    from kerasgan.export import export
    from kerasgan.utils import check_writable

    # Checked before the model loads and converts: a bad --out or --version fails at once.
    if args.version < 1:
        raise ValueError(f"--version must be an integer >= 1 (TF Serving's version folders "
                         f"start at 1). Received: --version {args.version}")
    check_writable(args.out, what="export folder (--out)")
    path = export(args.model, args.out, format=args.format, model_name=args.name,
                  version=args.version, quantize=args.quantize, overwrite=args.overwrite)
    print(f"Wrote {path}")
    return 0


def _cmd_finetune(args):
    from kerasgan.finetune import finetune

    # Ctrl-C raises FinetuneInterrupted (a KeyboardInterrupt) after saving a preset; its
    # message says where and how to continue, and main() exits with 130.
    with _kerasgan_warnings_as_lines("finetune"):
        meta = finetune(args.model, args.data, args.out, steps=args.steps,
                        batch_size=args.batch_size, augment=args.augment,
                        freeze_d=args.freeze_d, learning_rate=args.learning_rate,
                        holdout=args.holdout, extractor=args.extractor, seed=args.seed,
                        overwrite=args.overwrite)
    print(json.dumps({"before": meta["metrics_before"], "after": meta["metrics"]}, indent=2,
                     allow_nan=False))
    print(f"Wrote {args.out}")
    return 0


def _cmd_push(args):
    from pathlib import Path

    from kerasgan.zoo.hub import push

    if not Path(args.folder).is_dir():
        raise FileNotFoundError(f"Checkpoint folder {args.folder} does not exist (push uploads "
                                f"a folder that `kerasgan train` or `finetune` wrote). "
                                f"Received: {args.folder}")
    push(args.folder, args.repo, dry_run=args.dry_run, private=args.private)
    return 0


def _version() -> str:
    """kerasgan's version with Keras', TensorFlow's and Python's, read without importing them."""
    from importlib import metadata

    from kerasgan import __version__

    parts = []
    for label, distributions in (("keras", ("keras",)),
                                 ("tensorflow", ("tensorflow", "tensorflow-cpu"))):
        for distribution in distributions:
            try:
                parts.append(f"{label} {metadata.version(distribution)}")
                break
            except metadata.PackageNotFoundError:
                continue
    parts.append(f"Python {sys.version.split()[0]}")
    return f"kerasgan {__version__} ({', '.join(parts)})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerasgan", description=__doc__)
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered pretrained models")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. '*fashion*'")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="show a model's registry entry")
    p.add_argument("name")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("sample", help="write a grid of samples (or a latent walk) to an image")
    p.add_argument("model", help="registry name, hf://org/repo[@rev] or a checkpoint folder")
    p.add_argument("--num", type=int, default=None,
                   help="images (default 64), or paths with --interpolate (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", default=None,
                   help="conditional models: a class id or name, e.g. 7 or sneaker")
    p.add_argument("--caption", default=None,
                   help="text-to-image models: one caption for every image, e.g. "
                        "'latin small letter g' (default: cycle through the model's captions)")
    p.add_argument("--truncation", type=float, default=None)
    p.add_argument("--upscale", type=int, default=4)
    p.add_argument("--interpolate", action="store_true",
                   help="walk through latent space (slerp) between pairs of random latents: "
                        "a row per path, or an animation when --out ends in .gif")
    p.add_argument("--steps", type=int, default=None, help="points per path with --interpolate "
                                                           "(default 8)")
    p.add_argument("--no-captions", action="store_true",
                   help="don't write class names or captions under the images")
    p.add_argument("--out", default="samples.png",
                   help="the image to write; its extension picks the format "
                        "(.png, .jpg, .webp, .gif, .bmp, .tiff)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("upscale", help="enlarge an image file with a super-resolution model")
    p.add_argument("model", help="registry name (e.g. srresnet-emoji-4x), hf://org/repo[@rev] "
                                 "or a checkpoint folder")
    p.add_argument("image", help="any image file Pillow reads, of any size")
    p.add_argument("--out", required=True,
                   help="the image to write; its extension picks the format")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_cmd_upscale)

    p = sub.add_parser("train", help="train from a TOML config and write a preset folder")
    p.add_argument("config")
    p.add_argument("--out", required=True)
    p.add_argument("--strategy", default="auto",
                   choices=["auto", "cpu", "gpu", "mirrored", "multiworker", "tpu"])
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--epochs", type=int, default=None, help="override the config")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="override the config")
    p.add_argument("--no-eval", action="store_true", help="skip the metrics at the end")
    p.add_argument("--num-eval-samples", type=int, default=None)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("train-classifier", help="train a metrics feature classifier")
    p.add_argument("config")
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_train_classifier)

    p = sub.add_parser("evaluate", help="FID/KID/PR/classifier score of a model")
    p.add_argument("model")
    p.add_argument("--metrics", default="fid,kid,pr,cs",
                   help="comma-separated distribution metrics, or 'none' (pixel metrics only, "
                        "for image-to-image and super-resolution models)")
    p.add_argument("--num-samples", type=int, default=10000,
                   help="images to generate and compare (at least 50; below 1000 the numbers "
                        "carry a large sample-size bias, see docs/metrics.md)")
    p.add_argument("--split", default=None,
                   help="reference split of the model's dataset (default: test)")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="a folder of images to compare with, e.g. the images a model was "
                        "fine-tuned on (default: the model's dataset, or the folder it was "
                        "fine-tuned on if it still exists)")
    p.add_argument("--extractor", default=None,
                   help="features for the metrics: mnist, fashion-mnist, glyphs (the shipped "
                        "classifiers) or inception-v3 (default: the classifier of the data the "
                        "model learned)")
    p.add_argument("--write", action="store_true",
                   help="write the results into the folder's metadata.json and card")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("export", help="export the generator: SavedModel, LiteRT or ONNX")
    p.add_argument("model")
    p.add_argument("--format", default="saved_model", choices=["saved_model", "tflite", "onnx"])
    p.add_argument("--out", required=True, help="SavedModels go to OUT/<name>/<version>/")
    p.add_argument("--name", default=None, help="model name (default: the checkpoint's)")
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--quantize", action="store_true", help="LiteRT dynamic-range int8")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("finetune", help="fine-tune a pretrained model on a folder of images")
    p.add_argument("model")
    p.add_argument("--data", required=True, help="a folder of images")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1000, help="training steps (>= 1)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the weights' noise, the data order and the held-out split")
    p.add_argument("--augment", default="none",
                   help="none, ada or diffaugment; KIND:POLICY picks transforms, e.g. "
                        "diffaugment:translation (default: none; ada pays off on long runs "
                        "over few images, see docs/finetuning.md)")
    p.add_argument("--freeze-d", type=int, default=0, help="FreezeD: freeze the first K D blocks")
    p.add_argument("--learning-rate", type=float, default=1e-4, help="Adam's (> 0)")
    p.add_argument("--holdout", type=float, default=0.2,
                   help="fraction kept out for metrics (measured when that is >= 50 images)")
    p.add_argument("--extractor", default=None,
                   help="features for the metrics: mnist, fashion-mnist, glyphs or inception-v3 "
                        "(default: the classifier of the model's dataset)")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_finetune)

    p = sub.add_parser("push", help="publish a checkpoint folder to the Hugging Face Hub")
    p.add_argument("folder")
    p.add_argument("--repo", required=True, help="org/name")
    p.add_argument("--private", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="list the files, upload nothing")
    p.set_defaults(func=_cmd_push)

    p = sub.add_parser("demo", help="the zoo in the browser (local Gradio app; "
                                    "pip install 'kerasgan[demo]')")
    p.add_argument("names", nargs="*", help="models to show (default: every registered one)")
    p.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: free)")
    p.add_argument("--space", default=None, metavar="OUT",
                   help="write a folder that runs as a Hugging Face Space instead of serving")
    p.set_defaults(func=_cmd_demo)

    # `--verbose` is global, and also accepted after the command (`kerasgan train ... --verbose`);
    # SUPPRESS keeps a subcommand from resetting the global flag to False.
    for command in set(sub.choices.values()):
        try:
            command.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help=VERBOSE_HELP)
        except argparse.ArgumentError:  # the command has its own --verbose
            pass
    return parser


def _cmd_demo(args) -> int:
    import importlib.util

    if importlib.util.find_spec("gradio") is None:
        raise ImportError("kerasgan demo runs on Gradio, an optional extra: "
                          "pip install 'kerasgan[demo]'")
    from kerasgan import demo

    if args.space:
        out = demo.write_space(args.space, args.names or None)
        print(f"Wrote a Hugging Face Space to {out} (app.py, requirements.txt, README.md)")
        return 0
    app = demo.launch(args.names or None, port=args.port, block=False)
    print(f"kerasgan demo on {app.local_url} (Ctrl-C stops it)", flush=True)
    app.block_thread()
    return 0


#: errors that bad input or a bad environment raise: one line and exit code 2 (other
#: exceptions are bugs: one line too, exit code 1).
INPUT_ERRORS = (ValueError, TypeError, LookupError, OSError, RuntimeError, FloatingPointError,
                MemoryError, ImportError, NotImplementedError)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


@contextlib.contextmanager
def _tensorflow_quieted():
    """TensorFlow imported with its start-up logging kept out of the terminal, and its
    Python loggers (tf.function retracing, Keras' absl notices) at errors only while the
    command runs."""
    import logging

    loggers = [logging.getLogger(name) for name in ("tensorflow", "absl")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        _import_tensorflow_quietly()
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _import_tensorflow_quietly() -> None:
    """While it loads, TensorFlow writes notices straight to file descriptor 2 ("All log
    messages before absl::InitializeLog() is called...", oneDNN and CPU-feature notices,
    CUDA probing), some whatever TF_CPP_MIN_LOG_LEVEL says. So stderr is parked in a
    temporary file during the import and replayed only if the import fails."""
    if "tensorflow" in sys.modules:
        return
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as parked:
            os.dup2(parked.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            except BaseException:
                os.dup2(saved, 2)
                parked.seek(0)
                sys.stderr.write(parked.read().decode(errors="replace"))
                raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _error_line(error: BaseException) -> tuple[str, int]:
    """One line for an error, and the exit code. Messages written for users (kerasgan's
    and Python's input errors) as they are; others, e.g. from inside TensorFlow, as their
    type and first line, with a pointer to --verbose."""
    package = type(error).__module__.split(".")[0]
    if (isinstance(error, INPUT_ERRORS) and not isinstance(error, KeyError)
            and package in ("builtins", "kerasgan") and str(error).strip()):
        return str(error).strip(), 2
    message = str(getattr(error, "message", None) or error).strip()
    first = message.splitlines()[0] if message else ""
    line = f"{type(error).__name__}{': ' + first if first else ''} (--verbose shows the traceback)"
    expected = isinstance(error, INPUT_ERRORS) or package == "tensorflow"
    return line, 2 if expected else 1


def main(argv=None) -> int:
    """Runs a `kerasgan` command: errors end in one line on stderr and exit code 2 (1 for
    an unexpected one), Ctrl-C in exit code 130; `--verbose` adds the traceback.

    Example:
    >>> main(["list", "*fashion*"])  # doctest: +SKIP
    """
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    try:
        with contextlib.nullcontext() if verbose else _tensorflow_quieted():
            return args.func(args)
    except KeyboardInterrupt as interrupt:
        # TrainingInterrupted says where the state went and how to resume.
        message = str(interrupt) or "interrupted."
        if sys.stderr.isatty():
            print(file=sys.stderr)  # off the progress bar's line
        print(f"kerasgan {args.command}: {message}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 (one line instead of a traceback)
        if verbose:
            import traceback

            traceback.print_exc()
        line, code = _error_line(error)
        print(f"kerasgan {args.command}: error: {line}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
