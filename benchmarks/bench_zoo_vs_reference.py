"""Each zoo checkpoint against a keras.io-style reference DCGAN trained for the same time.

    python benchmarks/bench_zoo_vs_reference.py dcgan-fashion-mnist=1700 gan-mnist=500 \
        [--reference dcgan|wgan-gp] [--out runs/zoo-vs-reference.json]

`--reference wgan-gp` trains the keras.io WGAN-GP example's recipe instead
(`reference_wgan_gp.py`: the reference of the Wasserstein-loss checkpoints), and
`--reference stylegan` the keras.io StyleGAN example's (`reference_stylegan.py`:
progressive growing with AdaIN, its phases filling the budget's steps).

`NAME=SECONDS` gives the reference SECONDS of training; a bare `NAME` uses the
wall time on the checkpoint's card. The budget becomes a step count: the
reference's seconds per step on this machine and data pipeline are measured
first (100 steps, on a throwaway copy; keep the machine otherwise idle for
that minute), so the long training itself may share the machine. Checkpoints
trained on the same dataset share one reference run, snapshotted at each count.
`--backup RUN` makes that run resumable (see `same_time.py`): a rerun with the same
arguments continues it, with the speed it was sized with.

The reference trains on the checkpoint's own data pipeline (same split, batch
size and shuffling seed). Both are then measured side by side with the card's
protocol: the same feature extractor, number of samples, reference split and
latent seed. Prints FID and KID for both and the ratio.
"""

import argparse
import functools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402
from kerasgan import metrics, training  # noqa: E402
from kerasgan.utils import to_uint8  # noqa: E402
from reference_dcgan import ReferenceDCGAN  # noqa: E402
from reference_stylegan import ReferenceStyleGAN  # noqa: E402
from reference_wgan_gp import ReferenceWGANGP  # noqa: E402
import same_time  # noqa: E402
from timing import seconds_per_step  # noqa: E402


REFERENCES = {"dcgan": ReferenceDCGAN, "wgan-gp": ReferenceWGANGP,
              "stylegan": ReferenceStyleGAN}


def reference_seconds_per_step(make_reference, dataset):
    """The reference's training speed on this dataset, measured on a throwaway copy."""
    model = make_reference()
    model.compile()
    return seconds_per_step(model, dataset, steps=100, warmup=10)


def reference_images(generator, num, seed, latent_dim, batch=500):
    latents = np.random.default_rng(seed).standard_normal((num, latent_dim)).astype(np.float32)
    return np.concatenate([to_uint8(generator.predict(latents[i:i + batch], verbose=0))
                           for i in range(0, num, batch)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="NAME or NAME=SECONDS")
    parser.add_argument("--reference", choices=sorted(REFERENCES), default="dcgan",
                        help="the keras.io recipe trained as the reference")
    parser.add_argument("--out", default=None, help="also write the results as JSON here")
    parser.add_argument("--seconds-per-step", type=float, default=None,
                        help="the reference's speed measured earlier on an idle machine, "
                             "instead of measuring it now (when the machine is busy)")
    same_time.add_backup_argument(parser)
    args = parser.parse_args()
    cards, budgets = {}, {}
    for item in args.checkpoints:
        name, cards[name], budgets[name] = same_time.read_card(item)
    by_data = {}
    for name, card in cards.items():
        data = dict(card["config"]["data"], labels=False)
        key = json.dumps(data, sort_keys=True)
        by_data.setdefault(key, (data, card["config"]["train"]["seed"], []))[2].append(name)

    if args.backup and len(by_data) > 1:
        parser.error("--backup holds one reference: give only checkpoints trained on one "
                     f"dataset. Received: {sorted(cards)}")
    plan = same_time.saved_plan(args.backup)

    # Time every pipeline first, while the machine is still idle.
    groups = []
    for data, seed, names in by_data.values():
        keras.utils.set_random_seed(seed)
        dataset = training.build_dataset(data, global_batch_size=data["batch_size"], seed=seed)
        image_shape = tuple(dataset.element_spec.shape[1:])
        make_reference = functools.partial(REFERENCES[args.reference], image_shape=image_shape)
        if plan is not None:  # a resumed reference keeps the speed it was sized with
            step_time, how = plan["seconds_per_step"], f" (from {args.backup})"
        elif args.seconds_per_step:
            step_time, how = args.seconds_per_step, " (given)"
        else:
            step_time, how = reference_seconds_per_step(make_reference, dataset.repeat()), ""
        print(f"reference on {data['dataset']}: {step_time * 1000:.0f} ms/step{how}",
              flush=True)
        groups.append((data, seed, names, dataset, step_time, make_reference))

    rows = []
    for data, seed, names, dataset, step_time, make_reference in groups:
        steps_for = {n: max(1, round(budgets[n] / step_time)) for n in names}
        keras.utils.set_random_seed(seed)
        reference = make_reference()
        if hasattr(reference, "set_schedule"):  # growth phases that fill the budget
            reference.set_schedule(max(steps_for.values()))
        reference.compile()
        snapshots = same_time.fit_reference(
            reference, dataset.repeat(), max(steps_for.values()), backup=args.backup,
            snapshot_at=steps_for.values(),
            progress={"seconds_per_step": step_time, "budgets_s": budgets})
        for name in names:
            protocol = cards[name]["metrics"]["protocol"]
            num, split = protocol["num_fake"], protocol["reference"].split(":")[1]
            # The dataset's own reading (fashion-mnist-32: the centre 28x28).
            extractor = metrics.dataset_extractor(data["dataset"])
            ours = metrics.evaluate(kerasgan.load(name), data["dataset"], num_samples=num,
                                    metrics=["fid", "kid"], reference_split=split,
                                    seed=protocol["seed"], progress=False)
            steps = steps_for[name]
            reference.generator.set_weights(snapshots[steps])
            real, _ = kerasgan.data.load_dataset(data["dataset"], split)
            theirs = metrics.compare_image_sets(
                real[:num], reference_images(reference.generator, num, protocol["seed"],
                                                reference.latent_dim),
                extractor, ["fid", "kid"], progress=False)
            eid = extractor.extractor_id
            rows.append({"checkpoint": name, "reference": args.reference,
                         "budget_s": budgets[name],
                         "checkpoint_steps": cards[name]["training"]["steps"],
                         "reference_steps": steps,
                         "reference_s_per_step": step_time, "num_samples": num, "extractor": eid,
                         "fid": ours[f"fid[{eid}]"], "reference_fid": theirs[f"fid[{eid}]"],
                         "kid": ours[f"kid[{eid}]"], "reference_kid": theirs[f"kid[{eid}]"]})

    print(f"{'checkpoint':22s} {'budget s':>8s} {'steps':>6s} {'ref steps':>9s} {'FID':>8s} "
          f"{'ref FID':>8s} {'ratio':>6s} {'KID':>8s} {'ref KID':>8s}")
    for r in rows:
        print(f"{r['checkpoint']:22s} {r['budget_s']:8.0f} {r['checkpoint_steps']:6d} "
              f"{r['reference_steps']:9d} {r['fid']:8.1f} {r['reference_fid']:8.1f} "
              f"{r['fid'] / r['reference_fid']:5.2f}x {r['kid']:8.0f} {r['reference_kid']:8.0f}")
    print("FID/KID on each checkpoint's card protocol; extractor per row: "
          + ", ".join(sorted({r['extractor'] for r in rows})))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
