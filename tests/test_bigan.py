import numpy as np
import pytest

import kerasgan
from gan_test_case import tiny_gan
from kerasgan.metrics import representation


def test_encode_and_reconstruct(mnist_small):
    gan = tiny_gan("bigan")
    images = mnist_small[0][:10]
    z = gan.encode(images)
    assert z.shape == (10, gan.latent_dim) and z.dtype == np.float32
    np.testing.assert_array_equal(gan.encode(images[..., 0]), z)      # (N, H, W) works too
    # Floats scaled in float64 differ from the uint8 route's float32 in the last bit.
    np.testing.assert_allclose(gan.encode(images.astype(np.float32) / 127.5 - 1), z, atol=1e-4)
    rebuilt = gan.reconstruct(images)
    assert rebuilt.shape == images.shape and rebuilt.dtype == np.uint8
    np.testing.assert_array_equal(rebuilt, gan.generate(z))


def test_encode_names_bad_images():
    gan = tiny_gan("bigan")
    with pytest.raises(ValueError, match=r"Expected images of shape \(N, 28, 28, 1\). "
                                         r"Received: shape=\(2, 32, 32, 1\)"):
        gan.encode(np.zeros((2, 32, 32, 1), np.uint8))
    with pytest.raises(ValueError, match=r"Float images must be in \[-1, 1\].*Received: values in \[255, 255\]"):
        gan.encode(np.full((2, 28, 28, 1), 255.0, np.float32))
    with pytest.raises(TypeError, match="uint8 or float"):
        gan.encode(np.zeros((2, 28, 28, 1), np.int64))


def test_probe_and_reconstruction_agreement(mnist_small):
    gan = tiny_gan("bigan")
    images, labels = mnist_small
    accuracy = representation.linear_probe_accuracy(gan.encode, images[:200], labels[:200],
                                                    images[200:], labels[200:])
    assert 0.0 <= accuracy <= 1.0
    extractor = kerasgan.metrics.load_feature_extractor("mnist")
    agreement = representation.reconstruction_class_agreement(gan, images[:50], extractor)
    assert 0.0 <= agreement <= 1.0
