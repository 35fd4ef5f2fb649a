"""Same-time reference for a super-resolution checkpoint: the keras.io ESPCN recipe
(`reference_espcn.py`) trained for the card's wall time on the same pairs, batch and
seed, then scored on the card's protocol (PSNR, SSIM, high-frequency energy against
the held-out high-resolution images).

    python benchmarks/bench_sr_vs_reference.py srresnet-emoji-4x --out runs/sr-vs-reference.json
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import same_time  # noqa: E402

from kerasgan.data import from_pairs, load_pairs  # noqa: E402
from kerasgan.metrics import super_resolution_scores  # noqa: E402

from reference_espcn import ReferenceESPCN  # noqa: E402


def main(argv=None):
    args = same_time.parser(__doc__.splitlines()[0]).parse_args(argv)
    name, card, budget = same_time.read_card(args.checkpoint)
    protocol = card["metrics"]["protocol"]
    if "high_frequency_cutoff" not in protocol:
        raise SystemExit(f"{name} is not a super-resolution checkpoint: its card has no "
                         f"super-resolution protocol. Received: {name!r}")
    data, seed = card["config"]["data"], card["config"]["train"]["seed"]
    scale = card["config"]["model"].get("scale", 4)
    low, high = load_pairs(data["dataset"], data.get("split", "train"))
    pipeline = from_pairs(low, high, batch_size=data["batch_size"], seed=seed).repeat()
    reference, steps, step_time = same_time.train_reference(
        lambda: ReferenceESPCN(high.shape[-1], scale), pipeline, budget, seed, args)
    if reference is None:
        return {"reference_s_per_step": step_time}
    dataset, split = protocol["reference"].split(":")
    test_low, test_high = load_pairs(dataset, split)
    test_low, test_high = test_low[:protocol["num_images"]], test_high[:protocol["num_images"]]
    theirs = super_resolution_scores(test_high, scale, {"": reference.upscale(test_low)})
    row = {"checkpoint": name, "budget_s": budget, "checkpoint_steps": card["training"]["steps"],
           "reference": "keras.io ESPCN example (reference_espcn.py)",
           "reference_steps": steps, "reference_s_per_step": step_time,
           "num_images": protocol["num_images"]}
    for key, value in theirs.items():
        row[key] = card["metrics"].get(key)
        row[f"reference_{key}"] = value
    row["bicubic_psnr_db"] = card["metrics"].get("bicubic_psnr_db")
    return same_time.report(row, args.out)


if __name__ == "__main__":
    main()
