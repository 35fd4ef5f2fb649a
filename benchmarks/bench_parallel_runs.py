"""Training throughput of one run using every core vs several one-thread runs side by side.

    python benchmarks/bench_parallel_runs.py [--runs 2] [--steps 400]

Small experiments (the seed grids of docs/finetuning.md) train many small models;
on few cores, TensorFlow does not keep two threads busy on a 28x28 DCGAN step, so
running the seeds side by side with one thread each gets more done. Each run here
is a separate process training the small DCGAN with DiffAugment on 200 MNIST
digits at batch 32; it reports steps per second after a warm-up. Prints the
single run's rate, each side-by-side run's rate, and the ratio of total throughput.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


def worker(steps: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import kerasgan
    from timing import seconds_per_step

    images, _ = kerasgan.data.load_mnist("train")
    gan = kerasgan.DCGAN.from_size("small", ema_decay=0.999, seed=0, augment="diffaugment")
    gan.compile()
    dataset = kerasgan.data.from_numpy(images[:200], batch_size=32, seed=0).repeat()
    print(json.dumps({"steps_per_s": 1.0 / seconds_per_step(gan, dataset, steps=steps, warmup=20)}))


def launch(count: int, steps: int, env_changes: dict) -> list[float]:
    env = {**os.environ, **env_changes}
    command = [sys.executable, __file__, "--worker", "--steps", str(steps)]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(count)]
    rates = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode:
            raise RuntimeError(f"a benchmark run failed with exit status {process.returncode}")
        rates.append(json.loads(out.strip().splitlines()[-1])["steps_per_s"])
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="one-thread runs side by side")
    parser.add_argument("--steps", type=int, default=400, help="timed steps per run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.steps)
        return
    (single,) = launch(1, args.steps, {})
    side_by_side = launch(args.runs, args.steps, ONE_THREAD)
    print(f"cores: {os.cpu_count()}")
    print(f"one run, default threads:          {single:6.2f} steps/s")
    print(f"{args.runs} runs side by side, 1 thread each: "
          + ", ".join(f"{r:.2f}" for r in side_by_side) + f" steps/s (total {sum(side_by_side):.2f})")
    print(f"throughput ratio, side by side / one run: {sum(side_by_side) / single:.2f}x")


if __name__ == "__main__":
    main()
