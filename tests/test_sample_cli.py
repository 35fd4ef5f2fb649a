"""`kerasgan sample`: output formats, refusals, class names, captions, interpolation."""

import numpy as np
import pytest
from PIL import Image

import kerasgan
from gan_test_case import tiny_gan
from kerasgan.cli import main
from kerasgan.zoo.preset import save_to_preset


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    root = tmp_path_factory.mktemp("presets")
    return {
        "dcgan": str(save_to_preset(tiny_gan("dcgan"), root / "dcgan")),
        "cgan": str(save_to_preset(tiny_gan("cgan", class_names=kerasgan.data.FASHION_MNIST_CLASSES),
                                   root / "cgan")),
        "stackgan": str(save_to_preset(tiny_gan("stackgan"), root / "stackgan")),
    }


def sample(*args):
    return main(["sample", *map(str, args)])


@pytest.mark.parametrize("extension, image_format", [
    ("png", "PNG"), ("jpg", "JPEG"), ("JPEG", "JPEG"), ("webp", "WEBP"), ("gif", "GIF"),
    ("bmp", "BMP"), ("tiff", "TIFF")])
def test_out_extension_picks_the_format(presets, tmp_path, extension, image_format):
    out = tmp_path / f"grid.{extension}"
    assert sample(presets["dcgan"], "--num", 4, "--upscale", 1, "--out", out) == 0
    with Image.open(out) as image:
        assert image.format == image_format
        assert image.size == (2 * 30 + 2, 2 * 30 + 2)


def test_unknown_extension_and_existing_file_are_refused(presets, tmp_path, capsys):
    assert sample(presets["dcgan"], "--out", tmp_path / "grid.jpgg") == 2
    assert "Can't tell the image format of" in capsys.readouterr().err
    assert not (tmp_path / "grid.jpgg").exists()
    out = tmp_path / "grid.png"
    out.write_bytes(b"precious")
    assert sample(presets["dcgan"], "--num", 4, "--out", out) == 2
    assert f"{out} exists. Pass --overwrite to replace it." in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert sample(presets["dcgan"], "--num", 4, "--out", out, "--overwrite") == 0
    with Image.open(out) as image:
        assert image.format == "PNG"


@pytest.mark.parametrize("args, message", [
    (["--num", "0"], "--num must be an int >= 1. Received: --num 0"),
    (["--num", "-5"], "--num must be an int >= 1. Received: --num -5"),
    (["--upscale", "-2"], "--upscale must be an int >= 1. Received: --upscale -2"),
    (["--upscale", "0"], "--upscale must be an int >= 1. Received: --upscale 0"),
    (["--interpolate", "--steps", "1"], "--steps must be an int >= 2. Received: --steps 1"),
    (["--steps", "4"], "--steps applies with --interpolate"),
    (["--seed", "-1"], "seed must be a non-negative int or None. Received: seed=-1"),
    (["--label", "3"], "--label applies to conditional models"),
    (["--caption", "digit one"], "--caption applies to text-to-image models"),
    (["--truncation", "-1"], "truncation must be a number > 0"),
])
def test_bad_arguments_are_refused(presets, tmp_path, capsys, args, message):
    out = tmp_path / "grid.png"
    assert sample(presets["dcgan"], *args, "--out", out) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_label_takes_class_names(presets, tmp_path, capsys):
    by_name, by_id = tmp_path / "name.png", tmp_path / "id.png"
    assert sample(presets["cgan"], "--num", 4, "--label", "SNEAKER", "--out", by_name) == 0
    assert sample(presets["cgan"], "--num", 4, "--label", 7, "--out", by_id) == 0
    assert by_name.read_bytes() == by_id.read_bytes()
    assert sample(presets["cgan"], "--label", "snekaer", "--out", tmp_path / "x.png") == 2
    assert "Unknown class name 'snekaer'. Did you mean: Sneaker" in capsys.readouterr().err
    assert sample(presets["cgan"], "--label", -1, "--out", tmp_path / "x.png") == 2
    assert "Labels must be in [0, 9]" in capsys.readouterr().err


