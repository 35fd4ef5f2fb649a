"""CycleGAN and DiscoGAN specifics, and their unpaired data; the shared contract (fit,
isolation, determinism, save/load) runs for both in test_models.py like for every variant."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgan
from gan_test_case import assert_images_close, dataset_for, run_resume_test, tiny_gan
from kerasgan.data import edge_maps, from_unpaired
from kerasgan.zoo.preset import golden_inputs, save_to_preset


def _fakes(n, value_of):
    """n distinct 28x28 images: image i is filled with value_of(i)."""
    return tf.constant(np.stack([np.full((28, 28, 1), value_of(i), np.float32)
                                 for i in range(n)]))


def _ids(images):
    return [int(round(float(v))) for v in np.asarray(images)[:, 0, 0, 0]]


def test_history_buffer_stores_then_swaps_half_the_time():
    gan = tiny_gan("cyclegan", history_size=4)
    fake_b, fake_a = _fakes(3, lambda i: i + 1), _fakes(3, lambda i: -(i + 1))
    # Not full: every fake is stored in the next slot and shown as it is.
    draws = tf.constant([[0.9, 0.0]] * 3)
    shown_b, shown_a, history_b, history_a, count = gan._query_history(fake_b, fake_a, draws)
    assert _ids(shown_b) == [1, 2, 3] and _ids(shown_a) == [-1, -2, -3]
    assert int(count) == 3 and _ids(history_b) == [1, 2, 3, 0]
    gan.history_b.assign(history_b)
    gan.history_a.assign(history_a)
    gan.history_count.assign(count)
    # Image 4 fills the last slot. Then full: a draw > 0.5 shows the stored image of the
    # drawn slot and stores the new one there; otherwise the new one is shown, not stored.
    fake_b, fake_a = _fakes(3, lambda i: i + 4), _fakes(3, lambda i: -(i + 4))
    draws = tf.constant([[0.0, 0.0], [0.7, 0.30], [0.2, 0.99]])
    shown_b, shown_a, history_b, history_a, count = gan._query_history(fake_b, fake_a, draws)
    assert _ids(shown_b) == [4, 2, 6] and _ids(shown_a) == [-4, -2, -6]
    assert _ids(history_b) == [1, 5, 3, 4] and _ids(history_a) == [-1, -5, -3, -4]
    assert int(count) == 4


def test_history_buffer_is_filled_by_fit(mnist_small):
    gan = tiny_gan("cyclegan", history_size=8)
    ds = dataset_for(gan, *mnist_small, batch_size=4)
    gan.fit(ds.repeat(), epochs=1, steps_per_epoch=3, verbose=0)
    assert int(gan.history_count.numpy()) == 8  # 3 steps of 4 fakes fill 8 slots
    assert np.abs(gan.history_b.numpy()).reshape(8, -1).max(axis=1).min() > 0
    without = tiny_gan("cyclegan", history_size=0)
    assert not hasattr(without, "history_b")
    with pytest.raises(ValueError, match="history_size must be an int >= 0. Received: history_size=-1"):
        tiny_gan("cyclegan", history_size=-1)


def test_fit_resumed_from_a_save_matches_uninterrupted(mnist_small, tmp_path):
    """Same machine: bit-exact, the history buffer and the step's noise included."""
    straight, resumed = run_resume_test(
        "cyclegan", lambda gan: dataset_for(gan, *mnist_small, batch_size=4).repeat(),
        tmp_path, steps=4, history_size=4)
    np.testing.assert_array_equal(resumed.history_a.numpy(), straight.history_a.numpy())


def test_training_lowers_the_cycle_error(mnist_small):
    images = mnist_small[0]
    gan = tiny_gan("cyclegan")
    held_out = edge_maps(images[-32:])
    before = np.abs(gan.cycle(held_out, output="float") - (held_out / 127.5 - 1.0)).mean()
    gan.fit(dataset_for(gan, images[:224], None, batch_size=8).repeat(), epochs=1,
            steps_per_epoch=40, verbose=0)
    after = np.abs(gan.cycle(held_out, output="float") - (held_out / 127.5 - 1.0)).mean()
    assert after < 0.7 * before, (before, after)


def test_translate_checks_direction_and_input(mnist_small):
    gan = tiny_gan("cyclegan")
    digits = mnist_small[0][:3]
    out = gan.translate(digits, "b2a")
    assert out.shape == (3, 28, 28, 1) and out.dtype == np.uint8
    assert not np.array_equal(out, gan.translate(digits, "a2b"))  # two generators
    np.testing.assert_array_equal(gan.translate(digits[..., 0], "b2a"), out)
    assert_images_close(gan.translate(digits / 127.5 - 1.0, "b2a"), out)
    with pytest.raises(ValueError, match=r"translation direction.*'b2b'.*a2b"):
        gan.translate(digits, "b2b")
    with pytest.raises(ValueError, match=r"domain B images \(the source of direction 'b2a'\).*"
                                         r"\(N, 28, 28, 1\). Received: shape=\(2, 32, 32, 1\)"):
        gan.translate(np.zeros((2, 32, 32, 1), np.uint8), "b2a")
    with pytest.raises(ValueError, match="at least one image"):
        gan.translate(np.zeros((0, 28, 28, 1), np.uint8))
    with pytest.raises(TypeError, match=r"use gan.translate\(images, direction="):
        gan.generate(4)
    with pytest.raises(TypeError, match="has no latents"):
        gan.make_latents(4)
    with pytest.raises(ValueError, match="output must be 'uint8' or 'float'"):
        gan.translate(digits, output="png")


