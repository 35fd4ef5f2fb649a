"""The dataset registry: every named dataset, registered once by its own source file.

A dataset's source file (`kerasgan/data/sources/<name>.py`) reads its arrays and calls
`register_dataset` once, at import, with all that the rest of kerasgan needs to know
of it: its kind, splits, class names, the feature classifier that scores it and its
Hugging Face Hub id. Training configs, metrics, model cards and conditional models
look it up here (`get_dataset`), so a new dataset is one new file.

Example:
>>> get_dataset("fashion-mnist").splits
('train', 'test')
>>> dataset_names(kind="paired")
['fashion-mnist-edges']
>>> get_dataset("fashion-mnist-edges").classifier
'fashion-mnist'
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from kerasgan.utils import unknown_name_error

#: kind -> what `DatasetInfo.load(split)` returns.
KINDS = {
    "images": "(images uint8 NHWC, labels int32 [N] or None)",
    "paired": "(sources uint8 NHWC, targets uint8 NHWC), pair i being sources[i] -> targets[i]",
    "captioned": "(images uint8 NHWC, captions str [N])",
    "unpaired": "((a_images uint8 NHWC, a_labels int32 [N] or None), (b_images, b_labels)): "
                "two domains, no image of one belonging with any image of the other",
}


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What kerasgan knows of a named dataset.

    Attributes:
        name: the name configs, `load_dataset` and metrics use ("fashion-mnist").
        kind: "images", "paired", "captioned" or "unpaired": what `load` returns
            (see `KINDS`).
        load: `split -> arrays` of the kind, uint8 NHWC images.
        splits: the splits `load` accepts.
        classes: the name of each class id, or None for unlabelled data. For a
            captioned dataset whose captions are its classes (glyphs), the
            captions, in the order of the class ids its feature classifier predicts.
        classifier: the dataset whose shipped feature classifier (`kerasgan.zoo`)
            scores images of this one (for `fashion-mnist-edges`, whose targets are
            Fashion-MNIST images: "fashion-mnist"); None when none does. For an
            unpaired dataset, a pair: the classifier of domain A, then of domain B.
        domains: for an unpaired dataset, the names of its two domains (A, B), e.g.
            the datasets they come from; None otherwise.
        classifier_crop: pixels cut from each side of an image before `classifier`
            reads it: `fashion-mnist-32` is Fashion-MNIST padded by 2 with background,
            so its classifier (trained at 28x28) reads the centre 28x28 (0: none).
        hub_id: its Hugging Face Hub dataset id, for model cards; None when none.
        description: one line, for people.
    """

    name: str
    kind: str
    load: Callable[[str], tuple]
    splits: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    classifier: str | None = None
    hub_id: str | None = None
    description: str = ""
    domains: tuple[str, str] | None = None
    classifier_crop: int = 0

    def domain_classifier(self, domain: str) -> str | None:
        """The classifier scoring domain "a" or "b" of an unpaired dataset (for any other
        kind, `classifier` whatever the domain)."""
        if self.kind != "unpaired" or self.classifier is None:
            return self.classifier
        return self.classifier["ab".index(domain)]


_DATASETS: dict[str, DatasetInfo] = {}


