import numpy as np
import pytest

import kerasgan
from gan_test_case import tiny_gan
from kerasgan.metrics import disentanglement


def test_codes_control_the_images():
    gan = tiny_gan("infogan")
    z = gan.make_latents(4, seed=0)
    a = gan.generate(z, codes={"category": 1, "continuous": [0.0, 0.0]}, output="float")
    b = gan.generate(z, codes={"category": 2, "continuous": [0.0, 0.0]}, output="float")
    c = gan.generate(z, codes={"category": 1, "continuous": [1.0, 0.0]}, output="float")
    assert not np.allclose(a, b) and not np.allclose(a, c)
    np.testing.assert_array_equal(
        gan.generate(z, codes={"category": 1, "continuous": [0.0, 0.0]}, output="float"), a)
    # Codes not given are drawn from the seed: same seed, same images.
    np.testing.assert_array_equal(gan.generate(3, seed=5), gan.generate(3, seed=5))
    assert gan.generate(3, codes={"category": [0, 1, 9]}, seed=0).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("codes, error, match", [
    ({"category": 10}, ValueError, r"codes\['category'\] must be in \[0, 9\]. Received: min=10"),
    ({"category": [1, 2]}, ValueError, r"one value per image, shape \(3,\)"),
    ({"category": 1.5}, TypeError, "must be integers"),
    ({"continuous": [0.0, 0.0, 0.0]}, ValueError, r"must have shape \(2,\) or \(3, 2\)"),
    ({"continuous": [3.0, 0.0]}, ValueError, r"within \[-2, 2\].*max=3"),
    ({"colour": 1}, ValueError, "Unknown code 'colour'"),
    ([1, 2], TypeError, "codes must be a dict"),
])
def test_bad_codes_are_named(codes, error, match):
    gan = tiny_gan("infogan")
    with pytest.raises(error, match=match):
        gan.generate(3, codes=codes, seed=0)


def test_image_statistics_measure_slant_and_thickness():
    image = np.zeros((4, 28, 28), np.uint8)
    image[0, 4:24, 13:15] = 255                       # upright thin bar
    image[1, 4:24, 11:17] = 255                       # upright thick bar
    for row in range(4, 24):                          # leaning right as it rises
        image[2, row, 20 - (row - 4) // 2:22 - (row - 4) // 2] = 255
        image[3, row, 6 + (row - 4) // 2:8 + (row - 4) // 2] = 255   # leaning left
    stats = disentanglement.image_statistics(image)
    assert abs(stats["slant"][0]) < 1e-6
    assert stats["slant"][2] > 0.3 and stats["slant"][3] < -0.3
    assert stats["stroke_width"][1] > 2 * stats["stroke_width"][0]
    assert stats["height"][0] == 20 and stats["width"][1] == 6


def test_disentanglement_measures_run_on_a_model(mnist_extractor):
    gan = tiny_gan("infogan")
    result = disentanglement.categorical_code_accuracy(gan, mnist_extractor, per_category=20)
    confusion = np.asarray(result["confusion"])
    assert confusion.sum() == result["num_images"] == 200
    # The best one-to-one assignment holds at least 1/10 of the images (pigeonhole), and
    # is what the matrix's assigned cells sum to.
    assert 0.1 <= result["accuracy"] <= 1.0
    assigned = sum(confusion[c, d] for c, d in result["assignment"].items())
    assert result["accuracy"] == pytest.approx(assigned / 200)
    assert sorted(result["assignment"]) == list(range(10))
    effects = disentanglement.continuous_code_effects(gan, values=[-1, 0, 1], per_value=8)
    assert set(effects) == {"c1", "c2"}
    for effect in effects.values():
        assert set(effect["correlations"]) == set(disentanglement.STATISTICS)
        assert effect["num_images"] == 24
    sweep = gan.code_sweep(0, values=[-1, 0, 1], rows=2)
    assert sweep.shape == (6, 28, 28, 1)
    with pytest.raises(ValueError, match=r"code_index must be in \[0, 1\]"):
        gan.code_sweep(2)


@pytest.fixture(scope="module")
def mnist_extractor():
    return kerasgan.metrics.load_feature_extractor("mnist")
