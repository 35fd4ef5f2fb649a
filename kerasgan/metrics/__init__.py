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
import os
import time
import warnings
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
INCEPTION = "inception-v3"

#: The fewest images per set the metrics accept (docs/metrics.md, "Sample size").
#: Measured on two sets of real Fashion-MNIST images (3 draws): below 50 the numbers
#: describe the sample size rather than the images. The classifier score averages 10
#: splits, and a split of one image scores exactly 1.0, so 10 images score 1.0 whatever
#: they show (5 give NaN); FID of real against real is 400-920 at 20 images (7 at 2,000);
#: KID of real against real ranges from -12,000 to +25,000 at 20 images, wider than the
#: zoo models' own KIDs (3,000-93,000). At 50 images the classifier score has 5 images per
#: split and KID's spread (-5,400 to +3,300) is down to the size of a good model's KID.
MIN_SAMPLES = 50
#: Below this many images every metric still carries a large sample-size bias, so a
#: warning (and `protocol["note"]`) says so. It is also KID's subset size: with fewer
#: images, every subset holds the same images and `kid_std` is 0.
RELIABLE_SAMPLES = 1000


def _check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    metrics = [m.strip() for m in metrics]
    for m in metrics:
        if m not in METRICS:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("metric", m, METRICS)
    return metrics


def check_sample_count(**counts) -> None:
    """Refuses fewer than `MIN_SAMPLES` images per set, saying why.

    Example:
    >>> check_sample_count(num_samples=5)                 # doctest: +SKIP
    ValueError: Too few images to measure: ... Received: num_samples=5
    """
    if all(isinstance(n, (int, np.integer)) and n >= MIN_SAMPLES for n in counts.values()):
        return
    received = ", ".join(f"{key}={value}" for key, value in counts.items())
    raise ValueError(
        f"Too few images to measure: the metrics need at least {MIN_SAMPLES} per set "
        "(kerasgan.metrics.MIN_SAMPLES). Below that they describe the sample size more than "
        "the images: 10 images get a classifier score of 1.0 whatever they show (5 get NaN), "
        "and KID between two sets of 20 real images ranges from -12,000 to +25,000, wider "
        f"than the gaps between models. Use {RELIABLE_SAMPLES:,} or more for numbers worth "
        f"comparing (docs/metrics.md). Received: {received}")


def sample_size_note(num_real: int, num_fake: int) -> str | None:
    """What a small sample does to the numbers, or None from `RELIABLE_SAMPLES` on."""
    n = min(num_real, num_fake)
    if n >= RELIABLE_SAMPLES:
        return None
    same_subsets = max(num_real, num_fake) <= RELIABLE_SAMPLES
    return (f"Measured on {n} images: at this size every metric carries a large sample-size "
            "bias (FID between two sets of real Fashion-MNIST images is about 250 at 50 "
            "images, 100 at 200, 30 at 500 and 7 at 2,000)"
            + (", and kid_std is 0 because every KID subset holds all the images"
               if same_subsets else "")
            + ". Compare only with numbers measured on the same number of images (the model "
            "cards use 2,000-10,000).")


def _finite_or_null(results: dict) -> dict:
    """Non-finite values become None (JSON null; NaN is not valid JSON), with a note."""
    for key, value in list(results.items()):
        if isinstance(value, float) and not np.isfinite(value):
            results[key] = None
            results["protocol"].setdefault("notes", []).append(
                f"{key} was {value} (not finite) and is reported as null.")
    return results


def extractor_names() -> list[str]:
    """Names `get_extractor` takes: the shipped classifiers (by dataset or by name), and
    "inception-v3" (ImageNet weights, downloaded once by keras.applications)."""
    from kerasgan.zoo import classifier_registry

    entries = classifier_registry()
    return sorted({*(e["dataset"] for e in entries.values()), *entries, INCEPTION})


def get_extractor(name_or_extractor, image_shape=None) -> FeatureExtractor:
    """A feature extractor by name (see `extractor_names()`), checked to take images of
    `image_shape` (the model's) before anything is generated.

    Example:
    >>> get_extractor("mnist", image_shape=(28, 28, 1)).extractor_id    # doctest: +SKIP
    'kerasgan-mnist-classifier-v1'
    """
    if isinstance(name_or_extractor, FeatureExtractor):
        extractor = name_or_extractor
    elif name_or_extractor == INCEPTION:
        extractor = InceptionFeatures(image_shape=tuple(image_shape or (28, 28, 1)))
    else:
        names = extractor_names()
        if name_or_extractor not in names:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("feature extractor", str(name_or_extractor), names)
        extractor = load_feature_extractor(name_or_extractor)
    if image_shape is not None and tuple(extractor.image_shape) != tuple(image_shape):
        shape = "x".join(map(str, image_shape))
        asked = getattr(name_or_extractor, "extractor_id", name_or_extractor)
        raise ValueError(
            f"The extractor {extractor.extractor_id} takes "
            f"{'x'.join(map(str, extractor.image_shape))} images, but the model makes {shape} "
            f"images. Pick an extractor for {shape} images, or '{INCEPTION}' for any size. "
            f"Received: extractor={asked!r}")
    return extractor


