"""The frame shared by the same-time reference benchmarks: a zoo checkpoint's card gives
the budget (its training wall time), the data and the seed; the reference's seconds per
step on this machine turn the budget into a step count, and the reference trains for
that many steps, so its result does not depend on what else the machine runs meanwhile.

With `--backup RUN`, the reference's whole state (networks, optimizers, BN statistics)
is saved every 500 steps into `RUN/backup/ckpt-NNNNNN/`, as `kerasgan train` saves
its runs, and a rerun with the same `--backup` continues from the newest complete one
with the step count and speed it started with. A long reference can then span
sessions (`scripts/park_run.py park RUN` carries it to the next machine). A resumed
reference sees the same batches as an uninterrupted one; its noise draws differ.
"""

import argparse
import json
import math
import shutil
import time
from pathlib import Path

import keras
import numpy as np

import kerasgan
from kerasgan.training import (PROGRESS_FILE, STATE_FILE, _complete_checkpoints,
                               latest_checkpoint)
from kerasgan.utils import atomic_directory, atomic_write
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
    add_backup_argument(parser)
    return parser


def add_backup_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backup", default=None, metavar="RUN",
                        help="save the reference's training state under RUN/backup every "
                             f"{BACKUP_EVERY} steps and resume from it when rerun")


BACKUP_EVERY = 500
SNAPSHOT_FILE = "snapshot-{:06d}.weights.h5"


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


def saved_plan(backup) -> dict | None:
    """The progress record of the newest complete reference backup under `backup`
    (`steps`, `total_steps`, `seconds_per_step`, ...), or None."""
    latest = latest_checkpoint(Path(backup) / "backup") if backup else None
    return latest[1] if latest else None


class ReferenceBackup(keras.callbacks.Callback):
    """Counts the reference's steps from `start_step`, stops at `total_steps`, copies
    the generator's weights at each of `snapshot_at`, and (with `backup_dir`) saves the
    whole state and the snapshots so far at every epoch end, atomically."""

    def __init__(self, total_steps, *, start_step=0, snapshot_at=(), snapshots=None,
                 backup_dir=None, progress=None, keep=2):
        super().__init__()
        self.total_steps, self.steps = total_steps, start_step
        self.snapshot_at = set(snapshot_at)
        self.snapshots = dict(snapshots or {})
        self.backup_dir = Path(backup_dir) if backup_dir else None
        self.progress, self.keep = dict(progress or {}), keep
        self.started = time.time()
        self.previous_wall = self.progress.get("wall_time_s", 0.0)

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps in self.snapshot_at:
            self.snapshots[self.steps] = self.model.generator.get_weights()
        if self.steps >= self.total_steps:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.backup_dir is None:
            return
        if logs and not all(np.isfinite(float(np.ravel(v)[0])) for v in logs.values()):
            return  # a diverged state is never saved
        self.model.built = True  # a train_step-only model has no call() to build it
        progress = dict(self.progress, steps=self.steps, total_steps=self.total_steps,
                        wall_time_s=self.previous_wall + time.time() - self.started)
        with atomic_directory(self.backup_dir / f"ckpt-{self.steps:06d}", overwrite=True) as tmp:
            self.model.save_weights(tmp / STATE_FILE)
            generator_weights = self.model.generator.get_weights()
            for step, weights in sorted(self.snapshots.items()):
                self.model.generator.set_weights(weights)
                self.model.generator.save_weights(tmp / SNAPSHOT_FILE.format(step))
            self.model.generator.set_weights(generator_weights)
            (tmp / PROGRESS_FILE).write_text(json.dumps(progress))
        for old, _ in _complete_checkpoints(self.backup_dir)[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)


