"""Issue #24 item 4: why two identical one-device runs sometimes differ. Runs 3-step
DCGAN fits (the mirrored check's `none` case, kernels on one thread) for SECONDS, each on
a new 3-batch pipeline, and counts the fits that trained fewer than 3 steps and, of
those, the ones whose pipeline then yields fewer than 3 batches on a plain iteration
(its in-memory cache completed early).

Usage: python scripts/repro_short_epoch.py SECONDS MODE
MODE: cache-onedevice | nocache-onedevice | cache-default (from_numpy's pipeline), or
tfds-cache-onedevice | tfds-nocache-onedevice | tfds-cache-default (from_tfds on TFDS's fashion_mnist
builder, prepared offline from Debian's files into a temporary folder: 96 test images)
(run two at a time beside a training: the early end is commoner under load)
"""

import os
import sys
import time

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import tensorflow as tf  # noqa: E402

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402

MODES = ("cache-onedevice", "nocache-onedevice", "cache-default", "tfds-cache-onedevice",
         "tfds-nocache-onedevice", "tfds-cache-default")
seconds, mode = float(sys.argv[1]), sys.argv[2]
if mode not in MODES:
    raise SystemExit(f"Unknown mode {mode!r}. Expected one of: {', '.join(MODES)}")
images = np.random.default_rng(0).integers(0, 256, (96, 28, 28, 1), dtype=np.uint8)
use_cache = "-cache-" in f"-{mode}"
if mode.startswith("tfds"):
    import tempfile

    from kerasgan.data.tfds import from_tfds, prepare_fashion_mnist_from_debian

    tfds_dir = tempfile.mkdtemp(prefix="repro-tfds-")
    prepare_fashion_mnist_from_debian(tfds_dir)

    def pipeline():
        return from_tfds("fashion_mnist", "test[:96]", data_dir=tfds_dir, batch_size=32,
                         shuffle=False, cache=use_cache)
else:
    def pipeline():
        return kerasgan.data.from_numpy(images, batch_size=32, shuffle=False, cache=use_cache)


strategy = (tf.distribute.OneDeviceStrategy("/cpu:0") if mode.endswith("onedevice")
            else tf.distribute.get_strategy())
with strategy.scope():
    keras.utils.set_random_seed(0)
    gan = kerasgan.DCGAN.from_size("small", latent_dim=16, seed=3, ema_decay=0.9)
    gan.compile(jit_compile=False,
                optimizers={g.name: keras.optimizers.SGD(1e-3) for g in gan.update_groups()})
runs = short = truncated = 0
end = time.time() + seconds
while time.time() < end:
    ds = pipeline()
    steps = []
    gan.fit(ds, epochs=1, steps_per_epoch=3, verbose=0,
            callbacks=[keras.callbacks.LambdaCallback(
                on_train_batch_end=lambda batch, logs, steps=steps: steps.append(batch))])
    runs += 1
    if len(steps) != 3:
        short += 1
        truncated += sum(1 for _ in ds) != 3
print(mode, "runs", runs, "short", short, "cache-truncated", truncated, flush=True)
