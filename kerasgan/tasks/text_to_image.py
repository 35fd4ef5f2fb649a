"""Text to image: `(images, captions)` batches, `generate(n, captions=...)`."""

import json

from kerasgan.tasks import serving
from kerasgan.tasks.base import Task, one_per_path


class TextToImage(Task):
    name = "text-to-image"
    pipeline_tag = "text-to-image"
    data_kind = "captioned"
    serving_module = serving.TextServing
    evaluation = "captions"
    sample_option = "--caption"

    def grid_captions(self, gan, captions, num):
        if captions is not None:
            return [captions] * num if isinstance(captions, str) else list(captions)
        return [gan.captions[i % len(gan.captions)] for i in range(num)]

    def path_conditioning(self, gan, captions, num_paths):
        if captions is None and not gan.captions:
            gan.prepare_labels(None, num_paths)  # raises: no captions to cycle through
        return one_per_path(captions, num_paths, gan.captions or [])

    def folder_finetuning_error(self, model):
        return (f"{model} draws images from captions, so it needs (image, caption) pairs, "
                "which a folder of images doesn't give. Fine-tune it in Python: "
                "gan.fit(kerasgan.data.from_captions(images, captions), ...).")

    def preset_metadata(self, gan):
        return {"vocabulary": list(gan.vocabulary), "captions": list(gan.captions or []),
                "max_caption_length": gan.max_caption_length}

    demo_controls = ("seed", "count", "truncation", "caption")

    def demo_generate_arguments(self, gan, request):
        return {"captions": request.caption} if request.caption else {}

    def card_usage(self, meta):
        captions = meta.get("captions") or []
        return (f"gan.generate(4, captions={captions[-1] if captions else 'a caption'!r}, "
                "seed=0)")

    def card_serving(self, meta):
        return ("SavedModel `serving_default(latents: float32[None, latent_dim], captions: "
                "string[None])` and `sample(seed, num_images, captions)`, the tokenizer and "
                "text encoder inside the graph, returning uint8 NHWC images. LiteRT and ONNX "
                "take `token_ids: int32[None, max_caption_length]` instead, made by the rule "
                "in the `<name>.tokenizer.json` written beside them.\n\nVocabulary: "
                + ", ".join(f"`{w}`" for w in meta.get("vocabulary", [])) + ".")

    def export_files(self, gan):
        return {"tokenizer.json": tokenizer_spec(gan)}


def tokenizer_spec(gan) -> str:
    """What a client without TensorFlow needs to turn a caption into token ids."""
    from kerasgan.models.stackgan import PUNCTUATION

    spec = {
        "vocabulary": gan.tokenizer.get_vocabulary(),
        "max_caption_length": gan.max_caption_length,
        "punctuation_regex": PUNCTUATION,
        "rule": "lower-case the caption, delete every character matching punctuation_regex, "
                "split on whitespace; each word's id is its index in vocabulary (1, '[UNK]', "
                "for unknown words); pad with 0 to max_caption_length. A caption with no words "
                "or more than max_caption_length words is refused (the model's `valid` output "
                "is False for an all-padding row).",
        "inputs": {"latents": f"float32[N, {gan.latent_dim}]",
                   "token_ids": f"int32[N, {gan.max_caption_length}]"},
    }
    return json.dumps(spec, indent=2)
