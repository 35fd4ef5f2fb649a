"""Runs exported generators with TensorFlow, LiteRT and onnxruntime only.

Started with `python -S` and an explicit sys.path (site-packages, no kerasgan):
    run_exports.py SITE_PACKAGES INPUTS.npz SAVED_MODEL TFLITE TFLITE_INT8 ONNX OUT.npz
"""

import sys

sys.path.append(sys.argv[1])
import importlib.util  # noqa: E402

assert importlib.util.find_spec("kerasgan") is None, "kerasgan must not be importable here"

import numpy as np  # noqa: E402

inputs_path, saved_model, tflite, tflite_int8, onnx_path, out_path = sys.argv[2:8]
inputs = dict(np.load(inputs_path))
encode_images = inputs.pop("encode_images", None)  # encoding models: images for `encode`
images_b = inputs.pop("images_b", None)  # unpaired translators: domain B images for b2a
results = {}
# Text-to-image: LiteRT and ONNX take token ids, made here by the rule in the
# exported tokenizer.json (plain Python, no kerasgan, no TensorFlow).
id_inputs = dict(inputs)
if "captions" in inputs:
    import json
    import re
    from pathlib import Path

    spec = json.loads(Path(tflite).with_suffix(".tokenizer.json").read_text())
    index = {word: i for i, word in enumerate(spec["vocabulary"])}
    rows = []
    for caption in inputs["captions"]:
        words = re.sub(spec["punctuation_regex"], "", str(caption).lower()).split()
        ids = [index.get(w, 1) for w in words][:spec["max_caption_length"]]
        rows.append(ids + [0] * (spec["max_caption_length"] - len(ids)))
    id_inputs = {"latents": inputs["latents"], "token_ids": np.asarray(rows, np.int32)}
    results["token_ids"] = id_inputs["token_ids"]

import tensorflow as tf  # noqa: E402

loaded = tf.saved_model.load(saved_model)
serving = loaded.signatures["serving_default"]
results["saved_model"] = serving(**{k: tf.constant(v) for k, v in inputs.items()})["images"].numpy()
if "sample" in loaded.signatures:
    sample_args = {"seed": tf.constant(7, tf.int64), "num_images": tf.constant(3, tf.int32)}
    for key in ("labels", "captions", "category", "continuous"):
        if key in inputs:
            sample_args[key] = tf.constant(inputs[key][:3])
    results["sample"] = loaded.signatures["sample"](**sample_args)["images"].numpy()
    truncated = loaded.signatures["sample_truncated"](truncation=tf.constant(0.5), **sample_args)
    results["sample_truncated"] = truncated["images"].numpy()


def error_of(signature, **bad):
    try:
        signature(**{k: tf.constant(v) for k, v in bad.items()})
        return np.array("no error")
    except tf.errors.InvalidArgumentError as e:
        return np.array(e.message)


if "labels" in inputs:
    results["bad_label_error"] = error_of(serving, **dict(inputs, labels=np.full_like(inputs["labels"], 99)))
if "category" in inputs:
    results["bad_category_error"] = error_of(
        serving, **dict(inputs, category=np.full_like(inputs["category"], 10)))
    results["bad_continuous_error"] = error_of(
        serving, **dict(inputs, continuous=np.full_like(inputs["continuous"], 3.0)))
if "captions" in inputs:
    unknown = inputs["captions"].astype(object)
    unknown[0] = "latin small lettr b"
    results["unknown_word_error"] = error_of(serving, **dict(inputs, captions=unknown))
    results["caption_count_error"] = error_of(serving, **dict(inputs, captions=inputs["captions"][:2]))
if "mix_styles" in loaded.signatures:  # style-based models
    latents = tf.constant(inputs["latents"])
    truncated = loaded.signatures["truncated"]
    results["truncated_0"] = truncated(latents=latents, truncation=tf.constant(0.0))["images"].numpy()
    results["truncated_07"] = truncated(latents=latents, truncation=tf.constant(0.7))["images"].numpy()
    mix = loaded.signatures["mix_styles"]
    for crossover in (0, 3, 8):
        results[f"mix_{crossover}"] = mix(latents_a=latents, latents_b=latents[::-1],
                                          crossover=tf.constant(crossover))["images"].numpy()
    results["bad_psi_error"] = error_of(truncated, latents=inputs["latents"],
                                        truncation=np.float32(1.5))
    results["bad_crossover_error"] = error_of(mix, latents_a=inputs["latents"],
                                              latents_b=inputs["latents"], crossover=np.int32(9))
if "translate" in loaded.signatures:
    translate = loaded.signatures["translate"]
    results["translate"] = translate(images=tf.constant(inputs["images"]))["images"].numpy()
    wrong = np.zeros((2, inputs["images"].shape[1] + 4, inputs["images"].shape[2] + 4,
                      inputs["images"].shape[3]), np.uint8)
    results["bad_size_error"] = error_of(translate, images=wrong)

if "upscale" in loaded.signatures:
    upscale = loaded.signatures["upscale"]
    results["upscale"] = upscale(images=tf.constant(inputs["images"]))["images"].numpy()
    # Any size: the SavedModel's signature leaves height and width open.
    other = inputs["images"][:2, :10, :12]
    results["upscale_other_size"] = upscale(images=tf.constant(other))["images"].numpy()
    results["bad_channels_error"] = error_of(upscale, images=np.zeros((1, 8, 8, 4), np.uint8))

if images_b is not None:
    for direction, images in (("a2b", inputs["images"]), ("b2a", images_b)):
        signature = loaded.signatures[f"translate_{direction}"]
        results[f"{direction}_saved_model"] = signature(images=tf.constant(images))["images"].numpy()
        wrong = np.zeros((2, images.shape[1] + 4, images.shape[2] + 4, images.shape[3]), np.uint8)
        results[f"{direction}_bad_size_error"] = error_of(signature, images=wrong)

if encode_images is not None:
    encode = loaded.signatures["encode"]
    results["encode_saved_model"] = encode(images=tf.constant(encode_images))["latents"].numpy()
    results["bad_encode_error"] = error_of(encode, images=np.zeros((1, 30, 30, 1), np.uint8))

from ai_edge_litert.interpreter import Interpreter  # noqa: E402


def run_litert(path, feed, output="images"):
    interpreter = Interpreter(model_path=path)
    runner = interpreter.get_signature_runner()
    return runner(**feed)[output]


results["tflite"] = run_litert(tflite, id_inputs)
results["tflite_int8"] = run_litert(tflite_int8, id_inputs)

import onnxruntime  # noqa: E402


def run_onnx(path, feed):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feed[i.name.split(":")[0]] for i in session.get_inputs()})[0]


results["onnx"] = run_onnx(onnx_path, id_inputs)
if encode_images is not None:  # LiteRT and ONNX hold `encode` in a file of its own
    results["encode_tflite"] = run_litert(tflite.replace(".tflite", ".encode.tflite"),
                                          {"images": encode_images}, "latents")
    results["encode_onnx"] = run_onnx(onnx_path.replace(".onnx", ".encode.onnx"),
                                      {"images": encode_images})
if images_b is not None:  # LiteRT and ONNX hold `translate_b2a` in a file of its own
    results["b2a_tflite"] = run_litert(tflite.replace(".tflite", ".translate_b2a.tflite"),
                                       {"images": images_b})
    results["b2a_onnx"] = run_onnx(onnx_path.replace(".onnx", ".translate_b2a.onnx"),
                                   {"images": images_b})
np.savez(out_path, **results)
print("RUNTIMES OK", sorted(results))