def classifier_dataset(dataset):
    """The dataset whose shipped feature classifier scores images of `dataset` (the
    registry's `classifier`: "fashion-mnist" for the targets of "fashion-mnist-edges");
    any other name (a dataset without one, a folder) comes back unchanged."""
    from kerasgan.data import find_dataset

    registered = find_dataset(dataset)
    return registered.classifier if registered is not None and registered.classifier else dataset


def dataset_extractor(dataset: str) -> FeatureExtractor:
    """The shipped classifier that scores images of a registered dataset, reading them
    as the registry says (`fashion-mnist-32`: the Fashion-MNIST classifier on the centre
    28x28 of its padded images)."""
    from kerasgan.data import find_dataset

    registered = find_dataset(dataset)
    crop = registered.classifier_crop if registered is not None else 0
    return load_feature_extractor(classifier_dataset(dataset)).center_cropped(crop)


def default_extractor_name(gan) -> str:
    """The shipped classifier of the data a model learned: the extractor its preset
    records (fine-tuned models), else its dataset's, else the dataset of the zoo model
    it was fine-tuned from. Raises a ValueError saying to pass one when none applies."""
    from kerasgan.zoo import classifier_registry, registry

    metadata = getattr(gan, "preset_metadata", None) or {}
    dataset = metadata.get("data", {}).get("dataset")
    base = metadata.get("finetuned_from", {}).get("name")
    candidates = [metadata.get("evaluation", {}).get("extractor"),
                  classifier_dataset(dataset),
                  registry().get(base, {}).get("dataset")]
    known = {*(e["dataset"] for e in classifier_registry().values()), *classifier_registry(),
             INCEPTION}
    for candidate in candidates:
        if candidate in known:
            return candidate
    raise ValueError(
        f"No shipped feature classifier is known for this model (its data: {dataset!r}). "
        f"Pass extractor= (--extractor): one of {', '.join(extractor_names())} "
        f"('{INCEPTION}' downloads ImageNet weights once). Received: extractor=None")


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
    check_sample_count(num_real=len(real_images), num_fake=len(fake_images))
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
        # Mode coverage: the share of the fakes in the classifier's rarest class (1/K
        # when balanced, 0 when a class is never generated).
        fractions = class_fractions(np.concatenate(predictions), num_classes=probs.shape[1])
        results[f"min_class_fraction[{eid}]"] = float(fractions.min())
    if fake_labels is not None:
        agree = np.concatenate(predictions) == np.asarray(fake_labels)
        results[f"class_accuracy[{eid}]"] = float(agree.mean())
    results["protocol"] = {"num_real": int(len(real_images)), "num_fake": int(len(fake_images)),
                           "extractor": eid, "kid_subsets": kid_subsets,
                           "kid_subset_size": min(kid_subset_size, len(real_images),
                                                  len(fake_images)),
                           "pr_k": 3}
    if "cs" in metrics:
        results["protocol"]["class_fractions"] = [round(float(f), 4) for f in fractions]
    note = sample_size_note(len(real_images), len(fake_images))
    if note:
        warnings.warn(note, stacklevel=2)
        results["protocol"]["note"] = note
    return _finite_or_null(results)


def class_fractions(predicted_classes, num_classes: int) -> np.ndarray:
    """The share of images the classifier puts in each class, e.g. to find modes a
    generator dropped: `class_fractions(extractor.probabilities(fake).argmax(1), 10)`."""
    counts = np.bincount(np.asarray(predicted_classes, dtype=np.int64), minlength=num_classes)
    return counts / max(1, counts.sum())


def _generate_in_batches(gan, num_samples, seed, batch_size, progress, labels_all=None):
    """`num_samples` images from seeded latents, for `labels_all` (class ids, or captions
    for text-to-image models; conditional models cycle through their classes by default)."""
    from kerasgan.tasks import task_of

    if labels_all is None:
        labels_all = task_of(gan).evaluation_labels(gan, num_samples)
    images = []
    for start in tqdm(range(0, num_samples, batch_size), desc="generating", disable=not progress,
                      leave=False):
        count = min(batch_size, num_samples - start)
        labels = None if labels_all is None else labels_all[start:start + count]
        # The latents (and any codes a variant draws) come from the seed of each batch.
        images.append(gan.generate(count, labels, seed=None if seed is None else seed + start,
                                   batch_size=batch_size))
    return np.concatenate(images), labels_all


