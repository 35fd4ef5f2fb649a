import json

import numpy as np
import pytest

import kerasgan
from gan_test_case import DIGIT_CAPTIONS, dataset_for, tiny_gan
from kerasgan import glyphs
from kerasgan.models.stackgan import caption_words


def test_tokenizer_follows_the_rule_written_for_litert_and_onnx_clients():
    from kerasgan.tasks.text_to_image import tokenizer_spec

    gan = tiny_gan("stackgan")
    spec = json.loads(tokenizer_spec(gan))
    index = {w: i for i, w in enumerate(spec["vocabulary"])}
    captions = ["Digit SEVEN!", "  digit   (one) ", "digit-two", "digit nine, digit zero digit one "
                "digit two digit three digit four", "digit seven's"]
    expected = []
    for caption in captions:
        ids = [index.get(w, 1) for w in caption_words(caption)][:spec["max_caption_length"]]
        expected.append(ids + [0] * (spec["max_caption_length"] - len(ids)))
    np.testing.assert_array_equal(gan.tokenize(captions), np.asarray(expected))
    assert gan.tokenize("DIGIT SEVEN").tolist() == gan.tokenize("digit seven.").tolist()
    assert spec["vocabulary"][:2] == ["", "[UNK]"]


def test_captions_are_checked_with_a_clear_message():
    gan = tiny_gan("stackgan")
    with pytest.raises(ValueError, match=r"Unknown words in the captions: sevn\. Closest known "
                                         r"words: sevn -> seven"):
        gan.generate(2, captions="digit sevn", seed=0)
    with pytest.raises(ValueError, match=r"Expected one caption per image \(3\). Received: 2"):
        gan.generate(3, captions=["digit one", "digit two"], seed=0)
    with pytest.raises(TypeError, match="Captions must be a string or a list of strings"):
        gan.generate(2, captions=[1, 2], seed=0)
    with pytest.raises(ValueError, match="needs `vocabulary` or `captions`"):
        kerasgan.StackGAN.from_size("small")
    with pytest.raises(ValueError, match="StackGAN trains on \\(images, captions\\) batches"):
        gan.unpack(np.zeros((2, 32, 32, 1), np.float32))
    with pytest.raises(ValueError, match="does not support discriminator augmentation"):
        gan.set_augment("diffaugment")


def test_from_captions_checks_its_inputs():
    images = np.zeros((40, 32, 32, 1), np.uint8)
    with pytest.raises(ValueError, match=r"Expected one caption per image, shape \(40,\)"):
        kerasgan.data.from_captions(images, ["digit one"] * 39, batch_size=8)
    with pytest.raises(TypeError, match="Captions must be strings"):
        kerasgan.data.from_captions(images, np.arange(40), batch_size=8)
    with pytest.raises(ValueError, match="Only 40 images for batch_size=64"):
        kerasgan.data.from_captions(images, ["digit one"] * 40)


def test_the_caption_steers_the_image_and_kl_is_logged(mnist_small):
    gan = tiny_gan("stackgan")
    history = gan.fit(dataset_for(gan, *mnist_small), epochs=1, steps_per_epoch=3, verbose=0)
    assert history.history["kl"][-1] > 0 and np.isfinite(history.history["kl"][-1])
    latents = gan.make_latents(1, seed=0).repeat(len(DIGIT_CAPTIONS), axis=0)
    images = gan.generate(latents, DIGIT_CAPTIONS, output="float")
    # Same latents, ten captions: ten different images.
    distinct = {images[i].tobytes() for i in range(len(images))}
    assert len(distinct) == len(DIGIT_CAPTIONS)
    np.testing.assert_array_equal(gan.generate(latents[:2], "digit four"),
                                  gan.generate(latents[:2], ["digit four", "DIGIT FOUR"]))
    # Without captions, generate cycles through the stored example captions.
    np.testing.assert_array_equal(gan.generate(latents[:3]),
                                  gan.generate(latents[:3], DIGIT_CAPTIONS[:3]))


