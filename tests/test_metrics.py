import numpy as np
import pytest

import kerasgan
from kerasgan import metrics
from kerasgan.metrics import distances


@pytest.fixture(scope="module")
def fashion_extractor():
    return metrics.load_feature_extractor("fashion-mnist")


@pytest.fixture(scope="module")
def fashion_sets(fashion_extractor):
    """Features of 2,000 real test images, 2,000 real train images, and degraded sets."""
    from scipy.ndimage import zoom

    train, train_labels = kerasgan.data.load_fashion_mnist("train")
    test, test_labels = kerasgan.data.load_fashion_mnist("test")
    rng = np.random.default_rng(0)
    train_idx = rng.choice(len(train), 2000, replace=False)
    test_idx = rng.choice(len(test), 2000, replace=False)
    real_test, real_train = test[test_idx], train[train_idx]
    # 2x blur: downsample by 2 and back up.
    small = zoom(real_test.astype(np.float32), (1, 0.5, 0.5, 1), order=1)
    blurred = np.clip(zoom(small, (1, 2, 2, 1), order=1), 0, 255).astype(np.uint8)
    noise = rng.integers(0, 256, real_test.shape, dtype=np.uint8)
    one_class = train[train_labels == 7][:2000]   # "mode collapse": sneakers only
    return {"test": real_test, "train": real_train, "blurred": blurred, "noise": noise,
            "one_class": one_class}


def _fid(sets, extractor, a, b):
    return distances.fid_from_features(extractor.features(sets[a]), extractor.features(sets[b]))


def test_shipped_classifier_is_accurate():
    info = kerasgan.zoo.classifier_registry()["classifier-fashion-mnist"]
    assert info["test_accuracy"] >= 0.90
    model, meta = kerasgan.zoo.load_classifier("classifier-fashion-mnist")
    test, labels = kerasgan.data.load_fashion_mnist("test")
    logits = model.predict(test[:1000].astype(np.float32) / 127.5 - 1.0, verbose=0)
    assert (logits.argmax(1) == labels[:1000]).mean() >= 0.88
    assert meta["extractor_id"] == "kerasgan-fashion-mnist-classifier-v1"


def test_sanity_ordering_on_real_data(fashion_sets, fashion_extractor):
    eid = fashion_extractor.extractor_id
    results = {name: metrics.compare_image_sets(fashion_sets["train"], fashion_sets[name],
                                                fashion_extractor, kid_subsets=20,
                                                progress=False)
               for name in ("test", "blurred", "noise", "one_class")}
    fid = {k: v[f"fid[{eid}]"] for k, v in results.items()}
    kid = {k: v[f"kid[{eid}]"] for k, v in results.items()}
    recall = {k: v[f"recall[{eid}]"] for k, v in results.items()}
    precision = {k: v[f"precision[{eid}]"] for k, v in results.items()}
    # Real vs real is near 0, blur is clearly worse, noise far worse.
    assert fid["test"] < 0.1 * fid["blurred"], fid
    assert fid["blurred"] < fid["noise"] and fid["noise"] > 20 * fid["test"], fid
    assert kid["test"] < 0.1 * kid["blurred"] < kid["noise"], kid
    assert recall["test"] > 0.6 and precision["test"] > 0.6, (precision, recall)
    print({k: {m: round(v, 4) for m, v in r.items() if m != "protocol"} for k, r in results.items()})
    assert recall["noise"] < 0.05, recall
    # Mode collapse: low recall, worse FID than real data.
    assert recall["one_class"] < 0.3 * recall["test"], recall
    assert fid["one_class"] > 10 * fid["test"], fid
    assert set(results["test"]["protocol"]) >= {"num_real", "num_fake", "extractor"}


def test_streaming_fid_equals_one_batch(fashion_sets, fashion_extractor):
    real = fashion_extractor.features(fashion_sets["test"])
    fake = fashion_extractor.features(fashion_sets["blurred"])
    metric = metrics.FrechetDistance(fashion_extractor)
    for start in range(0, len(real), 300):
        metric.update_real_features(real[start:start + 300])
        metric.update_fake_features(fake[start:start + 300])
    one_batch = distances.fid_from_features(real, fake)
    np.testing.assert_allclose(metric.result(), one_batch, rtol=1e-6)
    metric.reset_state()
    metric.update_state(fashion_sets["test"][:500], fashion_sets["blurred"][:500])
    assert metric.result() > 0