def test_fit_refuses_a_single_domain(mnist_small):
    gan = tiny_gan("cyclegan")
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=8)
    with pytest.raises(ValueError, match=r"\(a_batch, b_batch\) from two unpaired domains"):
        gan.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)


def test_from_unpaired_checks_the_domains(mnist_small):
    images = mnist_small[0]
    with pytest.raises(ValueError, match=r"same height and width.*domain_a shape=\(10, 32, 32, 1\)"):
        from_unpaired(np.zeros((10, 32, 32, 1), np.uint8), images[:10], batch_size=4)
    with pytest.raises(ValueError, match="Only 3 images in domain_b for batch_size=4"):
        from_unpaired(images[:10], images[:3], batch_size=4)
    with pytest.raises(TypeError, match="domain_a of from_unpaired"):
        from_unpaired(images[:10].astype(np.int64), images[:10], batch_size=4)
    # Unequal domains: an epoch is as many batches as the smaller one makes.
    ds = from_unpaired(images[:40], np.repeat(images[:10], 3, axis=-1), batch_size=4, seed=0)
    a, b = next(iter(ds))
    assert a.shape == (4, 28, 28, 1) and b.shape == (4, 28, 28, 3) and len(ds) == 2


def test_identity_terms_need_matching_channels():
    with pytest.raises(ValueError, match="same channel count; domain A has 1, domain B 3"):
        kerasgan.models.create("cyclegan", "tiny", image_shape=(28, 28, 3),
                               source_shape=(28, 28, 1))
    gan = kerasgan.models.create("cyclegan", "tiny", image_shape=(28, 28, 3),
                                 source_shape=(28, 28, 1), identity_weight=0)
    assert gan.domain_shape("a") == (28, 28, 1) and gan.domain_shape("b") == (28, 28, 3)
    assert gan.loss_term_names("g") == ("loss", "cycle")


def test_preset_keeps_both_directions(mnist_small, tmp_path):
    gan = tiny_gan("cyclegan")
    images = mnist_small[0]
    sample = {"images": edge_maps(images[:8]), "images_b": images[8:16]}
    save_to_preset(gan, tmp_path / "p", sample_inputs=sample)
    loaded = kerasgan.load(tmp_path / "p")
    with np.load(tmp_path / "p" / "golden.npz") as golden:
        inputs = golden_inputs(golden)
        np.testing.assert_array_equal(inputs["images_b"], images[8:16])
        np.testing.assert_array_equal(loaded.translate(inputs["images"]), golden["images_uint8"])
        np.testing.assert_array_equal(loaded.translate(inputs["images_b"], "b2a"),
                                      golden["images_b2a_uint8"])
    assert loaded.preset_metadata["task"] == "unpaired-translation"
    grid = gan.preview(sample)
    assert grid.shape[0] > grid.shape[1] / 4  # four rows: A, A -> B, B, B -> A


def test_bags2shoes_splits_fashion_mnist_by_class():
    (bags, bag_labels), (shoes, shoe_labels) = kerasgan.data.load_unpaired("bags2shoes", "test")
    assert bags.shape == (1000, 28, 28, 1) and shoes.shape == (3000, 28, 28, 1)
    assert set(bag_labels) == {8} and set(shoe_labels) == {5, 7, 9}
    info = kerasgan.data.get_dataset("bags2shoes")
    assert info.domains == ("fashion-mnist-bags", "fashion-mnist-shoes")


def test_discogan_is_not_cyclegan():
    """The paper's formulation: BCE, L2 reconstruction at weight 1, no identity terms or
    history, one logit per image."""
    gan = tiny_gan("discogan")
    assert gan.loss_term_names("g") == ("loss", "cycle")
    assert gan.loss_weights("g")["cycle"] == 1.0 and gan.RECONSTRUCTION == "l2"
    assert type(gan.g_loss_fn).__name__ == "NonSaturating"
    assert gan.discriminator.outputs[0].shape[1:] == (1,)
    assert not hasattr(gan, "history_b")
    with pytest.raises(ValueError, match="divisible by 4"):
        kerasgan.models.create("discogan", "small", image_shape=(30, 30, 1))


def test_cyclegan_patch_size_follows_d_downsamples():
    """Each stride-2 layer of the PatchGAN doubles the patch a logit's convolutions see:
    13, 22 and 34 pixels (the last covers all of a 28x28 digit; instance norm's
    statistics still span the image at every setting), and the logit grid is finer."""
    from kerasgan.models.cyclegan import build_patch_discriminator, patch_receptive_field

    assert [patch_receptive_field(d) for d in (0, 1, 2)] == [13, 22, 34]
    for downsamples, grid in ((0, 28), (1, 14), (2, 7)):
        d = build_patch_discriminator((28, 28, 1), 8, downsamples=downsamples)
        assert d.output_shape == (None, grid, grid, 1)
        strides = [layer.strides[0] for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
        assert strides.count(2) == downsamples
    gan = kerasgan.models.create("cyclegan", "tiny", d_downsamples=0)
    assert gan.discriminator.output_shape == (None, 28, 28, 1)
    with pytest.raises(ValueError, match=r"d_downsamples .* 0, 1 or 2.*d_downsamples=3"):
        kerasgan.models.create("cyclegan", "tiny", d_downsamples=3)
