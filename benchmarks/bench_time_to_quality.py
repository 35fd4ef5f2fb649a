"""Time to quality: FID (kerasgan Fashion-MNIST classifier) against training seconds.

    # the reference, the TensorFlow DCGAN tutorial's recipe, for 40 minutes of training
    python benchmarks/bench_time_to_quality.py reference --seconds 2400 --out runs/ttq/reference
    # a kerasgan recipe from a config: stopped after 400 s, or (no --seconds) the whole
    # config, which then also writes the zoo-ready preset under OUT/preset
    python benchmarks/bench_time_to_quality.py config training/configs/dcgan-fashion-mnist.toml \
        --seconds 400 --out runs/ttq/dcgan
    # the table and plot: the time each curve takes to reach the reference's final FID
    # target: the reference's FID after 20 minutes; --docs adds it to docs/performance.md
    python benchmarks/bench_time_to_quality.py report runs/ttq/reference runs/ttq/dcgan \
        --target-seconds 1200 --docs docs

Each run records FID every `--every` seconds of training (10,000 samples against the
10,000 Fashion-MNIST test images by default, the cards' protocol) with the training
clock paused while FID is computed (`kerasgan.metrics.FIDCallback`), so the curve is
FID vs seconds spent training. Run one at a time on an otherwise idle machine: the
seconds are this machine's. `curve.json` in OUT holds the points and the machine.

The reference keeps its recipe (`reference_tf_tutorial_dcgan.py`: batch 256, Adam 1e-4,
its networks); kerasgan's recipe is whatever the config says.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parents[1]))

REFERENCE_BATCH = 256  # the tutorial's BATCH_SIZE


def _extractor_and_real(num_samples):
    import kerasgan
    from kerasgan import metrics

    extractor = metrics.load_feature_extractor("fashion-mnist")
    real, _ = kerasgan.data.load_dataset("fashion-mnist", "test")
    return extractor, real[:num_samples]


def _machine() -> dict:
    from benchmarks.suite import machine_description

    return machine_description()


def _write(out: Path, record: dict) -> None:
    from kerasgan.utils import atomic_write

    with atomic_write(out / "curve.json") as tmp:
        Path(tmp).write_text(json.dumps(record, indent=2))


def run_reference(args) -> dict:
    import keras

    import kerasgan
    from bench_zoo_vs_reference import reference_images
    from kerasgan import metrics
    from reference_tf_tutorial_dcgan import ReferenceTFTutorialDCGAN

    extractor, real = _extractor_and_real(args.num_samples)
    keras.utils.set_random_seed(args.seed)
    images, _ = kerasgan.data.load_dataset("fashion-mnist", "train")
    dataset = kerasgan.data.from_numpy(images, batch_size=REFERENCE_BATCH, seed=args.seed)
    model = ReferenceTFTutorialDCGAN()
    model.compile()
    curve = metrics.FIDCallback(real, extractor, every_seconds=args.every, seed=0,
                                num_samples=args.num_samples, stop_at_seconds=args.seconds,
                                generate=lambda model, num, seed: reference_images(
                                    model.generator, num, seed, latent_dim=model.latent_dim))
    started = time.time()
    model.fit(dataset.repeat(), epochs=1, steps_per_epoch=10**9, callbacks=[curve], verbose=0)
    return {"name": "reference: TensorFlow DCGAN tutorial recipe", "batch_size": REFERENCE_BATCH,
            "extractor": extractor.extractor_id, "num_samples": args.num_samples,
            "points": curve.history, "wall_seconds_with_evaluation": time.time() - started}


def run_config(args) -> dict:
    from kerasgan import metrics, training

    extractor, real = _extractor_and_real(args.num_samples)
    config = training.load_config(args.config)
    curve = metrics.FIDCallback(real, extractor, every_seconds=args.every, seed=0,
                                num_samples=args.num_samples, stop_at_seconds=args.seconds)
    started = time.time()
    # A stopped run (--seconds) is a probe: no end-of-run metrics.
    training.train(args.config, Path(args.out) / "run", callbacks=[curve], overwrite=True,
                   evaluate=args.seconds is None, verbose=0)
    return {"name": f"kerasgan: {config['name']} ({Path(args.config).name})",
            "config": str(args.config), "config_sha256": config["config_sha256"],
            "batch_size": config["data"]["batch_size"], "extractor": extractor.extractor_id,
            "num_samples": args.num_samples, "points": curve.history,
            "wall_seconds_with_evaluation": time.time() - started}


def point_at(points, seconds):
    """The point measured nearest to `seconds` of training (the measurements land a
    step after each interval, e.g. at 1,201 s for 1,200 s)."""
    if not points:
        raise ValueError("The curve has no points.")
    return min(points, key=lambda p: abs(p["train_seconds"] - seconds))


def report(args) -> None:
    from benchmarks import report as pages

    curves = [json.loads((Path(folder) / "curve.json").read_text()) for folder in args.runs]
    # The target: the reference's FID after --target-seconds (default: its whole run).
    at = (point_at(curves[0]["points"], args.target_seconds) if args.target_seconds
          else curves[0]["points"][-1])
    ttq = {"curves": curves, "target_fid": at["fid"], "target_seconds": at["train_seconds"],
           "machine": next((c["machine"] for c in curves if "cpu" in c.get("machine", {})),
                           None) or _machine(),
           "verdict": args.verdict,
           "command": "python benchmarks/bench_time_to_quality.py "
                      + shlex.join(sys.argv[1:] if args.argv is None else args.argv)}
    print(pages.time_to_quality_tables(ttq))
    if args.docs:
        pages.add_section(args.docs, "time_to_quality", ttq)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("reference", "config"):
        p = sub.add_parser(name)
        if name == "config":
            p.add_argument("config")
        p.add_argument("--out", required=True)
        p.add_argument("--seconds", type=float, default=None if name == "config" else 1200.0,
                       help="stop after this many training seconds")
        p.add_argument("--every", type=float, default=120.0, help="FID every N training seconds")
        p.add_argument("--num-samples", type=int, default=10000)
        p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("report")
    p.add_argument("runs", nargs="+", help="run folders; the first is the reference")
    p.add_argument("--docs", default=None,
                   help="add the table and plot to DOCS/performance.md (e.g. docs)")
    p.add_argument("--verdict", default=None, help="a sentence under the table")
    p.add_argument("--target-seconds", type=float, default=None,
                   help="the reference's FID at this many training seconds is the target "
                        "(default: its last point)")
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "report":
        return report(args)
    record = run_reference(args) if args.command == "reference" else run_config(args)
    record["machine"] = _machine()
    record["command"] = "python benchmarks/bench_time_to_quality.py " + shlex.join(
        sys.argv[1:] if argv is None else argv)
    _write(Path(args.out), record)
    for point in record["points"]:
        print(f"{point['train_seconds']:7.0f} s  {point['steps']:6d} steps  FID {point['fid']:.1f}")


if __name__ == "__main__":
    main()
