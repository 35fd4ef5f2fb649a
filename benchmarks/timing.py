"""Timing shared by the benchmarks: per-step training time, and interleaved repeats.

Contenders measured side by side are run in rounds, A B C A B C ..., so that a
slow minute of a shared machine lands on every contender alike; each is reported
as the median of its per-round rates with their spread (min, max, quartiles).
"""

from __future__ import annotations

import statistics
import time

import keras


class BatchClock(keras.callbacks.Callback):
    """Timestamps batch ends, so tracing, warm-up and the input pipeline's start are excluded."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


class StepPrinter(keras.callbacks.Callback):
    """Prints `<label> step N` every `every` training steps: a long `fit` shows it is alive."""

    def __init__(self, label: str, every: int = 500):
        super().__init__()
        self.label, self.every, self.steps = label, every, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps % self.every == 0:
            print(f"  {self.label} step {self.steps}", flush=True)


def seconds_per_step(model, dataset, steps=30, warmup=5):
    """Mean seconds per training step of a compiled model, after `warmup` steps."""
    clock = BatchClock()
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[clock], verbose=0)
    return (clock.times[-1] - clock.times[warmup - 1]) / steps


def summarize(values) -> dict:
    """Median and spread of per-repeat values.

    Example:
    >>> summarize([1.0, 2.0, 4.0])["median"]
    2.0
    """
    values = [float(v) for v in values]
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = q3 = values[0]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "q1": q1, "q3": q3, "values": values}


def interleaved(contenders: dict, repeats: int) -> dict:
    """Runs each contender once per round, in order, for `repeats` rounds.

    Args:
        contenders: name -> a function that runs one repeat and returns its rate
            (e.g. images/s). Warm each one up (tracing, first batch) beforehand.
        repeats: the number of rounds.

    Returns:
        name -> the list of per-round rates, in round order.

    Example:
    >>> rates = interleaved({"a": lambda: 1.0, "b": lambda: 2.0}, repeats=3)
    >>> rates["b"]
    [2.0, 2.0, 2.0]
    """
    rates = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            rates[name].append(float(run()))
    return rates


def ratio_summary(numerator, denominator) -> dict:
    """`summarize` of the per-round ratios of two contenders measured in the same rounds."""
    return summarize([a / b for a, b in zip(numerator, denominator)])


def timed_rate(work, items: int, calls: int = 1) -> float:
    """Items per second of `calls` calls of `work()`, each producing `items` items."""
    start = time.perf_counter()
    for _ in range(calls):
        work()
    return items * calls / (time.perf_counter() - start)


def fit_rate(model, dataset, steps: int, batch_size: int) -> float:
    """Training images/s over `steps` steps of one `fit` call, timed from the end of
    its first step (which holds the input pipeline's start)."""
    clock = BatchClock()
    model.fit(dataset, epochs=1, steps_per_epoch=1 + steps, callbacks=[clock], verbose=0)
    return batch_size * steps / (clock.times[-1] - clock.times[0])
