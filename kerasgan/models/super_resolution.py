"""The base of single-image super-resolution (SRResNet, SRGAN; Ledig et al. 2017, "Photo-
Realistic Single Image Super-Resolution Using a Generative Adversarial Network"): a fully
convolutional generator that enlarges an image by `scale`, trained on `(low-resolution,
high-resolution)` pairs (`kerasgan.data.from_pairs`, e.g. the `emoji-sr-4x` dataset).

The generator is the paper's SRResNet: a 9x9 convolution and PReLU, B residual blocks
(conv-BN-PReLU-conv-BN and a skip), a convolution and BN with a skip over all blocks,
log2(scale) sub-pixel upsamplings (a convolution to 4x the channels, `PixelShuffle(2)`,
PReLU), and a 9x9 convolution to the image's channels. Departures: tanh on the output
(images in [-1, 1] as every kerasgan generator; the paper's SRResNet output is linear),
and PReLU slopes shared over height and width, so the generator takes any image size.

`upscale(images)` takes uint8 or [-1, 1] images of any height and width; a grayscale
image given to an RGB model is upscaled as gray RGB and returned with one channel.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.layers import PixelShuffle
from kerasgan.models.gan import GAN, check_memory, check_num_images
from kerasgan.utils import from_uint8, to_uint8


def _prelu():
    # Slopes per channel, shared over height and width: the generator stays fully
    # convolutional (a slope per pixel would fix the input size).
    return layers.PReLU(shared_axes=[1, 2])


def build_srresnet_generator(channels: int = 3, scale: int = 4, filters: int = 64,
                             residual_blocks: int = 16, name: str = "generator") -> keras.Model:
    """SRResNet: images `(N, H, W, channels)` in [-1, 1] -> `(N, scale H, scale W, channels)`,
    for any H and W. `scale` is a power of 2."""
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"scale must be a power of 2 (2, 4, 8...). Received: scale={scale}")
    source = keras.Input((None, None, channels), name="images")
    x = layers.Conv2D(filters, 9, padding="same")(source)
    x = skip = _prelu()(x)
    for _ in range(residual_blocks):
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        y = layers.BatchNormalization(synchronized=True)(y)
        y = _prelu()(y)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization(synchronized=True)(y)
        x = layers.Add()([x, y])
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(synchronized=True)(x)
    x = layers.Add()([x, skip])
    for _ in range(int(math.log2(scale))):
        x = layers.Conv2D(filters * 4, 3, padding="same")(x)
        x = PixelShuffle(2)(x)
        x = _prelu()(x)
    x = layers.Conv2D(channels, 9, padding="same")(x)
    images = layers.Activation("tanh", dtype="float32", name="upscaled")(x)
    return keras.Model(source, images, name=name)


def build_sr_discriminator(image_shape=(64, 64, 3), filters: int = 64, dense_units: int = 1024,
                           batch_norm: bool = True, name: str = "discriminator") -> keras.Model:
    """SRGAN's discriminator: eight 3x3 convolutions (`filters` doubling every second one,
    stride 2 on every second), BN (`batch_norm=False`: none, e.g. for a gradient
    penalty) and LeakyReLU(0.2), a dense layer, one logit."""
    height, width = image_shape[:2]
    if height % 16 or width % 16:
        raise ValueError("The SRGAN discriminator halves the image 4 times: height and width "
                         f"must be divisible by 16. Received: image_shape={tuple(image_shape)}")
    image = keras.Input(tuple(image_shape), name="images")
    x = layers.Conv2D(filters, 3, padding="same")(image)
    x = layers.LeakyReLU(0.2)(x)
    for i, strides in enumerate((2, 1, 2, 1, 2, 1, 2)):
        x = layers.Conv2D(filters * 2 ** ((i + 1) // 2), 3, strides=strides, padding="same",
                          use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization(synchronized=True)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(dense_units)(x)
    x = layers.LeakyReLU(0.2)(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(image, logits, name=name)


class SuperResolutionGAN(GAN):
    """Base of the super-resolution variants; see the module docstring.

    Args:
        generator: images `(N, H, W, C)` -> `(N, scale H, scale W, C)`, any H and W.
        discriminator: high-resolution images -> logits (SRGAN), or None (SRResNet).
        scale: the upscaling factor (4 in the paper).
        image_shape: the high-resolution training shape (the targets').
        ema_decay, seed: as for `GAN`.
    """

    task = "super-resolution"
    UNROLLABLE = False
    #: Named sizes: the keyword arguments of the generator (and discriminator).
    SIZES: dict = {}

    def __init__(self, generator, discriminator=None, *, scale: int = 4,
                 image_shape=(64, 64, 3), ema_decay: float | None = None,
                 seed: int | None = None, **kwargs):
        kwargs.pop("latent_dim", None)
        super().__init__(generator, discriminator, ema_decay=ema_decay, seed=seed, **kwargs)
        self.latent_dim = None
        if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
            raise ValueError(f"scale must be an int >= 2. Received: scale={scale!r}")
        self.scale = int(scale)
        image_shape = tuple(int(d) for d in image_shape)
        if len(image_shape) != 3 or image_shape[0] % self.scale or image_shape[1] % self.scale:
            raise ValueError(f"image_shape is the high-resolution (H, W, C), H and W divisible "
                             f"by scale={self.scale}. Received: image_shape={image_shape}")
        channels = int(self.generator.inputs[0].shape[-1])
        if image_shape[-1] != channels:
            raise ValueError(f"image_shape has {image_shape[-1]} channels but the generator "
                             f"takes {channels}. Received: image_shape={image_shape}")
        self._image_shape = image_shape
        self.pixel_loss = keras.losses.MeanSquaredError()

    @classmethod
    def from_size(cls, size="small", *, image_shape=(64, 64, 3), scale: int = 4, **kwargs):
        """A new, untrained model of a named size (`SIZES`)."""
        from kerasgan.models import check_size

        spec = dict(check_size(cls.SIZES, size))
        networks = cls.build_networks(tuple(image_shape), scale, spec)
        return cls(*networks, scale=scale, image_shape=image_shape, **kwargs)

    @staticmethod
    def build_networks(image_shape, scale, spec) -> tuple:
        """(generator, discriminator or None) for a size's spec."""
        raise NotImplementedError

    # ---------------------------------------------------------------- shapes
    @property
    def image_shape(self) -> tuple[int, int, int]:
        """The high-resolution training shape (the generator itself takes any size)."""
        return self._image_shape

    @property
    def source_shape(self) -> tuple[int, int, int]:
        """The low-resolution training shape."""
        height, width, channels = self._image_shape
        return (height // self.scale, width // self.scale, channels)

    # -------------------------------------------------------------- training
    def unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                f"{type(self).__name__} trains on (low-resolution, high-resolution) image pairs, "
                "e.g. kerasgan.data.pipeline('emoji-sr-4x') or kerasgan.data.from_pairs("
                "small_images, large_images). Received a batch of "
                f"{'a single tensor' if not isinstance(data, (tuple, list)) else len(data)} "
                "element(s).")
        return data[0], data[1]

    def content_loss(self, target, upscaled):
        """The content term: pixel MSE (SRResNet's, and the paper's SRGAN-MSE)."""
        return self.pixel_loss(target, upscaled)

    # ------------------------------------------------------------- upscaling
    def check_images(self, images) -> tuple[np.ndarray, bool]:
        """(images as float32 in [-1, 1] with the model's channels, whether they came in
        gray on an RGB model). uint8 in [0, 255] or floats in [-1, 1]; `(N, H, W, C)`,
        or `(N, H, W)` for one channel."""
        images = np.asarray(images)
        channels = self._image_shape[-1]
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in {1, channels} or 0 in images.shape:
            accepted = f"{channels}" + (" or 1 (gray)" if channels == 3 else "")
            raise ValueError(f"Expected images of shape (N, H, W, C) with C = {accepted}, any H "
                             f"and W. Received: shape={images.shape}")
        if images.dtype == np.uint8:
            images = from_uint8(images)
        elif not np.issubdtype(images.dtype, np.floating):
            raise TypeError("Images must be uint8 in [0, 255] or float in [-1, 1]. Received: "
                            f"dtype={images.dtype}")
        else:
            low, high = float(np.min(images)), float(np.max(images))
            if not (np.isfinite(low) and np.isfinite(high)) or low < -1 - 1e-5 or high > 1 + 1e-5:
                raise ValueError("Float images must be in [-1, 1] (or pass uint8). Received: "
                                 f"values in [{low:g}, {high:g}]")
            images = images.astype(np.float32)
        gray = images.shape[-1] == 1 and channels == 3
        if gray:
            images = np.repeat(images, 3, axis=-1)
        return images, gray

    def upscale(self, images, *, batch_size: int = 64, output="uint8") -> np.ndarray:
        """Enlarges images by `scale` (from the EMA generator when there is one).

        Args:
            images: uint8 `(N, H, W, C)` in [0, 255] or floats in [-1, 1], any H and W;
                C is the model's channels, or 1 (gray) for an RGB model, upscaled as gray
                RGB and returned with one channel (the mean of the three).
            batch_size: images per generator call.
            output: "uint8" (NHWC in [0, 255]) or "float" (NHWC in [-1, 1]).

        Example:
        >>> sr = kerasgan.load("srresnet-emoji-4x")                 # doctest: +SKIP
        >>> sr.upscale(np.zeros((2, 16, 16, 3), np.uint8)).shape    # doctest: +SKIP
        (2, 64, 64, 3)
        """
        if output not in ("uint8", "float"):
            raise ValueError(f"output must be 'uint8' or 'float'. Received: {output!r}")
        batch_size = check_num_images(batch_size, "batch_size")
        images, gray = self.check_images(images)
        n, height, width, channels = images.shape
        out_pixels = height * self.scale * width * self.scale
        # The widest activation: `filters * 4` channels at half the output size, per image.
        filters = int(self.generator.layers[1].filters)
        check_memory(min(n, batch_size) * out_pixels * filters * 4 * 3 + n * out_pixels * channels,
                     f"upscaling {n} images of {height}x{width}",
                     f"images of shape {images.shape}, batch_size={batch_size}")
        run = self._generator_function()
        out = np.concatenate([run(tf.constant(images[i:i + batch_size])).numpy()
                              for i in range(0, n, batch_size)]).astype(np.float32)
        if gray:
            out = out.mean(axis=-1, keepdims=True)
        return out if output == "float" else to_uint8(out)

    def translate(self, images, **kwargs) -> np.ndarray:
        """`upscale` under the image-to-image name."""
        return self.upscale(images, **kwargs)

    def generate(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} enlarges images rather than sampling them: "
                        "use gan.upscale(images).")

    def make_latents(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} has no latents: it upscales images.")

    def example_inputs(self, num_images: int, seed=None) -> dict:
        """Random uint8 low-resolution images (fixed by `seed`), for golden outputs."""
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, (int(num_images), *self.source_shape), np.uint8)}

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        return self.upscale(inputs["images"], output=output)

    def preview(self, inputs: dict) -> np.ndarray:
        """(bicubic upscale, model's upscale) side by side for each input."""
        from kerasgan.data import bicubic_upscale
        from kerasgan.utils import image_grid

        sources, _ = self.check_images(inputs["images"])
        bicubic = bicubic_upscale(to_uint8(sources), self.scale)
        pairs = np.stack([bicubic, self.generate_from(inputs)], axis=1)
        return image_grid(pairs.reshape(-1, *pairs.shape[2:]), cols=8)

    # --------------------------------------------------------- serialization
    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "augment", "unrolled_steps", "unrolled_learning_rate",
                    "simultaneous_updates", "d_steps"):
            config.pop(key, None)
        config.update(scale=self.scale, image_shape=list(self._image_shape))
        return config
