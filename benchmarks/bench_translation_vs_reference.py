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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasgan import metrics  # noqa: E402
from kerasgan.data import load_pairs  # noqa: E402
from kerasgan.utils import from_uint8, to_uint8  # noqa: E402
import same_time  # noqa: E402
from reference_pix2pix import ReferencePix2Pix  # noqa: E402

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
    args = same_time.parser(__doc__.splitlines()[0]).parse_args(argv)
    name, card, budget = same_time.read_card(args.checkpoint)
    protocol = card["metrics"]["protocol"]
    if "paired" not in protocol:
        raise SystemExit(f"{name} is not an image-to-image checkpoint: its card's protocol has "
                         f"no paired evaluation. Received: {name!r}")
    data, seed = card["config"]["data"], card["config"]["train"]["seed"]
    dataset, batch_size = data["dataset"], data["batch_size"]
    keras.utils.set_random_seed(seed)
    pipeline = training_data(dataset, batch_size, seed)
    shape = tuple(pipeline.element_spec[0].shape[1:])
    reference, steps, step_time = same_time.train_reference(
        lambda: ReferencePix2Pix(shape), pipeline, budget, seed, args)
    if reference is None:
        return {"reference_s_per_step": step_time}

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
    return same_time.report(row, args.out)


if __name__ == "__main__":
    main()