def test_kid_is_unbiased_on_real_subsets(fashion_extractor, fashion_sets):
    features = fashion_extractor.features(np.concatenate([fashion_sets["test"], fashion_sets["train"]]))
    rng = np.random.default_rng(1)
    estimates = []
    for _ in range(8):
        perm = rng.permutation(len(features))
        estimates.append(distances.kid_from_features(features[perm[:1000]], features[perm[1000:2000]],
                                                     num_subsets=5, subset_size=500)[0])
    blurred = distances.kid_from_features(features[:1000],
                                          fashion_extractor.features(fashion_sets["blurred"][:1000]),
                                          num_subsets=5, subset_size=500)[0]
    mean = float(np.mean(estimates))
    # Unbiased: the average straddles 0 (a biased estimator stays strictly positive).
    assert abs(mean) < 0.02 * blurred, (estimates, blurred)
    assert min(estimates) < 0 or abs(mean) < 3 * np.std(estimates) / np.sqrt(len(estimates)), estimates


def test_frechet_distance_handles_singular_covariance():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 64))          # fewer samples than dimensions -> singular
    y = rng.normal(size=(10, 64)) + 1.0
    value = distances.fid_from_features(x, y)
    assert np.isfinite(value) and value > 0
    assert distances.fid_from_features(x, x) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_matches_scipy_sqrtm():
    from scipy import linalg

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(500, 8)), rng.normal(size=(500, 8)) * 1.5 + 0.3
    mu1, s1 = distances.feature_statistics(x)
    mu2, s2 = distances.feature_statistics(y)
    covmean = linalg.sqrtm(s1 @ s2).real
    reference = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    np.testing.assert_allclose(distances.frechet_distance(mu1, s1, mu2, s2), reference, rtol=1e-8)


def test_classifier_score_bounds():
    confident_uniform = np.eye(10)[np.arange(1000) % 10]
    assert distances.classifier_score_from_probabilities(confident_uniform)[0] == pytest.approx(10, rel=1e-6)
    uninformative = np.full((1000, 10), 0.1)
    assert distances.classifier_score_from_probabilities(uninformative)[0] == pytest.approx(1.0)


def test_evaluate_names_the_extractor(fashion_extractor):
    gan = kerasgan.models.create("dcgan", "small", latent_dim=16)
    results = metrics.evaluate(gan, "fashion-mnist", num_samples=200, progress=False)
    eid = "kerasgan-fashion-mnist-classifier-v1"
    assert set(results) >= {f"fid[{eid}]", f"kid[{eid}]", f"precision[{eid}]", f"recall[{eid}]",
                            f"cs[{eid}]", "protocol"}
    assert results["protocol"]["num_fake"] == 200 and results["protocol"]["reference"] == "fashion-mnist:test"
    with pytest.raises(ValueError, match="Unknown metric 'fdi'. Did you mean: fid"):
        metrics.evaluate(gan, "fashion-mnist", num_samples=10, metrics=["fdi"])


def test_inception_extractor_shapes_with_random_weights():
    extractor = metrics.InceptionFeatures(weights=None, image_shape=(28, 28, 1), batch_size=4)
    feats, probs = extractor.features_and_probabilities(np.zeros((3, 28, 28, 1), np.uint8))
    assert feats.shape == (3, 2048) and probs.shape == (3, 1000)
    assert extractor.extractor_id == "inception-v3-untrained"


def test_extractor_rejects_wrong_shape(fashion_extractor):
    with pytest.raises(ValueError, match=r"expects images of shape \(N, 28, 28, 1\). Received: shape=\(2, 32, 32, 3\)"):
        fashion_extractor.features(np.zeros((2, 32, 32, 3), np.uint8))


def test_fid_callback_logs_to_history_and_tensorboard(fashion_extractor, mnist_small, tmp_path):
    gan = kerasgan.models.create("dcgan", "small", latent_dim=16)
    gan.compile()
    real = kerasgan.data.load_fashion_mnist("test")[0][:200]
    callback = metrics.FIDCallback(real, fashion_extractor, every_n_epochs=1, num_samples=200,
                                   log_dir=tmp_path)
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=32)
    history = gan.fit(ds, epochs=2, steps_per_epoch=1, callbacks=[callback], verbose=0)
    key = "fid[kerasgan-fashion-mnist-classifier-v1]"
    assert len(history.history[key]) == 2 and all(v > 0 for v in history.history[key])
    import tensorflow as tf

    events = list((tmp_path / "metrics").glob("events.out.tfevents.*"))
    assert events
    tags = {v.tag for e in tf.compat.v1.train.summary_iterator(str(events[0]))
            for v in e.summary.value}
    assert key in tags


