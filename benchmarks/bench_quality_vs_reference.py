"""Sample quality for equal training time: kerasgan DCGAN vs the keras.io-style reference.

    python benchmarks/bench_quality_vs_reference.py [--seconds 300] [--num-eval 5000]

Both train on Fashion-MNIST (train split, batch 128) for the same wall-clock
budget, one after the other in this process, then FID on the kerasgan
Fashion-MNIST classifier is measured against the test split. Prints both and
their ratio.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan import metrics  # noqa: E402
from reference_dcgan import ReferenceDCGAN  # noqa: E402


class StopAfter(keras.callbacks.Callback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.start, self.steps = seconds, None, 0

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.time() - self.start > self.seconds:
            self.model.stop_training = True


def fid_of(generate, extractor, real, num):
    fake = np.concatenate([generate(min(500, num - i), i) for i in range(0, num, 500)])
    return metrics.fid_from_features(extractor.features(real[:num]), extractor.features(fake))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--num-eval", type=int, default=5000)
    args = parser.parse_args()
    ds = kerasgan.data.fashion_mnist(batch_size=128, seed=0).repeat()
    real, _ = kerasgan.data.load_fashion_mnist("test")
    extractor = metrics.load_feature_extractor("fashion-mnist")
    results = {}

    keras.utils.set_random_seed(0)
    ours = kerasgan.DCGAN.from_size("small", ema_decay=0.999, seed=0)
    ours.compile()
    stop = StopAfter(args.seconds)
    ours.fit(ds, epochs=1, steps_per_epoch=100_000, callbacks=[stop], verbose=0)
    results["kerasgan DCGAN small + EMA"] = (fid_of(lambda n, i: ours.generate(n, seed=i), extractor,
                                                     real, args.num_eval), stop.steps)

    keras.utils.set_random_seed(0)
    reference = ReferenceDCGAN()
    reference.compile()
    stop = StopAfter(args.seconds)
    reference.fit(ds, epochs=1, steps_per_epoch=100_000, callbacks=[stop], verbose=0)

    def reference_generate(n, i):
        z = np.random.default_rng(i).standard_normal((n, 100)).astype(np.float32)
        return kerasgan.utils.to_uint8(reference.generator.predict(z, verbose=0))

    results["keras.io-style reference DCGAN"] = (fid_of(reference_generate, extractor, real,
                                                        args.num_eval), stop.steps)
    base = results["keras.io-style reference DCGAN"][0]
    print(f"{args.seconds:.0f} s of training each; FID[{extractor.extractor_id}], {args.num_eval} samples")
    for name, (fid, steps) in results.items():
        print(f"{name:34s} steps {steps:6d}  FID {fid:8.2f}  ({fid / base:.2f}x the reference)")


if __name__ == "__main__":
    main()