def fit_reference(reference, pipeline, total_steps: int, *, backup=None, snapshot_at=(),
                  progress=None, label="reference", every=BACKUP_EVERY) -> dict:
    """Trains the compiled `reference` on the repeated `pipeline` up to `total_steps`
    steps, resuming from `backup` (a run folder) when it holds a backup. Returns the
    generator's weights at each step of `snapshot_at`.

    Example:
    >>> snapshots = fit_reference(reference, pipeline.repeat(), 6000, backup="runs/ref",
    ...                           snapshot_at=[3000, 6000])   # doctest: +SKIP
    """
    backup_dir = Path(backup) / "backup" if backup else None
    latest = latest_checkpoint(backup_dir) if backup_dir else None
    start_step, snapshots = 0, {}
    if latest is not None:
        folder, saved = latest
        if saved["total_steps"] != total_steps:
            raise ValueError(f"{folder} is a reference of {saved['total_steps']} steps; this "
                             f"run asks for {total_steps}. Use another --backup folder.")
        # One throwaway step creates the optimizers' variables; the backup overwrites all.
        reference.fit(pipeline.take(1), epochs=1, steps_per_epoch=1, verbose=0)
        reference.built = True
        reference.load_weights(folder / STATE_FILE)
        start_step, progress = saved["steps"], saved
        if hasattr(reference, "step_count"):  # a step schedule (ReferenceStyleGAN)
            reference.step_count.assign(start_step)
        for path in sorted(folder.glob(SNAPSHOT_FILE.replace("{:06d}", "*"))):
            reference.generator.load_weights(path)
            snapshots[int(path.name.split("-")[1].split(".")[0])] = \
                reference.generator.get_weights()
        print(f"{label}: resuming from {folder} (step {start_step} of {total_steps})",
              flush=True)
    tracker = ReferenceBackup(total_steps, start_step=start_step, snapshot_at=snapshot_at,
                              snapshots=snapshots, backup_dir=backup_dir, progress=progress)
    if start_step < total_steps:
        every = min(every, total_steps)
        printer = StepPrinter(label)
        printer.steps = start_step
        reference.fit(pipeline.skip(start_step), epochs=math.ceil(total_steps / every),
                      initial_epoch=start_step // every, steps_per_epoch=every,
                      callbacks=[tracker, printer], verbose=0)
    return tracker.snapshots


def train_reference(make_reference, pipeline, budget: float, seed: int, args):
    """Trains a new `make_reference()` for `budget` seconds' worth of steps on `pipeline`
    (resuming `args.backup` if given). Returns `(reference, steps, seconds per step)`;
    the reference is None with `--measure-only`."""
    plan = saved_plan(getattr(args, "backup", None))
    if plan is not None:
        step_time = plan["seconds_per_step"]
        print(f"reference: {args.backup} holds a backup; its speed {step_time:.4f} s/step "
              f"and {plan['total_steps']} steps are kept", flush=True)
    elif args.seconds_per_step:
        step_time = args.seconds_per_step
    else:
        probe = make_reference()
        probe.compile()
        step_time = seconds_per_step(probe, pipeline, steps=30, warmup=5)
    if args.measure_only:
        print(f"reference: {step_time:.4f} s/step (--seconds-per-step {step_time:.4f})")
        return None, 0, step_time
    steps = plan["total_steps"] if plan else max(1, round(budget / step_time))
    if args.max_steps:
        steps = min(steps, args.max_steps)
    print(f"reference: {step_time * 1000:.0f} ms/step, {steps} steps for {budget:.0f} s",
          flush=True)
    keras.utils.set_random_seed(seed)
    reference = make_reference()
    reference.compile()
    fit_reference(reference, pipeline, steps, backup=getattr(args, "backup", None),
                  progress={"seconds_per_step": step_time, "budget_s": budget})
    return reference, steps, step_time


def report(row: dict, out: str | None) -> dict:
    """Prints the result and, with `out`, writes it there as JSON (atomically)."""
    print(json.dumps(row, indent=2))
    if out:
        with atomic_write(out) as tmp:
            Path(tmp).write_text(json.dumps(row, indent=2))
    return row