def evaluate(gan, reference, *, num_samples: int = 10000, metrics=METRICS, extractor=None,
             reference_split: str = "test", seed: int = 0, batch_size: int = 500,
             progress: bool = True) -> dict:
    """Generates `num_samples` images and compares them with real reference images.

    Args:
        gan: a `kerasgan.models.GAN`.
        reference: a dataset name ("fashion-mnist", "mnist", ...), whose
            `reference_split` is used; a folder of your own images (a `Path`, or a
            string with a "/" or naming a folder that exists), read at the model's
            size and channels by `kerasgan.data.load_image_folder`; or a uint8 array
            of real images.
        num_samples: images to generate (and at most as many real ones); at least
            `MIN_SAMPLES` (50), and below `RELIABLE_SAMPLES` (1,000) a warning says
            what the sample size does to the numbers.
        extractor: a `FeatureExtractor` or a name (`extractor_names()`); by default
            the shipped classifier of the reference dataset, or for a folder that of
            the data the model learned (`default_extractor_name`).

    Returns:
        A dict of metric values keyed `metric[extractor-id]`, plus `protocol`
        (sample counts, reference, extractor id, seed). Values that are not finite
        are None, with a note.

    Example:
    >>> kerasgan.metrics.evaluate(gan, "my_images/", num_samples=2000)   # doctest: +SKIP
    """
    metrics = _check_metrics(metrics)
    check_sample_count(num_samples=num_samples)
    folder = reference_folder(reference)
    if folder is not None:
        return _evaluate_on_folder(gan, folder, num_samples=num_samples, metrics=metrics,
                                   extractor=extractor, seed=seed, batch_size=batch_size,
                                   progress=progress)
    if isinstance(extractor, str):
        extractor = get_extractor(extractor, gan.image_shape)
    from kerasgan.tasks import task_of

    protocol = task_of(gan).evaluation
    if protocol == "translation":
        return _evaluate_translation(gan, reference, num_samples=num_samples, metrics=metrics,
                                     extractor=extractor, reference_split=reference_split,
                                     batch_size=batch_size, progress=progress)
    if protocol == "unpaired":
        return _evaluate_unpaired(gan, reference, num_samples=num_samples, metrics=metrics,
                                  extractor=extractor, reference_split=reference_split,
                                  batch_size=batch_size, progress=progress)
    if protocol == "super-resolution":
        return _evaluate_super_resolution(gan, reference, num_samples=num_samples,
                                          metrics=metrics, extractor=extractor,
                                          reference_split=reference_split,
                                          batch_size=batch_size, progress=progress)
    if protocol == "captions":
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
        extractor = dataset_extractor(dataset_name)
    real = real[:num_samples]
    fake, labels = _generate_in_batches(gan, num_samples, seed, batch_size, progress)
    results = compare_image_sets(real, fake, extractor, metrics, fake_labels=labels,
                                 progress=progress)
    results["protocol"].update({"reference": f"{dataset_name or 'array'}:{reference_split}"
                                if dataset_name else "array", "seed": seed})
    for name in task_of(gan).extra_metrics:
        extra, protocol = EXTRA_METRICS[name](gan, extractor, dataset_name, reference_split,
                                              seed=seed, batch_size=batch_size)
        results.update(extra)
        results["protocol"][name] = protocol
    return _finite_or_null(results)


def code_disentanglement(gan, extractor, dataset, split, *, seed=0, batch_size=500):
    """InfoGAN: the categorical code's accuracy as the classifier's class under the best
    one-to-one assignment (Hungarian), and each continuous code's correlation with
    simple image statistics (`kerasgan.metrics.disentanglement`)."""
    from kerasgan.metrics import disentanglement

    eid = extractor.extractor_id
    categorical = disentanglement.categorical_code_accuracy(gan, extractor, per_category=1000,
                                                            seed=seed, batch_size=batch_size)
    results = {f"code_accuracy[{eid}]": categorical["accuracy"]}
    effects = disentanglement.continuous_code_effects(gan, per_value=200, seed=seed,
                                                      batch_size=batch_size)
    for code, effect in effects.items():
        for statistic, value in effect["correlations"].items():
            results[f"{code}_{statistic}_correlation"] = value
    protocol = {"code_accuracy": f"{categorical['num_images']} images, 1,000 per category; "
                                 f"assignment category -> class {categorical['assignment']}",
                "correlations": "Pearson, code value vs image statistic, 9 values in [-1, 1] "
                                "x 200 fixed (noise, category, other codes)"}
    return results, protocol


