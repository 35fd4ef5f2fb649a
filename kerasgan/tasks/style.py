"""Style-based generation (StyleGAN): latents through a mapping network to styles, with
the truncation trick in W, style mixing and projection."""

from kerasgan.tasks import serving
from kerasgan.tasks.unconditional import Unconditional


class StyleBased(Unconditional):
    name = "style"
    serving_module = serving.StyleServing

    demo_actions = ("samples", "interpolation", "style mixing", "projection")
    demo_controls = ("seed", "count", "truncation", "mixing", "image")
    demo_truncation = (0.0, 1.0, 1.0)

    def demo_run(self, gan, name, action, request):
        import numpy as np

        from kerasgan.utils import image_grid

        if action == "style mixing":
            count, crossover = request.count, int(request.crossover)
            a = gan.make_latents(count, seed=request.seed)
            b = gan.make_latents(count, seed=request.seed_b)
            rows = np.concatenate([gan.generate(latents=a), gan.generate(latents=b),
                                   gan.mix_styles(a, b, crossover)])
            code = (f"a = gan.make_latents({count}, seed={request.seed})\n"
                    f"b = gan.make_latents({count}, seed={request.seed_b})\n"
                    f"mixed = gan.mix_styles(a, b, crossover={crossover})")
            return image_grid(rows, rows=3, cols=count), code, None
        if action == "projection":
            from kerasgan.utils import image_for_model

            target = image_for_model(request.image, gan.image_shape)
            found = gan.project(target[None], steps=request.steps * 25, verbose=False)
            code = ("target = ...  # uint8 (1, H, W, C)\n"
                    f"result = gan.project(target, steps={request.steps * 25})\n"
                    "result.images, result.error   # error: mean |difference| in uint8 levels")
            grid = image_grid(np.concatenate([target[None], found.images]), rows=1)
            return grid, code + f"\n# error here: {float(found.error[0]):.1f} levels", None
        return super().demo_run(gan, name, action, request)

    def card_usage(self, meta):
        return "gan.generate(16, seed=0, truncation=0.7)  # psi in W; uint8, NHWC"

    def preset_metadata(self, gan):
        return {"num_ws": int(gan.num_ws), "w_dim": int(gan.w_dim)}

    def preset_images(self, gan):
        from kerasgan.utils import image_grid
        import numpy as np

        a, b = gan.make_latents(6, seed=0), gan.make_latents(6, seed=1)
        crossovers = [0, 2, gan.num_ws // 2, gan.num_ws - 2, gan.num_ws]
        rows = [gan.mix_styles(a, b, c) for c in crossovers]
        psis = [1.0, 0.7, 0.5, 0.0]
        truncation = [gan.generate(latents=a, truncation=psi) for psi in psis]
        return {"style-mixing.png": image_grid(np.concatenate(rows), rows=len(rows), cols=6),
                "truncation.png": image_grid(np.concatenate(truncation), rows=len(psis), cols=6)}

    def card_sections(self, meta):
        num_ws = meta.get("num_ws", "num_ws")
        return ["## Latent tools",
                "- Style mixing (`gan.mix_styles(a, b, crossover)`): rows are crossovers "
                f"0, 2, {num_ws // 2 if isinstance(num_ws, int) else 'num_ws/2'}, "
                f"num_ws-2 and num_ws ({num_ws} styles): the first row is b's images, the "
                "last a's, the rows between a's coarse styles with b's finer ones.", "",
                "![style mixing](style-mixing.png)", "",
                "- Truncation in W (`gan.generate(..., truncation=psi)`): rows psi = 1, "
                "0.7, 0.5 and 0 (the mean image).", "", "![truncation](truncation.png)", ""]

    def card_serving(self, meta):
        return ("SavedModel `serving_default(latents: float32[None, latent_dim])`, returning "
                "uint8 NHWC images; `sample(seed, num_images)`; `truncated(latents, "
                "truncation)` and `sample_truncated(seed, num_images, truncation)` (psi in "
                "[0, 1], the truncation trick in W); `mix_styles(latents_a, latents_b, "
                "crossover)`. LiteRT and ONNX hold `serving_default` and add a `valid` output "
                "(bool per image).")