def test_conditioning_augmentation_draws_from_the_latent_tail():
    """CA's eps is the latents' tail: it changes the image, and eps = 0 gives the mean."""
    gan = tiny_gan("stackgan")
    latents = gan.make_latents(2, seed=0)
    shifted = latents.copy()
    shifted[:, gan.noise_dim:] += 1.0
    a = gan.generate(latents, "digit one", output="float")
    b = gan.generate(shifted, "digit one", output="float")
    assert not np.allclose(a, b)
    assert latents.shape[1] == gan.noise_dim + gan.condition_dim == gan.latent_dim


def test_glyphs_are_captioned_and_split_by_font():
    images, labels, fonts = glyphs.load_glyphs("train", with_fonts=True)
    test_images, test_labels, test_fonts = glyphs.load_glyphs("test", with_fonts=True)
    assert images.dtype == np.uint8 and images.shape[1:] == (32, 32, 1)
    assert set(fonts).isdisjoint(set(test_fonts))
    assert len(set(test_fonts)) >= 5 and len(set(fonts)) >= 4 * len(set(test_fonts)) // 2
    # Every font contributes all 62 characters once.
    assert len(images) == 62 * len(set(fonts)) and np.bincount(labels).tolist() == [len(set(fonts))] * 62
    assert list(glyphs.glyph_captions([0, 7, 10, 61])) == [
        "digit zero", "digit seven", "latin capital letter a", "latin small letter z"]
    # White ink on black, centred: the border rows are (almost) empty.
    assert images[:, 0].mean() < 2 and images.mean() > 20
    images_c, captions = kerasgan.data.load_captions("glyphs", "test")
    assert captions[0] == glyphs.CAPTIONS[test_labels[0]] and len(images_c) == len(test_images)


def test_render_font_rejects_fonts_without_latin_letters(tmp_path):
    arabic = [f for f in glyphs.font_files() if f.name == "NotoSansArabic-Regular.ttf"]
    if arabic:
        assert glyphs.render_font(arabic[0]) is None
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    assert glyphs.render_font(broken) is None
    dejavu = [f for f in glyphs.font_files() if f.name == "DejaVuSans.ttf"][0]
    rendered = glyphs.render_font(dejavu)
    assert rendered.shape == (62, 32, 32) and rendered.dtype == np.uint8
    assert len({g.tobytes() for g in rendered}) == 62
    with pytest.raises(kerasgan.data.DatasetNotFoundError, match="sudo apt-get install -y fonts-dejavu"):
        glyphs.build_glyphs(fonts=[broken])


def test_finetune_cli_refuses_text_models_with_the_way_to_do_it(tmp_path):
    from kerasgan.zoo.preset import save_to_preset

    preset = save_to_preset(tiny_gan("stackgan"), tmp_path / "tiny-stackgan")
    with pytest.raises(NotImplementedError, match=r"needs \(image, caption\) pairs.*from_captions"):
        kerasgan.finetune.finetune(str(preset), tmp_path, tmp_path / "out")


def test_stackgan_refuses_a_penalty_and_takes_d_steps(mnist_small):
    from gan_test_case import run_fit_test

    gan = tiny_gan("stackgan", d_steps=2)
    with pytest.raises(ValueError, match="StackGAN takes penalties on the groups none"):
        gan.compile(d_penalty="gradient_penalty")
    run_fit_test(gan, dataset_for(gan, *mnist_small), steps=1)
    assert int(gan.d_optimizer.iterations.numpy()) == 2


@pytest.mark.parametrize("caption", ["", "   ", "!!!"])
def test_empty_captions_are_refused_not_drawn_black(caption):
    gan = tiny_gan("stackgan")
    with pytest.raises(ValueError, match=r"A caption has no words .* Received: caption="):
        gan.generate(4, captions=caption, seed=0)
    with pytest.raises(ValueError, match="A caption has no words"):
        gan.generate(2, captions=["digit one", caption], seed=0)