def encoder_quality(gan, extractor, dataset, split, *, seed=0, batch_size=500):
    """BiGAN: a linear probe (logistic regression) on the encoder's latents, trained on
    10,000 images of the train split and scored on `split`, beside the same probe on a
    randomly initialised encoder of the same architecture; and how often the classifier
    gives a reconstruction G(E(x)) the class of x."""
    import keras

    from kerasgan.data import load_dataset
    from kerasgan.metrics import representation

    train_images, train_labels = load_dataset(dataset, "train")
    test_images, test_labels = load_dataset(dataset, split)
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(train_images))[:10000]
    train_images, train_labels = train_images[pick], train_labels[pick]
    probe = representation.linear_probe_accuracy(gan.encode, train_images, train_labels,
                                                 test_images, test_labels)
    keras.utils.set_random_seed(seed)
    random_encoder = keras.models.clone_model(gan.encoder)  # fresh initial weights

    def encode_randomly(images):
        x = gan.check_images(images)
        return np.concatenate([random_encoder(x[i:i + batch_size], training=False).numpy()
                               for i in range(0, len(x), batch_size)])

    baseline = representation.linear_probe_accuracy(encode_randomly, train_images, train_labels,
                                                    test_images, test_labels)
    agreement = representation.reconstruction_class_agreement(gan, test_images, extractor,
                                                              batch_size=batch_size)
    eid = extractor.extractor_id
    return ({"probe_accuracy": probe, "probe_accuracy_random_encoder": baseline,
             f"reconstruction_class_agreement[{eid}]": agreement},
            {"probe": f"logistic regression on the {gan.latent_dim}-d latents (standardised), "
                      f"10,000 {dataset}:train images, scored on all {len(test_images)} of "
                      f"{dataset}:{split}",
             "reconstruction": f"the {len(test_images)} images of {dataset}:{split}"})


#: Extra measurements a task asks for by name (`Task.extra_metrics`).
EXTRA_METRICS = {"code_disentanglement": code_disentanglement,
                 "encoder_quality": encoder_quality}


def reference_folder(reference) -> Path | None:
    """The folder `reference` names, or None for a dataset name or an array.

    Dataset names win (a folder called `mnist` in the working directory doesn't hide
    the dataset); a string that is no dataset is a folder when it contains a path
    separator or names a folder that exists.
    """
    from kerasgan.data import dataset_names

    if isinstance(reference, os.PathLike):
        return Path(reference).expanduser()
    if not isinstance(reference, str) or reference in dataset_names():
        return None
    if "/" in reference or os.sep in reference or Path(reference).expanduser().is_dir():
        return Path(reference).expanduser()
    from kerasgan.utils import closest_matches

    matches = closest_matches(reference, dataset_names())
    hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
    raise ValueError(
        f"Unknown dataset '{reference}', and no folder of that name exists here "
        f"({Path.cwd()}).{hint} Pass a dataset ({', '.join(dataset_names())}) or a folder "
        f"of images. Received: reference='{reference}'")


def _evaluate_on_folder(gan, folder: Path, *, num_samples, metrics, extractor, seed, batch_size,
                        progress):
    """Compares `num_samples` generated images with the images of a folder (all of them,
    up to `num_samples`), read at the model's size and channels."""
    from kerasgan.data import load_image_folder

    from kerasgan.tasks import task_of

    task = task_of(gan)
    if task.evaluation == "unpaired":
        raise ValueError(
            "An unpaired translation model is scored on both of its domains; a folder of "
            "images holds one. Evaluate it on an unpaired dataset (e.g. 'printed2handwritten') "
            f"or with gan.translate in Python. Received: data='{folder}'")
    if task.evaluation == "translation":
        raise ValueError(
            "An image-to-image model is scored on (source, target) pairs; a folder of images "
            "holds no sources to translate. Evaluate it on a paired dataset (e.g. "
            f"'fashion-mnist-edges') or with gan.translate in Python. Received: data='{folder}'")
    prompts = None
    if task.evaluation == "captions":
        if not gan.captions:
            raise ValueError("This text-to-image model stores no captions to draw images for; "
                             f"evaluate it on its captioned dataset. Received: data='{folder}'")
        prompts = np.asarray(gan.captions)[np.arange(num_samples) % len(gan.captions)]
    extractor = get_extractor(extractor if extractor is not None else default_extractor_name(gan),
                              gan.image_shape)
    height, width, channels = gan.image_shape
    real, _, info = load_image_folder(folder, image_size=(height, width), channels=channels)
    check_sample_count(num_folder_images=len(real))
    real = real[:num_samples]
    fake, labels = _generate_in_batches(gan, num_samples, seed, batch_size, progress, prompts)
    results = compare_image_sets(real, fake, extractor, metrics,
                                 fake_labels=labels if task.scores_class_agreement() else None,
                                 progress=progress)
    results["protocol"].update({
        "reference": f"folder:{folder}", "seed": seed,
        "folder": {"num_images": info["num_images"], "skipped": info["skipped"],
                   "conversions": info["conversions"]}})
    if prompts is not None:
        results["protocol"]["captions"] = f"the model's {len(gan.captions)} captions, cycled"
    return results


