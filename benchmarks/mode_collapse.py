"""Mode collapse on the classic 2-D mixtures, with and without each remedy, at the
unrolled GAN paper's settings.

    python benchmarks/mode_collapse.py [--steps 25000] [--seeds 0 1 2] \
        [--settings none unrolled-5 ...] [--out runs/mode-collapse]

Data: 8 Gaussians on a ring of radius 2 (std 0.02) and 25 on a 5x5 grid with spacing 2
(std 0.05), the setups of Metz et al. 2017 and Srivastava et al. 2017 (VEEGAN); a fresh
batch is drawn every step, as the authors' code samples the mixture in the graph.

The networks and optimizers are those of the authors' demo (github.com/poolio/
unrolled_gan, "Unrolled GAN demo.ipynb"): G 256-d normal noise -> 128 -> 128 -> 2 and D
2 -> 128 -> 128 -> 1, tanh hidden layers, orthogonal initialization (gain 1.4), the
standard GAN objective (G minimises the unrolled D's loss with the non-saturating
sign the base uses), Adam with beta_1 = 0.5 and epsilon = 1e-8 at 1e-4 for D and 1e-3
for G, batch 512, 25,000 steps. The unrolled steps replay D's own Adam update (its
moments copied) and the generator's gradient flows back through them.
Departure: G and D update one after the other (the base's order, D first); the demo
runs both train ops in one `session.run`, so its generator saw D before or after the
step, as the graph scheduled it.

Settings: no remedy; the generator against D unrolled 5 and 10 steps (Metz et al.
2017); minibatch discrimination before D's last layer (Salimans et al. 2016, 8 kernels
of dimension 4); the minibatch standard deviation feature there (Karras et al. 2018,
groups of 4).

Measured on 2,500 samples per run: a sample is *high quality* if it lies within 3
standard deviations of its nearest mode; a mode is *covered* if at least 1% of the
samples (25) are high quality and nearest to it. Writes `results.json` (after every
run, and a rerun skips what it holds), a Markdown table (mean and standard deviation
over seeds) and `mode-collapse.png` (seed 0).
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
SETTINGS = ("none", "unrolled-5", "unrolled-10", "minibatch-discrimination", "minibatch-stddev")
NOISE_DIM = 256
HIDDEN = 128
SAMPLES = 2500


def sample_mixture(name, n, rng):
    centers, std = MIXTURES[name]
    return (centers[rng.integers(0, len(centers), n)] + rng.normal(0, std, (n, 2))).astype(
        np.float32)


def _dense(units, name=None):
    return keras.layers.Dense(units, name=name,
                              kernel_initializer=keras.initializers.Orthogonal(gain=1.4))


def build_networks(setting):
    noise = keras.Input((NOISE_DIM,), name="latents")
    x = noise
    for _ in range(2):
        x = keras.layers.Activation("tanh")(_dense(HIDDEN)(x))
    generator = keras.Model(noise, _dense(2, name="points")(x), name="generator")
    points = keras.Input((2,), name="points")
    x = points
    for _ in range(2):
        x = keras.layers.Activation("tanh")(_dense(HIDDEN)(x))
    if setting == "minibatch-discrimination":
        x = kerasgan.layers.MinibatchDiscrimination(num_kernels=8, kernel_dim=4)(x)
    elif setting == "minibatch-stddev":
        x = kerasgan.layers.MinibatchStdDev(group_size=4)(x)
    discriminator = keras.Model(points, _dense(1, name="logits")(x), name="discriminator")
    return generator, discriminator


class MixtureBatches(keras.utils.PyDataset):
    """A fresh batch of the mixture every step, from one seeded generator."""

    def __init__(self, mixture, steps, batch_size, seed):
        super().__init__()
        self.mixture, self.steps, self.batch_size = mixture, steps, batch_size
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        return sample_mixture(self.mixture, self.batch_size, self.rng)


def run(mixture, setting, seed, steps, d_learning_rate=1e-4, g_learning_rate=1e-3,
        batch_size=512):
    keras.utils.set_random_seed(seed)
    generator, discriminator = build_networks(setting)
    unrolled = int(setting.split("-")[1]) if setting.startswith("unrolled") else None
    gan = kerasgan.GAN(generator, discriminator, latent_dim=NOISE_DIM, seed=seed,
                       unrolled_steps=unrolled)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=0.5, epsilon=1e-8),
                g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=0.5, epsilon=1e-8),
                # 50 steps per call: the plain runs' step is mostly Python overhead (0.021
                # vs 0.012 s/step side by side; XLA was slower, 0.041).
                steps_per_execution=50)
    start = time.time()
    gan.fit(MixtureBatches(mixture, steps, batch_size, seed), epochs=1, verbose=0)
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
    parser.add_argument("--steps", type=int, default=25000)
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
                points, measured, wall = run(mixture, setting, seed, args.steps)
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
