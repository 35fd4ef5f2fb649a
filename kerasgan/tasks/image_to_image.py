"""Paired image-to-image translation: `(source, target)` batches, `translate(images)`."""

from kerasgan.tasks import serving
from kerasgan.tasks.base import Task, image_demo


class ImageToImage(Task):
    name = "image-to-image"
    pipeline_tag = "image-to-image"
    data_kind = "paired"
    serving_module = serving.TranslationServing
    has_latents = False
    evaluation = "translation"

    def training_sample_inputs(self, gan, dataset, split):
        # Grids and golden outputs from held-out sources, not noise.
        from kerasgan.data import load_pairs

        held_out, _ = load_pairs(dataset, split)
        return {"images": held_out[:64]}

    def batch_image_specs(self, gan, element_spec):
        sources, targets = element_spec
        return [(targets, gan.image_shape, "images"), (sources, gan.source_shape, "source images")]

    def folder_finetuning_error(self, model):
        return (f"{model} translates images, so it needs (source, target) pairs, which a "
                "folder of images doesn't give. Fine-tune it in Python: "
                "gan.fit(kerasgan.data.from_pairs(sources, targets), ...).")

    demo_actions = ("translation",)
    demo_controls = ("image",)

    def demo_run(self, gan, name, action, request):
        shape = tuple(int(d) for d in gan.generator.inputs[0].shape[1:])
        return image_demo(gan, request, shape, "translate(source)", gan.translate)

    def card_usage(self, meta):
        return "gan.translate(source_images[:16])  # uint8 NHWC in, out"

    def card_inputs(self, meta):
        return [self.dataset_load_line(meta, "source_images, _", "load_pairs")]

    def card_serving(self, meta):
        return ("SavedModel `translate(images: uint8[None, H, W, C])` (also `serving_default`), "
                "returning uint8 NHWC images.")
