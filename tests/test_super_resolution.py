"""SRResNet and SRGAN (4x super-resolution) beyond the shared variant tests: the emoji
data, `upscale` on any size and its errors, the base without a discriminator, the loss
terms, initializing SRGAN from a trained SRResNet, the evaluation protocol and the
`kerasgan upscale` command."""

import numpy as np
import pytest
from PIL import Image

import kerasgan
from gan_test_case import emoji_pairs, tiny_gan
from kerasgan.data.sources import emoji
from kerasgan.metrics import high_frequency_energy, image_fidelity


@pytest.fixture(scope="module")
def emoji_test():
    return kerasgan.data.load_emoji_sr("test")


def test_emoji_are_split_by_emoji_with_bicubic_inputs(emoji_test):
    train, _, train_names = kerasgan.data.load_emoji("train", with_names=True)
    test, _, test_names = kerasgan.data.load_emoji("test", with_names=True)
    assert train.shape[1:] == test.shape[1:] == (64, 64, 3) and train.dtype == np.uint8
    assert len(train) > 1000 and len(test) > 100
    # Split by emoji: no emoji (name) on both sides, and no identical picture either.
    assert not set(train_names) & set(test_names)
    assert not {t.tobytes() for t in train} & {t.tobytes() for t in test}
    assert "GRINNING FACE" in set(train_names) | set(test_names)
    low, high = emoji_test
    np.testing.assert_array_equal(high, test)
    expected = np.asarray(Image.fromarray(high[0]).resize((16, 16), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(low[0], expected)
    assert kerasgan.data.get_dataset("emoji-sr-4x").kind == "paired"


def test_bicubic_upscale_undoes_the_downscale_roughly(emoji_test):
    low, high = emoji_test
    up = kerasgan.data.bicubic_upscale(low[:8])
    assert up.shape == high[:8].shape
    assert 18.0 < image_fidelity(up, high[:8])["psnr_db"] < 30.0


def test_upscale_takes_any_size_and_gray_images():
    sr = tiny_gan("srresnet")
    out = sr.upscale(np.zeros((2, 10, 13, 3), np.uint8))
    assert out.shape == (2, 40, 52, 3) and out.dtype == np.uint8
    gray = np.random.default_rng(0).integers(0, 256, (1, 9, 7), np.uint8)
    out_gray = sr.upscale(gray)
    assert out_gray.shape == (1, 36, 28, 1)
    as_rgb = sr.upscale(np.repeat(gray[..., None], 3, axis=-1), output="float")
    np.testing.assert_allclose(sr.upscale(gray, output="float"),
                               as_rgb.mean(axis=-1, keepdims=True), atol=1e-6)


@pytest.mark.parametrize("images, error, message", [
    (np.zeros((1, 16, 16, 4), np.uint8), ValueError, r"C = 3 or 1 \(gray\).*\(1, 16, 16, 4\)"),
    (np.zeros((16, 16), np.uint8)[None, None], ValueError, r"shape=\(1, 1, 16, 16\)"),
    (np.zeros((1, 16, 16, 3), np.int32), TypeError, r"uint8.*dtype=int32"),
    (np.full((1, 16, 16, 3), 200.0, np.float32), ValueError, r"\[-1, 1\].*\[200, 200\]"),
    (np.zeros((0, 16, 16, 3), np.uint8), ValueError, r"shape=\(0, 16, 16, 3\)"),
])
def test_upscale_refuses_bad_images_naming_them(images, error, message):
    with pytest.raises(error, match=message):
        tiny_gan("srresnet").upscale(images)


def test_srresnet_has_no_discriminator_and_refuses_one():
    sr = tiny_gan("srresnet")
    assert list(sr.networks) == ["generator"] and [g.name for g in sr.update_groups()] == ["g"]
    with pytest.raises(ValueError, match="SRResNet has no discriminator"):
        kerasgan.models.SRResNet(sr.generator, tiny_gan("srgan").discriminator)
    with pytest.raises(TypeError, match="upscale"):
        sr.generate(4)


def test_srresnet_content_loss_falls(emoji_test):
    sr = tiny_gan("srresnet", ema_decay=None)
    low, high = emoji_test
    sr.compile(optimizers={"g": kerasgan.models.gan.keras.optimizers.Adam(3e-3)})
    history = sr.fit(kerasgan.data.from_pairs(low[:32], high[:32], batch_size=16, seed=0),
                     epochs=15, verbose=0)
    losses = history.history["content"]
    assert losses[-1] < 0.5 * losses[0], losses


def test_srgan_weighs_the_adversarial_term_and_checks_its_arguments():
    gan = tiny_gan("srgan")
    assert gan.loss_weights("g") == {"loss": 1e-3}
    assert gan.loss_term_names("g") == ("loss", "content")
    with pytest.raises(ValueError, match="Unknown SRGAN content loss 'vgg55'.*vgg54"):
        tiny_gan("srgan", content_loss="vgg55")
    with pytest.raises(ValueError, match="adversarial_weight must be a number >= 0"):
        tiny_gan("srgan", adversarial_weight=-1.0)


def test_srgan_vgg_content_loss_from_a_local_weights_file(tmp_path, emoji_test):
    import keras

    # VGG19 without ImageNet weights (none can be downloaded here), saved and loaded the
    # way a user's `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` would be.
    path = tmp_path / "vgg19_notop.weights.h5"
    keras.applications.VGG19(include_top=False, weights=None,
                             input_shape=(64, 64, 3)).save_weights(path)
    gan = tiny_gan("srgan", content_loss="vgg22", vgg19_weights=str(path))
    low, high = emoji_test
    target = kerasgan.utils.from_uint8(high[:2])
    assert float(gan.content_loss(target, target)) == 0.0
    assert float(gan.content_loss(target, -target)) > 0.0
    with pytest.raises(ValueError, match="VGG19's ImageNet weights could not be loaded.*"
                                         "content_loss='mse'"):
        tiny_gan("srgan", content_loss="vgg22", vgg19_weights=str(tmp_path / "missing.h5"))


def test_generator_init_copies_a_trained_srresnet(tmp_path):
    from kerasgan.training import initialize_generator
    from kerasgan.zoo.preset import save_to_preset

    sr = tiny_gan("srresnet", seed=3)
    preset = save_to_preset(sr, tmp_path / "srresnet", metadata={"data": {"dataset": "emoji-sr-4x"}})
    gan = tiny_gan("srgan", seed=4)
    initialize_generator(gan, str(preset))
    inputs = sr.example_inputs(2, seed=0)
    np.testing.assert_array_equal(gan.generate_from(inputs), sr.generate_from(inputs))
    bigger = tiny_gan("srgan", size="small")
    with pytest.raises(ValueError, match="generator_init.*do not fit this model"):
        initialize_generator(bigger, str(preset))


def test_image_fidelity_and_high_frequency_energy():
    rng = np.random.default_rng(0)
    sharp = rng.integers(0, 256, (4, 32, 32, 3), np.uint8)
    same = image_fidelity(sharp, sharp)
    assert same["psnr_db"] == 100.0 and same["ssim"] == pytest.approx(1.0)
    blurred = kerasgan.data.bicubic_upscale(kerasgan.data.downscale(sharp))
    assert high_frequency_energy(blurred, 0.125) < 0.2 * high_frequency_energy(sharp, 0.125)
    assert image_fidelity(blurred, sharp)["ssim"] < 0.5


def test_evaluation_reports_the_model_beside_bicubic(emoji_test):
    sr = tiny_gan("srresnet")
    with pytest.warns(UserWarning, match="Measured on 60 images"):
        results = kerasgan.metrics.evaluate(sr, "emoji-sr-4x", num_samples=60,
                                            metrics=["fid"], progress=False)
    low, high = emoji_test
    bicubic = image_fidelity(kerasgan.data.bicubic_upscale(low[:60]), high[:60])
    assert results["bicubic_psnr_db"] == pytest.approx(bicubic["psnr_db"], abs=1e-6)
    mine = image_fidelity(sr.upscale(low[:60]), high[:60])
    assert results["psnr_db"] == pytest.approx(mine["psnr_db"], abs=1e-6)
    assert 0 < results["high_frequency_ratio"] and 0 < results["bicubic_high_frequency_ratio"] < 0.3
    assert results["protocol"]["num_images"] == 60
    # With a metric, the emoji classifier's Frechet distance of the model's and of
    # bicubic's upscaling, keyed by the extractor.
    key = "fid[kerasgan-emoji-classifier-v1]"
    assert np.isfinite(results[key]) and results[key] > 0
    assert np.isfinite(results[f"bicubic_{key}"]) and results[f"bicubic_{key}"] > 0
    # Pixel metrics only: no extractor runs.
    pixel_only = kerasgan.metrics.evaluate(sr, "emoji-sr-4x", num_samples=60, metrics=[],
                                           progress=False)
    assert "not computed" in pixel_only["protocol"]["distribution_metrics"]
    assert not any(k.startswith("fid") for k in pixel_only)


def test_upscale_command_writes_the_enlarged_image(tmp_path):
    from kerasgan import cli
    from kerasgan.zoo.preset import save_to_preset

    sr = tiny_gan("srresnet")
    preset = save_to_preset(sr, tmp_path / "sr", metadata={"data": {"dataset": "emoji-sr-4x"}})
    rgba = np.zeros((12, 20, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 128
    Image.fromarray(rgba).save(tmp_path / "in.png")
    out = tmp_path / "out.png"
    assert cli.main(["upscale", str(preset), str(tmp_path / "in.png"), "--out", str(out)]) == 0
    written = np.asarray(Image.open(out))
    on_white = cli.read_image_file(tmp_path / "in.png", 3)
    assert on_white[0, 0, 0].tolist() == [255, 127, 127]  # half-transparent red on white
    np.testing.assert_array_equal(written, sr.upscale(on_white)[0])
    assert written.shape == (48, 80, 3)
    assert cli.main(["upscale", str(preset), str(tmp_path / "in.png"), "--out", str(out)]) == 2
    (tmp_path / "bad.png").write_text("not an image")
    assert cli.main(["upscale", str(preset), str(tmp_path / "bad.png"), "--out",
                     str(tmp_path / "o2.png")]) == 2


def test_emoji_font_missing_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("KERASGAN_EMOJI_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(kerasgan.data.DatasetNotFoundError, match="fonts-noto-color-emoji"):
        emoji.emoji_font_path()


def test_emoji_pairs_spec_gives_pairs_of_the_two_sizes():
    low, high = next(iter(emoji_pairs(None, None, batch_size=8)))
    assert low.shape == (8, 16, 16, 3) and high.shape == (8, 64, 64, 3)
