"""An unpaired translation checkpoint (CycleGAN) against the keras.io CycleGAN example's
recipe trained for the same time.

    python benchmarks/bench_unpaired_vs_reference.py cyclegan-printed2handwritten[=SECONDS] \
        [--seconds-per-step S] [--out runs/cyclegan-vs-reference.json]

The checkpoint may be a zoo name or a preset folder. The reference
(`reference_cyclegan.py`) trains on the checkpoint's unpaired training split and batch
size, with its seed, for the checkpoint's wall time (from its card, or SECONDS), turned
into a step count by the reference's seconds per step on this machine (see
`same_time.py`). Both are measured with the card's protocol (`kerasgan evaluate`'s
unpaired one: each direction's held-out translations against the held-out images of its
target domain, by that domain's classifier, plus class kept and cycle error); the
checkpoint's figures are the card's.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import keras  # noqa: E402

from kerasgan.data import from_unpaired, load_unpaired  # noqa: E402
from kerasgan.metrics import _evaluate_unpaired  # noqa: E402
import same_time  # noqa: E402
from reference_cyclegan import ReferenceCycleGAN  # noqa: E402


def main(argv=None):
    args = same_time.parser(__doc__.splitlines()[0]).parse_args(argv)
    name, card, budget = same_time.read_card(args.checkpoint)
    protocol = card["metrics"]["protocol"]
    if "unpaired" not in protocol:
        raise SystemExit(f"{name} is not an unpaired translation checkpoint: its card's "
                         f"protocol has no unpaired evaluation. Received: {name!r}")
    data, seed = card["config"]["data"], card["config"]["train"]["seed"]
    dataset, batch_size = data["dataset"], data["batch_size"]
    (a, _), (b, _) = load_unpaired(dataset, data.get("split", "train"))
    keras.utils.set_random_seed(seed)
    pipeline = from_unpaired(a, b, batch_size=batch_size, seed=seed).repeat()
    shape = tuple(pipeline.element_spec[1].shape[1:])
    reference, steps, step_time = same_time.train_reference(
        lambda: ReferenceCycleGAN(shape), pipeline, budget, seed, args)
    if reference is None:
        return {"reference_s_per_step": step_time}

    reference_name, split = protocol["reference"].split(":")
    compared = [m for m in ("fid", "kid", "pr") if any(
        k.startswith(f"a2b/{m if m != 'pr' else 'precision'}") for k in card["metrics"])]
    # The card's own sample size: each direction translates up to that many held-out images.
    num_samples = max(protocol[d]["num_fake"] for d in ("a2b", "b2a"))
    theirs = _evaluate_unpaired(reference, reference_name, num_samples=num_samples,
                                metrics=compared, extractor=None, reference_split=split,
                                batch_size=256, progress=False)
    theirs.pop("protocol")
    ours = {k: v for k, v in card["metrics"].items() if k != "protocol"}
    row = {"checkpoint": name, "budget_s": budget, "checkpoint_steps": card["training"]["steps"],
           "reference": "keras.io CycleGAN example (reference_cyclegan.py)",
           "reference_steps": steps, "reference_s_per_step": step_time,
           "num_samples": {d: protocol[d]["num_fake"] for d in ("a2b", "b2a")}}
    for key in sorted(ours):
        row[key], row[f"reference_{key}"] = ours[key], theirs.get(key)
    return same_time.report(row, args.out)


if __name__ == "__main__":
    main()