def register_dataset(name: str, *, kind: str, load: Callable[[str], tuple], splits,
                     classes=None, classifier=None, hub_id: str | None = None,
                     description: str = "", domains=None,
                     classifier_crop: int = 0) -> DatasetInfo:
    """Registers a named dataset; its source file calls this once, at import.

    See `DatasetInfo` for the arguments. Raises a ValueError for a name already
    registered, an unknown kind or no splits.

    Example:
    >>> def load_dots(split):                                        # doctest: +SKIP
    ...     images = np.load(f"dots-{split}.npy")                    # uint8 (N, 16, 16, 1)
    ...     return images, None
    >>> register_dataset("dots", kind="images", load=load_dots,      # doctest: +SKIP
    ...                  splits=("train", "test"), description="Dots on black.")
    >>> kerasgan.data.load_dataset("dots", "test")                   # doctest: +SKIP
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"A dataset name is a non-empty string. Received: name={name!r}")
    if name in _DATASETS:
        raise ValueError(f"A dataset named '{name}' is already registered (by "
                         f"{getattr(_DATASETS[name].load, '__module__', '?')}). "
                         f"Received: name='{name}'")
    if kind not in KINDS:
        raise unknown_name_error("dataset kind", kind, KINDS)
    if not callable(load):
        raise TypeError(f"load must be a function of the split. Received: load={load!r}")
    if isinstance(splits, str) or not splits or not all(isinstance(s, str) for s in splits):
        raise ValueError(f"splits must be a non-empty list of split names. "
                         f"Received: splits={splits!r}")
    if classes is not None and (isinstance(classes, str)
                                or not all(isinstance(c, str) for c in classes)):
        raise TypeError(f"classes must be a list of names, one per class id. "
                        f"Received: classes={classes!r}")
    if kind == "unpaired":
        for field, value in (("domains", domains), ("classifier", classifier)):
            if value is not None and (isinstance(value, str) or len(value) != 2):
                raise ValueError(f"An unpaired dataset's {field} is a pair (domain A, domain B). "
                                 f"Received: {field}={value!r}")
        classifier = None if classifier is None else tuple(classifier)
        domains = tuple(domains) if domains is not None else ("a", "b")
    elif domains is not None:
        raise ValueError(f"domains applies to unpaired datasets; '{name}' is {kind}. "
                         f"Received: domains={domains!r}")
    if isinstance(classifier_crop, bool) or not isinstance(classifier_crop, int) \
            or classifier_crop < 0 or (classifier_crop and classifier is None):
        raise ValueError("classifier_crop is the pixels cut from each side before the "
                         "dataset's classifier reads an image: an int >= 0, and > 0 only with "
                         f"a classifier. Received: classifier_crop={classifier_crop!r}, "
                         f"classifier={classifier!r}")
    info = DatasetInfo(name=name, kind=kind, load=load, splits=tuple(splits),
                       classes=None if classes is None else tuple(classes),
                       classifier=classifier, hub_id=hub_id, description=description,
                       domains=domains, classifier_crop=classifier_crop)
    _DATASETS[name] = info
    return info


def unregister_dataset(name: str) -> DatasetInfo:
    """Removes a registered dataset and returns it (for tests and notebooks)."""
    info = get_dataset(name)
    del _DATASETS[name]
    return info


def get_dataset(name: str) -> DatasetInfo:
    """The registered dataset `name`; an unknown name raises a ValueError with the
    closest names.

    Example:
    >>> get_dataset("mnist").classes[:3]
    ('0', '1', '2')
    """
    if name not in _DATASETS:
        raise unknown_name_error("dataset", name, _DATASETS)
    return _DATASETS[name]


def find_dataset(name) -> DatasetInfo | None:
    """The registered dataset `name`, or None for anything else (a folder, a
    `"tfds:NAME"` spec, None)."""
    return _DATASETS.get(name) if isinstance(name, str) else None


def dataset_names(kind: str | None = None) -> list[str]:
    """The registered dataset names, sorted; only those of one kind when `kind` is given.

    Example:
    >>> dataset_names(kind="captioned")
    ['glyphs']
    """
    if kind is not None and kind not in KINDS:
        raise unknown_name_error("dataset kind", kind, KINDS)
    return sorted(name for name, info in _DATASETS.items() if kind in (None, info.kind))


_READER = {"images": "load_dataset", "paired": "load_pairs", "captioned": "load_captions",
           "unpaired": "load_unpaired"}


def _loaded(name: str, split: str, kind: str) -> tuple:
    """The arrays of `name`'s `split`, after checking it is a dataset of `kind` and
    has that split."""
    info = find_dataset(name)
    if info is None:
        raise unknown_name_error(f"{kind} dataset", str(name), dataset_names(kind))
    if info.kind != kind:
        raise ValueError(f"'{name}' is a dataset of kind '{info.kind}', not '{kind}': read it "
                         f"with {_READER[info.kind]}. Datasets of kind '{kind}': "
                         f"{', '.join(dataset_names(kind)) or 'none'}. Received: name='{name}'")
    if split not in info.splits:
        raise unknown_name_error(f"{name} split", split, info.splits)
    return info.load(split)


def load_dataset(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray | None]:
    """Arrays `(images uint8 NHWC, labels int32 [N] or None)` of a named dataset.

    Image datasets, and captioned datasets whose captions are their classes (their
    labels are the captions' class ids: the glyphs' character indices).

    Example:
    >>> images, labels = load_dataset("fashion-mnist", "test")   # doctest: +SKIP
    """
    info = find_dataset(name)
    if info is None:
        raise unknown_name_error("dataset", str(name), _DATASETS)
    if info.kind != "captioned" or info.classes is None:
        return _loaded(name, split, "images")
    images, captions = _loaded(name, split, "captioned")
    class_of = {caption: i for i, caption in enumerate(info.classes)}
    captions = np.asarray(captions).tolist()
    unknown = sorted(set(captions) - set(class_of))
    if unknown:
        raise ValueError(f"Captions of '{name}' that are none of its classes: {unknown[:5]}. "
                         f"Received: name='{name}', split='{split}'")
    return images, np.asarray([class_of[c] for c in captions], np.int32)


def load_pairs(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Arrays `(sources, targets)` (uint8 NHWC) of a named paired dataset."""
    return _loaded(name, split, "paired")