def translation_errors(translated, targets) -> dict:
    """Pixel errors of uint8 translations against their true targets: the mean absolute
    error in uint8 levels and the mean per-image PSNR in dB.

    Example:
    >>> targets = np.zeros((2, 4, 4, 1), np.uint8)
    >>> translation_errors(targets + 1, targets)["mae_uint8"]
    1.0
    """
    error = np.asarray(translated, np.float64) - np.asarray(targets, np.float64)
    mse = np.maximum((error ** 2).mean(axis=(1, 2, 3)), 1e-10)
    return {"mae_uint8": float(np.abs(error).mean()),
            "psnr_db": float(np.mean(10.0 * np.log10(255.0 ** 2 / mse)))}


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
        extractor = dataset_extractor(reference)
    translated = gan.translate(sources, batch_size=batch_size)
    results = compare_image_sets(targets, translated, extractor, metrics, progress=progress)
    results.update(translation_errors(translated, targets))
    results["protocol"].update({"reference": f"{reference}:{reference_split}",
                                "paired": "translations of the held-out sources vs their targets"})
    return results


def image_fidelity(images, targets, batch_size: int = 256) -> dict:
    """Mean per-image PSNR (dB) and SSIM (`tf.image.psnr` / `tf.image.ssim`, max value 255,
    on all channels and the whole image) of uint8 images against their targets.

    Example:
    >>> targets = np.full((2, 16, 16, 3), 100, np.uint8)
    >>> round(image_fidelity(targets + 1, targets)["psnr_db"], 2)
    48.13
    """
    import tensorflow as tf

    psnr, ssim = [], []
    for start in range(0, len(images), batch_size):
        a = tf.constant(np.asarray(images[start:start + batch_size], np.float32))
        b = tf.constant(np.asarray(targets[start:start + batch_size], np.float32))
        psnr.append(tf.image.psnr(a, b, max_val=255.0).numpy())
        ssim.append(tf.image.ssim(a, b, max_val=255.0).numpy())
    psnr = np.minimum(np.concatenate(psnr), 100.0)  # identical images: inf
    return {"psnr_db": float(psnr.mean()), "ssim": float(np.concatenate(ssim).mean())}


def high_frequency_energy(images, cutoff: float) -> float:
    """The mean spectral energy of uint8 images (per channel, mean removed) at spatial
    frequencies above `cutoff` cycles per pixel (radial): the detail an upscaler must
    invent, since a 4x smaller input holds nothing above 1/8."""
    x = np.asarray(images, np.float64)
    x = x - x.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(x, axes=(1, 2))) ** 2
    fy = np.fft.fftfreq(x.shape[1])[:, None]
    fx = np.fft.fftfreq(x.shape[2])[None, :]
    high = np.sqrt(fy ** 2 + fx ** 2) > cutoff
    return float(power[:, high].mean())


def super_resolution_scores(targets, scale: int, candidates: dict) -> dict:
    """PSNR, SSIM and MAE against `targets`, and the high-frequency energy relative to
    theirs (above the input's Nyquist frequency, 0.5 / scale), of each named set of
    upscaled uint8 images: `{prefix: images}` gives `<prefix>psnr_db`, `<prefix>ssim`,
    `<prefix>mae_uint8` and `<prefix>high_frequency_ratio`."""
    cutoff = 0.5 / scale
    truth_energy = high_frequency_energy(targets, cutoff)
    results = {}
    for prefix, images in candidates.items():
        fidelity = image_fidelity(images, targets)
        results[f"{prefix}psnr_db"] = fidelity["psnr_db"]
        results[f"{prefix}ssim"] = fidelity["ssim"]
        results[f"{prefix}mae_uint8"] = translation_errors(images, targets)["mae_uint8"]
        results[f"{prefix}high_frequency_ratio"] = (high_frequency_energy(images, cutoff)
                                                    / truth_energy)
    return results


