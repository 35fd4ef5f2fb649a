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
- code-controlled models (InfoGAN): `serving_default(latents, category: int32[None],
  continuous: float32[None, num_continuous])` (and `sample` with the same codes);
- encoding models (BiGAN): the latent signatures plus `encode(images:
  uint8[None, H, W, C])` returning `latents`; LiteRT and ONNX write it to a second
  file, `<name>.encode.tflite` / `<name>.encode.onnx` (ONNX output `encoded_latents`);
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


def serving_module(gan, check_inputs: bool = True, strings: bool = True):
    """The task's serving module for `gan` (its signatures; see `kerasgan.tasks.serving`)."""
    from kerasgan.tasks import task_of

    return task_of(gan).serving_module(gan, check_inputs=check_inputs, strings=strings)


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
    from kerasgan.tasks import task_of

    name = model_name or default_name
    # LiteRT has no Assert op and ONNX drops it: their graphs skip the input checks and
    # flag invalid inputs in a `valid` output instead, and keep fixed image shapes,
    # which their runtimes enforce. Neither has string ops, so text models take token
    # ids there, and the task writes what a client needs beside the file.
    module = serving_module(gan, check_inputs=format == "saved_model",
                            strings=format == "saved_model")
    path = Path(path)
    extra_files = {} if format == "saved_model" else task_of(gan).export_files(gan)
    for suffix, text in extra_files.items():
        # Shared by the LiteRT and ONNX files: the same content may be rewritten.
        file = path / f"{name}.{suffix}"
        if file.exists() and file.read_text() != text:
            _refuse_existing(file, overwrite)
    if format == "saved_model":
        target = path / name / str(int(version))
        with atomic_directory(target, overwrite=overwrite) as tmp:
            _write_saved_model(module, tmp)
        return target
    extension = ".int8.tflite" if quantize else f".{'tflite' if format == 'tflite' else 'onnx'}"
    targets = {endpoint: path / f"{name}{'' if endpoint == 'serving_default' else '.' + endpoint}"
                                f"{extension}"
               for endpoint in ["serving_default", *module.separate_files]}
    for target in targets.values():
        _refuse_existing(target, overwrite)
    for endpoint, target in targets.items():
        if format == "tflite":
            _write_litert(module, endpoint, target, quantize)
        else:
            _write_onnx(module.endpoints[endpoint], target, opset)
    for suffix, text in extra_files.items():
        with atomic_write(path / f"{name}.{suffix}") as tmp:
            Path(tmp).write_text(text)
    return targets["serving_default"]


def _write_litert(module, endpoint: str, target: Path, quantize: bool):
    import tempfile

    with tempfile.TemporaryDirectory() as saved_model_dir:
        _write_saved_model(module, saved_model_dir, endpoints=[endpoint])
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir,
                                                             signature_keys=["serving_default"])
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        blob = converter.convert()
    with atomic_write(target) as tmp:
        Path(tmp).write_bytes(blob)


def _write_onnx(function, target: Path, opset: int):
    import tf2onnx

    names = {spec.name for spec in function.input_signature}
    signature = function.input_signature

    def renamed(*inputs):
        # ONNX names must be unique: an output named like an input gets a prefix
        # (`translated_images`, `encoded_latents`).
        outputs = function(*inputs)
        prefix = {"images": "translated", "latents": "encoded"}
        return {(f"{prefix.get(k, 'output')}_{k}" if k in names else k): v
                for k, v in outputs.items()}

    wrapped = tf.function(renamed, input_signature=signature)
    with atomic_write(target) as tmp:
        tf2onnx.convert.from_function(wrapped, input_signature=signature, opset=opset,
                                      output_path=tmp)


def _write_saved_model(module, directory, endpoints=None):
    """Writes `endpoints` (default: all; the first is served as `serving_default`)."""
    # Keras's ExportArchive tracks Keras 3 variables so converters can freeze them;
    # a bare tf.Module leaves LiteRT reading uninitialized resource variables.
    import keras

    archive = keras.export.ExportArchive()
    for tracked in module.tracked:
        archive.track(tracked)
    if endpoints is None:
        for endpoint, function in module.endpoints.items():
            archive.add_endpoint(endpoint, function)
    else:
        archive.add_endpoint("serving_default", module.endpoints[endpoints[0]])
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
