"""Training throughput, side by side in one run, printed as ratios.

    python benchmarks/bench_train_speed.py [--steps 30] [--batch 128]

Compares kerasgan's DCGAN (small and base) with the keras.io-style reference
DCGAN, and float32 with XLA (`jit_compile=True`), on the same machine and data.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402

import kerasgan  # noqa: E402
from reference_dcgan import ReferenceDCGAN  # noqa: E402


class BatchClock(keras.callbacks.Callback):
    """Timestamps batch ends, so tracing, warm-up and the input pipeline's start are excluded."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


def images_per_second(model, dataset, steps, batch, warmup=5):
    clock = BatchClock()
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[clock], verbose=0)
    return steps * batch / (clock.times[-1] - clock.times[warmup - 1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    images, _ = kerasgan.data.load_fashion_mnist("train")
    dataset = kerasgan.data.from_numpy(images[:20000], batch_size=args.batch).repeat()
    results = {}
    for name, make, jit in [
        ("reference keras.io-style DCGAN", lambda: ReferenceDCGAN(), False),
        ("kerasgan DCGAN small (EMA)", lambda: kerasgan.DCGAN.from_size("small", ema_decay=0.999), False),
        ("kerasgan DCGAN small, XLA", lambda: kerasgan.DCGAN.from_size("small", ema_decay=0.999), True),
        ("kerasgan DCGAN base", lambda: kerasgan.DCGAN.from_size("base"), False),
    ]:
        keras.utils.set_random_seed(0)
        model = make()
        model.compile() if jit is False else model.compile(jit_compile=True)
        results[name] = images_per_second(model, dataset, args.steps, args.batch)
    base = results["reference keras.io-style DCGAN"]
    print(f"{'model':36s} {'img/s':>8s} {'vs reference':>13s}")
    for name, value in results.items():
        print(f"{name:36s} {value:8.1f} {value / base:12.2f}x")


if __name__ == "__main__":
    main()