def _evaluate_super_resolution(gan, reference, *, num_samples, metrics, extractor,
                               reference_split, batch_size, progress):
    """Upscales held-out low-resolution inputs and compares them with their true
    high-resolution images, beside bicubic upscaling of the same inputs: PSNR and SSIM
    (`image_fidelity`), the high-frequency energy relative to the targets'
    (`high_frequency_energy` above the input's Nyquist frequency: 1 is the truth's
    detail, bicubic far below it), and with a feature extractor the distribution
    metrics against the targets."""
    from kerasgan.data import bicubic_upscale, load_pairs

    if not isinstance(reference, str):
        raise ValueError("Super-resolution models are evaluated on a paired dataset name, e.g. "
                         f"'emoji-sr-4x'. Received: {type(reference).__name__}")
    sources, targets = load_pairs(reference, reference_split)
    sources, targets = sources[:num_samples], targets[:num_samples]
    check_sample_count(num_samples=len(sources))
    upscaled = gan.upscale(sources, batch_size=batch_size)
    bicubic = bicubic_upscale(sources, gan.scale)
    results = super_resolution_scores(targets, gan.scale, {"": upscaled, "bicubic_": bicubic})
    protocol = {"reference": f"{reference}:{reference_split}", "num_images": int(len(sources)),
                "paired": "upscaled held-out inputs vs their high-resolution images; "
                          "bicubic_*: Pillow's bicubic upscaling of the same inputs",
                "high_frequency_cutoff": f"{0.5 / gan.scale:g} cycles/pixel"}
    if extractor is None:
        from kerasgan.data import find_dataset

        registered = find_dataset(reference)
        if registered is not None and registered.classifier:
            extractor = load_feature_extractor(registered.classifier)
    if extractor is None or not metrics:
        protocol["distribution_metrics"] = ("not computed: no feature extractor is registered "
                                            f"for {reference} (pass extractor=)")
    else:
        distribution = compare_image_sets(targets, upscaled, extractor,
                                          [m for m in metrics if m != "cs"], progress=progress)
        bicubic_distribution = compare_image_sets(targets, bicubic, extractor, ["fid"],
                                                  progress=False)
        protocol.update(distribution.pop("protocol"))
        results.update(distribution)
        results.update({f"bicubic_{k}": v for k, v in bicubic_distribution.items()
                        if k != "protocol"})
    results["protocol"] = protocol
    return _finite_or_null(results)


def _evaluate_unpaired(gan, reference, *, num_samples, metrics, extractor, reference_split,
                       batch_size, progress):
    """Each direction's held-out translations against the held-out images of its target
    domain, keys prefixed `a2b/` and `b2a/`, each scored by its target domain's
    classifier: the distribution metrics; `class_kept` (the target classifier reads
    the source's class in its translation) when both domains hold the same classes, or
    `class_change` (it reads one of the target domain's classes) when they hold
    different ones; and `cycle_mae_uint8`, the error of A -> B -> A (B -> A -> B)."""
    from kerasgan.data import get_dataset, load_unpaired

    if not isinstance(reference, str) or get_dataset(reference).kind != "unpaired":
        raise ValueError("Unpaired translation models are evaluated on an unpaired dataset "
                         f"name, e.g. 'printed2handwritten'. Received: {reference!r}")
    info = get_dataset(reference)
    domains = dict(zip("ab", load_unpaired(reference, reference_split)))
    results, protocol = {}, {}
    for direction, (source, target) in (("a2b", ("a", "b")), ("b2a", ("b", "a"))):
        source_images, source_labels = (None if x is None else np.asarray(x)[:num_samples]
                                        for x in domains[source])
        target_images, target_labels = (None if x is None else np.asarray(x)[:num_samples]
                                        for x in domains[target])
        scorer = extractor if extractor is not None else load_feature_extractor(
            info.domain_classifier(target))
        translated = gan.translate(source_images, direction, batch_size=batch_size)
        scores = compare_image_sets(target_images, translated, scorer, metrics,
                                    progress=progress)
        predicted = scorer.probabilities(translated).argmax(axis=1)
        eid = scorer.extractor_id
        source_classes, target_classes = (set() if labels is None else set(np.unique(labels))
                                          for labels in (source_labels, target_labels))
        if not source_classes or not target_classes:
            pass  # unlabelled domains: no class metrics
        elif source_classes == target_classes:
            scores[f"class_kept[{eid}]"] = float(np.mean(predicted == source_labels))
        elif not source_classes & target_classes:
            scores[f"class_change[{eid}]"] = float(np.mean(np.isin(predicted,
                                                                   sorted(target_classes))))
        back = gan.translate(translated, "b2a" if direction == "a2b" else "a2b",
                             batch_size=batch_size)
        scores["cycle_mae_uint8"] = translation_errors(back, source_images)["mae_uint8"]
        protocol[direction] = scores.pop("protocol")
        results.update({f"{direction}/{key}": value for key, value in scores.items()})
    results["protocol"] = {
        "reference": f"{reference}:{reference_split}", "domains": list(info.domains),
        "a2b": protocol["a2b"], "b2a": protocol["b2a"],
        "unpaired": "each direction's translations of held-out source images vs held-out "
                    "images of the target domain (no pairs), scored by the target domain's "
                    "classifier"}
    return _finite_or_null(results)


