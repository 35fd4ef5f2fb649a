"""The frame shared by the same-time reference benchmarks: a zoo checkpoint's card gives
the budget (its training wall time), the data and the seed; the reference's seconds per
step on this machine turn the budget into a step count, and the reference trains for
that many steps, so its result does not depend on what else the machine runs meanwhile.
"""

import argparse
import json
from pathlib import Path

import keras

import kerasgan
from kerasgan.utils import atomic_write
from kerasgan.zoo.preset import read_metadata

from timing import StepPrinter, seconds_per_step


def parser(description: str) -> argparse.ArgumentParser:
    """The command line every same-time benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("checkpoint", help="NAME, preset folder, or either with =SECONDS")
    parser.add_argument("--seconds-per-step", type=float, default=None,
                        help="the reference's speed measured earlier on an idle machine")
    parser.add_argument("--measure-only", action="store_true",
                        help="only measure and print the reference's seconds per step")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="cap the reference's steps (a smoke run; the result is then not "
                             "a same-time comparison)")
    parser.add_argument("--out", default=None, help="also write the result as JSON here")
    return parser


def read_card(checkpoint: str) -> tuple[str, dict, float]:
    """`(name, card, budget in seconds)` of `NAME[=SECONDS]`. A checkpoint that started
    from another (`generator_init`, as SRGAN from SRResNet) is given both wall times: the
    reference trains from scratch."""
    name, _, seconds = checkpoint.partition("=")
    card = read_metadata(kerasgan.zoo.resolve(name)[0])
    if seconds:
        return name, card, float(seconds)
    budget = card["training"]["wall_time_s"]
    init = card["config"]["model"].get("generator_init")
    if init:
        budget += read_metadata(kerasgan.zoo.resolve(init)[0])["training"]["wall_time_s"]
    return name, card, budget


def train_reference(make_reference, pipeline, budget: float, seed: int, args):
    """Trains a new `make_reference()` for `budget` seconds' worth of steps on `pipeline`.
    Returns `(reference, steps, seconds per step)`; the reference is None with
    `--measure-only`."""
    if args.seconds_per_step:
        step_time = args.seconds_per_step
    else:
        probe = make_reference()
        probe.compile()
        step_time = seconds_per_step(probe, pipeline, steps=30, warmup=5)
    if args.measure_only:
        print(f"reference: {step_time:.4f} s/step (--seconds-per-step {step_time:.4f})")
        return None, 0, step_time
    steps = max(1, round(budget / step_time))
    if args.max_steps:
        steps = min(steps, args.max_steps)
    print(f"reference: {step_time * 1000:.0f} ms/step, {steps} steps for {budget:.0f} s",
          flush=True)
    keras.utils.set_random_seed(seed)
    reference = make_reference()
    reference.compile()
    reference.fit(pipeline, epochs=1, steps_per_epoch=steps,
                  callbacks=[StepPrinter("reference")], verbose=0)
    return reference, steps, step_time


def report(row: dict, out: str | None) -> dict:
    """Prints the result and, with `out`, writes it there as JSON (atomically)."""
    print(json.dumps(row, indent=2))
    if out:
        with atomic_write(out) as tmp:
            Path(tmp).write_text(json.dumps(row, indent=2))
    return row
