"""Levers on training throughput, measured side by side (interleaved rounds):

1. `steps_per_execution`: `fit` runs N training steps per call into the traced
   function instead of one, which saves Python and callback work per step.
2. The fused discriminator pass: real and fake images through the discriminator in
   one call where no layer couples the samples (`GAN.fuses_discriminator_pass`),
   against two calls, on the same model.
3. Simultaneous updates (`simultaneous_updates=True`, the TensorFlow DCGAN tutorial's
   step): one generator pass feeds both updates, against alternating updates.
4. The generator's EMA (`ema_decay=0.999`, on in every kerasgan side of the suite's
   throughput pairs, which the references do not keep) against none, on the keras.io
   DCGAN networks: what the EMA costs in those pairs.

    python benchmarks/bench_step_overhead.py [--rounds 5] [--steps 40] [--levers ema,fused]
        [--docs docs] [--verdict "..."]

`--docs DIR` adds the tables to DIR/performance.md ("Throughput levers").

Fashion-MNIST train images, batch 128, float32, EMA on except where the lever is the EMA.
Run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parents[1]))

BATCH = 128
LEVERS = ("steps_per_execution", "fused", "simultaneous", "ema", "wgan_gp_fused")


def parse_levers(text: str) -> tuple[str, ...]:
    import difflib

    levers = tuple(part.strip() for part in text.split(",") if part.strip())
    for lever in levers:
        if lever not in LEVERS:
            close = difflib.get_close_matches(lever, LEVERS, n=1)
            hint = f" Did you mean: {close[0]}?" if close else ""
            raise argparse.ArgumentTypeError(f"Unknown lever {lever!r}; expected some of "
                                             f"{', '.join(LEVERS)}.{hint}")
    if not levers:
        raise argparse.ArgumentTypeError(f"--levers needs at least one of {', '.join(LEVERS)}")
    return levers


def contenders(steps: int, levers=LEVERS):
    """Name -> one round's run (returns img/s), in (base, lever) pairs. WGAN-GP rounds take
    `steps // 10` steps (at least 2): its step (3 critic updates with a double-backprop
    penalty) is ~40x longer."""
    import keras

    import kerasgan
    from reference_dcgan import reference_networks
    from reference_tf_tutorial_dcgan import tutorial_discriminator, tutorial_generator
    from reference_wgan_gp import wgan_gp_critic, wgan_gp_generator
    from benchmarks.suite import _logits_discriminator
    from timing import BatchClock

    images, _ = kerasgan.data.load_fashion_mnist("train")
    dataset = kerasgan.data.from_numpy(images[:20000], batch_size=BATCH, seed=0).repeat()

    def adam(rate, beta_1=0.9, beta_2=0.999):
        return keras.optimizers.Adam(rate, beta_1=beta_1, beta_2=beta_2)

    def runner(gan, steps_per_execution=1, fused=None, steps=steps):
        gan.compile(d_optimizer=adam(1e-4), g_optimizer=adam(1e-4),
                    steps_per_execution=steps_per_execution)
        if fused is not None:
            gan._fuses_discriminator_pass = fused
        # Whole executions only; the first one (tracing, pipeline start) is not timed.
        total = steps + steps_per_execution

        def run():
            clock = BatchClock()
            gan.fit(dataset, epochs=1, steps_per_epoch=total, callbacks=[clock], verbose=0)
            return BATCH * steps / (clock.times[-1] - clock.times[0])

        run()  # warm-up: tracing
        return run

    def dcgan_small():
        return kerasgan.DCGAN.from_size("small", ema_decay=0.999, seed=0)

    def tutorial(simultaneous_updates=False):
        return kerasgan.DCGAN(tutorial_generator(), tutorial_discriminator(), ema_decay=0.999,
                              seed=0, simultaneous_updates=simultaneous_updates)

    def wgan_gp_model():
        return kerasgan.WGANGP(wgan_gp_generator(), wgan_gp_critic(), d_steps=3,
                               gradient_penalty=10.0, ema_decay=0.999, seed=0)

    def keras_io(ema_decay):
        generator, discriminator = reference_networks()
        return kerasgan.DCGAN(generator, _logits_discriminator(discriminator),
                              ema_decay=ema_decay, seed=0)

    # Factories, not models: only the chosen levers' models get built.
    pairs = {
        "steps_per_execution": [
            ("DCGAN small, steps_per_execution=1", lambda: runner(dcgan_small())),
            ("DCGAN small, steps_per_execution=8",
             lambda: runner(dcgan_small(), steps_per_execution=8))],
        "fused": [
            ("DCGAN on TF tutorial networks, two D calls",
             lambda: runner(tutorial(), fused=False)),
            ("DCGAN on TF tutorial networks, fused D call",
             lambda: runner(tutorial(), fused=True))],
        "simultaneous": [
            ("DCGAN on TF tutorial networks, alternating updates", lambda: runner(tutorial())),
            ("DCGAN on TF tutorial networks, simultaneous updates",
             lambda: runner(tutorial(simultaneous_updates=True)))],
        "ema": [
            ("DCGAN on keras.io DCGAN networks, EMA", lambda: runner(keras_io(0.999))),
            ("DCGAN on keras.io DCGAN networks, no EMA", lambda: runner(keras_io(None)))],
        "wgan_gp_fused": [
            ("WGAN-GP on keras.io networks, two D calls",
             lambda: runner(wgan_gp_model(), fused=False, steps=max(2, steps // 10))),
            ("WGAN-GP on keras.io networks, fused D call",
             lambda: runner(wgan_gp_model(), fused=True, steps=max(2, steps // 10)))],
    }
    runs = {}
    for lever in levers:
        for name, make in pairs[lever]:
            runs[name] = make()
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per round")
    parser.add_argument("--levers", type=parse_levers, default=LEVERS,
                        help=f"comma-separated levers to measure (default: all): "
                             f"{','.join(LEVERS)}")
    parser.add_argument("--no-wgan-gp", action="store_true",
                        help="leave out the WGAN-GP pair (its rounds take minutes)")
    parser.add_argument("--docs", default=None,
                        help="add the tables to DOCS/performance.md (e.g. docs)")
    parser.add_argument("--verdict", default=None, help="a sentence under the tables")
    args = parser.parse_args(argv)
    from benchmarks import report
    from benchmarks.suite import machine_description
    from timing import interleaved, ratio_summary, summarize

    chosen = tuple(lever for lever in args.levers
                   if not (args.no_wgan_gp and lever == "wgan_gp_fused"))
    runs = contenders(args.steps, chosen)
    rates = interleaved(runs, args.rounds)
    names = list(runs)
    ratios = {}
    for base, lever in zip(names[0::2], names[1::2]):
        ratios[f"{lever} / {base}"] = ratio_summary(rates[lever], rates[base])
    levers = {"rates": {name: summarize(rates[name]) for name in names}, "ratios": ratios,
              "rounds": args.rounds,
              "steps": f"{args.steps} ({max(2, args.steps // 10)} for WGAN-GP)"
              if "wgan_gp_fused" in chosen else str(args.steps), "batch": BATCH,
              "machine": machine_description(), "verdict": args.verdict,
              "command": "python benchmarks/bench_step_overhead.py " + shlex.join(
                  sys.argv[1:] if argv is None else argv)}
    print(report.levers_tables(levers))
    if args.docs:
        report.add_section(args.docs, "levers", levers)


if __name__ == "__main__":
    main()
