"""Export a generator for serving: SavedModel (TF Serving layout), LiteRT (TFLite), ONNX.

The exported files need only TensorFlow / the LiteRT interpreter / onnxruntime,
not kerasgan. Every signature returns uint8 NHWC images under the key `images`.

SavedModel signatures:
- `serving_default(latents: float32[None, latent_dim])`, plus `labels: int32[None]`
  for conditional models;
- image-to-image models (Pix2Pix): `translate(images: uint8[None, H, W, C])`,
  also as `serving_default`; the images' size is checked. (In ONNX, where names
  must be unique, its output is called `translated_images`.)
- text-to-image models (StackGAN): `serving_default(latents, captions: string[None])`
  with the tokenizer (TextVectorization) and text encoder inside the graph; a
  caption with a word outside the vocabulary is an error. LiteRT and ONNX have no
  string ops, so there the model takes `token_ids: int32[None, max_caption_length]`
  and `<name>.tokenizer.json` beside it holds the vocabulary and the rule that
  turns a caption into ids (no TensorFlow needed);
- `sample(seed: int64[], num_images: int32[])` (+ `labels: int32[None]` for
  conditional models, `captions: string[None]` for text-to-image ones): latents
  are drawn inside the graph with `tf.random.stateless_normal`, so they differ
  from `gan.generate(seed=...)`, which uses NumPy's generator;
- `sample_truncated(seed, num_images, truncation: float32[])` (+ `labels`): the
  same with the truncation trick (latent values beyond `truncation` resampled).
  A signature can't have optional inputs, so truncation is this second
  signature rather than an input of `sample`.

The SavedModel checks its inputs with Assert ops (a bad label, latent size, empty
or too long caption fails the request with a message). LiteRT and ONNX have no
Assert op, so their latent models return a second output, `valid` (bool, one per
image): False where the image's inputs were invalid (a label outside
[0, num_classes), a non-finite latent, token ids outside the vocabulary, unknown or
all padding), and that image is black instead of one of another class.

Example:
>>> kerasgan.export("dcgan-fashion-mnist", "serving", format="saved_model")   # doctest: +SKIP
PosixPath('serving/dcgan-fashion-mnist/1')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from kerasgan.utils import atomic_directory, atomic_write

FORMATS = ("saved_model", "tflite", "onnx")


def _to_uint8(images):
    return tf.cast(tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), 0, 255),
                   tf.uint8)


class GeneratorModule:
    """The sampling generator and its serving functions (tf.functions with signatures)."""

    def __init__(self, gan, check_inputs: bool = True, strings: bool = True):
        self.check_inputs = check_inputs
        self.generator = gan.sampling_generator
        self.tokenizer = None
        self.endpoints = ["serving_default", "sample", "sample_truncated"]
        if gan.task == "image-to-image":
            self.source_shape = tuple(gan.source_shape)
            # With checks, height and width are left open so a wrong size reaches our
            # assert (and its message) instead of a bare signature-shape mismatch.
            height, width = (None, None) if check_inputs else self.source_shape[:2]
            spec_images = tf.TensorSpec([None, height, width, self.source_shape[2]], tf.uint8,
                                        name="images")
            self.translate = tf.function(self._translate, input_signature=[spec_images])
            self.serving_default = self.translate  # one function, served under both names
            self.endpoints = ["serving_default", "translate"]
            return
        self.latent_dim = int(gan.latent_dim)
        spec_z = tf.TensorSpec([None, self.latent_dim], tf.float32, name="latents")
        spec_seed = tf.TensorSpec([], tf.int64, name="seed")
        spec_n = tf.TensorSpec([], tf.int32, name="num_images")
        spec_t = tf.TensorSpec([], tf.float32, name="truncation")
        if gan.task == "text-to-image":
            self._init_text(gan, strings, spec_z, spec_seed, spec_n, spec_t)
            return
        self.conditional = gan.task == "conditional"
        self.num_classes = int(getattr(gan, "num_classes", 0) or 0)
        spec_y = tf.TensorSpec([None], tf.int32, name="labels")
        if self.conditional:
            self.serving_default = tf.function(self._conditional, input_signature=[spec_z, spec_y])
            self.sample = tf.function(self._sample_conditional,
                                      input_signature=[spec_seed, spec_n, spec_y])
            self.sample_truncated = tf.function(
                self._sample_truncated_conditional,
                input_signature=[spec_seed, spec_n, spec_t, spec_y])
        else:
            self.serving_default = tf.function(self._unconditional, input_signature=[spec_z])
            self.sample = tf.function(self._sample, input_signature=[spec_seed, spec_n])
            self.sample_truncated = tf.function(self._sample_truncated,
                                                input_signature=[spec_seed, spec_n, spec_t])

    def _init_text(self, gan, strings, spec_z, spec_seed, spec_n, spec_t):
        self.tokenizer = gan.tokenizer
        self.max_caption_length = int(gan.max_caption_length)
        self.vocabulary_size = int(gan.tokenizer.vocabulary_size())
        spec_ids = tf.TensorSpec([None, self.max_caption_length], tf.int32, name="token_ids")
        spec_captions = tf.TensorSpec([None], tf.string, name="captions")
        self.from_token_ids = tf.function(self._from_token_ids, input_signature=[spec_z, spec_ids])
        if not strings:  # LiteRT / ONNX: ids in, tokenized by the client
            self.serving_default = self.from_token_ids
            self.endpoints = ["serving_default"]
            return
        self.serving_default = tf.function(self._from_captions,
                                           input_signature=[spec_z, spec_captions])
        self.sample = tf.function(
            lambda seed, num_images, captions: self._from_captions(
                self._latents(seed, num_images), captions),
            input_signature=[spec_seed, spec_n, spec_captions])
        self.sample_truncated = tf.function(
            lambda seed, num_images, truncation, captions: self._from_captions(
                self._truncated_latents(seed, num_images, truncation), captions),
            input_signature=[spec_seed, spec_n, spec_t, spec_captions])
        self.endpoints = ["serving_default", "sample", "sample_truncated", "from_token_ids"]

    def _from_token_ids(self, latents, token_ids):
        if not self.check_inputs:
            return self._flagged(latents, token_ids=token_ids)
        latents, _ = self._checked(latents)
        checks = [
            tf.debugging.assert_equal(tf.shape(token_ids)[0], tf.shape(latents)[0],
                                      message="token_ids must have one row per image"),
            tf.debugging.assert_equal(
                tf.reduce_all((token_ids >= 0) & (token_ids < self.vocabulary_size)), True,
                message=f"token_ids must be in [0, {self.vocabulary_size - 1}] (the vocabulary)"),
            # An all-padding row averages no word embeddings: NaN, then a black image.
            tf.debugging.assert_equal(
                tf.reduce_all(tf.reduce_any(token_ids > 0, axis=1)), True,
                message="every row of token_ids needs at least one word (a nonzero id)"),
        ]
        with tf.control_dependencies(checks):
            token_ids = tf.identity(token_ids)
        return {"images": _to_uint8(self.generator([latents, token_ids], training=False))}

    def _from_captions(self, latents, captions):
        token_ids = tf.cast(self.tokenizer(captions), tf.int32)
        if self.check_inputs:
            from kerasgan.models.stackgan import PUNCTUATION

            # The words the tokenizer sees (its standardize and split), before it keeps
            # the first max_caption_length of them.
            word_counts = tf.strings.split(tf.strings.regex_replace(
                tf.strings.lower(captions), PUNCTUATION, "")).row_lengths()
            too_long = word_counts > self.max_caption_length
            checks = [
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
                            "(listed in its model card)"),
            ]
            with tf.control_dependencies(checks):
                token_ids = tf.identity(token_ids)
        return self._from_token_ids(latents, token_ids)

    def _flagged(self, latents, labels=None, token_ids=None):
        """For LiteRT and ONNX, which have no Assert op: `valid` (bool per image) says
        whether the image's inputs were valid, and an invalid one's image is black.
        Out-of-range labels would otherwise wrap around (-1 becomes the last class)
        and non-finite latents or empty token rows give NaN images."""
        valid = tf.reduce_all(tf.abs(latents) < np.inf, axis=1)  # False for NaN and inf
        latents = tf.where(valid[:, None], latents, tf.zeros_like(latents))
        inputs = latents
        if labels is not None:
            labels_valid = (labels >= 0) & (labels < self.num_classes)
            valid = valid & labels_valid
            inputs = [latents, tf.where(labels_valid, labels, tf.zeros_like(labels))]
        if token_ids is not None:
            # Ids the SavedModel accepts: in the vocabulary, not the unknown word (1),
            # at least one word per row.
            ids_valid = tf.reduce_all((token_ids >= 0) & (token_ids < self.vocabulary_size)
                                      & tf.not_equal(token_ids, 1), axis=1) & tf.reduce_any(
                token_ids > 1, axis=1)
            valid = valid & ids_valid
            inputs = [latents, tf.where(ids_valid[:, None], token_ids, tf.fill(tf.shape(token_ids), 2))]
        images = tf.cast(self.generator(inputs, training=False), tf.float32)
        # -1 is black; selected in float32, which LiteRT's select supports (uint8 it doesn't).
        images = tf.where(valid[:, None, None, None], images, -tf.ones_like(images))
        return {"images": _to_uint8(images), "valid": valid}

    def _checked(self, latents, labels=None):
        """Returns the inputs gated on their checks, so a bad input fails with our message
        before any generator op (e.g. the label embedding's gather) can fail with its own."""
        if not self.check_inputs:
            return latents, labels
        checks = [tf.debugging.assert_equal(
            tf.shape(latents)[1], self.latent_dim,
            message=f"latents must have shape [N, {self.latent_dim}]"),
            tf.debugging.assert_equal(
                tf.reduce_all(tf.math.is_finite(latents)), True,
                message="latents must be finite (NaN or inf give black images)")]
        if labels is not None:
            checks += [
                tf.debugging.assert_equal(tf.shape(labels)[0], tf.shape(latents)[0],
                                          message="labels must have one entry per image"),
                tf.debugging.assert_greater_equal(labels, 0, message="labels must be >= 0"),
                tf.debugging.assert_less(labels, self.num_classes,
                                         message=f"labels must be < num_classes ({self.num_classes})"),
            ]
        with tf.control_dependencies(checks):
            latents = tf.identity(latents)
            labels = None if labels is None else tf.identity(labels)
        return latents, labels

    def _translate(self, images):
        if self.check_inputs:
            expected = ", ".join(str(d) for d in self.source_shape)
            checks = [tf.debugging.assert_equal(
                tf.shape(images)[1:], tf.constant(self.source_shape, tf.int32),
                message=f"images must have shape [N, {expected}] (uint8)")]
            with tf.control_dependencies(checks):
                images = tf.identity(images)
        scaled = tf.cast(images, tf.float32) / 127.5 - 1.0
        return {"images": _to_uint8(self.generator(scaled, training=False))}

    def _unconditional(self, latents):
        if not self.check_inputs:
            return self._flagged(latents)
        latents, _ = self._checked(latents)
        return {"images": _to_uint8(self.generator(latents, training=False))}

    def _conditional(self, latents, labels):
        if not self.check_inputs:
            return self._flagged(latents, labels)
        latents, labels = self._checked(latents, labels)
        return {"images": _to_uint8(self.generator([latents, labels], training=False))}

    def _latents(self, seed, num_images):
        if self.check_inputs:
            tf.debugging.assert_positive(num_images, message="num_images must be > 0")
        return tf.random.stateless_normal(
            tf.stack([num_images, self.latent_dim]),
            seed=tf.stack([seed, tf.constant(0, tf.int64)]))

    def _truncated_latents(self, seed, num_images, truncation):
        """Latents with every |z| > truncation resampled (as `GAN.make_latents` does)."""
        tf.debugging.assert_positive(truncation, message="truncation must be > 0")
        latents = self._latents(seed, num_images)

        def outside(z):
            return tf.abs(z) > truncation

        def resample(i, z):
            fresh = tf.random.stateless_normal(tf.shape(z), seed=tf.stack([seed, tf.cast(i, tf.int64)]))
            return i + 1, tf.where(outside(z), fresh, z)

        _, latents = tf.while_loop(lambda i, z: tf.logical_and(tf.reduce_any(outside(z)), i < 10_000),
                                   resample, [tf.constant(1), latents])
        return tf.clip_by_value(latents, -truncation, truncation)

    def _sample_truncated(self, seed, num_images, truncation):
        return self._unconditional(self._truncated_latents(seed, num_images, truncation))

    def _sample_truncated_conditional(self, seed, num_images, truncation, labels):
        return self._conditional(self._truncated_latents(seed, num_images, truncation), labels)

    def _sample(self, seed, num_images):
        return self._unconditional(self._latents(seed, num_images))

    def _sample_conditional(self, seed, num_images, labels):
        return self._conditional(self._latents(seed, num_images), labels)


def _resolve_gan(gan_or_name):
    from kerasgan.models import GAN

    if isinstance(gan_or_name, GAN):
        return gan_or_name, getattr(gan_or_name, "preset_metadata", {}).get("name") or gan_or_name.name
    from kerasgan.zoo import load

    gan = load(str(gan_or_name), compile=False)
    return gan, gan.preset_metadata.get("name") or Path(str(gan_or_name)).name


def export(gan_or_name, path, *, format: str = "saved_model", model_name: str | None = None,
           version: int = 1, quantize: bool = False, overwrite: bool = False,
           opset: int = 17) -> Path:
    """Exports a GAN's (EMA) generator.

    Args:
        gan_or_name: a GAN, a zoo name, `hf://` URI or checkpoint folder.
        path: the output folder. SavedModels go to `path/<model_name>/<version>/`
            (TF Serving layout); LiteRT and ONNX files to `path/<model_name>[.int8].tflite`
            and `path/<model_name>.onnx`.
        format: "saved_model", "tflite" or "onnx".
        quantize: LiteRT only: dynamic-range int8 weight quantization.
        overwrite: replace an existing, non-empty output instead of failing.

    Returns:
        The path of the written SavedModel folder or model file.
    """
    if format not in FORMATS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("export format", format, FORMATS)
    if quantize and format != "tflite":
        raise ValueError(f"quantize=True applies to format='tflite' only. Received: format={format!r}")
    gan, default_name = _resolve_gan(gan_or_name)
    if gan.task not in ("unconditional", "conditional", "image-to-image", "text-to-image"):
        raise NotImplementedError(f"Export of {gan.task} models is not implemented yet.")
    name = model_name or default_name
    # LiteRT has no Assert op and ONNX drops it: their graphs skip the input checks
    # (documented) and keep fixed image shapes, which their runtimes enforce. Neither
    # has string ops, so text models take token ids there.
    module = GeneratorModule(gan, check_inputs=format == "saved_model",
                             strings=format == "saved_model")
    if gan.task == "text-to-image" and format != "saved_model":
        # Shared by the LiteRT and ONNX files: the same content may be rewritten.
        tokenizer_file = Path(path) / f"{name}.tokenizer.json"
        if tokenizer_file.exists() and tokenizer_file.read_text() != _tokenizer_spec(gan):
            _refuse_existing(tokenizer_file, overwrite)
    path = Path(path)
    if format == "saved_model":
        target = path / name / str(int(version))
        with atomic_directory(target, overwrite=overwrite) as tmp:
            _write_saved_model(module, tmp)
        return target
    if format == "tflite":
        import tempfile

        target = path / f"{name}{'.int8' if quantize else ''}.tflite"
        _refuse_existing(target, overwrite)
        with tempfile.TemporaryDirectory() as saved_model_dir:
            _write_saved_model(module, saved_model_dir, all_endpoints=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(
                saved_model_dir, signature_keys=["serving_default"])
            if quantize:
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
            blob = converter.convert()
        with atomic_write(target) as tmp:
            Path(tmp).write_bytes(blob)
        _write_tokenizer_file(gan, path / f"{name}.tokenizer.json")
        return target
    target = path / f"{name}.onnx"
    _refuse_existing(target, overwrite)
    import tf2onnx

    function = module.serving_default
    if gan.task == "image-to-image":
        # ONNX names must be unique, and the input is already called "images".
        function = tf.function(lambda images: {"translated_images": module._translate(images)["images"]},
                               input_signature=function.input_signature)
    with atomic_write(target) as tmp:
        tf2onnx.convert.from_function(function, input_signature=function.input_signature,
                                      opset=opset, output_path=tmp)
    _write_tokenizer_file(gan, path / f"{name}.tokenizer.json")
    return target


def _write_tokenizer_file(gan, target: Path):
    """For text models exported without string ops: what a client needs to make token ids."""
    if gan.task != "text-to-image":
        return
    with atomic_write(target) as tmp:
        Path(tmp).write_text(_tokenizer_spec(gan))


def _tokenizer_spec(gan) -> str:
    import json

    from kerasgan.models.stackgan import PUNCTUATION

    spec = {
        "vocabulary": gan.tokenizer.get_vocabulary(),
        "max_caption_length": gan.max_caption_length,
        "punctuation_regex": PUNCTUATION,
        "rule": "lower-case the caption, delete every character matching punctuation_regex, "
                "split on whitespace; each word's id is its index in vocabulary (1, '[UNK]', "
                "for unknown words); keep the first max_caption_length ids and pad with 0.",
        "inputs": {"latents": f"float32[N, {gan.latent_dim}]",
                   "token_ids": f"int32[N, {gan.max_caption_length}]"},
    }
    return json.dumps(spec, indent=2)


def _write_saved_model(module: GeneratorModule, directory, all_endpoints: bool = True):
    # Keras's ExportArchive tracks Keras 3 variables so converters can freeze them;
    # a bare tf.Module leaves LiteRT reading uninitialized resource variables.
    import keras

    archive = keras.export.ExportArchive()
    archive.track(module.generator)
    if module.tokenizer is not None:
        archive.track(module.tokenizer)  # its vocabulary table
    for endpoint in module.endpoints:
        if endpoint == "serving_default" or all_endpoints:
            archive.add_endpoint(endpoint, getattr(module, endpoint))
    archive.write_out(str(directory), verbose=False)


def _refuse_existing(target: Path, overwrite: bool):
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists. Pass overwrite=True (or --overwrite) to replace it.")


def rest_request(signature_name: str, inputs: dict) -> dict:
    """A TF Serving REST body (`POST /v1/models/<name>:predict`) in the columnar format."""
    return {"signature_name": signature_name,
            "inputs": {k: np.asarray(v).tolist() for k, v in inputs.items()}}


def _make_module_callable():
    """`kerasgan.export` is this module (so `kerasgan.export.rest_request` works, as
    docs/serving.md shows) and is also callable as `kerasgan.export(gan, path, ...)`,
    which calls `export()`."""
    import sys
    import types

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return export(*args, **kwargs)

    CallableModule.__call__.__doc__ = export.__doc__
    sys.modules[__name__].__class__ = CallableModule


_make_module_callable()
