"""A text-to-image checkpoint against a keras.io-style conditional GAN trained for the same time.

    python benchmarks/bench_text_to_image_vs_reference.py stackgan-glyphs[=SECONDS] \
        [--seconds-per-step S] [--out runs/stackgan-vs-reference.json]

Each caption of a dataset such as `glyphs` names one class (its classifier's class
ids follow `kerasgan.data.caption_classes`), so the natural baseline is the
class-conditional recipe most Keras users start from: the keras.io "Conditional
GAN" example (`reference_conditional_gan.py`), given the class id of each caption
as a one-hot label. It trains on the checkpoint's training split and batch size for
the checkpoint's wall time (from its card, or SECONDS), turned into a step count by
the reference's seconds per step on this machine (measured first on a throwaway
copy: keep the machine idle for that minute, or measure it alone first with
`--measure-only` and pass `--seconds-per-step` to a later run that may share the machine).

Both are measured with the card's protocol: the held-out captions cycled to the
card's number of images, the same latent seed and the dataset's classifier; the
checkpoint's figures are the card's. Prints class accuracy (how often the classifier
reads the class the image was drawn for) and FID for both.
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
from kerasgan.data import caption_classes, load_captions  # noqa: E402
from kerasgan.data.registry import caption_class_ids  # noqa: E402
from kerasgan.utils import to_uint8  # noqa: E402
from kerasgan.zoo.preset import read_metadata  # noqa: E402
from reference_conditional_gan import ReferenceConditionalGAN  # noqa: E402
from timing import StepPrinter, seconds_per_step  # noqa: E402


def training_data(dataset: str, batch_size: int, seed: int) -> tf.data.Dataset:
    """The training split as (images in [0, 1], one-hot class) batches, repeated."""
    images, captions = load_captions(dataset, "train")
    classes = caption_class_ids(dataset, captions)
    one_hot = np.eye(len(caption_classes(dataset)), dtype=np.float32)[classes]
    return (tf.data.Dataset.from_tensor_slices((images.astype(np.float32) / 255.0, one_hot))
            .shuffle(len(images), seed=seed).repeat()
            .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))


def reference_images(model, labels, num_classes, seed, batch=500) -> np.ndarray:
    latents = np.random.default_rng(seed).standard_normal(
        (len(labels), model.latent_dim)).astype(np.float32)
    one_hot = np.eye(num_classes, dtype=np.float32)[labels]
    # The generator's sigmoid output is in [0, 1]; to_uint8 reads [-1, 1].
    return np.concatenate([to_uint8(2.0 * model.generate(latents[i:i + batch],
                                                         one_hot[i:i + batch]).numpy() - 1.0)
                           for i in range(0, len(labels), batch)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="NAME, preset folder, or either with =SECONDS")
    parser.add_argument("--seconds-per-step", type=float, default=None,
                        help="the reference's speed measured earlier on an idle machine")
    parser.add_argument("--measure-only", action="store_true",
                        help="only measure and print the reference's seconds per step")
    parser.add_argument("--out", default=None, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    name, _, seconds = args.checkpoint.partition("=")
    card = read_metadata(kerasgan.zoo.resolve(name)[0])
    budget = float(seconds) if seconds else card["training"]["wall_time_s"]
    data, seed = card["config"]["data"], card["config"]["train"]["seed"]
    dataset, batch_size = data["dataset"], data["batch_size"]
    num_classes = len(caption_classes(dataset))
    keras.utils.set_random_seed(seed)
    pipeline = training_data(dataset, batch_size, seed)
    shape = tuple(pipeline.element_spec[0].shape[1:])
    if args.seconds_per_step:
        step_time = args.seconds_per_step
    else:
        probe = ReferenceConditionalGAN(num_classes, shape)
        probe.compile()
        step_time = seconds_per_step(probe, pipeline, steps=30, warmup=5)
    if args.measure_only:
        print(f"reference: {step_time:.4f} s/step (--seconds-per-step {step_time:.4f})")
        return {"reference_s_per_step": step_time}
    steps = max(1, round(budget / step_time))
    print(f"reference: {step_time * 1000:.0f} ms/step, {steps} steps for {budget:.0f} s",
          flush=True)
    keras.utils.set_random_seed(seed)
    reference = ReferenceConditionalGAN(num_classes, shape)
    reference.compile()
    reference.fit(pipeline, epochs=1, steps_per_epoch=steps,
                  callbacks=[StepPrinter("reference")], verbose=0)

    ours = card["metrics"]
    protocol = ours["protocol"]
    split = protocol["reference"].split(":")[1]
    real, held_out = load_captions(dataset, split)
    prompts = np.asarray(held_out)[np.arange(protocol["num_fake"]) % len(held_out)]
    labels = caption_class_ids(dataset, prompts)
    extractor = metrics.load_feature_extractor(metrics.classifier_dataset(dataset))
    theirs = metrics.compare_image_sets(
        real, reference_images(reference, labels, num_classes, protocol["seed"]), extractor,
        ["fid", "kid", "cs"], fake_labels=labels, progress=False)
    eid = extractor.extractor_id
    row = {"checkpoint": name, "budget_s": budget, "checkpoint_steps": card["training"]["steps"],
           "reference": "keras.io conditional GAN (reference_conditional_gan.py)",
           "reference_steps": steps, "reference_s_per_step": step_time,
           "num_samples": int(protocol["num_fake"]), "extractor": eid}
    for metric in ("class_accuracy", "fid", "kid", "min_class_fraction"):
        row[metric] = ours.get(f"{metric}[{eid}]")
        row[f"reference_{metric}"] = theirs.get(f"{metric}[{eid}]")
    print(json.dumps(row, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(row, indent=2))
    return row


if __name__ == "__main__":
    main()