def test_fid_curve_every_n_steps_pauses_the_training_clock(fashion_extractor, mnist_small):
    import time

    gan = kerasgan.models.create("dcgan", "small", latent_dim=16)
    gan.compile()
    real = kerasgan.data.load_fashion_mnist("test")[0][:100]

    def slow_generate(model, num, seed):
        time.sleep(0.5)        # evaluation time that must not count as training time
        return model.generate(num, seed=seed)

    curve = metrics.FIDCallback(real, fashion_extractor, every_n_steps=2, num_samples=100,
                                generate=slow_generate)
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=32)
    started = time.perf_counter()
    gan.fit(ds, epochs=1, steps_per_epoch=6, callbacks=[curve], verbose=0)
    wall = time.perf_counter() - started
    assert [p["steps"] for p in curve.history] == [2, 4, 6]
    seconds = [p["train_seconds"] for p in curve.history]
    assert seconds == sorted(seconds) and all(p["fid"] > 0 for p in curve.history)
    # Three 0.5 s evaluations happened inside `fit`; none of them is on the training clock.
    assert seconds[-1] < wall - 1.4


def test_fid_curve_stops_after_the_training_seconds(fashion_extractor, mnist_small):
    gan = kerasgan.models.create("dcgan", "small", latent_dim=16)
    gan.compile()
    real = kerasgan.data.load_fashion_mnist("test")[0][:100]
    curve = metrics.FIDCallback(real, fashion_extractor, every_seconds=1000, num_samples=100,
                                stop_at_seconds=1e-6)
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=32)
    gan.fit(ds.repeat(), epochs=1, steps_per_epoch=50, callbacks=[curve], verbose=0)
    # Stopped after its first step, with one FID measured there.
    assert [p["steps"] for p in curve.history] == [1]
    assert int(gan.g_optimizer.iterations.numpy()) == 1


def test_fid_callback_refuses_two_schedules(fashion_extractor):
    real = kerasgan.data.load_fashion_mnist("test")[0][:60]
    with pytest.raises(ValueError, match="one of every_n_epochs, every_n_steps, every_seconds. "
                                         "Received: every_n_epochs, every_seconds"):
        metrics.FIDCallback(real, fashion_extractor, every_n_epochs=1, every_seconds=5)
    with pytest.raises(ValueError, match=r"every_n_steps must be positive. Received: every_n_steps=0"):
        metrics.FIDCallback(real, fashion_extractor, every_n_steps=0)


def test_min_class_fraction_finds_a_dropped_class(fashion_extractor):
    images, labels = kerasgan.data.load_fashion_mnist("test")
    balanced = images[:1000]
    # The same number of images, with every "trouser" (class 1) swapped for a "bag" (8).
    bags = images[labels == 8]
    missing = balanced.copy()
    trousers = np.flatnonzero(labels[:1000] == 1)
    missing[trousers] = bags[:len(trousers)]
    key = f"min_class_fraction[{fashion_extractor.extractor_id}]"
    full = metrics.compare_image_sets(images[5000:6000], balanced, fashion_extractor,
                                      ["cs"], progress=False)
    dropped = metrics.compare_image_sets(images[5000:6000], missing, fashion_extractor,
                                         ["cs"], progress=False)
    assert full[key] > 0.05                  # real test images: every class near 10%
    assert dropped[key] < 0.01               # the classifier finds (almost) no trousers
    fractions = dropped["protocol"]["class_fractions"]
    assert len(fractions) == 10 and sum(fractions) == pytest.approx(1.0, abs=1e-3)
    assert np.argmin(fractions) == 1
    assert metrics.class_fractions([0, 0, 2], 4).tolist() == [2 / 3, 0.0, 1 / 3, 0.0]


# ------------------------------------------------ sample sizes, folders, extractors

def test_too_few_samples_are_refused_with_the_reason(capsys):
    gan = kerasgan.models.create("dcgan", "small", latent_dim=16)
    with pytest.raises(ValueError, match=r"at least 50 per set.*Received: num_samples=5"):
        metrics.evaluate(gan, "fashion-mnist", num_samples=5, progress=False)
    real = kerasgan.data.load_fashion_mnist("test")[0]
    with pytest.raises(ValueError, match=r"Received: num_real=20, num_fake=500"):
        metrics.compare_image_sets(real[:20], real[:500], None)
    from kerasgan import cli

    # Refused before the model loads: the old CLI printed KID -24092 and "cs": NaN.
    assert cli.main(["evaluate", "no-such-model", "--num-samples", "5"]) == 2
    assert "Received: num_samples=5" in capsys.readouterr().err


