"""Serving modules: a model's sampling network(s) and its serving functions
(`tf.function`s with input signatures), one class per kind of input. A task picks
its module; `kerasgan.export` writes whichever it gets.

- SavedModel (`check_inputs=True`): bad inputs fail the request with an Assert
  message (latent size, non-finite latents, labels out of range, empty or too long
  captions, codes out of range).
- LiteRT / ONNX (`check_inputs=False`) have no Assert op: latent models return a
  second output `valid` (bool per image), False where the image's inputs were
  invalid, and that image is black rather than one of another class (a label of -1
  would otherwise wrap around to the last class).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


from kerasgan.utils import tensor_from_uint8
from kerasgan.utils import tensor_to_uint8 as to_uint8


def gated(tensors, checks):
    """`tensors` made to depend on `checks`, so a bad input fails with our message before
    any op of the network (e.g. an embedding's gather) fails with its own."""
    with tf.control_dependencies(checks):
        return [tf.identity(t) for t in tensors]


def checked_images(images, shape):
    """uint8 images gated on their shape being `(N, *shape)`."""
    expected = ", ".join(str(d) for d in shape)
    return gated([images], [tf.debugging.assert_equal(
        tf.shape(images)[1:], tf.constant(shape, tf.int32),
        message=f"images must have shape [N, {expected}] (uint8)")])[0]


class ServingModule:
    """Base: `endpoints` maps signature names to tf.functions; `tracked` lists the Keras
    objects whose variables the export must hold."""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        self.check_inputs = check_inputs
        self.strings = strings
        self.generator = gan.sampling_generator
        self.tracked = [self.generator]
        self.endpoints = {}
        #: LiteRT / ONNX: endpoints written to `<name>.<endpoint>.tflite|onnx` beside the
        #: main file (which holds `serving_default`).
        self.separate_files = []


class LatentServing(ServingModule):
    """Latent models: `serving_default(latents, *conditions)`, `sample(seed, num_images,
    *conditions)` and `sample_truncated(seed, num_images, truncation, *conditions)`.

    Subclasses add conditioning inputs with `condition_specs`, `condition_checks`,
    `condition_validity` and `generator_inputs`.
    """

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        super().__init__(gan, check_inputs, strings)
        self.latent_dim = int(gan.latent_dim)
        self.setup(gan)
        spec_z = tf.TensorSpec([None, self.latent_dim], tf.float32, name="latents")
        spec_seed = tf.TensorSpec([], tf.int64, name="seed")
        spec_n = tf.TensorSpec([], tf.int32, name="num_images")
        spec_t = tf.TensorSpec([], tf.float32, name="truncation")
        specs = self.condition_specs()
        self.endpoints["serving_default"] = tf.function(self.images,
                                                        input_signature=[spec_z, *specs])
        if check_inputs:  # LiteRT and ONNX files hold one signature
            self.endpoints["sample"] = tf.function(
                lambda seed, num_images, *c: self.images(self.latents(seed, num_images), *c),
                input_signature=[spec_seed, spec_n, *specs])
            self.endpoints["sample_truncated"] = tf.function(
                lambda seed, num_images, truncation, *c: self.images(
                    self.truncated_latents(seed, num_images, truncation), *c),
                input_signature=[spec_seed, spec_n, spec_t, *specs])

    # ---- hooks for conditioning inputs
    def setup(self, gan):
        """Reads what the module needs from the model (class count, tokenizer...)."""

    def condition_specs(self) -> list:
        return []

    def condition_checks(self, latents, *conditions) -> list:
        return []

    def condition_validity(self, latents, *conditions):
        """(valid bool[N], conditions made safe to feed the generator)."""
        return tf.ones(tf.shape(latents)[:1], tf.bool), list(conditions)

    def generator_inputs(self, latents, *conditions):
        return latents

    # ---- shared
    def latent_checks(self, latents) -> list:
        return [tf.debugging.assert_equal(tf.shape(latents)[1], self.latent_dim,
                                          message=f"latents must have shape [N, {self.latent_dim}]"),
                tf.debugging.assert_equal(
                    tf.reduce_all(tf.math.is_finite(latents)), True,
                    message="latents must be finite (NaN or inf give black images)")]

    def images(self, latents, *conditions):
        if not self.check_inputs:
            return self.flagged(latents, *conditions)
        checks = [*self.latent_checks(latents), *self.condition_checks(latents, *conditions)]
        latents, *conditions = gated([latents, *conditions], checks)
        return {"images": to_uint8(self.generator(self.generator_inputs(latents, *conditions),
                                                  training=False))}

    def flagged(self, latents, *conditions):
        valid = tf.reduce_all(tf.abs(latents) < np.inf, axis=1)  # False for NaN and inf
        latents = tf.where(valid[:, None], latents, tf.zeros_like(latents))
        conditions_valid, conditions = self.condition_validity(latents, *conditions)
        valid = valid & conditions_valid
        images = tf.cast(self.generator(self.generator_inputs(latents, *conditions),
                                        training=False), tf.float32)
        # -1 is black; selected in float32, which LiteRT's select supports (uint8 it doesn't).
        images = tf.where(valid[:, None, None, None], images, -tf.ones_like(images))
        return {"images": to_uint8(images), "valid": valid}

    def latents(self, seed, num_images):
        if self.check_inputs:
            tf.debugging.assert_positive(num_images, message="num_images must be > 0")
        return tf.random.stateless_normal(tf.stack([num_images, self.latent_dim]),
                                          seed=tf.stack([seed, tf.constant(0, tf.int64)]))

    def truncated_latents(self, seed, num_images, truncation):
        """Latents with every |z| > truncation resampled (as `GAN.make_latents` does)."""
        tf.debugging.assert_positive(truncation, message="truncation must be > 0")
        latents = self.latents(seed, num_images)

        def outside(z):
            return tf.abs(z) > truncation

        def resample(i, z):
            fresh = tf.random.stateless_normal(tf.shape(z),
                                               seed=tf.stack([seed, tf.cast(i, tf.int64)]))
            return i + 1, tf.where(outside(z), fresh, z)

        _, latents = tf.while_loop(
            lambda i, z: tf.logical_and(tf.reduce_any(outside(z)), i < 10_000),
            resample, [tf.constant(1), latents])
        return tf.clip_by_value(latents, -truncation, truncation)


class LabelServing(LatentServing):
    """Class-conditional: an extra `labels: int32[None]` input."""

    def setup(self, gan):
        self.num_classes = int(gan.num_classes)

    def condition_specs(self):
        return [tf.TensorSpec([None], tf.int32, name="labels")]

    def condition_checks(self, latents, labels):
        return [tf.debugging.assert_equal(tf.shape(labels)[0], tf.shape(latents)[0],
                                          message="labels must have one entry per image"),
                tf.debugging.assert_greater_equal(labels, 0, message="labels must be >= 0"),
                tf.debugging.assert_less(
                    labels, self.num_classes,
                    message=f"labels must be < num_classes ({self.num_classes})")]

    def condition_validity(self, latents, labels):
        valid = (labels >= 0) & (labels < self.num_classes)
        return valid, [tf.where(valid, labels, tf.zeros_like(labels))]

    def generator_inputs(self, latents, labels):
        return [latents, labels]


class CodeServing(LatentServing):
    """InfoGAN: `category: int32[None]` and `continuous: float32[None, num_continuous]`."""

    def setup(self, gan):
        from kerasgan.models.infogan import CONTINUOUS_LIMIT

        self.num_categories = int(gan.num_categories)
        self.num_continuous = int(gan.num_continuous)
        self.limit = float(CONTINUOUS_LIMIT)

    def condition_specs(self):
        return [tf.TensorSpec([None], tf.int32, name="category"),
                tf.TensorSpec([None, self.num_continuous], tf.float32, name="continuous")]

    def condition_checks(self, latents, category, continuous):
        n = tf.shape(latents)[0]
        return [
            tf.debugging.assert_equal(tf.shape(category)[0], n,
                                      message="category must have one entry per image"),
            tf.debugging.assert_equal(tf.shape(continuous)[0], n,
                                      message="continuous must have one row per image"),
            tf.debugging.assert_greater_equal(category, 0, message="category must be >= 0"),
            tf.debugging.assert_less(
                category, self.num_categories,
                message=f"category must be < num_categories ({self.num_categories})"),
            tf.debugging.assert_less_equal(
                tf.reduce_max(tf.abs(continuous)), self.limit,
                message=f"continuous codes must be within [-{self.limit:g}, {self.limit:g}]")]

    def condition_validity(self, latents, category, continuous):
        valid = ((category >= 0) & (category < self.num_categories)
                 & tf.reduce_all(tf.abs(continuous) <= self.limit, axis=1))
        return valid, [tf.where(valid, category, tf.zeros_like(category)),
                       tf.where(valid[:, None], continuous, tf.zeros_like(continuous))]

    def generator_inputs(self, latents, category, continuous):
        return [latents, tf.concat([tf.one_hot(category, self.num_categories), continuous], 1)]


class StyleServing(LatentServing):
    """Style-based models (StyleGAN): the latent endpoints, with `sample_truncated` the
    truncation trick in W (psi in [0, 1]), plus `truncated(latents, truncation)` and
    `mix_styles(latents_a, latents_b, crossover)`."""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        super().__init__(gan, check_inputs, strings)
        self.num_ws = int(gan.num_ws)
        self.truncated_model = gan.truncated_model()
        self.mixing_model = gan.mixing_model()
        self.tracked += [self.truncated_model, self.mixing_model]
        spec_z = tf.TensorSpec([None, self.latent_dim], tf.float32, name="latents")
        spec_t = tf.TensorSpec([], tf.float32, name="truncation")
        if check_inputs:
            self.endpoints["sample_truncated"] = tf.function(
                lambda seed, num_images, truncation: self.truncated(
                    self.latents(seed, num_images), truncation),
                input_signature=[tf.TensorSpec([], tf.int64, name="seed"),
                                 tf.TensorSpec([], tf.int32, name="num_images"), spec_t])
            self.endpoints["truncated"] = tf.function(self.truncated,
                                                      input_signature=[spec_z, spec_t])
            self.endpoints["mix_styles"] = tf.function(
                self.mix_styles, input_signature=[
                    tf.TensorSpec([None, self.latent_dim], tf.float32, name="latents_a"),
                    tf.TensorSpec([None, self.latent_dim], tf.float32, name="latents_b"),
                    tf.TensorSpec([], tf.int32, name="crossover")])

    def psi_checks(self, truncation):
        return [tf.debugging.assert_greater_equal(truncation, 0.0,
                                                  message="truncation (psi) must be in [0, 1]"),
                tf.debugging.assert_less_equal(truncation, 1.0,
                                               message="truncation (psi) must be in [0, 1]")]

    def truncated(self, latents, truncation):
        checks = [*self.latent_checks(latents), *self.psi_checks(truncation)]
        latents, truncation = gated([latents, truncation], checks)
        psi = tf.fill(tf.shape(latents)[:1], truncation)
        return {"images": to_uint8(self.truncated_model([latents, psi], training=False))}

    def mix_styles(self, latents_a, latents_b, crossover):
        message = f"crossover must be in [0, {self.num_ws}]"
        checks = [*self.latent_checks(latents_a), *self.latent_checks(latents_b),
                  tf.debugging.assert_equal(tf.shape(latents_a), tf.shape(latents_b),
                                            message="latents_a and latents_b must have the "
                                                    "same shape"),
                  tf.debugging.assert_greater_equal(crossover, 0, message=message),
                  tf.debugging.assert_less_equal(crossover, self.num_ws, message=message)]
        latents_a, latents_b, crossover = gated([latents_a, latents_b, crossover], checks)
        count = tf.shape(latents_a)[:1]
        images = self.mixing_model([latents_a, latents_b, tf.fill(count, crossover),
                                    tf.ones(count, tf.float32)], training=False)
        return {"images": to_uint8(images)}


class EncodingServing(LatentServing):
    """BiGAN: the latent signatures plus `encode(images: uint8[None, H, W, C])` -> latents."""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        self.encoder = gan.sampling_network("encoder")
        self.image_shape = tuple(gan.image_shape)
        super().__init__(gan, check_inputs, strings)
        self.tracked.append(self.encoder)
        # A LiteRT or ONNX file holds one signature: there `encode` goes to a file of its own.
        height, width = (None, None) if check_inputs else self.image_shape[:2]
        spec = tf.TensorSpec([None, height, width, self.image_shape[2]], tf.uint8, name="images")
        self.endpoints["encode"] = tf.function(self.encode, input_signature=[spec])
        if not check_inputs:
            self.separate_files = ["encode"]

    def encode(self, images):
        if self.check_inputs:
            images = checked_images(images, self.image_shape)
        scaled = tensor_from_uint8(images)
        return {"latents": tf.cast(self.encoder(scaled, training=False), tf.float32)}


class TextServing(LatentServing):
    """Text-to-image: `captions: string[None]` in a SavedModel, with the tokenizer and text
    encoder inside the graph, plus `from_token_ids`; `token_ids: int32[None, L]` in
    LiteRT and ONNX, which have no string ops (the client tokenizes, see
    `tokenizer_spec`)."""

    def setup(self, gan):
        self.tokenizer = gan.tokenizer
        self.max_caption_length = int(gan.max_caption_length)
        self.vocabulary_size = int(gan.tokenizer.vocabulary_size())
        self.ids_spec = tf.TensorSpec([None, self.max_caption_length], tf.int32,
                                      name="token_ids")

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        super().__init__(gan, check_inputs, strings)
        self.tracked.append(self.tokenizer)  # its vocabulary table
        if strings:
            spec_z = tf.TensorSpec([None, self.latent_dim], tf.float32, name="latents")
            self.endpoints["from_token_ids"] = tf.function(
                self.from_token_ids, input_signature=[spec_z, self.ids_spec])

    def condition_specs(self):
        if self.strings:
            return [tf.TensorSpec([None], tf.string, name="captions")]
        return [self.ids_spec]

    def token_ids(self, captions):
        return tf.cast(self.tokenizer(captions), tf.int32)

    def condition_checks(self, latents, captions_or_ids):
        if not self.strings:
            return self.id_checks(latents, captions_or_ids)
        from kerasgan.models.stackgan import PUNCTUATION

        captions = captions_or_ids
        token_ids = self.token_ids(captions)
        # The words the tokenizer sees (its standardize and split), before it keeps the
        # first max_caption_length of them.
        word_counts = tf.strings.split(tf.strings.regex_replace(
            tf.strings.lower(captions), PUNCTUATION, "")).row_lengths()
        too_long = word_counts > self.max_caption_length
        return [
            tf.debugging.assert_equal(tf.shape(captions)[0], tf.shape(latents)[0],
                                      message="captions must have one entry per image"),
            tf.debugging.Assert(
                tf.reduce_all(word_counts > 0),
                ["captions must not be empty: every caption needs at least one word. "
                 "Empty captions at positions:", tf.where(tf.equal(word_counts, 0))[:, 0]]),
            tf.debugging.Assert(
                tf.logical_not(tf.reduce_any(too_long)),
                [f"captions must have at most {self.max_caption_length} words "
                 "(max_caption_length); these are longer:", tf.boolean_mask(captions, too_long),
                 "with word counts", tf.boolean_mask(word_counts, too_long)]),
            tf.debugging.assert_equal(
                tf.reduce_any(tf.equal(token_ids, 1)), False,
                message="captions contain a word outside the vocabulary of the model "
                        "(listed in its model card)")]

    def id_checks(self, latents, token_ids):
        return [
            tf.debugging.assert_equal(tf.shape(token_ids)[0], tf.shape(latents)[0],
                                      message="token_ids must have one row per image"),
            tf.debugging.assert_equal(
                tf.reduce_all((token_ids >= 0) & (token_ids < self.vocabulary_size)), True,
                message=f"token_ids must be in [0, {self.vocabulary_size - 1}] (the vocabulary)"),
            # An all-padding row averages no word embeddings: NaN, then a black image.
            tf.debugging.assert_equal(
                tf.reduce_all(tf.reduce_any(token_ids > 0, axis=1)), True,
                message="every row of token_ids needs at least one word (a nonzero id)")]

    def condition_validity(self, latents, token_ids):
        # Ids the SavedModel accepts: in the vocabulary, not the unknown word (1), at
        # least one word per row.
        valid = tf.reduce_all((token_ids >= 0) & (token_ids < self.vocabulary_size)
                              & tf.not_equal(token_ids, 1), axis=1) & tf.reduce_any(
            token_ids > 1, axis=1)
        return valid, [tf.where(valid[:, None], token_ids, tf.fill(tf.shape(token_ids), 2))]

    def generator_inputs(self, latents, captions_or_ids):
        ids = self.token_ids(captions_or_ids) if self.strings else captions_or_ids
        return [latents, ids]

    def from_token_ids(self, latents, token_ids):
        checks = [*self.latent_checks(latents), *self.id_checks(latents, token_ids)]
        latents, token_ids = gated([latents, token_ids], checks)
        return {"images": to_uint8(self.generator([latents, token_ids], training=False))}


class TranslationServing(ServingModule):
    """Image-to-image: `translate(images: uint8[None, H, W, C])`, also `serving_default`.
    (In ONNX, where names must be unique, its output is `translated_images`.)"""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        super().__init__(gan, check_inputs, strings)
        self.source_shape = tuple(gan.source_shape)
        # With checks, height and width are left open so a wrong size reaches our assert
        # (and its message) instead of a bare signature-shape mismatch.
        height, width = (None, None) if check_inputs else self.source_shape[:2]
        spec = tf.TensorSpec([None, height, width, self.source_shape[2]], tf.uint8, name="images")
        translate = tf.function(self.translate, input_signature=[spec])
        self.endpoints = {"serving_default": translate, "translate": translate}

    def translate(self, images):
        if self.check_inputs:
            images = checked_images(images, self.source_shape)
        scaled = tensor_from_uint8(images)
        return {"images": to_uint8(self.generator(scaled, training=False))}


class UpscaleServing(ServingModule):
    """Super-resolution: `upscale(images: uint8[None, None, None, C])`, also
    `serving_default`, for any height and width (LiteRT / ONNX: the training input size,
    where a fixed shape keeps the converters' graphs static)."""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        super().__init__(gan, check_inputs, strings)
        self.channels = int(gan.source_shape[-1])
        height, width = (None, None) if check_inputs else gan.source_shape[:2]
        spec = tf.TensorSpec([None, height, width, self.channels], tf.uint8, name="images")
        upscale = tf.function(self.upscale, input_signature=[spec])
        self.endpoints = {"serving_default": upscale, "upscale": upscale}

    def upscale(self, images):
        if self.check_inputs:
            images = gated([images], [
                tf.debugging.assert_equal(tf.shape(images)[3], self.channels,
                                          message=f"images must have shape [N, H, W, "
                                                  f"{self.channels}] (uint8)"),
                tf.debugging.assert_greater(tf.reduce_prod(tf.shape(images)[1:3]), 0,
                                            message="images must not be empty")])[0]
        return {"images": to_uint8(self.generator(tensor_from_uint8(images), training=False))}


class UnpairedTranslationServing(ServingModule):
    """Two-domain translation: `translate_a2b(images: uint8[None, H, W, C])` (also
    `serving_default`) and `translate_b2a(images)`. A LiteRT or ONNX file holds one
    signature, so there `translate_b2a` goes to a file of its own."""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        super().__init__(gan, check_inputs, strings)
        self.translators = {"a2b": gan.translator("a2b"), "b2a": gan.translator("b2a")}
        self.shapes = {"a2b": tuple(gan.domain_shape("a")), "b2a": tuple(gan.domain_shape("b"))}
        self.tracked = list(self.translators.values())
        for direction, shape in self.shapes.items():
            height, width = (None, None) if check_inputs else shape[:2]
            spec = tf.TensorSpec([None, height, width, shape[2]], tf.uint8, name="images")
            self.endpoints[f"translate_{direction}"] = tf.function(
                self._translator_function(direction), input_signature=[spec])
        self.endpoints["serving_default"] = self.endpoints["translate_a2b"]
        if not check_inputs:
            self.separate_files = ["translate_b2a"]

    def _translator_function(self, direction):
        def translate(images):
            return self.translate(images, direction)
        return translate

    def translate(self, images, direction):
        if self.check_inputs:
            images = checked_images(images, self.shapes[direction])
        scaled = tensor_from_uint8(images)
        return {"images": to_uint8(self.translators[direction](scaled, training=False))}
