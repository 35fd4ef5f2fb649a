"""StackGAN (Zhang et al. 2017): text to image in two stages.

- A text encoder turns a caption's token ids into a text embedding; conditioning
  augmentation (CA) maps it to a Gaussian N(mu, sigma) and samples the condition
  c = mu + sigma * eps, with a KL(N(mu, sigma) || N(0, I)) penalty on G.
- Stage I draws a low-resolution image from [z, c]; stage II re-reads that image
  with c through residual blocks and draws the full-resolution one.
- The discriminator is matching-aware: real images with their own caption are
  "real"; generated images, and real images with another image's caption, are "fake".
  It has one head per stage (stage-I and stage-II images, each with the caption).

Departures from the paper, for a self-contained, CPU-sized model: the text
encoder is a small bag-of-words network trained with the GAN (the paper uses a
pretrained char-CNN-RNN), both stages are trained jointly end to end (as in
StackGAN++) instead of one after the other, CA's noise eps is the tail of the
latent vector, so one latent vector fixes an image exactly, and each
discriminator head adds a projection term (Miyato & Koyama 2018) to the
paper's concatenation of the text code: without it, the glyph model had
learned no text conditioning after 1,400 steps (the classifier read the
captioned character in 2.7% of images, chance 1.6%).

Captions are tokenized by a `keras.layers.TextVectorization` (lower case, ASCII
punctuation stripped, split on whitespace) over the vocabulary stored in the
config; token 0 pads and token 1 stands for unknown words.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GAN, GroupLosses

# TextVectorization's punctuation class (keras.src.layers.preprocessing.text_vectorization).
PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'

SIZES = {
    "small": {"base_filters": 16, "text_dim": 64, "condition_dim": 32, "noise_dim": 64},
    "base": {"base_filters": 64, "text_dim": 128, "condition_dim": 64, "noise_dim": 100},
}


@keras.saving.register_keras_serializable(package="kerasgan")
class ConditioningAugmentation(layers.Layer):
    """[text features, latents] -> [noise z, condition c, mu, log_variance].

    The latents hold z followed by CA's eps (`condition_dim` values), so the
    condition c = mu + exp(log_variance / 2) * eps is a function of the inputs.
    """

    def __init__(self, noise_dim: int, condition_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.noise_dim = int(noise_dim)
        self.condition_dim = int(condition_dim)
        self.moments = layers.Dense(2 * self.condition_dim, name="moments")

    def build(self, input_shape):
        self.moments.build(input_shape[0])

    def call(self, inputs):
        text_features, latents = inputs
        moments = keras.ops.leaky_relu(self.moments(text_features), 0.2)
        mu = moments[:, :self.condition_dim]
        log_variance = moments[:, self.condition_dim:]
        noise = latents[:, :self.noise_dim]
        eps = latents[:, self.noise_dim:]
        condition = mu + keras.ops.exp(0.5 * log_variance) * eps
        return noise, condition, mu, log_variance

    def compute_output_shape(self, input_shape):
        batch = input_shape[0][0]
        return ((batch, self.noise_dim), (batch, self.condition_dim),
                (batch, self.condition_dim), (batch, self.condition_dim))

    def get_config(self):
        return {**super().get_config(), "noise_dim": self.noise_dim,
                "condition_dim": self.condition_dim}


def _text_features(token_ids, vocabulary_size, text_dim, prefix):
    """Bag of words: masked mean of word embeddings, then a Dense layer.

    Word vectors start at unit scale (Keras's default is uniform in +-0.05): from tiny
    ones, the text reached both networks only as a faint signal next to CA's unit
    noise, and the text conditioning was slow to start."""
    embedded = layers.Embedding(vocabulary_size, text_dim, mask_zero=True,
                                embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
                                name=f"{prefix}_word_embedding")(token_ids)
    pooled = layers.GlobalAveragePooling1D(name=f"{prefix}_pool")(embedded)
    return layers.Dense(text_dim, activation="leaky_relu", name=f"{prefix}_text_features")(pooled)


def _tile(vector, height, width, name):
    """(N, D) -> (N, height, width, D)."""
    x = layers.RepeatVector(height * width, name=f"{name}_repeat")(vector)
    return layers.Reshape((height, width, int(vector.shape[-1])), name=name)(x)


def _conv_bn_relu(x, filters, name, kernel=3, upsample=False):
    # Upsampling by a strided transposed convolution rather than UpSampling2D + conv:
    # Keras's nearest-neighbour upsampling leaves the height unknown in the traced
    # graph, which LiteRT's converter rejects.
    conv = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                                  name=f"{name}_conv") if upsample else layers.Conv2D(
        filters, kernel, padding="same", use_bias=False, name=f"{name}_conv")
    x = conv(x)
    x = layers.BatchNormalization(synchronized=True, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_stackgan_generator(vocabulary_size, max_caption_length=8, image_shape=(32, 32, 1),
                             base_filters=32, text_dim=64, condition_dim=32, noise_dim=64,
                             name="generator") -> keras.Model:
    """[latents (noise_dim + condition_dim), token ids] -> image; stage I at half size."""
    height, width, channels = image_shape
    if height % 8 or width % 8:
        raise ValueError(f"StackGAN needs an image size divisible by 8. Received: {image_shape}")
    latents = keras.Input((noise_dim + condition_dim,), name="latents")
    token_ids = keras.Input((max_caption_length,), dtype="int32", name="token_ids")
    text = _text_features(token_ids, vocabulary_size, text_dim, "g")
    noise, condition, mu, log_variance = ConditioningAugmentation(
        noise_dim, condition_dim, name="conditioning_augmentation")([text, latents])
    # Stage I: [z, c] -> (H/2, W/2) image.
    x = layers.Concatenate(name="stage1_input")([noise, condition])
    x = layers.Dense((height // 8) * (width // 8) * base_filters * 4, use_bias=False,
                     name="stage1_project")(x)
    x = layers.BatchNormalization(synchronized=True, name="stage1_project_bn")(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((height // 8, width // 8, base_filters * 4))(x)
    for i, filters in enumerate((base_filters * 2, base_filters)):
        x = _conv_bn_relu(x, filters, f"stage1_up{i}", upsample=True)
    stage1 = layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32",
                           name="stage1_images")(x)
    # Stage II: re-read the stage-I image with the condition, refine, upsample.
    x = _conv_bn_relu(stage1, base_filters, "stage2_encode")
    x = layers.Concatenate(name="stage2_join")(
        [x, _tile(condition, height // 2, width // 2, "stage2_condition")])
    x = _conv_bn_relu(x, base_filters * 2, "stage2_joint")
    for i in range(2):
        shortcut = x
        y = _conv_bn_relu(x, base_filters * 2, f"stage2_residual{i}_a")
        y = layers.Conv2D(base_filters * 2, 3, padding="same", use_bias=False,
                          name=f"stage2_residual{i}_b_conv")(y)
        y = layers.BatchNormalization(synchronized=True, name=f"stage2_residual{i}_b_bn")(y)
        x = layers.ReLU()(layers.Add(name=f"stage2_residual{i}")([shortcut, y]))
    x = _conv_bn_relu(x, base_filters, "stage2_up", upsample=True)
    images = layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32",
                           name="images")(x)
    return keras.Model([latents, token_ids], images, name=name)


def build_stackgan_discriminator(vocabulary_size, max_caption_length=8, image_shape=(32, 32, 1),
                                 base_filters=32, text_dim=64, condition_dim=32,
                                 name="discriminator", **_) -> keras.Model:
    """[image, stage-I image, token ids] -> logits (N, 2): one per stage, each
    judging the image together with the caption."""
    height, width, channels = image_shape
    images = keras.Input(tuple(image_shape), name="images")
    stage1_images = keras.Input((height // 2, width // 2, channels), name="stage1_images")
    token_ids = keras.Input((max_caption_length,), dtype="int32", name="token_ids")
    text = _text_features(token_ids, vocabulary_size, text_dim, "d")
    code = layers.Dense(condition_dim, activation="leaky_relu", name="d_text_code")(text)

    def head(x, num_downsamples, prefix):
        for i in range(num_downsamples):
            x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same",
                              name=f"{prefix}_down{i}")(x)
            x = layers.LeakyReLU(0.2)(x)
        size = x.shape[1:3]
        x = layers.Concatenate(name=f"{prefix}_join")(
            [x, _tile(code, size[0], size[1], f"{prefix}_text")])
        x = layers.Conv2D(base_filters * 2 ** (num_downsamples - 1), 1, name=f"{prefix}_joint")(x)
        features = layers.Flatten()(layers.LeakyReLU(0.2)(x))
        # Plus a projection term <embed(text), features> (Miyato & Koyama 2018): with
        # concatenation alone D learned no text conditioning in 1,400 steps.
        projection = layers.Dot(axes=1, name=f"{prefix}_projection")(
            [features, layers.Dense(int(features.shape[-1]), name=f"{prefix}_text_projection")(code)])
        return layers.Add(name=f"{prefix}_logit")(
            [layers.Dense(1, name=f"{prefix}_unconditional_logit")(features), projection])

    logits = layers.Concatenate(name="logits", dtype="float32")(
        [head(stage1_images, 2, "stage1"), head(images, 3, "stage2")])
    return keras.Model([images, stage1_images, token_ids], logits, name=name)


@register_variant("stackgan")
class StackGAN(GAN):
    """Text-to-image GAN. Train on `(images, captions)` batches (captions: strings).

    Args:
        generator, discriminator: from `build_stackgan_generator` / `_discriminator`.
        vocabulary: the caption words (without the padding and unknown tokens).
        kl_weight: weight of CA's KL penalty (averaged over the condition's
            dimensions) in the generator loss (paper: 2.0).
        mode_seeking_weight: weight of the mode-seeking term (MSGAN, Mao et al.
            2019) in the generator loss: the generator's batch pairs each caption
            with two latent vectors and is rewarded for drawing two different
            images, `1 / (mean |G(c, z1) - G(c, z2)| / mean |z1 - z2| + 1e-5)`.
            0 (the default) leaves it out. Without it, the glyph model drew one
            font per caption (recall 0.009 on held-out fonts).
        captions: example captions (e.g. the training set's distinct captions);
            `generate` cycles through them when no caption is given.

    A caption has 1 to `max_caption_length` words (8 by default); `generate`
    refuses empty and longer ones.

    Example:
    >>> images, labels = kerasgan.glyphs.load_glyphs("train")           # doctest: +SKIP
    >>> captions = kerasgan.glyphs.glyph_captions(labels)              # doctest: +SKIP
    >>> gan = StackGAN.from_size("small", captions=kerasgan.glyphs.CAPTIONS)  # doctest: +SKIP
    >>> gan.compile()                                                  # doctest: +SKIP
    >>> gan.fit(kerasgan.data.from_captions(images, captions), epochs=5)  # doctest: +SKIP
    >>> gan.generate(4, captions="latin small letter g", seed=0)       # doctest: +SKIP
    """

    task = "text-to-image"

    def __init__(self, generator, discriminator, *, vocabulary, kl_weight: float = 2.0,
                 mode_seeking_weight: float = 0.0, captions=None, **kwargs):
        kwargs.pop("latent_dim", None)
        super().__init__(generator, discriminator, **kwargs)
        if kl_weight < 0:
            raise ValueError(f"kl_weight must be >= 0. Received: kl_weight={kl_weight}")
        self.kl_weight = float(kl_weight)
        if mode_seeking_weight < 0:
            raise ValueError("mode_seeking_weight must be >= 0. Received: "
                             f"mode_seeking_weight={mode_seeking_weight}")
        self.mode_seeking_weight = float(mode_seeking_weight)
        self.vocabulary = [str(w) for w in vocabulary]
        self.max_caption_length = int(self.generator.inputs[1].shape[-1])
        expected = len(self.vocabulary) + 2
        embedding = self.generator.get_layer("g_word_embedding")
        if int(embedding.input_dim) != expected:
            raise ValueError(
                f"The generator's word embedding has {embedding.input_dim} rows but the "
                f"vocabulary gives {expected} tokens ({len(self.vocabulary)} words + padding + "
                "unknown).")
        self.captions = [str(c) for c in captions] if captions is not None else None
        self.tokenizer = layers.TextVectorization(
            standardize="lower_and_strip_punctuation", split="whitespace", output_mode="int",
            output_sequence_length=self.max_caption_length, vocabulary=self.vocabulary,
            name="tokenizer")
        self.tokenizer.build((None,))  # export tracks only built layers
        # Its inner StringLookup too: with any layer unbuilt, Keras's fit under a
        # tf.distribute strategy tries to build the model by calling it on the images.
        for layer in self.tokenizer._flatten_layers(include_self=False):
            if not layer.built:
                layer.build((None,))
        augmentation = self.generator.get_layer("conditioning_augmentation")
        self.noise_dim = augmentation.noise_dim
        self.condition_dim = augmentation.condition_dim
        self.stages = keras.Model(
            self.generator.inputs,
            [self.generator.get_layer("stage1_images").output, self.generator.outputs[0],
             *augmentation.output[2:]],
            name="stages")

    @classmethod
    def from_size(cls, size="small", *, vocabulary=None, captions=None, image_shape=(32, 32, 1),
                  max_caption_length: int = 8, **kwargs):
        """A new, untrained model. The vocabulary defaults to the words of `captions`."""
        from kerasgan.models import check_size

        if vocabulary is None:
            if captions is None:
                raise ValueError("StackGAN.from_size needs `vocabulary` or `captions`.")
            vocabulary = vocabulary_of(captions)
        spec = check_size(SIZES, size)
        generator = build_stackgan_generator(len(vocabulary) + 2, max_caption_length,
                                             tuple(image_shape), **spec)
        discriminator = build_stackgan_discriminator(len(vocabulary) + 2, max_caption_length,
                                                     tuple(image_shape), **spec)
        return cls(generator, discriminator, vocabulary=vocabulary, captions=captions, **kwargs)

    def set_augment(self, augment):
        if augment not in (None, "none"):
            raise ValueError("StackGAN does not support discriminator augmentation yet. "
                             f"Received: augment={augment!r}")
        self.augment = None

    # ------------------------------------------------------------- training
    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`; a `tf.data.Dataset` of `(images, caption strings)` is
        tokenized in its own pipeline first. Under a strategy with several replicas,
        Keras splits each batch across them with ops that refuse strings."""
        x = self.tokenized(x)
        if "validation_data" in kwargs:
            kwargs["validation_data"] = self.tokenized(kwargs["validation_data"])
        return super().fit(x, *args, **kwargs)

    def tokenized(self, dataset):
        """`dataset` with string captions replaced by token ids (anything else as is)."""
        if not isinstance(dataset, tf.data.Dataset):
            return dataset
        spec = dataset.element_spec
        if not (isinstance(spec, tuple) and len(spec) == 2 and spec[1].dtype == tf.string):
            return dataset
        return dataset.map(lambda images, captions: (images, self.tokenizer(captions)),
                           num_parallel_calls=tf.data.AUTOTUNE)

    def unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                "StackGAN trains on (images, captions) batches, e.g. "
                "kerasgan.data.from_captions(images, captions).")
        images, captions = data
        if captions.dtype == tf.string:
            captions = self.tokenizer(captions)
        return images, tf.cast(captions, tf.int32)

    def _stage1(self, images):
        return tf.nn.avg_pool2d(images, 2, 2, "VALID")

    UNROLLABLE = False
    LOSS_TERMS = {"d": ("loss",), "g": ("loss", "kl")}

    def loss_term_names(self, group):
        names = super().loss_term_names(group)
        return names + ("mode_seeking",) if group == "g" and self.mode_seeking_weight else names
    # Its discriminator also judges the stage-I image: a penalty on interpolates of the
    # full image alone would not see that head.
    PENALTY_GROUPS = ()

    def loss_terms(self, group, batch, training=True):
        """`d`: matching-aware (real image + own caption real; generated image, and real
        image + another image's caption, fake). `g`: fool both heads, plus CA's KL term."""
        real, token_ids = batch
        batch_size = tf.shape(real)[0]
        latents = self.sample_latents(batch_size)
        if group == "d":
            stage1_fake, fake, _, _ = self.stages([latents, token_ids], training=training)
            stage1_fake, fake = tf.stop_gradient(stage1_fake), tf.stop_gradient(fake)
            stage1_real = self._stage1(real)
            wrong_ids = mismatched_captions(token_ids)
            real_logits = self.discriminator([real, stage1_real, token_ids], training=training)
            fake_logits = self.discriminator([fake, stage1_fake, token_ids], training=training)
            wrong_logits = self.discriminator([real, stage1_real, wrong_ids], training=training)
            # Fakes and mismatched reals share the "fake" half: weight 1/2 each (the paper's).
            return GroupLosses({"loss": self.d_loss_fn.discriminator_loss(
                real_logits, tf.concat([fake_logits, wrong_logits], 0))})
        if self.mode_seeking_weight:
            # Pairs: the second half repeats the first half's captions with other latents.
            half = batch_size // 2
            token_ids = tf.concat([token_ids[:half], token_ids[:half],
                                   token_ids[2 * half:]], 0)
        stage1_fake, fake, mu, log_variance = self.stages([latents, token_ids], training=training)
        fake_logits = self.discriminator([fake, stage1_fake, token_ids], training=training)
        # Averaged over the condition's dimensions, as the authors' code does (a sum
        # would outweigh the adversarial loss and erase the text).
        kl_per_example = 0.5 * tf.reduce_mean(
            tf.exp(log_variance) + tf.square(mu) - 1.0 - log_variance, axis=-1)
        terms = {"loss": self.g_loss_fn.generator_loss(fake_logits),
                 "kl": self.global_mean(kl_per_example)}
        if self.mode_seeking_weight:
            terms["mode_seeking"] = self.mode_seeking_term(fake, latents, half)
        return GroupLosses(terms)

    def mode_seeking_term(self, fake, latents, half):
        """MSGAN's term for the pairs (row i, row half + i): the inverse of the image
        distance per latent distance, so minimizing it spreads a caption's images.
        Per pair, then the global-batch mean."""
        image_distance = tf.reduce_mean(tf.abs(fake[:half] - fake[half:2 * half]), axis=[1, 2, 3])
        latent_distance = tf.reduce_mean(tf.abs(latents[:half] - latents[half:2 * half]), axis=1)
        ratio = tf.cast(image_distance, tf.float32) / latent_distance
        return self.global_mean(1.0 / (ratio + 1e-5))

    def loss_weights(self, group):
        return {"kl": self.kl_weight, "mode_seeking": self.mode_seeking_weight} \
            if group == "g" else {}

    # ------------------------------------------------------------ generation
    def tokenize(self, captions) -> np.ndarray:
        """Token ids (int32 `(N, max_caption_length)`) of a caption or list of captions."""
        return self.tokenizer(tf.constant(self.check_captions(captions))).numpy().astype(np.int32)

    def check_captions(self, captions) -> np.ndarray:
        captions = np.asarray([captions] if isinstance(captions, str) else captions)
        if captions.ndim != 1 or not (captions.dtype.kind in "US" or captions.dtype == object):
            raise TypeError(
                "Captions must be a string or a list of strings. Received: "
                f"shape={captions.shape}, dtype={captions.dtype}")
        return captions.astype(str)

    def unknown_words(self, captions) -> list[str]:
        """Words of `captions` outside the vocabulary (they map to the unknown token)."""
        words = {w for c in self.check_captions(captions) for w in caption_words(c)}
        return sorted(words - set(self.vocabulary))

    def prepare_labels(self, captions, num_images):
        """Captions -> token ids, one caption per image (a single one is repeated).
        With none, cycles through `self.captions`."""
        if captions is None:
            if not self.captions:
                raise ValueError("This StackGAN stores no example captions; pass captions=...")
            captions = [self.captions[i % len(self.captions)] for i in range(num_images)]
        captions = self.check_captions(captions)
        if len(captions) == 1:
            captions = np.repeat(captions, num_images)
        if captions.shape != (num_images,):
            raise ValueError(f"Expected one caption per image ({num_images}). "
                             f"Received: {len(captions)} captions")
        self._check_caption_lengths(captions)
        unknown = self.unknown_words(captions)
        if unknown:
            import difflib

            hints = {w: difflib.get_close_matches(w, self.vocabulary, n=3) for w in unknown}
            raise ValueError(
                f"Unknown words in the captions: {', '.join(unknown)}. Closest known words: "
                + "; ".join(f"{w} -> {', '.join(h) or '(none)'}" for w, h in hints.items())
                + f". The vocabulary has {len(self.vocabulary)} words (gan.vocabulary).")
        return self.tokenize(captions)

    def _check_caption_lengths(self, captions):
        """A caption without words would make the text encoder average nothing (NaN, then
        black images); one longer than the model reads would be cut without a word."""
        for caption in map(str, captions):
            count = len(caption_words(caption))
            if count == 0:
                raise ValueError(
                    "A caption has no words (after lower-casing and removing punctuation), so "
                    "there is nothing to draw. Give every image a caption, e.g. "
                    f"{(self.captions or ['a caption'])[0]!r}. Received: caption={caption!r}")
            if count > self.max_caption_length:
                raise ValueError(
                    f"Captions can have at most {self.max_caption_length} words "
                    "(max_caption_length); this model would ignore the rest. Shorten it. "
                    f"Received: caption={caption!r} ({count} words)")

    def generator_inputs(self, latents, token_ids):
        return [latents, token_ids]

    def generate(self, num_images=None, captions=None, *, latents=None, seed=None,
                 truncation=None, batch_size: int = 256, output="uint8") -> np.ndarray:
        """Images for captions (from the EMA generator when there is one).

        Args:
            num_images: how many images (default 16); latents `(N, noise_dim +
                condition_dim)` may be passed here too, or as `latents=`.
            captions: a caption (repeated) or one per image; default: cycle through
                `gan.captions`. Each needs 1 to `max_caption_length` words from
                `gan.vocabulary`.
            latents, seed, truncation, batch_size, output: as in `GAN.generate`.
        """
        return super().generate(num_images, captions, latents=latents, seed=seed,
                                truncation=truncation, batch_size=batch_size, output=output)

    def preview(self, inputs: dict) -> np.ndarray:
        """A grid of the outputs for `inputs`, each with its caption written under it."""
        from kerasgan.utils import image_grid

        return image_grid(self.generate_from(inputs),
                          captions=[str(c) for c in inputs["captions"]])

    def example_inputs(self, num_images: int, seed=None) -> dict:
        inputs = {"latents": self.make_latents(num_images, seed)}
        n = len(self.captions or [])
        inputs["captions"] = np.asarray(
            [self.captions[i % n] for i in range(num_images)] if n else ["a"] * num_images)
        return inputs

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        return self.generate(inputs["latents"], [str(c) for c in inputs["captions"]],
                             output=output)

    # --------------------------------------------------------- serialization
    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "augment"):
            config.pop(key, None)
        config.update({"vocabulary": self.vocabulary, "kl_weight": self.kl_weight,
                       "mode_seeking_weight": self.mode_seeking_weight,
                       "captions": self.captions})
        return config


def mismatched_captions(token_ids):
    """Each image's neighbour's caption (rows 0-1, 2-3, ... swapped; an odd last row takes
    the first row's). Pairs, not a roll over the batch: under `tf.distribute` each replica
    holds an even slice of the global batch, so the replicas together build exactly the
    mismatched pairs one device would (a roll wraps around within each replica's slice)."""
    n = tf.shape(token_ids)[0]
    even = n // 2 * 2
    length = tf.shape(token_ids)[1]
    swapped = tf.reshape(tf.reverse(tf.reshape(token_ids[:even], [-1, 2, length]), axis=[1]),
                         [-1, length])
    return tf.concat([swapped, token_ids[:n - even]], axis=0)


def caption_words(caption: str) -> list[str]:
    """The words the tokenizer sees: lower case, ASCII punctuation removed, split on
    whitespace (what TextVectorization's "lower_and_strip_punctuation" does)."""
    return re.sub(PUNCTUATION, "", caption.lower()).split()


def vocabulary_of(captions) -> list[str]:
    """The distinct words of `captions`, most frequent first (ties alphabetical)."""
    from collections import Counter

    counts = Counter(w for c in captions for w in caption_words(str(c)))
    return sorted(counts, key=lambda w: (-counts[w], w))
