import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import kerasgan
from kerasgan import cli, training
from kerasgan.zoo.preset import save_to_preset
from gan_test_case import tiny_gan

TINY_CONFIG = """
name = "tiny-{variant}"
[model]
variant = "{variant}"
size = "small"
latent_dim = 16
ema_decay = 0.9
[data]
dataset = "mnist"
batch_size = 32
labels = {labels}
[train]
epochs = 1
steps_per_epoch = 3
seed = 0
[eval]
num_samples = 200
"""


@pytest.mark.parametrize("variant,labels", [("dcgan", "false"), ("cgan", "true")])
def test_train_from_config_writes_an_evaluated_preset(tmp_path, variant, labels):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_CONFIG.format(variant=variant, labels=labels))
    preset = training.train(config, tmp_path / "run", verbose=0)
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["training"]["steps"] == 3
    assert meta["config_sha256"] == training.load_config(config)["config_sha256"]
    assert meta["metrics"]["protocol"]["num_fake"] == 200
    assert "fid[kerasgan-mnist-classifier-v1]" in meta["metrics"]
    assert "fid[kerasgan-mnist-classifier-v1]" in (preset / "README.md").read_text()
    gan = kerasgan.load(str(preset))
    assert gan.generate(2, seed=0).shape == (2, 28, 28, 1)
    assert (tmp_path / "run" / "grids" / "samples_epoch_0001.png").is_file()
    with pytest.raises(FileExistsError, match="--resume"):
        training.train(config, tmp_path / "run", verbose=0)


def test_train_takes_exactly_the_configured_steps(tmp_path):
    """7 steps with a backup every 3: chunks of 3, 3 and a last one cut to 1."""
    config = tmp_path / "seven.toml"
    config.write_text(TINY_CONFIG.format(variant="dcgan", labels="false")
                      .replace("steps_per_epoch = 3", "steps_per_epoch = 7\nbackup_every_steps = 3"))
    preset = training.train(config, tmp_path / "run", verbose=0, evaluate=False)
    assert json.loads((preset / "metadata.json").read_text())["training"]["steps"] == 7
    _, progress = training.latest_checkpoint(tmp_path / "run" / "backup")
    assert progress["steps"] == 7


PIX2PIX_CONFIG = """
name = "tiny-pix2pix"
[model]
variant = "pix2pix"
size = "small"
ema_decay = 0.9
l1_weight = 50.0
[data]
dataset = "fashion-mnist-edges"
batch_size = 16
[train]
epochs = 1
steps_per_epoch = 3
seed = 0
[eval]
metrics = ["fid", "pr"]
num_samples = 200
"""


def test_train_pix2pix_from_config(tmp_path):
    config = tmp_path / "pix2pix.toml"
    config.write_text(PIX2PIX_CONFIG)
    preset = training.train(config, tmp_path / "run", verbose=0)
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["task"] == "image-to-image" and meta["training"]["steps"] == 3
    metrics = meta["metrics"]
    assert metrics["protocol"]["reference"] == "fashion-mnist-edges:test"
    assert "fid[kerasgan-fashion-mnist-classifier-v1]" in metrics
    assert 0 < metrics["mae_uint8"] < 255 and metrics["psnr_db"] > 0
    gan = kerasgan.load(str(preset))
    assert gan.l1_weight == 50.0
    sources, _ = kerasgan.data.load_pairs("fashion-mnist-edges", "test")
    with np.load(preset / "golden.npz") as golden:  # held-out sources, not noise
        np.testing.assert_array_equal(golden["images"], sources[:8])
    assert "pipeline_tag: image-to-image" in (preset / "README.md").read_text()
    out = tmp_path / "pairs.png"
    assert cli.main(["sample", str(preset), "--num", "8", "--out", str(out)]) == 0
    assert Image.open(out).size[0] > Image.open(out).size[1]


STACKGAN_CONFIG = """
name = "tiny-stackgan"
[model]
variant = "stackgan"
size = "small"
ema_decay = 0.9
kl_weight = 1.0
[data]
dataset = "glyphs"
batch_size = 16
[train]
epochs = 1
steps_per_epoch = 3
seed = 0
[eval]
metrics = ["fid", "kid"]
num_samples = 200
"""


def test_train_stackgan_from_config(tmp_path, capsys):
    config = tmp_path / "stackgan.toml"
    config.write_text(STACKGAN_CONFIG)
    preset = training.train(config, tmp_path / "run", verbose=0)
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["task"] == "text-to-image" and meta["training"]["steps"] == 3
    assert meta["captions"] == list(kerasgan.glyphs.CAPTIONS)
    metrics = meta["metrics"]
    assert metrics["protocol"]["reference"] == "glyphs:test"
    assert 0 <= metrics["class_accuracy[kerasgan-glyphs-classifier-v1]"] <= 1
    # The shipped classifier reads most real held-out glyphs right: the ceiling.
    assert metrics["real_class_accuracy[kerasgan-glyphs-classifier-v1]"] > 0.8
    card = (preset / "README.md").read_text()
    assert "pipeline_tag: text-to-image" in card and "`latin`" in card
    gan = kerasgan.load(str(preset))
    assert gan.kl_weight == 1.0
    out = tmp_path / "g.png"
    assert cli.main(["sample", str(preset), "--num", "4", "--caption", "latin small letter g",
                     "--out", str(out), "--upscale", "1"]) == 0
    assert Image.open(out).size == (2 * 34 + 2, 2 * 34 + 2)
    assert cli.main(["sample", str(preset), "--caption", "latin smal letter g",
                     "--out", str(out)]) == 2
    assert "smal -> small" in capsys.readouterr().err


def test_config_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nvariant = "dcgan"\nsise = "small"\n[data]\ndataset = "mnist"\n')
    with pytest.raises(ValueError, match=r"Unknown key in \[model\].*'sise'. Did you mean: size"):
        training.load_config(bad)
    bad.write_text('[modle]\nvariant = "dcgan"\n')
    with pytest.raises(ValueError, match="Did you mean: model"):
        training.load_config(bad)
    bad.write_text('[model]\nvariant = "dcgan"\n[data]\n')
    with pytest.raises(ValueError, match=r"\[data\] needs a 'dataset'"):
        training.load_config(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        training.load_config(tmp_path / "absent.toml")


def test_zoo_configs_parse():
    from pathlib import Path

    configs = sorted((Path(__file__).parents[1] / "training" / "configs").glob("*gan*.toml"))
    assert configs
    for path in configs:
        config = training.load_config(path)
        assert config["model"]["variant"] in kerasgan.models.VARIANTS


def test_cli_sample_and_errors(tmp_path, capsys):
    preset = save_to_preset(tiny_gan("cgan"), tmp_path / "tiny-cgan")
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(preset), "--num", "9", "--label", "3", "--out", str(out),
                     "--upscale", "1"]) == 0
    assert Image.open(out).size == (3 * 30 + 2, 3 * 30 + 2)
    assert cli.main(["sample", "dcgan-fashon-mnist", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Unknown kerasgan model 'dcgan-fashon-mnist'" in err
    assert cli.main(["sample", str(preset), "--label", "11", "--out", str(out)]) == 2
    assert "Labels must be in [0, 9]" in capsys.readouterr().err


def test_console_script_lists_models():
    result = subprocess.run([sys.executable, "-m", "kerasgan.cli", "list"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in kerasgan.list_models():
        assert name in result.stdout
