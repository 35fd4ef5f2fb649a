"""Floating-point operations of a traced TensorFlow function, and this machine's matmul peak.

FLOPs are counted on the graph TensorFlow runs, not estimated from layer shapes:
`tf.function(fn).get_concrete_function(spec)` traces the function at a fixed batch
size, and each op's count comes from TensorFlow's own per-op registry (the one
`tf.compat.v1.profiler` reads: `MatMul` 2·m·k·n, `Conv2D` 2·outputs·kh·kw·cin,
`Conv2DBackpropInput` / `Conv2DBackpropFilter` likewise, elementwise ops one per
element). Only ops that the function's outputs or its variable updates depend on are
counted, as the runtime prunes the rest: a convolution's gradient function always
builds both the input and the filter gradient, and a generator update needs only the
input gradient through the discriminator.

Why the whole training step rather than 3x each network's forward pass: the steps
differ in what they run (kerasgan's generator update draws new fakes where the TF
tutorial reuses one batch of fakes for both updates; WGAN-GP's penalty differentiates
a gradient), which a fixed multiplier would hide.

Example:
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
>>> forward_flops(model, batch_size=2)      # MatMul 2*2*3*4 + BiasAdd 2*4
56
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import time

import tensorflow as tf

# Ops that call another function: their bodies live in the function library, where
# the per-op count doesn't reach, so a graph holding one would be undercounted.
_FUNCTION_CALL_OPS = {"PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile",
                      "If", "StatelessIf"}


@contextlib.contextmanager
def quiet_tf_logs():
    """Keeps TensorFlow's Python logger to errors inside the block."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _needed_ops(graph) -> list:
    """The ops the graph's outputs and control outputs (variable updates) depend on."""
    stack = [t.op for t in graph.outputs] + list(graph.control_outputs)
    seen = {}
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen[op.name] = op
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return list(seen.values())


def graph_flops(concrete_function) -> int:
    """FLOPs of one call of a concrete function (static shapes needed).

    Raises:
        ValueError: if a counted op's shape is unknown, or the graph calls nested
            functions whose ops this count would miss.
    """
    # The registry the profiler reads; importing flops_registry fills it.
    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.profiler.internal import flops_registry

    del flops_registry  # imported for its registrations only

    graph = concrete_function.graph
    total = 0
    # The per-op statistics use a TF1 shape helper that logs a deprecation notice.
    with quiet_tf_logs():
        for op in _needed_ops(graph):
            if op.type in _FUNCTION_CALL_OPS:
                raise ValueError(
                    f"The traced function calls a nested function ({op.type} '{op.name}'), whose "
                    "FLOPs this count can't see. Trace the Python function itself, not a "
                    f"tf.function wrapping it. Received: op={op.name}")
            try:
                stats = tf_ops.get_stats_for_node_def(graph, op.node_def, "flops")
            except ValueError as error:
                raise ValueError(f"Can't count the FLOPs of op '{op.name}' ({op.type}): its "
                                 f"shapes must be static. Received: {error}") from error
            if stats.value is not None:
                total += int(stats.value)
    return total


def forward_flops(model, batch_size: int) -> int:
    """FLOPs of one inference call of a single-input Keras model at `batch_size`."""
    spec = tf.TensorSpec((batch_size, *model.inputs[0].shape[1:]), model.inputs[0].dtype)
    return graph_flops(tf.function(lambda x: model(x, training=False)).get_concrete_function(spec))


def train_step_flops(model, batch_spec) -> int:
    """FLOPs of one `model.train_step` on a batch of `batch_spec` (a `tf.TensorSpec`,
    or a tuple of them), counted on its own trace.

    Call it after the model has trained a step: a lazily built optimizer would
    otherwise create its variables inside this trace.
    """
    function = tf.function(model.train_step, autograph=False)
    return graph_flops(function.get_concrete_function(batch_spec))


def matmul_flops_per_second(size: int = 2048, chain: int = 8) -> tuple[float, float]:
    """One measurement of float32 matmul throughput: `chain` dependent
    `size`x`size` products in one traced call. Returns `(flops_per_second, seconds)`.

    The products are chained so none can be skipped; the right factor is scaled by
    1/sqrt(size) so the values stay finite.
    """
    a = tf.random.stateless_normal((size, size), seed=(0, 1))
    b = tf.random.stateless_normal((size, size), seed=(0, 2)) / size ** 0.5
    run = _matmul_chain(chain)
    run(a, b).numpy()  # trace and warm the kernels
    start = time.perf_counter()
    run(a, b).numpy()
    seconds = time.perf_counter() - start
    return 2.0 * size ** 3 * chain / seconds, seconds


_CHAINS = {}


def _matmul_chain(chain: int):
    if chain not in _CHAINS:
        @tf.function
        def run(a, b):
            for _ in range(chain):
                a = tf.linalg.matmul(a, b)
            return a

        _CHAINS[chain] = run
    return _CHAINS[chain]


def matmul_peak(size: int = 2048, chain: int = 8, repeats: int = 5) -> float:
    """The median of `repeats` measurements of `matmul_flops_per_second`, in FLOP/s."""
    return statistics.median(matmul_flops_per_second(size, chain)[0] for _ in range(repeats))
