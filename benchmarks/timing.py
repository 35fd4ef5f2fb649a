"""Per-step timing shared by the benchmarks."""

import time

import keras


class BatchClock(keras.callbacks.Callback):
    """Timestamps batch ends, so tracing, warm-up and the input pipeline's start are excluded."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


def seconds_per_step(model, dataset, steps=30, warmup=5):
    """Mean seconds per training step of a compiled model, after `warmup` steps."""
    clock = BatchClock()
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[clock], verbose=0)
    return (clock.times[-1] - clock.times[warmup - 1]) / steps