def test_small_samples_warn_and_record_what_they_mean(fashion_extractor):
    real = kerasgan.data.load_fashion_mnist("test")[0]
    with pytest.warns(UserWarning, match="Measured on 60 images.*sample-size bias"):
        results = metrics.compare_image_sets(real[:60], real[100:160], fashion_extractor,
                                             progress=False)
    assert "kid_std is 0" in results["protocol"]["note"]
    assert all(np.isfinite(v) for k, v in results.items() if k != "protocol")


def test_non_finite_values_become_null_with_a_note():
    import json

    results = metrics._finite_or_null({"fid[x]": float("nan"), "kid[x]": 1.5, "protocol": {}})
    assert results["fid[x]"] is None and results["kid[x]"] == 1.5
    assert "fid[x] was nan" in results["protocol"]["notes"][0]
    json.dumps(results, allow_nan=False)


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory, mnist_small):
    from PIL import Image

    folder = tmp_path_factory.mktemp("my_digits")
    for i, image in enumerate(mnist_small[0][:80]):
        Image.fromarray(image[..., 0]).save(folder / f"{i}.png")
    return folder


def test_evaluate_any_model_against_a_folder(digit_folder, mnist_small):
    from gan_test_case import tiny_gan

    gan = tiny_gan("dcgan")
    with pytest.warns(UserWarning, match="Measured on 80 images"):
        by_path = metrics.evaluate(gan, digit_folder, extractor="mnist", num_samples=100,
                                   progress=False)
    eid = "kerasgan-mnist-classifier-v1"
    assert set(by_path) >= {f"fid[{eid}]", f"kid[{eid}]", f"cs[{eid}]", "protocol"}
    assert by_path["protocol"]["reference"] == f"folder:{digit_folder}"
    assert by_path["protocol"]["num_real"] == 80 and by_path["protocol"]["num_fake"] == 100
    # The folder's PNGs are exactly the arrays: the same numbers as passing the array.
    with pytest.warns(UserWarning):
        by_array = metrics.evaluate(gan, mnist_small[0][:80], extractor="mnist",
                                    num_samples=100, progress=False)
    assert by_path[f"fid[{eid}]"] == pytest.approx(by_array[f"fid[{eid}]"], rel=1e-9)
    with pytest.warns(UserWarning):
        as_text = metrics.evaluate(gan, str(digit_folder) + "/", extractor="mnist",
                                   metrics=["fid"], num_samples=50, progress=False)
    assert as_text["protocol"]["reference"].startswith("folder:")


def test_folder_evaluation_errors(digit_folder, tmp_path):
    from gan_test_case import tiny_gan

    gan = tiny_gan("dcgan")   # made in Python: no preset says what data it learned
    with pytest.raises(ValueError, match="No shipped feature classifier is known .* Pass extractor="):
        metrics.evaluate(gan, digit_folder, num_samples=50, progress=False)
    with pytest.raises(ValueError, match="takes 32x32x1 images, but the model makes 28x28x1"):
        metrics.evaluate(gan, digit_folder, extractor="glyphs", num_samples=50, progress=False)
    with pytest.raises(ValueError, match="Unknown feature extractor 'mnst'. Did you mean: mnist"):
        metrics.evaluate(gan, digit_folder, extractor="mnst", num_samples=50, progress=False)
    with pytest.raises(FileNotFoundError, match="my_images"):
        metrics.evaluate(gan, "my_images/", extractor="mnist", num_samples=50, progress=False)
    with pytest.raises(ValueError, match=r"Unknown dataset 'fashion-mnst'.*Did you mean: fashion-mnist"):
        metrics.evaluate(gan, "fashion-mnst", num_samples=50, progress=False)
    few = tmp_path / "few"
    few.mkdir()
    for name in list(digit_folder.iterdir())[:10]:
        (few / name.name).write_bytes(name.read_bytes())
    with pytest.raises(ValueError, match="Received: num_folder_images=10"):
        metrics.evaluate(gan, few, extractor="mnist", num_samples=50, progress=False)
    with pytest.raises(ValueError, match="holds no sources to translate"):
        metrics.evaluate(tiny_gan("pix2pix"), digit_folder, extractor="mnist", num_samples=50,
                         progress=False)
