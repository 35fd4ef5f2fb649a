"""Feature extractors for FID, KID, precision/recall and the classifier score.

No package here ships Inception weights, so kerasgan trains a small classifier
per dataset and ships it in the zoo (`classifier-fashion-mnist`,
`classifier-mnist`). Its features are the penultimate Dense layer's output
*before* the nonlinearity. Metrics computed with it are named after it, e.g.
`fid[kerasgan-fashion-mnist-classifier-v1]`, and are comparable only with
other numbers computed by the same extractor.

`InceptionFeatures` gives the standard InceptionV3 pool features
(`inception-v3`) where `keras.applications` weights can be downloaded.
"""

from __future__ import annotations

import copy

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.utils import from_uint8

FEATURES_LAYER = "features"
LOGITS_LAYER = "logits"


def build_feature_classifier(image_shape=(28, 28, 1), num_classes=10, feature_dim=128,
                             name="feature_classifier", conv_blocks: int = 2) -> keras.Model:
    """A small CNN classifier; `features` (pre-activation) feeds the metrics.

    Inputs are images in [-1, 1]. Each of the `conv_blocks` blocks (32, 64, 128, ...
    filters) halves the resolution: 3 for 64x64 images keeps the dense layer (and the
    weights file) as small as 2 do at 28x28.
    """
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for filters in (32 * 2 ** i for i in range(conv_blocks)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(feature_dim, name=FEATURES_LAYER)(x)
    x = layers.ReLU()(features)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(num_classes, name=LOGITS_LAYER)(x)
    return keras.Model(images, logits, name=name)


def _as_model_input(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype == np.uint8:
        return from_uint8(images)
    return images.astype(np.float32)


class FeatureExtractor:
    """Wraps a classifier: `features(images)` and `probabilities(images)` as float64.

    Args:
        classifier: a Keras model with layers named `features` and `logits`.
        extractor_id: the name used in metric keys, e.g. "kerasgan-fashion-mnist-classifier-v1".
    """

    #: Pixels cut from each side of an image before the classifier reads it
    #: (`center_cropped`); 0: none.
    crop = 0

    def __init__(self, classifier: keras.Model, extractor_id: str, batch_size: int = 500):
        self.classifier = classifier
        self.extractor_id = extractor_id
        self.batch_size = batch_size
        self.image_shape = tuple(int(d) for d in classifier.inputs[0].shape[1:])
        both = keras.Model(classifier.inputs,
                           [classifier.get_layer(FEATURES_LAYER).output, classifier.outputs[0]])
        self._run = tf.function(lambda x: both(x, training=False), reduce_retracing=True)

    def center_cropped(self, margin: int) -> "FeatureExtractor":
        """This extractor for images `margin` pixels larger on every side, which it
        reads at their centre (its id says so: `...-center-28x28`): for a padded
        dataset such as `fashion-mnist-32`, whose centre is the original image."""
        if margin == 0:
            return self
        cropped = copy.copy(self)
        cropped.crop = int(margin)
        height, width, channels = self.image_shape
        cropped.image_shape = (height + 2 * margin, width + 2 * margin, channels)
        cropped.extractor_id = f"{self.extractor_id}-center-{height}x{width}"
        return cropped

    def _check(self, images):
        images = _as_model_input(images)
        if images.shape[1:] == self.image_shape and self.crop:
            images = images[:, self.crop:-self.crop, self.crop:-self.crop]
        elif images.shape[1:] != self.image_shape:
            raise ValueError(
                f"{self.extractor_id} expects images of shape (N, {', '.join(map(str, self.image_shape))}). "
                f"Received: shape={images.shape}"
            )
        return images

    def features_and_probabilities(self, images) -> tuple[np.ndarray, np.ndarray]:
        images = self._check(images)
        feats, probs = [], []
        for start in range(0, len(images), self.batch_size):
            f, logits = self._run(tf.constant(images[start:start + self.batch_size]))
            feats.append(f.numpy().astype(np.float64))
            probs.append(tf.nn.softmax(tf.cast(logits, tf.float64)).numpy())
        return np.concatenate(feats), np.concatenate(probs)

    def features(self, images) -> np.ndarray:
        return self.features_and_probabilities(images)[0]

    def probabilities(self, images) -> np.ndarray:
        return self.features_and_probabilities(images)[1]


class InceptionFeatures(FeatureExtractor):
    """Standard InceptionV3 2048-d pool features (`inception-v3`), for the usual FID.

    `weights="imagenet"` downloads the Keras weights (needs internet once);
    `weights=None` builds the same network untrained, for shape tests only.
    Gray images are repeated to RGB and resized to 299x299 bilinearly.
    """

    def __init__(self, weights="imagenet", image_shape=(28, 28, 1), batch_size=64):
        try:
            base = keras.applications.InceptionV3(include_top=True, weights=weights,
                                                  classifier_activation=None)
        except Exception as e:  # the download raises URL, HTTP or OS errors
            raise RuntimeError(
                f"InceptionV3 weights '{weights}' could not be loaded ({e}). They are downloaded "
                "once from the Keras servers; offline, use the shipped kerasgan classifiers "
                "(kerasgan.metrics.load_feature_extractor('fashion-mnist'))."
            ) from e
        pool = base.get_layer("avg_pool").output
        images = keras.Input(tuple(image_shape), name="images")
        x = images
        if image_shape[-1] == 1:
            x = layers.Concatenate()([x, x, x])
        x = layers.Resizing(299, 299, interpolation="bilinear")(x)
        trunk = keras.Model(base.inputs, [pool, base.outputs[0]])
        feats, logits = trunk(x)
        features = layers.Identity(name=FEATURES_LAYER)(feats)
        logits = layers.Identity(name=LOGITS_LAYER)(logits)
        model = keras.Model(images, [features, logits])
        self.classifier = model
        self.extractor_id = "inception-v3" if weights == "imagenet" else "inception-v3-untrained"
        self.batch_size = batch_size
        self.image_shape = tuple(image_shape)
        self._run = tf.function(lambda x: model(x, training=False), reduce_retracing=True)


def load_feature_extractor(dataset_or_name: str, **kwargs) -> FeatureExtractor:
    """The shipped classifier for a dataset ("fashion-mnist", "mnist") or a zoo name.

    Resolved and sha256-verified through the zoo loader, like a GAN checkpoint.
    """
    from kerasgan.zoo import classifier_for_dataset, load_classifier

    name = classifier_for_dataset(dataset_or_name)
    classifier, metadata = load_classifier(name, **kwargs)
    return FeatureExtractor(classifier, metadata["extractor_id"])
