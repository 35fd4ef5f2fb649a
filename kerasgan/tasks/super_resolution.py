"""Single-image super-resolution (SRResNet, SRGAN): `(low-resolution, high-resolution)`
batches, `upscale(images)` for images of any size."""

from kerasgan.tasks import serving
from kerasgan.tasks.base import image_demo
from kerasgan.tasks.image_to_image import ImageToImage


class SuperResolution(ImageToImage):
    name = "super-resolution"
    pipeline_tag = "image-to-image"
    serving_module = serving.UpscaleServing
    evaluation = "super-resolution"

    def folder_finetuning_error(self, model):
        return (f"{model} learns from (low-resolution, high-resolution) pairs, which a folder "
                "of images doesn't give. Fine-tune it in Python: gan.fit(kerasgan.data."
                "from_pairs(kerasgan.data.downscale(large_images), large_images), ...).")

    demo_actions = ("upscale",)
    demo_controls = ("image",)

    def demo_run(self, gan, name, action, request):
        # Any height and width: only the channel count matters.
        shape = (0, 0, int(gan.generator.inputs[0].shape[-1]))
        return image_demo(gan, request, shape, "upscale(source)  # any size", gan.upscale,
                          any_size=True)

    def card_usage(self, meta):
        return ("gan.upscale(low[:4])  # uint8 NHWC of any size in, 4x the height and width "
                "out")

    def card_inputs(self, meta):
        return [self.dataset_load_line(meta, "low, _", "load_pairs")]

    def card_serving(self, meta):
        return ("SavedModel `upscale(images: uint8[None, None, None, C])` (also "
                "`serving_default`), any height and width, returning uint8 NHWC images "
                "`scale` times larger. LiteRT and ONNX take the training input size.")
