"""Sample-quality statistics on feature matrices (float64 NumPy), and their streaming Keras metrics."""

from __future__ import annotations

import keras
import numpy as np


# --------------------------------------------------------------------------- FID

def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric PSD matrix; tiny negative eigenvalues (round-off) clip to 0."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2).

    Tr((S1 S2)^1/2) is computed as Tr((A S2 A)^1/2) with A = S1^1/2: that matrix
    is symmetric PSD, so an eigendecomposition gives a real, stable root even
    when a covariance is singular (fewer samples than dimensions).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f"Feature statistics differ in shape: mu {mu1.shape} vs {mu2.shape}, "
            f"sigma {sigma1.shape} vs {sigma2.shape}."
        )
    root = _psd_sqrt(sigma1)
    middle = root @ sigma2 @ root
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    if eigenvalues.min() < -1e-6 * max(1.0, abs(eigenvalues).max()):
        raise ValueError(f"Covariance product is not PSD (min eigenvalue {eigenvalues.min():.3g}).")
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid_from_features(real, fake) -> float:
    return frechet_distance(*feature_statistics(real), *feature_statistics(fake))


# --------------------------------------------------------------------------- KID

def _polynomial_kernel(x, y):
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kid_from_features(real, fake, *, num_subsets: int = 100, subset_size: int = 1000,
                      seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (Binkowski et al. 2018): unbiased MMD^2 with a cubic
    polynomial kernel, averaged over random subsets. Returns (mean, std)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise ValueError(f"KID needs at least 2 samples per set. Received: {len(real)}, {len(fake)}")
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for i in range(num_subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        kxx, kyy, kxy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
        # Unbiased: the diagonals (k(x_i, x_i)) are left out of the within-set terms.
        estimates[i] = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                        - 2.0 * kxy.mean())
    return float(estimates.mean()), float(estimates.std())


# ------------------------------------------------------------- precision / recall

def _pairwise_sq_distances(x, y):
    return np.maximum((x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T, 0.0)


def _knn_radii(features, k, chunk=2000):
    radii = np.empty(len(features))
    for start in range(0, len(features), chunk):
        d = _pairwise_sq_distances(features[start:start + chunk], features)
        # k+1: each point is its own nearest neighbour at distance 0.
        radii[start:start + chunk] = np.partition(d, k, axis=1)[:, k]
    return radii


def _coverage(manifold, manifold_radii, queries, chunk=2000):
    inside = np.zeros(len(queries), bool)
    for start in range(0, len(queries), chunk):
        d = _pairwise_sq_distances(queries[start:start + chunk], manifold)
        inside[start:start + chunk] = (d <= manifold_radii[None, :]).any(axis=1)
    return inside.mean()


def precision_recall_from_features(real, fake, *, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifolds."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall needs more than k={k} samples per set.")
    precision = _coverage(real, _knn_radii(real, k), fake)
    recall = _coverage(fake, _knn_radii(fake, k), real)
    return float(precision), float(recall)


# ------------------------------------------------------------- classifier score

def classifier_score_from_probabilities(probabilities, num_splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) || p(y))), the Inception Score formula on our classifier."""
    p = np.asarray(probabilities, np.float64)
    scores = []
    for part in np.array_split(p, num_splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


# ----------------------------------------------------------- streaming metrics

class _FeatureMetric(keras.metrics.Metric):
    """Base: `update_state(real_images=None, fake_images=None)` runs the extractor."""

    short_name = "metric"

    def __init__(self, extractor, name=None, **kwargs):
        super().__init__(name=name or f"{self.short_name}[{extractor.extractor_id}]",
                         dtype="float64", **kwargs)
        self.extractor = extractor

    def update_state(self, real_images=None, fake_images=None, sample_weight=None):
        if real_images is not None:
            self.update_real_features(self.extractor.features(real_images))
        if fake_images is not None:
            self.update_fake_features(self.extractor.features(fake_images))


class FrechetDistance(_FeatureMetric):
    """Streaming FID: running sums and outer products of features in float64.

    Example:
    >>> fid = FrechetDistance(kerasgan.metrics.load_feature_extractor("fashion-mnist"))  # doctest: +SKIP
    >>> for real, fake in batches:                                    # doctest: +SKIP
    ...     fid.update_state(real, fake)
    >>> fid.result()                                                  # doctest: +SKIP
    """

    short_name = "fid"

    def __init__(self, extractor, feature_dim: int | None = None, **kwargs):
        super().__init__(extractor, **kwargs)
        dim = feature_dim or int(extractor.classifier.get_layer("features").output.shape[-1])
        self.dim = dim
        for prefix in ("real", "fake"):
            setattr(self, f"{prefix}_count", self.add_variable((), "zeros", dtype="float64",
                                                               name=f"{prefix}_count"))
            setattr(self, f"{prefix}_sum", self.add_variable((dim,), "zeros", dtype="float64",
                                                             name=f"{prefix}_sum"))
            setattr(self, f"{prefix}_outer", self.add_variable((dim, dim), "zeros", dtype="float64",
                                                               name=f"{prefix}_outer"))

    def _accumulate(self, prefix, features):
        features = np.asarray(features, np.float64)
        getattr(self, f"{prefix}_count").assign_add(float(len(features)))
        getattr(self, f"{prefix}_sum").assign_add(features.sum(axis=0))
        getattr(self, f"{prefix}_outer").assign_add(features.T @ features)

    def update_real_features(self, features):
        self._accumulate("real", features)

    def update_fake_features(self, features):
        self._accumulate("fake", features)

    def _statistics(self, prefix):
        n = float(np.asarray(getattr(self, f"{prefix}_count").numpy()))
        if n < 2:
            raise ValueError(f"FID needs at least 2 {prefix} samples. Received: {int(n)}")
        total = np.asarray(getattr(self, f"{prefix}_sum").numpy())
        outer = np.asarray(getattr(self, f"{prefix}_outer").numpy())
        mu = total / n
        sigma = (outer - n * np.outer(mu, mu)) / (n - 1.0)
        return mu, sigma

    def result(self):
        return frechet_distance(*self._statistics("real"), *self._statistics("fake"))


class _StoredFeatureMetric(_FeatureMetric):
    """Keeps the features (KID and precision/recall need all pairs)."""

    def __init__(self, extractor, **kwargs):
        super().__init__(extractor, **kwargs)
        self._real, self._fake = [], []

    def update_real_features(self, features):
        self._real.append(np.asarray(features, np.float64))

    def update_fake_features(self, features):
        self._fake.append(np.asarray(features, np.float64))

    def reset_state(self):
        self._real, self._fake = [], []

    def _features(self):
        if not self._real or not self._fake:
            raise ValueError(f"{self.name} has no {'real' if not self._real else 'fake'} samples yet.")
        return np.concatenate(self._real), np.concatenate(self._fake)


class KernelInceptionDistance(_StoredFeatureMetric):
    """Streaming KID (unbiased MMD^2, subsets). `result()` is the mean; `result_with_std()` both."""

    short_name = "kid"

    def __init__(self, extractor, num_subsets=100, subset_size=1000, **kwargs):
        super().__init__(extractor, **kwargs)
        self.num_subsets, self.subset_size = num_subsets, subset_size

    def result_with_std(self):
        return kid_from_features(*self._features(), num_subsets=self.num_subsets,
                                 subset_size=self.subset_size)

    def result(self):
        return self.result_with_std()[0]


class PrecisionRecall(_StoredFeatureMetric):
    """Improved precision/recall; `result()` returns `(precision, recall)`."""

    short_name = "pr"

    def __init__(self, extractor, k=3, **kwargs):
        super().__init__(extractor, **kwargs)
        self.k = k

    def result(self):
        return precision_recall_from_features(*self._features(), k=self.k)


class ClassifierScore(keras.metrics.Metric):
    """IS-style score on the dataset classifier: exp(E KL(p(y|x) || p(y))). Fake images only."""

    def __init__(self, extractor, num_splits=10, name=None, **kwargs):
        super().__init__(name=name or f"cs[{extractor.extractor_id}]", dtype="float64", **kwargs)
        self.extractor, self.num_splits = extractor, num_splits
        self._probabilities = []

    def update_state(self, real_images=None, fake_images=None, sample_weight=None):
        if fake_images is not None:
            self.update_probabilities(self.extractor.probabilities(fake_images))

    def update_probabilities(self, probabilities):
        self._probabilities.append(np.asarray(probabilities, np.float64))

    def reset_state(self):
        self._probabilities = []

    def result_with_std(self):
        if not self._probabilities:
            raise ValueError(f"{self.name} has no samples yet.")
        return classifier_score_from_probabilities(np.concatenate(self._probabilities),
                                                   self.num_splits)

    def result(self):
        return self.result_with_std()[0]
