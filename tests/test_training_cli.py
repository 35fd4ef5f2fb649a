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
    """7 steps with a backup every 3: chunks of 3, 3 and a last one cut to 1. --overwrite
    first removes the previous run's backups, so none of them can be resumed later."""
    config = tmp_path / "seven.toml"
    config.write_text(TINY_CONFIG.format(variant="dcgan", labels="false")
                      .replace("steps_per_epoch = 3", "steps_per_epoch = 7\nbackup_every_steps = 3"))
    stale = tmp_path / "run" / "backup" / "ckpt-000009"  # a longer previous run's backup
    stale.mkdir(parents=True)
    (stale / training.STATE_FILE).write_bytes(b"previous run")
    (stale / training.PROGRESS_FILE).write_text(json.dumps({"chunks_done": 9, "steps": 27}))
    preset = training.train(config, tmp_path / "run", verbose=0, evaluate=False, overwrite=True)
    meta = json.loads((preset / "metadata.json").read_text())
    assert meta["training"]["steps"] == 7
    assert meta["training"]["command"] == f"kerasgan train {config} --out {tmp_path / 'run'} --no-eval"
    assert not stale.exists()
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
                     "--out", str(out), "--upscale", "1", "--no-captions"]) == 0
    assert Image.open(out).size == (2 * 34 + 2, 2 * 34 + 2)
    assert cli.main(["sample", str(preset), "--caption", "latin smal letter g",
                     "--out", str(tmp_path / "typo.png")]) == 2
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

    configs = sorted((Path(__file__).parents[1] / "training" / "configs").glob("**/*gan*.toml"))
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
    not_written = tmp_path / "not-written.png"
    assert cli.main(["sample", "dcgan-fashon-mnist", "--out", str(not_written)]) == 2
    err = capsys.readouterr().err
    assert "Unknown kerasgan model 'dcgan-fashon-mnist'" in err
    assert cli.main(["sample", str(preset), "--label", "11", "--out", str(not_written)]) == 2
    assert "Labels must be in [0, 9]" in capsys.readouterr().err


