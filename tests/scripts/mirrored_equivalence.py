"""Runs 3 GAN steps on 1 device and on MirroredStrategy over 2 logical CPUs, from the
same initial weights and global batch, and prints the largest weight difference."""

import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402

penalty = sys.argv[1] if len(sys.argv) > 1 else "none"  # none | gp | pix2pix
images = np.random.default_rng(0).integers(0, 256, (96, 28, 28, 1), dtype=np.uint8)


def sgd():
    # SGD, not Adam: Adam's update hardly depends on the gradient's scale, so it would
    # hide a loss scaled wrongly by the replica count.
    return keras.optimizers.SGD(1e-3)


def build():
    keras.utils.set_random_seed(0)
    if penalty == "pix2pix":  # the adversarial + L1 objective of an image-to-image variant
        gan = kerasgan.Pix2Pix.from_size("small", seed=3, ema_decay=0.9)
        gan.compile(d_optimizer=sgd(), g_optimizer=sgd(), jit_compile=False)
        return gan
    # WGAN-GP's critic has layer norm: batch norm would couple the penalized samples.
    gan = kerasgan.DCGAN.from_size("small", latent_dim=16, seed=3, ema_decay=0.9,
                                   d_normalization="layer" if penalty == "gp" else "batch")
    kwargs = {"d_optimizer": sgd(), "g_optimizer": sgd()}
    if penalty == "gp":
        kwargs.update(d_loss="wasserstein", g_loss="wasserstein",
                      d_penalty=kerasgan.penalties.GradientPenalty(10.0))
    gan.compile(jit_compile=False, **kwargs)
    return gan


def run(strategy):
    with strategy.scope():
        gan = build()
    if penalty == "pix2pix":
        ds = kerasgan.data.from_pairs(kerasgan.data.edge_maps(images), images, batch_size=32,
                                      shuffle=False)
    else:
        ds = kerasgan.data.from_numpy(images, batch_size=32, shuffle=False)
    history = gan.fit(ds, epochs=1, steps_per_epoch=3, verbose=0)
    return gan, history.history


single, h1 = run(tf.distribute.OneDeviceStrategy("/cpu:0"))
mirrored, h2 = run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
assert mirrored.distribute_strategy.num_replicas_in_sync == 2
def trained_weights(gan):
    return [w.numpy() for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights]


diffs = [np.abs(a - b).max() for a, b in zip(single.get_weights(), mirrored.get_weights())]
# How far training moved the weights: a loss scaled wrongly by the replica count would
# make the two runs differ by about this much.
update = max(np.abs(a - b).max() for a, b in zip(trained_weights(single), trained_weights(build())))
print("MAXDIFF", max(diffs), "UPDATE", update)
print("LOSSES", h1["d_loss"][-1], h2["d_loss"][-1], h1["g_loss"][-1], h2["g_loss"][-1])