def load_captions(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Arrays `(images uint8 NHWC, captions str)` of a named captioned dataset."""
    return _loaded(name, split, "captioned")


def load_unpaired(name: str, split: str = "train"):
    """`((a_images, a_labels), (b_images, b_labels))` (uint8 NHWC, int32 or None) of a
    named unpaired dataset.

    Example:
    >>> (printed, digits), (handwritten, _) = load_unpaired("printed2handwritten", "test")  # doctest: +SKIP
    """
    return _loaded(name, split, "unpaired")


def caption_classes(name: str) -> tuple[str, ...]:
    """The distinct captions of a captioned dataset, in the order of the class ids its
    feature classifier predicts (so caption i is class i)."""
    info = find_dataset(name)
    if info is None or info.kind != "captioned" or info.classes is None:
        raise unknown_name_error("captioned dataset with classes", str(name),
                                 [n for n in dataset_names("captioned")
                                  if _DATASETS[n].classes is not None])
    return info.classes


def caption_class_ids(name: str, captions) -> np.ndarray:
    """The class id (int32) of each caption of a captioned dataset (see `caption_classes`)."""
    index = {caption: i for i, caption in enumerate(caption_classes(name))}
    return np.asarray([index[str(c)] for c in captions], np.int32)


def pipeline(name: str, split: str = "train", *, batch_size: int = 128, labels: bool = False,
             shuffle: bool = True, seed: int | None = None):
    """The `tf.data` pipeline of a named dataset's split, as training reads it: images
    (with labels when `labels=True`) through `from_numpy`, pairs through `from_pairs`,
    captioned images through `from_captions`, two domains through `from_unpaired`.

    Example:
    >>> ds = pipeline("fashion-mnist", "train", batch_size=64, labels=True)  # doctest: +SKIP
    """
    from kerasgan.data.pipelines import from_captions, from_numpy, from_pairs, from_unpaired

    info = get_dataset(name)
    if labels and info.kind != "images":
        raise ValueError(f"'{name}' is a dataset of kind '{info.kind}': it has no class labels "
                         "to train on. Received: labels=True")
    arrays = _loaded(name, split, info.kind)
    if info.kind == "paired":
        return from_pairs(*arrays, batch_size=batch_size, shuffle=shuffle, seed=seed)
    if info.kind == "captioned":
        return from_captions(*arrays, batch_size=batch_size, shuffle=shuffle, seed=seed)
    if info.kind == "unpaired":
        (a, _), (b, _) = arrays
        return from_unpaired(a, b, batch_size=batch_size, shuffle=shuffle, seed=seed)
    images, label_ids = arrays
    if labels and label_ids is None:
        raise ValueError(f"'{name}' has no class labels. Received: labels=True")
    return from_numpy(images, label_ids if labels else None, batch_size=batch_size,
                      shuffle=shuffle, seed=seed,
                      num_classes=None if info.classes is None else len(info.classes))