def _evaluate_text_to_image(gan, reference, *, num_samples, metrics, extractor, reference_split,
                            seed, batch_size, progress):
    """Draws `num_samples` images for the held-out captions (cycled) and compares them
    with the held-out images; `class_accuracy` is how often the dataset's classifier
    reads the captioned class in an image drawn for it."""
    from kerasgan.data import load_captions
    from kerasgan.data.registry import caption_class_ids

    if not isinstance(reference, str):
        raise ValueError("Text-to-image models are evaluated on a captioned dataset name, e.g. "
                         f"'glyphs'. Received: {type(reference).__name__}")
    real, captions = load_captions(reference, reference_split)
    if extractor is None:
        extractor = dataset_extractor(reference)
    prompts = np.asarray(captions)[np.arange(num_samples) % len(captions)]
    fake, _ = _generate_in_batches(gan, num_samples, seed, batch_size, progress, prompts)
    results = compare_image_sets(real, fake, extractor, metrics,
                                 fake_labels=caption_class_ids(reference, prompts),
                                 progress=progress)
    _, real_probabilities = extractor.features_and_probabilities(real)
    results[f"real_class_accuracy[{extractor.extractor_id}]"] = float(np.mean(
        real_probabilities.argmax(axis=1) == caption_class_ids(reference, captions)))
    results["protocol"].update({
        "reference": f"{reference}:{reference_split}", "seed": seed,
        "captions": f"the {len(captions)} held-out captions, cycled",
        "real_class_accuracy": "the classifier on the real held-out images: the ceiling "
                               "for class_accuracy"})
    return results


def evaluate_preset(name_or_path, *, metrics=METRICS, num_samples: int = 10000,
                    reference_split: str = "test", write: bool = False,
                    progress: bool = True, data=None, extractor=None) -> dict:
    """`evaluate` for a zoo name, checkpoint folder or `.keras` file; `write=True` records
    the results in the folder's `metadata.json` and model card (atomically).

    Args:
        data: a folder of images to compare with (any model, e.g. one fine-tuned on
            your images). By default, the dataset the model's metadata names, or, for a
            model fine-tuned on a folder, that folder when it still exists.
        extractor: a name from `extractor_names()`; by default the classifier of the
            data the model learned (`default_extractor_name`).

    Example:
    >>> evaluate_preset("my-gan", data="my_images/", num_samples=2000)   # doctest: +SKIP
    """
    from kerasgan.utils import atomic_write
    from kerasgan.zoo import load
    from kerasgan.zoo.card import render_card
    from kerasgan.zoo.preset import CARD_FILE, METADATA_FILE

    metrics = _check_metrics(metrics)
    check_sample_count(num_samples=num_samples)
    gan = load(str(name_or_path), compile=False)
    folder = Path(gan.preset_path)
    if write and not folder.is_dir():
        raise ValueError(f"write=True (--write) records the results in a checkpoint folder's "
                         f"metadata.json; {folder} is a file. Received: {name_or_path}")
    metadata = dict(gan.preset_metadata)
    reference = data if data is not None else reference_from_metadata(metadata, name_or_path)
    results = evaluate(gan, reference, num_samples=num_samples, metrics=metrics,
                       extractor=extractor, reference_split=reference_split, progress=progress)
    command = (f"kerasgan evaluate {name_or_path} --metrics {','.join(metrics) or 'none'} "
               f"--num-samples {num_samples}")
    if isinstance(reference, str) and reference_folder(reference) is None:
        command += f" --split {reference_split}"
    else:
        command += f" --data {data if data is not None else reference}"
    if isinstance(extractor, str):
        command += f" --extractor {extractor}"
    results["protocol"]["command"] = command
    if write:
        metadata["metrics"] = results
        metadata["evaluation_command"] = results["protocol"]["command"]
        with atomic_write(folder / METADATA_FILE) as tmp:
            Path(tmp).write_text(json.dumps(metadata, indent=2, sort_keys=True))
        with atomic_write(folder / CARD_FILE) as tmp:
            Path(tmp).write_text(render_card(metadata))
    return results


def reference_from_metadata(metadata: dict, name) -> str | Path:
    """What a model is compared with by default: the dataset its metadata names, or the
    folder it was fine-tuned (or trained) on, when that still exists."""
    from kerasgan.data import dataset_names

    described = metadata.get("data", {})
    dataset = described.get("dataset")
    if dataset in dataset_names():
        return dataset
    for candidate in (described.get("folder"), dataset):
        if candidate and Path(candidate).expanduser().is_dir():
            return Path(candidate).expanduser()
    if dataset is None:
        raise ValueError(f"{name}'s metadata does not say which data the model learned. Pass "
                         "--data DIR (data= in Python): a folder of images to compare with. "
                         f"Received: model='{name}'")
    raise ValueError(
        f"{name} learned from '{dataset}', which is neither a dataset kerasgan knows "
        f"({', '.join(dataset_names())}) nor a folder that exists here ({Path.cwd()}). Pass "
        f"--data DIR (data= in Python): a folder of images to compare with. "
        f"Received: data.dataset='{dataset}'")


