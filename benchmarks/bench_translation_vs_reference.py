"""An image-to-image checkpoint against the TensorFlow pix2pix tutorial's recipe trained
for the same time.

    python benchmarks/bench_translation_vs_reference.py pix2pix-fashion-mnist-edges[=SECONDS] \
        [--seconds-per-step S] [--out runs/pix2pix-vs-reference.json]

The reference (`reference_pix2pix.py`) trains on the checkpoint's paired training split
and batch size, with its seed, for the checkpoint's wall time (from its card, or
SECONDS), turned into a step count by the reference's seconds per step on this machine
(measured first on a throwaway copy: keep the machine idle for that minute, or measure
it alone with `--measure-only` and pass `--seconds-per-step` to a later run that may
share the machine).

Both are measured with the card's protocol: the held-out sources translated and
compared with their true targets (FID and KID with the dataset's classifier, mean
absolute error in uint8 levels, PSNR); the checkpoint's figures are the card's.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan import metrics  # noqa: E402
from kerasgan.data import load_pairs  # noqa: E402
from kerasgan.utils import from_uint8, to_uint8  # noqa: E402
from kerasgan.zoo.preset import read_metadata  # noqa: E402
from reference_pix2pix import ReferencePix2Pix  # noqa: E402
from timing import StepPrinter, seconds_per_step  # noqa: E402

COMPARED = ("fid", "kid", "mae_uint8", "psnr_db")


def training_data(dataset: str, batch_size: int, seed: int) -> tf.data.Dataset:
    """The paired training split as (sources, targets) batches in [-1, 1], repeated."""
    sources, targets = load_pairs(dataset, "train")
    return (tf.data.Dataset.from_tensor_slices((from_uint8(sources), from_uint8(targets)))
            .shuffle(len(sources), seed=seed).repeat()
            .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))


def reference_translations(model, sources, batch=500) -> np.ndarray:
    return np.concatenate([to_uint8(model.translate(from_uint8(sources[i:i + batch])).numpy())
                           for i in range(0, len(sources), batch)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="NAME, preset folder, or either with =SECONDS")
    parser.add_argument("--seconds-per-step", type=float, default=None,
                        help="the reference's speed measured earlier on an idle machine")
    parser.add_argument("--measure-only", action="store_true",
                        help="only measure and print the reference's seconds per step")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="cap the reference's steps (a smoke run; the result is then not "
                             "a same-time comparison)")
    parser.add_argument("--out", default=None, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    name, _, seconds = args.checkpoint.partition("=")
    card = read_metadata(kerasgan.zoo.resolve(name)[0])
    protocol = card["metrics"]["protocol"]
    if "paired" not in protocol:
        raise SystemExit(f"{name} is not an image-to-image checkpoint: its card's protocol has "
                         f"no paired evaluation. Received: {name!r}")
    budget = float(seconds) if seconds else card["training"]["wall_time_s"]
    data, seed = card["config"]["data"], card["config"]["train"]["seed"]
    dataset, batch_size = data["dataset"], data["batch_size"]
    keras.utils.set_random_seed(seed)
    pipeline = training_data(dataset, batch_size, seed)
    shape = tuple(pipeline.element_spec[0].shape[1:])
    if args.seconds_per_step:
        step_time = args.seconds_per_step
    else:
        probe = ReferencePix2Pix(shape)
        probe.compile()
        step_time = seconds_per_step(probe, pipeline, steps=30, warmup=5)
    if args.measure_only:
        print(f"reference: {step_time:.4f} s/step (--seconds-per-step {step_time:.4f})")
        return {"reference_s_per_step": step_time}
    steps = max(1, round(budget / step_time))
    if args.max_steps:
        steps = min(steps, args.max_steps)
    print(f"reference: {step_time * 1000:.0f} ms/step, {steps} steps for {budget:.0f} s",
          flush=True)
    keras.utils.set_random_seed(seed)
    reference = ReferencePix2Pix(shape)
    reference.compile()
    reference.fit(pipeline, epochs=1, steps_per_epoch=steps,
                  callbacks=[StepPrinter("reference")], verbose=0)

    split = protocol["reference"].split(":")[1]
    sources, targets = load_pairs(dataset, split)
    sources, targets = sources[:protocol["num_fake"]], targets[:protocol["num_fake"]]
    extractor = metrics.load_feature_extractor(metrics.classifier_dataset(dataset))
    translated = reference_translations(reference, sources)
    theirs = metrics.compare_image_sets(targets, translated, extractor, ["fid", "kid"],
                                        progress=False)
    theirs.update(metrics.translation_errors(translated, targets))
    eid = extractor.extractor_id
    ours = card["metrics"]
    row = {"checkpoint": name, "budget_s": budget, "checkpoint_steps": card["training"]["steps"],
           "reference": "TensorFlow pix2pix tutorial (reference_pix2pix.py)",
           "reference_steps": steps, "reference_s_per_step": step_time,
           "num_samples": len(sources), "extractor": eid}
    for metric in COMPARED:
        key = metric if metric in ("mae_uint8", "psnr_db") else f"{metric}[{eid}]"
        row[metric], row[f"reference_{metric}"] = ours.get(key), theirs.get(key)
    print(json.dumps(row, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(row, indent=2))
    return row


if __name__ == "__main__":
    main()
