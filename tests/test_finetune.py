import json

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
    folder = tmp_path_factory.mktemp("digits")
    for i, image in enumerate(mnist_small[0][:60]):
        # RGB and 32x32: the loader must convert and resize, and say so.
        Image.fromarray(image[..., 0]).convert("RGB").resize((32, 32)).save(folder / f"{i}.png")
    return folder


def test_finetune_cli_writes_a_loadable_preset(base_preset, digit_folder, tmp_path, capsys):
    out = tmp_path / "tuned"
    assert cli.main(["finetune", str(base_preset), "--data", str(digit_folder), "--steps", "3",
                     "--batch-size", "16", "--freeze-d", "1", "--augment", "ada", "--out", str(out)]) == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["finetuned_from"]["name"] == "tiny-base"
    assert meta["data"]["num_train_images"] == 48 and meta["data"]["num_holdout_images"] == 12
    assert any("resized images of size 32x32 to 28x28" in c for c in meta["data"]["conversions"])
    assert "fid[kerasgan-mnist-classifier-v1]" in meta["metrics_before"]
    assert "fid[kerasgan-mnist-classifier-v1]" in meta["metrics"]
    card = (out / "README.md").read_text()
    assert "Fine-tuned from `tiny-base`" in card and "48" in card
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
    assert cli.main(["finetune", str(base_preset), "--data", str(digit_folder), "--batch-size", "64",
                     "--out", str(tmp_path / "o2")]) == 2
    assert "Only 48 training images" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.png").write_bytes(b"not an image")
    assert cli.main(["finetune", str(base_preset), "--data", str(broken), "--out", str(tmp_path / "o3")]) == 2
    err = capsys.readouterr().err
    assert "unreadable image" in err and "x.png" in err


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
