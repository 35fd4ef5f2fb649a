"""Mode collapse on the classic 2-D mixtures, with and without each remedy.

    python benchmarks/mode_collapse.py [--steps 5000] [--seeds 0 1 2] [--out runs/mode-collapse]

Data: 8 Gaussians on a ring of radius 2 (std 0.02) and 25 on a 5x5 grid with
spacing 2 (std 0.05), the setups of Metz et al. 2017 and Srivastava et al. 2017
(VEEGAN). Networks: small MLPs (G: 16-d noise -> 128 -> 128 -> 2, D: 2 -> 128 ->
128 -> 1, ReLU), Adam(--learning-rate, default 1e-3, beta_1=0.5) for both, batch 256,
the non-saturating loss; the unrolled steps replay the discriminator's Adam update.

Settings: no remedy; minibatch discrimination before D's last layer (Salimans et al.
2016); the minibatch standard deviation feature there (Karras et al. 2018); the
generator trained against a discriminator unrolled 5 steps (Metz et al. 2017).

Measured on 2,500 samples per run: a sample is *high quality* if it lies within 3
standard deviations of its nearest mode; a mode is *covered* if at least 1% of the
samples (25) are high quality and nearest to it. Writes `results.json`, a Markdown
table (mean and standard deviation over seeds) and `mode-collapse.png` (seed 0).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import kerasgan

MIXTURES = {
    "ring-8": (np.array([[2 * np.cos(a), 2 * np.sin(a)]
                         for a in np.arange(8) * 2 * np.pi / 8]), 0.02),
    "grid-25": (np.array([[x, y] for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)],
                         dtype=float), 0.05),
}
SETTINGS = ("none", "minibatch-discrimination", "minibatch-stddev", "unrolled-5")
NOISE_DIM = 16
SAMPLES = 2500


def sample_mixture(name, n, rng):
    centers, std = MIXTURES[name]
    return (centers[rng.integers(0, len(centers), n)] + rng.normal(0, std, (n, 2))).astype(
        np.float32)


def build_networks(setting):
    noise = keras.Input((NOISE_DIM,), name="latents")
    x = noise
    for _ in range(2):
        x = keras.layers.Dense(128, activation="relu")(x)
    generator = keras.Model(noise, keras.layers.Dense(2, name="points")(x), name="generator")
    points = keras.Input((2,), name="points")
    x = points
    for _ in range(2):
        x = keras.layers.Dense(128, activation="relu")(x)
    if setting == "minibatch-discrimination":
        x = kerasgan.layers.MinibatchDiscrimination(num_kernels=8, kernel_dim=4)(x)
    elif setting == "minibatch-stddev":
        x = kerasgan.layers.MinibatchStdDev(group_size=4)(x)
    discriminator = keras.Model(points, keras.layers.Dense(1, name="logits")(x),
                                name="discriminator")
    return generator, discriminator


def run(mixture, setting, seed, steps, learning_rate=1e-3, batch_size=256):
    keras.utils.set_random_seed(seed)
    generator, discriminator = build_networks(setting)
    unrolled = int(setting.split("-")[1]) if setting.startswith("unrolled") else None
    gan = kerasgan.GAN(generator, discriminator, seed=seed, unrolled_steps=unrolled,
                       unrolled_learning_rate=1e-2)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
    rng = np.random.default_rng(seed)
    data = sample_mixture(mixture, steps * batch_size, rng)
    ds = tf.data.Dataset.from_tensor_slices(data).batch(batch_size, drop_remainder=True)
    start = time.time()
    gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    wall = time.time() - start
    noise = np.random.default_rng(seed + 1000).standard_normal((SAMPLES, NOISE_DIM)).astype(
        np.float32)
    points = generator.predict(noise, batch_size=SAMPLES, verbose=0)
    return points, score(mixture, points), wall


def score(mixture, points):
    centers, std = MIXTURES[mixture]
    distances = np.linalg.norm(points[:, None, :] - centers[None], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) <= 3 * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    return {"modes_covered": int((counts >= 0.01 * len(points)).sum()),
            "num_modes": len(centers), "high_quality": float(good.mean())}


def table(results):
    lines = ["| mixture | setting | modes covered (mean ± sd) | high-quality samples (mean ± sd) | seeds |",
             "|---|---|---|---|---|"]
    for mixture in MIXTURES:
        for setting in SETTINGS:
            rows = [r for r in results if r["mixture"] == mixture and r["setting"] == setting]
            if not rows:
                continue
            modes = np.array([r["modes_covered"] for r in rows], float)
            quality = np.array([r["high_quality"] for r in rows]) * 100
            lines.append(f"| {mixture} | {setting} | {modes.mean():.1f} ± {modes.std():.1f} "
                         f"of {rows[0]['num_modes']} | {quality.mean():.1f}% ± {quality.std():.1f} "
                         f"| {len(rows)} |")
    return "\n".join(lines)


def scatter(samples, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(MIXTURES), len(SETTINGS), figsize=(3 * len(SETTINGS), 6.2))
    for i, mixture in enumerate(MIXTURES):
        centers, _ = MIXTURES[mixture]
        for j, setting in enumerate(SETTINGS):
            ax = axes[i, j]
            points = samples.get((mixture, setting))
            if points is not None:
                ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.4)
            ax.scatter(centers[:, 0], centers[:, 1], s=12, c="red", marker="x")
            limit = 3 if mixture == "ring-8" else 6
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(setting, fontsize=9)
            if j == 0:
                ax.set_ylabel(mixture)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=SETTINGS)
    parser.add_argument("--out", default="runs/mode-collapse")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / "results.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else []
    done = {(r["mixture"], r["setting"], r["seed"], r["steps"]) for r in results}
    samples = {}
    for seed in args.seeds:
        for mixture in MIXTURES:
            for setting in args.settings:
                if (mixture, setting, seed, args.steps) in done:
                    continue
                points, measured, wall = run(mixture, setting, seed, args.steps,
                                             args.learning_rate)
                results.append({"mixture": mixture, "setting": setting, "seed": seed,
                                "steps": args.steps, "wall_time_s": round(wall, 1), **measured})
                results_file.write_text(json.dumps(results, indent=1))  # after every run
                if seed == args.seeds[0]:
                    samples[(mixture, setting)] = points
                    np.save(out / f"samples-{mixture}-{setting}.npy", points)
                print(json.dumps(results[-1]), flush=True)
    for mixture in MIXTURES:
        for setting in SETTINGS:
            file = out / f"samples-{mixture}-{setting}.npy"
            if (mixture, setting) not in samples and file.is_file():
                samples[(mixture, setting)] = np.load(file)
    (out / "table.md").write_text(table([r for r in results if r["steps"] == args.steps]))
    scatter(samples, out / "mode-collapse.png")
    print(table([r for r in results if r["steps"] == args.steps]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