def _height(path):
    with Image.open(path) as image:
        return image.size[1]


def test_captions_and_class_names_are_written_under_the_images(presets, tmp_path):
    for preset, extra in ((presets["stackgan"], ["--caption", "digit one"]), (presets["stackgan"], []),
                          (presets["cgan"], [])):
        captioned, plain = tmp_path / "captioned.png", tmp_path / "plain.png"
        assert sample(preset, "--num", 4, "--upscale", 1, *extra, "--out", captioned,
                      "--overwrite") == 0
        assert sample(preset, "--num", 4, "--upscale", 1, *extra, "--no-captions",
                      "--out", plain, "--overwrite") == 0
        with Image.open(captioned) as a, Image.open(plain) as b:
            with_text, without = np.asarray(a.convert("L")), np.asarray(b.convert("L"))
        assert with_text.shape[0] > without.shape[0]
        tile = (without.shape[0] - 2) // 2 - 2  # 2x2 grid, padding 2
        assert (with_text[2 + tile:2 + tile + 8] < 128).any()  # ink under the first row
    # The unconditional grid has no text to write.
    assert sample(presets["dcgan"], "--num", 4, "--upscale", 1, "--out", tmp_path / "d.png") == 0
    assert _height(tmp_path / "d.png") == 2 * 30 + 2


@pytest.mark.parametrize("caption, message", [
    ("", "A caption has no words"),
    ("digit one digit two digit three digit four digit", "at most 8 words"),
])
def test_bad_captions_are_refused(presets, tmp_path, capsys, caption, message):
    out = tmp_path / "grid.png"
    assert sample(presets["stackgan"], "--caption", caption, "--out", out) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_interpolate_writes_a_grid_or_a_gif(presets, tmp_path, capsys):
    grid = tmp_path / "walk.png"
    assert sample(presets["dcgan"], "--interpolate", "--num", 3, "--steps", 5, "--upscale", 1,
                  "--out", grid) == 0
    with Image.open(grid) as image:
        assert image.size == (5 * 30 + 2, 3 * 30 + 2)
    gif = tmp_path / "walk.gif"
    assert sample(presets["cgan"], "--interpolate", "--num", 2, "--steps", 4, "--label", "bag",
                  "--out", gif) == 0
    with Image.open(gif) as animation:
        assert animation.is_animated and animation.n_frames == 2 * 4 - 2
    assert "Wrote 2 latent interpolations of 4 steps" in capsys.readouterr().out


def test_image_grid_captions_and_save_image_checks(tmp_path):
    from kerasgan.utils import image_grid, save_image, save_image_grid

    images = np.full((3, 16, 16, 1), 128, np.uint8)
    plain = image_grid(images)
    labelled = image_grid(images, captions=["Bag", "Sneaker", "a much longer caption here"])
    assert labelled.dtype == np.uint8 and labelled.shape[-1] == 1
    assert labelled.shape[0] > plain.shape[0] and labelled.shape[1] > plain.shape[1]
    # Tiles are kept as they are; the text is dark ink on the white padding.
    assert (labelled == 128).sum() >= 3 * 16 * 16
    assert (labelled < 100).any()
    rgb = image_grid(np.zeros((2, 16, 16, 3), np.uint8), captions=["a", "b"], pad_value=0)
    assert rgb.shape[-1] == 3 and (rgb > 200).any()  # light ink on dark padding
    with pytest.raises(ValueError, match=r"one caption per image \(3\). Received: 2 captions"):
        image_grid(images, captions=["a", "b"])
    with pytest.raises(ValueError, match="upscale must be a positive int.*Received: upscale=-2"):
        save_image(tmp_path / "x.png", plain, upscale=-2)
    with pytest.raises(ValueError, match=r"Can't tell the image format of .*x.jpgg.*Did you mean: "
                                         r"\.jpg"):
        save_image(tmp_path / "x.jpgg", plain)
    path = save_image_grid(tmp_path / "x.jpg", images, captions=["a", "b", "c"], upscale=3)
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size[1] > 3 * 16 * 1
