"""How good an encoder's features are (BiGAN): a linear probe and reconstructions.

- `linear_probe_accuracy`: logistic regression (scikit-learn) on the encoder's
  features of the training images, scored on the test images.
- `reconstruction_class_agreement`: how often a classifier gives G(E(x)) the same
  class as x.
"""

from __future__ import annotations

import numpy as np


def linear_probe_accuracy(encode, train_images, train_labels, test_images, test_labels, *,
                          max_iter: int = 1000) -> float:
    """Test accuracy of a logistic regression on `encode(images)` features (standardised
    with the training features' mean and standard deviation)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:
        raise ImportError("The linear probe needs scikit-learn: pip install scikit-learn") from e
    train = np.asarray(encode(train_images), dtype=np.float64)
    test = np.asarray(encode(test_images), dtype=np.float64)
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-8
    probe = LogisticRegression(max_iter=max_iter)
    probe.fit((train - mean) / std, train_labels)
    return float(probe.score((test - mean) / std, test_labels))


def reconstruction_class_agreement(gan, images, extractor, *, batch_size: int = 500) -> float:
    """Share of images whose reconstruction G(E(x)) the classifier puts in x's class."""
    original = extractor.probabilities(images).argmax(axis=1)
    rebuilt = extractor.probabilities(gan.reconstruct(images, batch_size=batch_size)).argmax(axis=1)
    return float(np.mean(original == rebuilt))
