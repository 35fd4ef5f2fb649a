"""Generation controlled by latent codes (InfoGAN): `generate(n, codes={...})`."""

from kerasgan.tasks import serving
from kerasgan.tasks.base import Task


class CodeControlled(Task):
    name = "code-controlled"
    serving_module = serving.CodeServing
    extra_metrics = ("code_disentanglement",)

    def path_conditioning(self, gan, codes, num_paths):
        # The codes (given, or drawn) fixed along each path.
        return gan.make_codes(num_paths, codes)

    def preset_metadata(self, gan):
        return {"num_categories": gan.num_categories, "num_continuous": gan.num_continuous}

    def card_usage(self, meta):
        return ('gan.generate(10, codes={"category": range(10), "continuous": [0.5, -1.0]}, '
                "seed=0)")

    def card_serving(self, meta):
        return ("SavedModel `serving_default(latents: float32[None, latent_dim], category: "
                "int32[None], continuous: float32[None, num_continuous])` and `sample(seed, "
                "num_images, category, continuous)`, returning uint8 NHWC images; codes out of "
                "range fail the request. LiteRT and ONNX add a `valid` output (bool per image).")