class FIDCallback(keras.callbacks.Callback):
    """Computes FID during training: every `every_n_epochs` epochs, or every
    `every_n_steps` steps, or every `every_seconds` seconds of training. Logs it to
    history (epoch mode), to `self.history` and, with `log_dir`, as a TensorBoard
    scalar (`fid[<extractor>]`).

    `self.history` holds one dict per evaluation: `steps`, `epoch`, `fid`, and
    `train_seconds`, the wall time spent training so far *without* the time the
    evaluations took, so a run's FID-vs-time curve does not depend on how often it
    is measured. `generate` (model, num_samples, seed) -> uint8 images overrides
    how samples are drawn (for models that are not kerasgan GANs); `stop_at_seconds`
    stops training once that much training time has passed (after an evaluation).

    Example:
    >>> ext = kerasgan.metrics.load_feature_extractor("fashion-mnist")            # doctest: +SKIP
    >>> real = kerasgan.data.load_fashion_mnist("test")[0][:2000]                 # doctest: +SKIP
    >>> gan.fit(ds, epochs=10, callbacks=[FIDCallback(real, ext, every_n_epochs=2)])  # doctest: +SKIP
    >>> curve = FIDCallback(real, ext, every_seconds=60)  # FID vs training seconds  # doctest: +SKIP
    """

    def __init__(self, real_images, extractor: FeatureExtractor, every_n_epochs: int | None = None,
                 num_samples: int | None = None, seed: int = 0, log_dir=None, *,
                 every_n_steps: int | None = None, every_seconds: float | None = None,
                 generate=None, stop_at_seconds: float | None = None):
        super().__init__()
        given = [n for n, v in (("every_n_epochs", every_n_epochs), ("every_n_steps", every_n_steps),
                                ("every_seconds", every_seconds)) if v is not None]
        if len(given) > 1:
            raise ValueError(f"Pass one of every_n_epochs, every_n_steps, every_seconds. "
                             f"Received: {', '.join(given)}")
        for name, value in (("every_n_epochs", every_n_epochs), ("every_n_steps", every_n_steps),
                            ("every_seconds", every_seconds), ("stop_at_seconds", stop_at_seconds)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive. Received: {name}={value!r}")
        if not given:
            every_n_epochs = 1
        self.log_dir = log_dir
        self._writer = None
        self.extractor = extractor
        self.every_n_epochs, self.every_n_steps = every_n_epochs, every_n_steps
        self.every_seconds, self.stop_at_seconds = every_seconds, stop_at_seconds
        self.num_samples = num_samples or len(real_images)
        self.seed = seed
        self.generate = generate
        self.key = f"fid[{extractor.extractor_id}]"
        self._real_features = extractor.features(np.asarray(real_images)[:self.num_samples])
        self.history = []
        self._steps = 0
        self._epoch = 0
        self._train_seconds = 0.0
        self._resumed_at = None
        self._next_at = every_seconds

    def _clock(self) -> float:
        return time.perf_counter()

    def on_train_begin(self, logs=None):
        self._resumed_at = self._clock()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _elapsed(self) -> float:
        return self._train_seconds + (self._clock() - self._resumed_at)

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        if self.every_n_steps is not None and self._steps % self.every_n_steps == 0:
            self._measure()
        elif self.every_seconds is not None and self._elapsed() >= self._next_at:
            while self._next_at <= self._elapsed():
                self._next_at += self.every_seconds
            self._measure()
        elif self.stop_at_seconds is not None and self._elapsed() >= self.stop_at_seconds:
            self._measure()

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_epochs is None or (epoch + 1) % self.every_n_epochs:
            return
        value = self._measure(epoch=epoch + 1)
        if logs is not None:
            logs[self.key] = value

    def _measure(self, epoch=None) -> float:
        """One FID, with the training clock paused while it runs."""
        self._train_seconds = self._elapsed()
        model = self.model
        if self.generate is not None:
            fake = self.generate(model, self.num_samples, self.seed)
        else:
            fake, _ = _generate_in_batches(model, self.num_samples, self.seed, 500, progress=False)
        value = fid_from_features(self._real_features, self.extractor.features(fake))
        self.history.append({"steps": self._steps, "epoch": self._epoch if epoch is None else epoch,
                             "train_seconds": self._train_seconds, "fid": value})
        if self.log_dir is not None:
            import tensorflow as tf

            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "metrics"))
            with self._writer.as_default():
                tf.summary.scalar(self.key, value,
                                  step=epoch if self.every_n_epochs is not None else self._steps)
            self._writer.flush()
        if self.stop_at_seconds is not None and self._train_seconds >= self.stop_at_seconds:
            model.stop_training = True
        self._resumed_at = self._clock()
        return value