def test_captions_longer_than_the_model_reads_are_refused():
    gan = tiny_gan("stackgan")
    assert gan.max_caption_length == 8
    nine = "digit one digit two digit three digit four digit"
    with pytest.raises(ValueError, match=r"at most 8 words \(max_caption_length\).*Received: "
                                         rf"caption='{nine}' \(9 words\)"):
        gan.generate(1, captions=nine, seed=0)
    eight = "digit one digit two digit three digit four"
    assert gan.generate(1, captions=eight, seed=0).shape == (1, 32, 32, 1)
    # Punctuation isn't a word: this is 8 words too.
    assert gan.generate(1, captions=eight + " !", seed=0).shape == (1, 32, 32, 1)


def test_stackgan_generate_takes_latents_by_keyword():
    gan = tiny_gan("stackgan")
    latents = gan.make_latents(2, seed=0)
    np.testing.assert_array_equal(gan.generate(latents=latents, captions="digit two"),
                                  gan.generate(latents, "digit two"))


def test_preview_writes_each_caption_under_its_image():
    gan = tiny_gan("stackgan")
    inputs = gan.example_inputs(4, seed=0)
    labelled = gan.preview(inputs)
    plain = kerasgan.utils.image_grid(gan.generate_from(inputs))
    assert labelled.shape[0] > plain.shape[0] and labelled.dtype == np.uint8
    # The band under the first row of tiles holds dark text on the white padding.
    band = labelled[2 + 32:2 + 32 + 10, :, 0]
    assert (band < 128).any()


def test_word_vectors_start_at_unit_scale():
    """Keras's default embedding init (uniform +-0.05) left the text a faint signal next
    to CA's unit noise: the glyph model then took thousands of steps to follow captions
    (class accuracy 4.8% vs 28.2% at 1,580 steps, #16)."""
    gan = kerasgan.models.StackGAN.from_size("small", captions=glyphs.CAPTIONS)
    for network in (gan.generator, gan.discriminator):
        prefix = "g" if network is gan.generator else "d"
        vectors = network.get_layer(f"{prefix}_word_embedding").embeddings.numpy()
        assert 0.8 < vectors.std() < 1.2


def test_mode_seeking_term_pairs_captions_and_is_logged(mnist_small):
    """MSGAN's term: the generator batch's second half repeats the first half's captions
    with other latents; the term is the mean inverse image distance per latent distance."""
    import tensorflow as tf

    gan = tiny_gan("stackgan", mode_seeking_weight=1.0)
    assert gan.loss_term_names("g") == ("loss", "kl", "mode_seeking")
    assert tiny_gan("stackgan").loss_term_names("g") == ("loss", "kl")
    fake = tf.constant(np.random.default_rng(0).uniform(-1, 1, (5, 4, 4, 1)), tf.float32)
    latents = tf.constant(np.random.default_rng(1).normal(size=(5, 3)), tf.float32)
    term = float(gan.mode_seeking_term(fake, latents, 2))
    ratios = [np.abs(fake[i] - fake[i + 2]).mean() / np.abs(latents[i] - latents[i + 2]).mean()
              for i in range(2)]
    # The global-batch mean: summed over the 2 pairs, divided by them.
    np.testing.assert_allclose(term, np.mean([1 / (r + 1e-5) for r in ratios]), rtol=1e-5)
    history = gan.fit(dataset_for(gan, *mnist_small), epochs=1, steps_per_epoch=2, verbose=0)
    assert np.isfinite(history.history["mode_seeking"][-1])
    assert history.history["mode_seeking"][-1] > 0
    assert kerasgan.models.StackGAN.from_config(gan.get_config()).mode_seeking_weight == 1.0
    with pytest.raises(ValueError, match="mode_seeking_weight must be >= 0"):
        tiny_gan("stackgan", mode_seeking_weight=-1.0)
