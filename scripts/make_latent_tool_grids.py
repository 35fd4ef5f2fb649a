"""Writes the docs' grids of a model's own tools into `docs/images/`, from a zoo name or
a preset folder, and prints the figures the docs quote beside them.

    python scripts/make_latent_tool_grids.py stylegan-fashion-mnist-32
    python scripts/make_latent_tool_grids.py lapgan-fashion-mnist-32
    python scripts/make_latent_tool_grids.py runs/stylegan-fashion-mnist-32/preset --name stylegan-fashion-mnist-32

- Style-based models (StyleGAN): `<name>-style-mixing.png` (rows: crossover 0, 2,
  num_ws/2, num_ws-2, num_ws), `<name>-truncation.png` (rows: psi 1, 0.7, 0.5, 0),
  `<name>-w-interpolation.png` (a straight walk in W per row) and
  `<name>-projection.png` (rows: held-out real images, their projections into W, into
  W+), with the projection errors in `<name>-projection.json`.
- Pyramid models (LAPGAN): `<name>-pyramid.png`, one row per level, coarsest first.

Every grid uses fixed seeds, so rerunning the script on the same checkpoint redraws
the same images.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import kerasgan
from kerasgan.tasks import task_of
from kerasgan.utils import save_image, save_image_grid

ROOT = Path(__file__).resolve().parent.parent
SEED = 0
COLUMNS = 8


def style_grids(gan, name: str, out: Path, dataset: str, projection_steps: int) -> dict:
    # The card's own grids (the task's preset images), under the docs' names.
    for file_name, grid in task_of(gan).preset_images(gan).items():
        save_image(out / f"{name}-{file_name}", grid, upscale=2)
    paths = kerasgan.latent.interpolation_images(gan, num_paths=6, steps=COLUMNS, seed=SEED,
                                                 space="w")
    save_image_grid(out / f"{name}-w-interpolation.png", paths.reshape(-1, *paths.shape[2:]),
                    rows=len(paths))

    images, _ = kerasgan.data.load_dataset(dataset, "test")
    targets = images[np.random.default_rng(SEED).choice(len(images), COLUMNS, replace=False)]
    in_w = gan.project(targets, steps=projection_steps)
    in_w_plus = gan.project(targets, steps=projection_steps, w_plus=True)
    generated = gan.generate(COLUMNS, seed=SEED + 2)
    of_generated = gan.project(generated, steps=projection_steps)
    save_image_grid(out / f"{name}-projection.png",
                    np.concatenate([targets, in_w.images, in_w_plus.images]), rows=3)
    figures = {
        "command": f"python scripts/make_latent_tool_grids.py {name}",
        "steps": projection_steps,
        "held_out": f"{COLUMNS} {dataset} test images (rng seed {SEED})",
        "error_uint8_levels": {
            "held_out_in_w": _summary(in_w.error),
            "held_out_in_w_plus": _summary(in_w_plus.error),
            "generated_in_w": _summary(of_generated.error),
        },
    }
    (out / f"{name}-projection.json").write_text(json.dumps(figures, indent=1) + "\n")
    return figures


def pyramid_grid(gan, name: str, out: Path) -> dict:
    latents = gan.make_latents(COLUMNS, seed=SEED)
    save_image(out / f"{name}-pyramid.png", gan.preview({"latents": latents}), upscale=2)
    return {"levels": [list(level.shape[1:3]) for level in
                       gan.generate(latents=latents, return_levels=True)]}


def _summary(errors) -> dict:
    errors = np.asarray(errors, float)
    return {"mean": round(float(errors.mean()), 2), "max": round(float(errors.max()), 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a zoo name or a preset folder")
    parser.add_argument("--name", help="the name in the files' names (default: the model's)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--projection-steps", type=int, default=300)
    args = parser.parse_args(argv)
    gan = kerasgan.load(args.model)
    name = args.name or Path(args.model.rstrip("/")).name
    if name == "preset":
        raise SystemExit("Name the grids with --name when loading a folder called preset.")
    args.out.mkdir(parents=True, exist_ok=True)
    if hasattr(gan, "mix_styles"):
        dataset = gan.preset_metadata["data"]["dataset"]
        figures = style_grids(gan, name, args.out, dataset, args.projection_steps)
    elif getattr(gan, "variant_name", None) == "lapgan" or hasattr(gan, "pyramid_model"):
        figures = pyramid_grid(gan, name, args.out)
    else:
        raise SystemExit(f"{args.model} has no latent tools or pyramid to draw (a "
                         f"{type(gan).__name__}). Received: {args.model}")
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
