"""One worker of a 2-process MultiWorkerMirroredStrategy run on 127.0.0.1.

    multiworker_worker.py INDEX PORT0 PORT1 OUT.npz
"""

import json
import os
import sys

index, port0, port1, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.environ["TF_CONFIG"] = json.dumps({
    "cluster": {"worker": [f"127.0.0.1:{port0}", f"127.0.0.1:{port1}"]},
    "task": {"type": "worker", "index": index},
})

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402

strategy = kerasgan.distribute.get_strategy("auto")
assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
images = np.random.default_rng(0).integers(0, 256, (128, 28, 28, 1), dtype=np.uint8)
with strategy.scope():
    keras.utils.set_random_seed(0)
    gan = kerasgan.DCGAN.from_size("small", latent_dim=16, seed=3, ema_decay=0.9)
    gan.compile(jit_compile=False)
ds = kerasgan.data.from_numpy(images, batch_size=32, shuffle=False)
history = gan.fit(ds, epochs=1, steps_per_epoch=3, verbose=0)
np.savez(out, *gan.get_weights())
print("WORKER", index, "d_loss", history.history["d_loss"][-1])
