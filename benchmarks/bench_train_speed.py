"""Training throughput, side by side in one run, printed as ratios.

    python benchmarks/bench_train_speed.py [--steps 30] [--batch 128]

Compares kerasgan's DCGAN (small and base) with the keras.io-style reference
DCGAN, float32 with XLA (`jit_compile=True`), and TensorFlow's default strategy
with `OneDeviceStrategy`, on the same machine and data.

For the published comparison (interleaved repeats, the TF tutorial and WGAN-GP
references, kerasgan on the references' own networks, FLOP/s vs the matmul peak),
run `python -m benchmarks --only throughput,flops` (see README.md).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerasgan  # noqa: E402
from reference_dcgan import ReferenceDCGAN  # noqa: E402
from timing import seconds_per_step  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    images, _ = kerasgan.data.load_fashion_mnist("train")
    dataset = kerasgan.data.from_numpy(images[:20000], batch_size=args.batch).repeat()
    results = {}
    one_device = tf.distribute.OneDeviceStrategy("/cpu:0")
    default = tf.distribute.get_strategy()
    for name, make, jit, strategy in [
        ("reference keras.io-style DCGAN", lambda: ReferenceDCGAN(), False, default),
        ("kerasgan DCGAN small (EMA)", lambda: kerasgan.DCGAN.from_size("small", ema_decay=0.999),
         False, default),
        ("kerasgan DCGAN small, XLA", lambda: kerasgan.DCGAN.from_size("small", ema_decay=0.999),
         True, default),
        ("kerasgan DCGAN small, OneDeviceStrategy",
         lambda: kerasgan.DCGAN.from_size("small", ema_decay=0.999), False, one_device),
        ("kerasgan DCGAN base", lambda: kerasgan.DCGAN.from_size("base"), False, default),
    ]:
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = make()
            model.compile(jit_compile=True) if jit else model.compile()
        results[name] = args.batch / seconds_per_step(model, dataset, args.steps)
    base = results["reference keras.io-style DCGAN"]
    print(f"{'model':36s} {'img/s':>8s} {'vs reference':>13s}")
    for name, value in results.items():
        print(f"{name:36s} {value:8.1f} {value / base:12.2f}x")


if __name__ == "__main__":
    main()
