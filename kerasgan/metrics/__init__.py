"""Offline sample-quality metrics: FID, KID, improved precision/recall, classifier score.

Every metric key names its feature extractor, e.g.
`fid[kerasgan-fashion-mnist-classifier-v1]`; numbers from different
extractors are not comparable. See `docs/metrics.md`.

Example:
>>> gan = kerasgan.load("dcgan-fashion-mnist")                            # doctest: +SKIP
>>> kerasgan.metrics.evaluate(gan, "fashion-mnist", num_samples=10000)    # doctest: +SKIP
{'fid[kerasgan-fashion-mnist-classifier-v1]': ..., 'protocol': {...}}
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
from tqdm.auto import tqdm

from kerasgan.metrics.distances import (ClassifierScore, FrechetDistance,  # noqa: F401
                                        KernelInceptionDistance, PrecisionRecall,
                                        classifier_score_from_probabilities,
                                        fid_from_features, frechet_distance,
                                        kid_from_features, precision_recall_from_features)
from kerasgan.metrics.features import (FeatureExtractor, InceptionFeatures,  # noqa: F401
                                       build_feature_classifier, load_feature_extractor)

METRICS = ("fid", "kid", "pr", "cs")


def _check_metrics(metrics):
    metrics = [m.strip() for m in metrics]
    for m in metrics:
        if m not in METRICS:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("metric", m, METRICS)
    return metrics


def compare_image_sets(real_images, fake_images, extractor: FeatureExtractor,
                       metrics=METRICS, *, fake_labels=None, kid_subsets: int = 100,
                       kid_subset_size: int = 1000, batch_size: int = 1000,
                       progress: bool = True) -> dict:
    """Metrics between two image sets (uint8 NHWC, or float in [-1, 1]).

    Features are streamed batch by batch through the Keras metrics.
    With `fake_labels`, also reports `class_accuracy[...]`: how often the
    classifier agrees with the label each fake image was generated for.
    """
    metrics = _check_metrics(metrics)
    eid = extractor.extractor_id
    fid = FrechetDistance(extractor)
    kid = KernelInceptionDistance(extractor, num_subsets=kid_subsets, subset_size=kid_subset_size)
    pr = PrecisionRecall(extractor)
    cs = ClassifierScore(extractor)
    predictions = []
    for which, images in (("real", real_images), ("fake", fake_images)):
        for start in tqdm(range(0, len(images), batch_size), desc=f"features ({which})",
                          disable=not progress, leave=False):
            feats, probs = extractor.features_and_probabilities(images[start:start + batch_size])
            for metric in (fid, kid, pr):
                getattr(metric, f"update_{which}_features")(feats)
            if which == "fake":
                cs.update_probabilities(probs)
                predictions.append(probs.argmax(axis=1))
    results = {}
    if "fid" in metrics:
        results[f"fid[{eid}]"] = fid.result()
    if "kid" in metrics:
        mean, std = kid.result_with_std()
        results[f"kid[{eid}]"] = mean
        results[f"kid_std[{eid}]"] = std
    if "pr" in metrics:
        precision, recall = pr.result()
        results[f"precision[{eid}]"] = precision
        results[f"recall[{eid}]"] = recall
    if "cs" in metrics:
        results[f"cs[{eid}]"] = cs.result()
    if fake_labels is not None:
        agree = np.concatenate(predictions) == np.asarray(fake_labels)
        results[f"class_accuracy[{eid}]"] = float(agree.mean())
    results["protocol"] = {"num_real": int(len(real_images)), "num_fake": int(len(fake_images)),
                           "extractor": eid, "kid_subsets": kid_subsets,
                           "kid_subset_size": min(kid_subset_size, len(real_images),
                                                  len(fake_images)),
                           "pr_k": 3}
    return results


def _generate_in_batches(gan, num_samples, seed, batch_size, progress, labels_all=None):
    """`num_samples` images from seeded latents, for `labels_all` (class ids, or captions
    for text-to-image models; conditional models cycle through their classes by default)."""
    if labels_all is None and gan.task == "conditional":
        labels_all = gan.prepare_labels(None, num_samples)
    images = []
    for start in tqdm(range(0, num_samples, batch_size), desc="generating", disable=not progress,
                      leave=False):
        count = min(batch_size, num_samples - start)
        latents = gan.make_latents(count, seed=None if seed is None else seed + start)
        labels = None if labels_all is None else labels_all[start:start + count]
        images.append(gan.generate(latents, labels))
    return np.concatenate(images), labels_all


def evaluate(gan, reference, *, num_samples: int = 10000, metrics=METRICS, extractor=None,
             reference_split: str = "test", seed: int = 0, batch_size: int = 500,
             progress: bool = True) -> dict:
    """Generates `num_samples` images and compares them with real reference images.

    Args:
        gan: a `kerasgan.models.GAN`.
        reference: a dataset name ("fashion-mnist", "mnist"), whose `reference_split`
            is used, or a uint8 array of real images.
        extractor: a `FeatureExtractor`; by default the shipped classifier of
            the reference dataset.

    Returns:
        A dict of metric values keyed `metric[extractor-id]`, plus `protocol`
        (sample counts, reference split, extractor id, seed).
    """
    if gan.task == "image-to-image":
        return _evaluate_translation(gan, reference, num_samples=num_samples, metrics=metrics,
                                     extractor=extractor, reference_split=reference_split,
                                     batch_size=batch_size, progress=progress)
    if gan.task == "text-to-image":
        return _evaluate_text_to_image(gan, reference, num_samples=num_samples, metrics=metrics,
                                       extractor=extractor, reference_split=reference_split,
                                       seed=seed, batch_size=batch_size, progress=progress)
    dataset_name = reference if isinstance(reference, str) else None
    if dataset_name is not None:
        from kerasgan.data import load_dataset

        real, _ = load_dataset(dataset_name, reference_split)
    else:
        real = np.asarray(reference)
    if extractor is None:
        if dataset_name is None:
            raise ValueError("Pass extractor= when the reference is an array of images.")
        extractor = load_feature_extractor(dataset_name)
    real = real[:num_samples]
    fake, labels = _generate_in_batches(gan, num_samples, seed, batch_size, progress)
    results = compare_image_sets(real, fake, extractor, metrics, fake_labels=labels,
                                 progress=progress)
    results["protocol"].update({"reference": f"{dataset_name or 'array'}:{reference_split}"
                                if dataset_name else "array", "seed": seed})
    return results


#: paired dataset -> the dataset whose feature classifier measures its targets.
TARGET_DATASETS = {"fashion-mnist-edges": "fashion-mnist"}


def _evaluate_translation(gan, reference, *, num_samples, metrics, extractor, reference_split,
                          batch_size, progress):
    """Translates held-out sources and compares the results with their true targets:
    the distribution metrics, plus the mean absolute error (uint8 levels) and PSNR (dB)."""
    from kerasgan.data import load_pairs

    if not isinstance(reference, str):
        raise ValueError("Image-to-image models are evaluated on a paired dataset name, e.g. "
                         f"'fashion-mnist-edges'. Received: {type(reference).__name__}")
    sources, targets = load_pairs(reference, reference_split)
    sources, targets = sources[:num_samples], targets[:num_samples]
    if extractor is None:
        extractor = load_feature_extractor(TARGET_DATASETS.get(reference, reference))
    translated = gan.translate(sources, batch_size=batch_size)
    results = compare_image_sets(targets, translated, extractor, metrics, progress=progress)
    error = translated.astype(np.float64) - targets.astype(np.float64)
    mse = np.maximum((error ** 2).mean(axis=(1, 2, 3)), 1e-10)
    results["mae_uint8"] = float(np.abs(error).mean())
    results["psnr_db"] = float(np.mean(10.0 * np.log10(255.0 ** 2 / mse)))
    results["protocol"].update({"reference": f"{reference}:{reference_split}",
                                "paired": "translations of the held-out sources vs their targets"})
    return results


def _evaluate_text_to_image(gan, reference, *, num_samples, metrics, extractor, reference_split,
                            seed, batch_size, progress):
    """Draws `num_samples` images for the held-out captions (cycled) and compares them
    with the held-out images; `class_accuracy` is how often the dataset's classifier
    reads the captioned class in an image drawn for it."""
    from kerasgan.data import caption_classes, load_captions

    if not isinstance(reference, str):
        raise ValueError("Text-to-image models are evaluated on a captioned dataset name, e.g. "
                         f"'glyphs'. Received: {type(reference).__name__}")
    real, captions = load_captions(reference, reference_split)
    if extractor is None:
        extractor = load_feature_extractor(reference)
    prompts = np.asarray(captions)[np.arange(num_samples) % len(captions)]
    class_of = {c: i for i, c in enumerate(caption_classes(reference))}
    fake, _ = _generate_in_batches(gan, num_samples, seed, batch_size, progress, prompts)
    results = compare_image_sets(real, fake, extractor, metrics,
                                 fake_labels=[class_of[c] for c in prompts], progress=progress)
    _, real_probabilities = extractor.features_and_probabilities(real)
    results[f"real_class_accuracy[{extractor.extractor_id}]"] = float(np.mean(
        real_probabilities.argmax(axis=1) == np.asarray([class_of[c] for c in captions])))
    results["protocol"].update({
        "reference": f"{reference}:{reference_split}", "seed": seed,
        "captions": f"the {len(captions)} held-out captions, cycled",
        "real_class_accuracy": "the classifier on the real held-out images: the ceiling "
                               "for class_accuracy"})
    return results


def evaluate_preset(name_or_path, *, metrics=METRICS, num_samples: int = 10000,
                    reference_split: str = "test", write: bool = False,
                    progress: bool = True) -> dict:
    """`evaluate` for a zoo name or checkpoint folder; `write=True` records the results
    in the folder's `metadata.json` and model card (atomically)."""
    from kerasgan.zoo import load, resolve
    from kerasgan.zoo.card import render_card
    from kerasgan.zoo.preset import METADATA_FILE, CARD_FILE, read_metadata
    from kerasgan.utils import atomic_write

    folder, _ = resolve(str(name_or_path))
    gan = load(str(name_or_path), compile=False)
    metadata = read_metadata(folder)
    dataset = metadata.get("data", {}).get("dataset")
    if dataset is None:
        raise ValueError(f"{folder}/{METADATA_FILE} does not say which dataset the model learned.")
    results = evaluate(gan, dataset, num_samples=num_samples, metrics=metrics,
                       reference_split=reference_split, progress=progress)
    results["protocol"]["command"] = (
        f"kerasgan evaluate {name_or_path} --metrics {','.join(metrics)} "
        f"--num-samples {num_samples} --split {reference_split}")
    if write:
        metadata["metrics"] = results
        metadata["evaluation_command"] = results["protocol"]["command"]
        with atomic_write(folder / METADATA_FILE) as tmp:
            Path(tmp).write_text(json.dumps(metadata, indent=2, sort_keys=True))
        with atomic_write(folder / CARD_FILE) as tmp:
            Path(tmp).write_text(render_card(metadata))
    return results


