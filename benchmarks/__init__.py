"""kerasgan's benchmark suite: speed side by side against references, as ratios.

    python -m benchmarks            # every part; writes docs/performance.md
    python -m benchmarks --quick    # a smoke run of a few steps; writes to a temporary folder
    python -m benchmarks --only throughput,flops

The single scripts (`python benchmarks/bench_*.py`) still run on their own: they put
this folder on `sys.path` and import its modules by their bare names.
"""
