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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasgan import metrics  # noqa: E402
from kerasgan.data import caption_classes, load_captions  # noqa: E402
from kerasgan.data.registry import caption_class_ids  # noqa: E402
from kerasgan.utils import to_uint8  # noqa: E402
import same_time  # noqa: E402
from reference_conditional_gan import ReferenceConditionalGAN  # noqa: E402


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
    args = same_time.parser(__doc__.splitlines()[0]).parse_args(argv)
    name, card, budget = same_time.read_card(args.checkpoint)
    data, seed = card["config"]["data"], card["config"]["train"]["seed"]
    dataset, batch_size = data["dataset"], data["batch_size"]
    num_classes = len(caption_classes(dataset))
    keras.utils.set_random_seed(seed)
    pipeline = training_data(dataset, batch_size, seed)
    shape = tuple(pipeline.element_spec[0].shape[1:])
    reference, steps, step_time = same_time.train_reference(
        lambda: ReferenceConditionalGAN(num_classes, shape), pipeline, budget, seed, args)
    if reference is None:
        return {"reference_s_per_step": step_time}

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
    return same_time.report(row, args.out)


if __name__ == "__main__":
    main()