class FIDCallback(keras.callbacks.Callback):
    """Computes FID every `every_n_epochs` epochs; logs it to history and, with
    `log_dir`, writes it as a TensorBoard scalar (`fid[<extractor>]`).

    Example:
    >>> ext = kerasgan.metrics.load_feature_extractor("fashion-mnist")            # doctest: +SKIP
    >>> real = kerasgan.data.load_fashion_mnist("test")[0][:2000]                 # doctest: +SKIP
    >>> gan.fit(ds, epochs=10, callbacks=[FIDCallback(real, ext, every_n_epochs=2)])  # doctest: +SKIP
    """

    def __init__(self, real_images, extractor: FeatureExtractor, every_n_epochs: int = 1,
                 num_samples: int | None = None, seed: int = 0, log_dir=None):
        super().__init__()
        self.log_dir = log_dir
        self._writer = None
        self.extractor = extractor
        self.every_n_epochs = every_n_epochs
        self.num_samples = num_samples or len(real_images)
        self.seed = seed
        self.key = f"fid[{extractor.extractor_id}]"
        self._real_features = extractor.features(np.asarray(real_images)[:self.num_samples])
        self.history = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        gan = self.model
        fake, _ = _generate_in_batches(gan, self.num_samples, self.seed, 500, progress=False)
        value = fid_from_features(self._real_features, self.extractor.features(fake))
        self.history.append((epoch + 1, value))
        if logs is not None:
            logs[self.key] = value
        if self.log_dir is not None:
            import tensorflow as tf

            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "metrics"))
            with self._writer.as_default():
                tf.summary.scalar(self.key, value, step=epoch + 1)
            self._writer.flush()
