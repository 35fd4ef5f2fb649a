"""Model cards (README.md with Hugging Face YAML front matter) from preset metadata."""

from __future__ import annotations

import json

DATASET_IDS = {"fashion-mnist": "zalando-datasets/fashion_mnist", "mnist": "ylecun/mnist",
               "fashion-mnist-edges": "zalando-datasets/fashion_mnist"}
PIPELINE_TAGS = {"unconditional": "unconditional-image-generation",
                 "conditional": "unconditional-image-generation",
                 "image-to-image": "image-to-image", "text-to-image": "text-to-image"}


def _metrics_table(metrics: dict) -> str:
    if not metrics:
        return "_Not evaluated yet._\n"
    protocol = metrics.get("protocol", {})
    rows = ["| metric | value |", "|---|---|"]
    for key, value in metrics.items():
        if key == "protocol":
            continue
        rows.append(f"| `{key}` | {value:.4g} |" if isinstance(value, (int, float))
                    else f"| `{key}` | {value} |")
    text = "\n".join(rows) + "\n"
    if protocol:
        text += "\nProtocol: " + ", ".join(f"{k} = {v}" for k, v in protocol.items()) + "\n"
    return text


def class_names_of(meta: dict) -> list[str] | None:
    """A conditional model's class names: from its metadata, else its dataset's."""
    if meta.get("task") != "conditional":
        return None
    if meta.get("class_names"):
        return list(meta["class_names"])
    from kerasgan.models.conditional_gan import DATASET_CLASS_NAMES

    names = DATASET_CLASS_NAMES.get(meta.get("data", {}).get("dataset"))
    if names is None or (meta.get("num_classes") and len(names) != meta["num_classes"]):
        return None
    return list(names)


def _classes_table(names: list[str]) -> str:
    rows = ["| id | class |", "|---|---|"] + [f"| {i} | {name} |" for i, name in enumerate(names)]
    return "\n".join(rows) + "\n"


def render_card(meta: dict) -> str:
    name = meta.get("name", "model")
    dataset = meta.get("data", {}).get("dataset", "unknown")
    training = meta.get("training", {})
    tags = ["gan", "kerasgan", meta.get("variant", meta.get("class_name", "gan")).lower(),
            "image-generation"]
    front = [
        "---",
        "library_name: keras",
        "license: apache-2.0",
        "tags:",
        *[f"- {t}" for t in tags],
        "datasets:",
        f"- {DATASET_IDS.get(dataset, dataset)}",
        f"pipeline_tag: {PIPELINE_TAGS.get(meta.get('task'), 'unconditional-image-generation')}",
        "---",
    ]
    task = meta.get("task", "unconditional")
    conditional = task == "conditional"
    captions = meta.get("captions") or []
    class_names = class_names_of(meta)
    example_class = min(7, len(class_names) - 1) if class_names else 7
    usage = {"conditional": (f"gan.generate(16, labels={example_class}, seed=0)  # class {example_class}"
                             if not class_names else
                             f'gan.generate(16, labels="{class_names[example_class].lower()}", '
                             f"seed=0)  # class {example_class}"),
             "image-to-image": "gan.translate(source_images)  # uint8 NHWC in, out",
             "text-to-image": f"gan.generate(4, captions={captions[-1] if captions else 'a caption'!r}, "
                              "seed=0)",
             }.get(task, "gan.generate(16, seed=0)")
    if task == "image-to-image":
        serving = ("SavedModel `translate(images: uint8[None, H, W, C])` (also "
                   "`serving_default`), returning uint8 NHWC images.")
    elif task == "text-to-image":
        serving = ("SavedModel `serving_default(latents: float32[None, latent_dim], captions: "
                   "string[None])` and `sample(seed, num_images, captions)`, the tokenizer and "
                   "text encoder inside the graph, returning uint8 NHWC images. LiteRT and ONNX "
                   "take `token_ids: int32[None, max_caption_length]` instead, made by the rule "
                   "in the `<name>.tokenizer.json` written beside them.\n\nVocabulary: "
                   + ", ".join(f"`{w}`" for w in meta.get("vocabulary", [])) + ".")
    else:
        serving = ("SavedModel `serving_default(latents: float32[None, latent_dim])`"
                   + (", `labels: int32[None]`" if conditional else "")
                   + ", returning uint8 NHWC images; `sample(seed, num_images)`.")
    lines = [
        f"# {name}",
        "",
        f"A {meta.get('class_name', 'GAN')} ({meta.get('task', 'unconditional')}) trained with "
        f"[kerasgan](https://github.com/kerasgan/kerasgan) on **{dataset}** "
        f"({meta.get('data', {}).get('split', '?')} split), "
        f"images of shape {tuple(meta.get('image_shape', []))}.",
        "",
        "![samples](samples.png)",
        "",
        "## Use",
        "```python",
        "import kerasgan",
        f'gan = kerasgan.load("{name}")',
        f"images = {usage}  # uint8, NHWC",
        "```",
        "",
        *(["## Classes",
           "`labels` takes a class id or its name (any case), or a list of them.",
           "",
           _classes_table(class_names)] if class_names else []),
        "## Training",
        f"- Data: {json.dumps(meta.get('data', {}))}",
        f"- Steps: {training.get('steps', '?')} ({training.get('epochs', '?')} epochs, "
        f"batch {training.get('batch_size', '?')})",
        f"- Wall time: {training.get('wall_time_s', '?')} s on {training.get('hardware', '?')}",
        f"- Parameters: {json.dumps(meta.get('parameters', {}))}",
        f"- Config hash (sha256): `{meta.get('config_sha256', '?')}`",
        f"- Command: `{training.get('command', '?')}`",
        *([f"- Notes: {training['notes']}"] if training.get("notes") else []),
        "",
        "## Metrics (held-out data)",
        _metrics_table(meta.get("metrics", {})),
        f"Reproduce: `{meta.get('evaluation_command', '?')}`",
        "",
        "The FID/KID/precision-recall features come from a classifier kerasgan trained on the "
        "dataset, not from InceptionV3: the numbers compare models within kerasgan only, "
        "and are not comparable with published Inception FIDs.",
        "",
        "## Intended use and limitations",
        "Research, teaching and a starting point for fine-tuning on small grayscale datasets. "
        "Low resolution; samples show typical GAN artefacts; not for any decision about people.",
        "",
        "## Serving",
        f"See `kerasgan export`: {serving}",
        "",
    ]
    return "\n".join(front + [""] + lines)