def test_console_script_lists_models():
    result = subprocess.run([sys.executable, "-m", "kerasgan.cli", "list"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in kerasgan.list_models():
        assert name in result.stdout


DCGAN_CONFIG = TINY_CONFIG.format(variant="dcgan", labels="false")

#: (text in TINY_CONFIG, its replacement, error, what the message must say).
BAD_CONFIGS = [
    ("epochs = 1", "epochs = 0", ValueError,
     r"\[train\] epochs in .* to be an integer >= 1. Received: epochs=0"),
    ("epochs = 1", "epochs = -2", ValueError, r"Received: epochs=-2"),
    ("epochs = 1", "epochs = true", TypeError, r"Received: epochs=True \(a boolean\)"),
    ("steps_per_epoch = 3", "steps_per_epoch = 0", ValueError,
     r"\[train\] steps_per_epoch .* >= 1. Received: steps_per_epoch=0"),
    ("steps_per_epoch = 3", "steps_per_epoch = -3", ValueError, r"Received: steps_per_epoch=-3"),
    ("batch_size = 32", 'batch_size = "64"', TypeError,
     r"\[data\] batch_size in .* to be an integer >= 1. Received: batch_size='64' \(a string\)"),
    ("batch_size = 32", "batch_size = 0", ValueError, r"Received: batch_size=0"),
    ("num_samples = 200", 'num_samples = 200\nmetrics = ["fid", "kdi"]', ValueError,
     r"Unknown metric in \[eval\] metrics .*'kdi'. Did you mean: kid"),
    ("num_samples = 200", "num_samples = 0", ValueError, r"Received: num_samples=0"),
    # Fewer than the metrics accept (kerasgan.metrics.MIN_SAMPLES) fails now, not after training.
    ("num_samples = 200", "num_samples = 10", ValueError,
     r"\[eval\] num_samples .* an integer >= \d+. Received: num_samples=10"),
    ("num_samples = 200", "num_samples = 200\nmetrics = []", ValueError, r"non-empty list"),
    ('variant = "dcgan"', 'variant = "dcgna"', ValueError, r"'dcgna'. Did you mean: dcgan"),
    ('size = "small"', 'size = "huge"', ValueError, r"Unknown dcgan size .*'huge'"),
    ("[data]", '[loss]\nd = "hinje"\n[data]', ValueError, r"'hinje'. Did you mean: hinge"),
    ("[data]", '[penalty]\nkind = "r2"\n[data]', ValueError, r"Unknown penalty kind .*'r2'"),
    ("[data]", "[optimizer]\nd_learning_rate = -1\n[data]", ValueError,
     r"d_learning_rate .* a number > 0. Received: d_learning_rate=-1"),
    ("[data]", "[optimizer]\nbeta_1 = 1.5\n[data]", ValueError, r"Received: beta_1=1.5"),
    ("seed = 0", 'seed = 0\nmixed_precision = "fp16"', ValueError, r"mixed_precision .*'fp16'"),
    ("seed = 0", "seed = -1", ValueError, r"Received: seed=-1"),
    ("ema_decay = 0.9", "ema_decay = 1.0", ValueError, r"Received: ema_decay=1.0"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nl1_weight = 5.0", ValueError,
     r"l1_weight .* does not apply to dcgan models \(only to: pix2pix\)"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nd_dropout = 0.0", ValueError,
     r"d_dropout .* does not apply to dcgan models \(only to: bigan, ali, lapgan\)"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nd_dropout = 1.0", ValueError,
     r"d_dropout .* Received: d_dropout=1.0"),
    ('dataset = "mnist"', 'dataset = "mnsit"', ValueError, r"'mnsit'. Did you mean: mnist"),
    ('dataset = "mnist"', 'dataset = "./no-such-folder/"', FileNotFoundError,
     r"folder ./no-such-folder/ does not exist"),
    ('dataset = "mnist"', 'dataset = "fashion-mnist-edges"', ValueError,
     r"dcgan models \(unconditional\) train on images"),
    ("labels = false", 'labels = false\nsplit = "tset"', ValueError, r"'tset'. Did you mean: test"),
    ("labels = false", "labels = false\nimage_size = 64", ValueError,
     r"image_size .* applies to folders"),
    ("[model]", "model = 3\n[modelx]", ValueError, r"Unknown section"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nminibatch_stddev = 5", ValueError,
     r"minibatch_stddev = 5 .* batch_size must be a multiple of it. Received: batch_size=32"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nminibatch_stddev = -4", ValueError,
     r"minibatch_stddev in .* integer >= 0. Received: minibatch_stddev=-4"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nsimultaneous_updates = 1", TypeError,
     r"simultaneous_updates in .* true or false. Received: simultaneous_updates=1"),
    ("ema_decay = 0.9", "ema_decay = 0.9\nsimultaneous_updates = true\nd_steps = 2", ValueError,
     r"simultaneous_updates needs d_steps=1"),
]


@pytest.mark.parametrize("old,new,error,match", BAD_CONFIGS,
                         ids=[next(line for line in new.splitlines() if line not in old
                                   and not line.startswith("[")) for old, new, _, _ in BAD_CONFIGS])
def test_bad_config_fails_before_anything_is_written(tmp_path, old, new, error, match):
    """Every key is checked before the first step: none of these trains, writes a preset
    or fails inside TensorFlow (epochs = 0 was a ZeroDivisionError, epochs = -2 an
    untrained preset, an unknown metric an error after training)."""
    assert DCGAN_CONFIG.count(old) == 1
    config = tmp_path / "bad.toml"
    config.write_text(DCGAN_CONFIG.replace(old, new))
    with pytest.raises(error, match=match):
        training.train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def test_variant_and_data_must_fit(tmp_path):
    config = tmp_path / "cgan.toml"
    config.write_text(TINY_CONFIG.format(variant="cgan", labels="false"))
    with pytest.raises(ValueError, match="conditional model: it trains on class labels. Set "
                                         "labels = true"):
        training.load_config(config)
    config.write_text(PIX2PIX_CONFIG.replace('"fashion-mnist-edges"', '"mnist"'))
    with pytest.raises(ValueError, match=r"pix2pix models \(image-to-image\) train on "
                                         r"\(source, target\) pairs"):
        training.load_config(config)
    config.write_text(TINY_CONFIG.format(variant="dcgan", labels="false")
                      .replace("latent_dim = 16", "latent_dim = 16\nimage_shape = [32, 32, 1]"))
    # Caught once the pipeline exists, still before the first step.
    with pytest.raises(ValueError, match=r"The data's images are 28x28x1, but the model's are "
                                         r"32x32x1: set \[model\] image_shape = \[28, 28, 1\]"):
        training.train(config, tmp_path / "run", verbose=0, evaluate=False)
    assert not (tmp_path / "run" / "backup").exists()


@pytest.mark.parametrize("flag,value,key", [("--epochs", "0", "epochs"),
                                            ("--epochs", "-2", "epochs"),
                                            ("--steps-per-epoch", "0", "steps_per_epoch"),
                                            ("--steps-per-epoch", "-3", "steps_per_epoch"),
                                            ("--num-eval-samples", "0", "num_samples")])
def test_cli_overrides_are_checked(tmp_path, capsys, flag, value, key):
    config = tmp_path / "tiny.toml"
    config.write_text(DCGAN_CONFIG)
    assert cli.main(["train", str(config), "--out", str(tmp_path / "run"), flag, value]) == 2
    err = capsys.readouterr().err
    assert f"Expected {flag}" in err and f"Received: {key}={value}" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_resume_needs_a_saved_run(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(DCGAN_CONFIG)
    absent = tmp_path / "absent-run"
    assert cli.main(["train", str(config), "--out", str(absent), "--resume"]) == 2
    err = capsys.readouterr().err
    assert f"Can't resume: the run folder {absent} does not exist. Drop --resume" in err
    assert not absent.exists()
    empty = tmp_path / "empty-run"
    empty.mkdir()
    assert cli.main(["train", str(config), "--out", str(empty), "--resume"]) == 2
    assert f"{empty} has no saved training state" in capsys.readouterr().err
    with pytest.raises(ValueError, match="either --resume .* or --overwrite"):
        training.train(config, empty, resume=True, overwrite=True)


def test_folder_dataset_without_no_eval_fails_before_training(tmp_path):
    """The end-of-run metrics need a named dataset: a folder run without --no-eval used to
    train first and fail in the evaluation."""
    images = tmp_path / "my-images"
    images.mkdir()
    config = tmp_path / "folder.toml"
    config.write_text(DCGAN_CONFIG.replace('dataset = "mnist"',
                                           f'dataset = "{images}"\nimage_size = 28\nchannels = 1'))
    assert training.load_config(config)["data"]["image_size"] == 28
    with pytest.raises(ValueError, match="Pass --no-eval .* `kerasgan evaluate RUN/preset --data"):
        training.train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()
