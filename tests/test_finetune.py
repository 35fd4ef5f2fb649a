import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import kerasgan
from gan_test_case import tiny_gan
from kerasgan import cli
from kerasgan.finetune import freeze_discriminator_blocks, prepare
from kerasgan.zoo.preset import save_to_preset


@pytest.fixture(scope="module")
def base_preset(tmp_path_factory):
    path = tmp_path_factory.mktemp("base") / "tiny-base"
    save_to_preset(tiny_gan("dcgan"), path, metadata={"data": {"dataset": "mnist", "split": "train"}})
    return path


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory, mnist_small):
    """250 real digits, as a user's folder holds them: RGB PNGs at 32x32, one GIF and one
    CMYK JPEG (the loader must convert and resize them all to the model's 28x28 gray)."""
    folder = tmp_path_factory.mktemp("digits")
    for i, image in enumerate(mnist_small[0][:250]):
        pil = Image.fromarray(image[..., 0]).convert("RGB").resize((32, 32))
        if i == 0:
            pil.save(folder / f"{i}.gif")
        elif i == 1:
            pil.convert("CMYK").save(folder / f"{i}.jpg", quality=95)
        else:
            pil.save(folder / f"{i}.png")
    return folder


@pytest.fixture(scope="module")
def tuned_preset(base_preset, digit_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("tuned") / "tuned"
    code = cli.main(["finetune", str(base_preset), "--data", str(digit_folder), "--steps", "3",
                     "--batch-size", "16", "--freeze-d", "1", "--augment", "ada", "--out", str(out)])
    return out, code


def test_finetune_cli_writes_a_loadable_preset(tuned_preset, tmp_path):
    out, code = tuned_preset
    assert code == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["finetuned_from"]["name"] == "tiny-base"
    assert meta["data"]["num_train_images"] == 200 and meta["data"]["num_holdout_images"] == 50
    assert any("resized images of size 32x32 to 28x28" in c for c in meta["data"]["conversions"])
    # The GIF and the CMYK JPEG were read as gray images (the old loader failed on them).
    assert any("converted CMYK/P/RGB images to grayscale" in c for c in meta["data"]["conversions"])
    assert meta["data"]["skipped"] == []
    assert "fid[kerasgan-mnist-classifier-v1]" in meta["metrics_before"]
    assert "fid[kerasgan-mnist-classifier-v1]" in meta["metrics"]
    assert meta["evaluation"]["extractor"] == "mnist"
    card = (out / "README.md").read_text()
    assert "Fine-tuned from `tiny-base`" in card and "200" in card
    from huggingface_hub import ModelCard

    parsed = ModelCard(card).data
    assert parsed.base_model == "kerasgan/tiny-base" and "fine-tuned" in parsed.tags
    assert {r.metric_type + f"[{r.metric_config}]": r.metric_value
            for r in parsed.eval_results} == pytest.approx(
        {k: v for k, v in meta["metrics"].items() if isinstance(v, float)})
    gan = kerasgan.load(str(out))
    with np.load(out / "golden.npz") as golden:
        np.testing.assert_array_equal(gan.generate(golden["latents"]), golden["images_uint8"])
    path = kerasgan.export(gan, tmp_path / "export", model_name="tuned")
    assert (path / "saved_model.pb").is_file()


def test_finetune_input_errors(base_preset, tmp_path, digit_folder, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["finetune", str(base_preset), "--data", str(tmp_path / "empty"),
                     "--out", str(tmp_path / "o1")]) == 2
    assert "No images found" in capsys.readouterr().err
    assert cli.main(["finetune", str(base_preset), "--data", str(digit_folder), "--batch-size", "256",
                     "--out", str(tmp_path / "o2")]) == 2
    assert "Only 200 training images" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.png").write_bytes(b"not an image")
    assert cli.main(["finetune", str(base_preset), "--data", str(broken), "--out", str(tmp_path / "o3")]) == 2
    err = capsys.readouterr().err
    assert "unreadable image" in err and "x.png" in err


def test_finetune_batch_must_split_into_minibatch_stddev_groups(digit_folder, tmp_path, capsys):
    # gan-mnist's discriminator has MinibatchStdDev(group_size=4).
    assert cli.main(["finetune", "gan-mnist", "--data", str(digit_folder), "--batch-size", "30",
                     "--steps", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "groups of 4" in err and "--batch-size must be a multiple of 4" in err
    assert "Received: batch_size=30" in err and not (tmp_path / "o").exists()


def test_freeze_d_freezes_first_blocks_only(mnist_small):
    gan = tiny_gan("dcgan")
    frozen = freeze_discriminator_blocks(gan.discriminator, 1)
    assert frozen == [gan.discriminator.layers[1].name]
    before = [w.numpy().copy() for w in gan.discriminator.weights]
    gan.compile()
    gan.fit(kerasgan.data.from_numpy(mnist_small[0], batch_size=32), epochs=1, steps_per_epoch=2, verbose=0)
    after = gan.discriminator.weights
    frozen_layer = gan.discriminator.get_layer(frozen[0])
    for w in frozen_layer.weights:
        index = [v.path for v in gan.discriminator.weights].index(w.path)
        np.testing.assert_array_equal(before[index], after[index].numpy())
    with pytest.raises(ValueError, match="would freeze every weight layer"):
        freeze_discriminator_blocks(tiny_gan("dcgan").discriminator, 10)


def test_prepare_new_class_count_keeps_other_weights():
    gan = tiny_gan("cgan")
    tuned = prepare(gan, num_classes=3, augment="none")
    assert tuned.num_classes == 3 and tuned.ema_generator is not None
    assert tuned.generator.get_layer("label_embedding").input_dim == 3
    for layer in gan.generator.layers:
        if layer.weights and layer.name != "label_embedding":
            for a, b in zip(layer.get_weights(), tuned.generator.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(a, b)
    assert tuned.generate(3, labels=[0, 1, 2]).shape == (3, 28, 28, 1)
    with pytest.raises(ValueError, match=r"Labels must be in \[0, 2\]"):
        tuned.generate(1, labels=[3])
    with pytest.raises(ValueError, match="applies to conditional models"):
        prepare(tiny_gan("dcgan"), num_classes=3)


def test_diffaugment_is_differentiable_and_inactive_at_inference():
    import tensorflow as tf

    layer = kerasgan.layers.DiffAugment()
    images = tf.random.uniform((4, 28, 28, 1), -1, 1)
    np.testing.assert_array_equal(layer(images, training=False), images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        out = layer(images, training=True)
        total = tf.reduce_sum(out)
    grads = tape.gradient(total, images)
    assert out.shape == images.shape and np.isfinite(grads.numpy()).all()
    assert float(tf.reduce_max(tf.abs(out - images))) > 0
    with pytest.raises(ValueError, match="Unknown augmentation 'colour'. Did you mean: color"):
        kerasgan.layers.DiffAugment("colour")


def test_ada_probability_rises_when_d_overfits():
    import tensorflow as tf

    ada = kerasgan.layers.AdaptiveAugment(speed_images=1000, interval=1)
    for _ in range(5):
        ada.update(tf.ones((32, 1)) * 3.0)   # D is sure every real is real: r_t = 1 > 0.6
    p_up = float(ada.p.numpy())
    assert p_up > 0.1
    for _ in range(5):
        ada.update(-tf.ones((32, 1)))        # r_t = -1 < 0.6
    assert float(ada.p.numpy()) < p_up


# ------------------------------------------------------------- checks before training

@pytest.mark.parametrize("flag, value, message", [
    ("--steps", "0", "steps must be an int >= 1"),
    ("--steps", "-5", "steps must be an int >= 1"),
    ("--learning-rate", "-1", "learning_rate must be a number > 0"),
    ("--learning-rate", "0", "learning_rate must be a number > 0"),
    ("--holdout", "1", r"holdout must be a fraction in \[0, 1\)"),
    ("--seed", "-1", "seed must be an int"),
    ("--extractor", "mnsit", "Unknown feature extractor 'mnsit'. Did you mean: mnist"),
])
def test_finetune_refuses_bad_arguments_before_loading(flag, value, message, digit_folder,
                                                       tmp_path, capsys):
    # The model doesn't exist: an argument error proves the check comes before the load.
    assert cli.main(["finetune", "no-such-model", "--data", str(digit_folder), flag, value,
                     "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "no-such-model" not in err and not (tmp_path / "o").exists()


def test_finetune_checks_the_output_folder_before_loading(digit_folder, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="a-file is a file"):
        kerasgan.finetune.finetune("no-such-model", digit_folder, blocker / "tuned", steps=2)
    with pytest.raises(FileNotFoundError, match="no-images-here"):
        kerasgan.finetune.finetune("no-such-model", tmp_path / "no-images-here",
                                   tmp_path / "tuned", steps=2)


def test_finetune_seed_is_threaded_through(base_preset, digit_folder, tmp_path):
    def tuned_images(seed, name):
        kerasgan.finetune.finetune(base_preset, digit_folder, tmp_path / name, steps=2,
                                   batch_size=16, holdout=0.0, seed=seed, verbose=0)
        gan = kerasgan.load(str(tmp_path / name))
        return gan.generate(4, seed=0), json.loads((tmp_path / name / "metadata.json").read_text())

    first, meta = tuned_images(7, "a")
    again, _ = tuned_images(7, "b")
    other, _ = tuned_images(8, "c")
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert meta["training"]["seed"] == 7 and "--seed 7" in meta["training"]["command"]
    assert cli.build_parser().parse_args(["finetune", "m", "--data", "d", "--out", "o",
                                          "--seed", "3"]).seed == 3


# ------------------------------------------------------------------------- Ctrl-C

class _CtrlCAfter(keras.callbacks.Callback):
    """Sends this process a real SIGINT (what Ctrl-C sends) after `steps` steps."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.steps:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_saves_a_preset_and_says_how_to_continue(base_preset, digit_folder, tmp_path,
                                                        sigint_delivered):
    out = tmp_path / "tuned"
    with pytest.raises(kerasgan.finetune.FinetuneInterrupted) as caught:
        kerasgan.finetune.finetune(base_preset, digit_folder, out, steps=1000, batch_size=16,
                                   holdout=0.0, verbose=0, callbacks=[_CtrlCAfter(3)])
    interrupt = caught.value
    assert isinstance(interrupt, KeyboardInterrupt) and interrupt.steps == 3
    assert "Interrupted at step 3 of 1000" in str(interrupt) and str(out) in str(interrupt)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["training"]["interrupted"] == {"at_step": 3, "of": 1000}
    assert "Interrupted" in (out / "README.md").read_text()
    assert kerasgan.load(str(out)).generate(2, seed=0).shape == (2, 28, 28, 1)
    # The printed command trains the remaining steps from the saved preset.
    command = shlex.split(interrupt.continue_command)
    args = cli.build_parser().parse_args(command[1:])
    assert (args.model, args.steps, args.data) == (str(out), 997, str(digit_folder))
    assert args.out != str(out)


def test_ctrl_c_in_the_cli_exits_130_with_the_preset_saved(base_preset, digit_folder, tmp_path,
                                                           sigint_delivered):
    out = tmp_path / "tuned"
    command = [sys.executable, "-m", "kerasgan.cli", "finetune", str(base_preset), "--data",
               str(digit_folder), "--steps", "100000", "--batch-size", "16", "--holdout", "0",
               "--out", str(out)]
    stderr = tmp_path / "stderr.txt"
    with open(stderr, "wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err,
                                   env=dict(os.environ, PYTHONUNBUFFERED="1"))
        seen = b""
        while b"/100000" not in seen:  # the progress bar: at least one step is done
            chunk = process.stdout.read1(4096)
            if not chunk:
                break
            seen += chunk
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=600)
    message = stderr.read_text()
    assert process.returncode == 130, message[-3000:]
    assert "Traceback" not in message
    assert "Interrupted at step" in message and f"kerasgan finetune {out}" in message
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["training"]["interrupted"]["at_step"] >= 1


# ------------------------------------------------- evaluating the fine-tuned model

def _strict_json(text):
    def refuse(constant):
        raise AssertionError(f"{constant} is not valid JSON")

    return json.loads(text, parse_constant=refuse)


def test_evaluate_a_fine_tuned_model_against_its_folder(tuned_preset, digit_folder, tmp_path,
                                                        capsys):
    out, code = tuned_preset
    assert code == 0
    capsys.readouterr()
    # Without --data: the folder it was fine-tuned on (the old CLI: "Unknown dataset").
    assert cli.main(["evaluate", str(out), "--num-samples", "60"]) == 0
    captured = capsys.readouterr()
    results = _strict_json(captured.out)
    assert results["protocol"]["reference"] == f"folder:{digit_folder}"
    assert results["protocol"]["num_real"] == results["protocol"]["num_fake"] == 60
    assert "--data" in results["protocol"]["command"]
    for key in ("fid", "kid", "precision", "recall", "cs"):
        assert np.isfinite(results[f"{key}[kerasgan-mnist-classifier-v1]"])
    assert "kerasgan evaluate: warning: Measured on 60 images" in captured.err
    # Any folder, any extractor that fits the model.
    assert cli.main(["evaluate", str(out), "--data", str(digit_folder), "--extractor",
                     "fashion-mnist", "--metrics", "fid", "--num-samples", "50"]) == 0
    results = _strict_json(capsys.readouterr().out)
    assert set(results) == {"fid[kerasgan-fashion-mnist-classifier-v1]", "protocol"}
    assert cli.main(["evaluate", str(out), "--data", str(digit_folder), "--extractor",
                     "glyphs", "--num-samples", "50"]) == 2
    assert "takes 32x32x1 images, but the model makes 28x28x1" in capsys.readouterr().err


def test_evaluate_without_data_when_the_folder_is_gone(tuned_preset, tmp_path, capsys):
    out, _ = tuned_preset
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    meta = json.loads((moved / "metadata.json").read_text())
    meta["data"].update({"dataset": "gone_images/", "folder": str(tmp_path / "gone_images")})
    (moved / "metadata.json").write_text(json.dumps(meta))
    assert cli.main(["evaluate", str(moved), "--num-samples", "50"]) == 2
    err = capsys.readouterr().err
    assert "learned from 'gone_images/'" in err and "Pass --data DIR" in err


def test_resaving_a_model_loaded_without_its_discriminator_leaves_it_out(base_preset, tmp_path,
                                                                        mnist_small):
    from kerasgan.zoo.preset import load_from_preset

    gan = load_from_preset(base_preset)
    assert gan.networks_not_loaded == ("discriminator",)
    with pytest.warns(UserWarning, match=r"without discriminator\.weights\.h5.*with_discriminator=True"):
        resaved = save_to_preset(gan, tmp_path / "resaved")
    assert not (resaved / "discriminator.weights.h5").exists()
    again = load_from_preset(resaved)  # samples as the original does
    np.testing.assert_array_equal(again.generate(4, seed=0, output="uint8"),
                                  gan.generate(4, seed=0, output="uint8"))
    with pytest.raises(kerasgan.zoo.preset.PresetError, match="missing discriminator.weights.h5"):
        load_from_preset(resaved, with_discriminator=True)
    # Loaded with its discriminator, or trained after the load, every network is saved.
    full = load_from_preset(base_preset, with_discriminator=True)
    assert full.networks_not_loaded == ()
    gan.fit(kerasgan.data.from_numpy(mnist_small[0][:32], batch_size=16), epochs=1, verbose=0)
    assert gan.networks_not_loaded == ()
    trained = save_to_preset(gan, tmp_path / "trained")
    assert (trained / "discriminator.weights.h5").is_file()
