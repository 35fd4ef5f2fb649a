"""Generation plus an encoder (BiGAN / ALI): `generate`, `encode`, `reconstruct`."""

from kerasgan.tasks import serving
from kerasgan.tasks.base import Task, image_demo


class Encoding(Task):
    name = "encoding"
    serving_module = serving.EncodingServing
    extra_metrics = ("encoder_quality",)

    demo_actions = ("samples", "interpolation", "reconstruction")
    demo_controls = ("seed", "count", "truncation", "image")

    def demo_run(self, gan, name, action, request):
        if action == "reconstruction":
            return image_demo(gan, request, gan.image_shape, "reconstruct(source)  # G(E(x))",
                              gan.reconstruct)
        return super().demo_run(gan, name, action, request)

    def card_usage(self, meta):
        return "gan.generate(16, seed=0)  # and gan.encode(images), gan.reconstruct(images)"

    def card_serving(self, meta):
        return ("SavedModel `serving_default(latents: float32[None, latent_dim])` and "
                "`sample(seed, num_images)` returning uint8 NHWC images, and `encode(images: "
                "uint8[None, H, W, C])` returning `latents`. LiteRT and ONNX write `encode` to "
                "a second file, `<name>.encode.tflite` / `<name>.encode.onnx`.")
