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

    demo_controls = ("seed", "count", "truncation", "codes")

    def demo_generate_arguments(self, gan, request):
        continuous = list(request.continuous or [])[:gan.num_continuous]
        continuous += [0.0] * (gan.num_continuous - len(continuous))
        return {"codes": {"category": int(request.category or 0),
                          "continuous": [float(c) for c in continuous]}}

    def card_usage(self, meta):
        return ('gan.generate(10, codes={"category": range(10), "continuous": [0.5, -1.0]}, '
                "seed=0)")

    def preset_images(self, gan):
        from kerasgan.utils import image_grid

        return {f"code-c{j + 1}.png": image_grid(gan.code_sweep(j), cols=9)
                for j in range(gan.num_continuous)}

    def card_sections(self, meta):
        metrics = meta.get("metrics", {})
        accuracy = next((v for k, v in metrics.items() if k.startswith("code_accuracy[")), None)
        if accuracy is None:
            return []
        lines = ["## Disentanglement, measured",
                 f"- The categorical code as digit identity: **{accuracy:.1%}** of "
                 "generated images are classified as their code's digit under the best "
                 "one-to-one code -> digit assignment (Hungarian method; "
                 f"{metrics.get('protocol', {}).get('code_disentanglement', {}).get('code_accuracy', '')}).",
                 ""]
        for index in range(1, meta.get("num_continuous", 0) + 1):
            correlations = {k.split("_", 1)[1].rsplit("_", 1)[0]: v for k, v in metrics.items()
                            if k.startswith(f"c{index}_") and k.endswith("_correlation")}
            if not correlations:
                continue
            strongest = max(correlations, key=lambda k: abs(correlations[k]))
            others = ", ".join(f"{k} {v:+.2f}" for k, v in correlations.items() if k != strongest)
            lines += [f"- Continuous code c{index}: correlation with **{strongest}** "
                      f"{correlations[strongest]:+.2f} (others: {others}). Rows below: one "
                      f"category each, c{index} swept from -2 to 2 (trained on [-1, 1]), the "
                      "other codes at 0.", "", f"![c{index} sweep](code-c{index}.png)", ""]
        return lines

    def card_serving(self, meta):
        return ("SavedModel `serving_default(latents: float32[None, latent_dim], category: "
                "int32[None], continuous: float32[None, num_continuous])` and `sample(seed, "
                "num_images, category, continuous)`, returning uint8 NHWC images; codes out of "
                "range fail the request. LiteRT and ONNX add a `valid` output (bool per image).")
