"""Tables the FID/KID curves of `finetune_mnist.py` runs across seeds.

    python training/experiments/summarize_runs.py runs/scratch-mnist-200x10k

Reads every `results.json` under the folder, groups the runs by setting (the run
name without its seed), and prints, for each setting and each measured step, the
per-seed FID, their mean and sample standard deviation, then the same for KID, and how
each augmentation compares with none, seed by seed, at the last step. `--markdown`
prints the tables in the form `docs/finetuning.md` uses.
"""

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

SEED_PATTERN = re.compile(r"-seed(\d+)")


def load_runs(folder: Path) -> dict:
    """{setting: {seed: {steps: {"fid": .., "kid": ..}}}} from every results.json below `folder`."""
    runs = defaultdict(dict)
    files = sorted(folder.rglob("results.json"))
    if not files:
        raise FileNotFoundError(f"No results.json under {folder}.")
    for path in files:
        for name, result in json.loads(path.read_text()).items():
            match = SEED_PATTERN.search(name)
            seed = int(match.group(1)) if match else 0
            setting = SEED_PATTERN.sub("", name)
            points = {p["steps"]: {"fid": p["fid"], "kid": p["kid"]} for p in result.get("curve", [])}
            points[result["steps"]] = {"fid": result["fid"], "kid": result["kid"]}
            if seed in runs[setting]:
                raise ValueError(f"{setting} seed {seed} appears twice under {folder} "
                                 f"(second time in {path}).")
            runs[setting][seed] = points
    return dict(runs)


def table(runs: dict, metric: str, markdown: bool) -> str:
    steps = sorted({s for seeds in runs.values() for points in seeds.values() for s in points})
    lines = []
    header = ["setting", "seed"] + [f"{s:,}" for s in steps]
    if markdown:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    else:
        lines.append("  ".join(f"{h:>26s}" if i == 0 else f"{h:>13s}" for i, h in enumerate(header)))
    for setting, seeds in sorted(runs.items()):
        rows = [(str(seed), [seeds[seed].get(s, {}).get(metric) for s in steps])
                for seed in sorted(seeds)]
        means = []
        for column in zip(*[values for _, values in rows]):
            present = [v for v in column if v is not None]
            means.append((np.mean(present), np.std(present, ddof=1) if len(present) > 1 else 0.0)
                         if len(present) == len(column) else None)
        rows.append(("mean ± sd", means))
        for label, values in rows:
            cells = []
            for v in values:
                if v is None:
                    cells.append("")
                elif isinstance(v, tuple):
                    cells.append(f"{v[0]:.1f} ± {v[1]:.1f}" if metric == "fid" else f"{v[0]:.0f} ± {v[1]:.0f}")
                else:
                    cells.append(f"{v:.1f}" if metric == "fid" else f"{v:.0f}")
            if markdown:
                lines.append("| " + " | ".join([setting, label] + cells) + " |")
            else:
                lines.append(f"{setting:>26s}  {label:>13s}  " + "  ".join(f"{c:>13s}" for c in cells))
    return "\n".join(lines)


def versus_baseline(runs: dict, metric: str) -> str:
    """Each setting against the one without augmentation (`...-none`), seed by seed, at the
    last step every run reached: the seeds it beats, and the mean paired difference."""
    baselines = [setting for setting in runs if setting.endswith("-none")]
    if len(baselines) != 1:
        return f"no single '-none' setting to compare with (found {baselines})"
    baseline = runs[baselines[0]]
    last = min(max(points) for seeds in runs.values() for points in seeds.values())
    lines = []
    for setting, seeds in sorted(runs.items()):
        if setting == baselines[0]:
            continue
        shared = sorted(set(seeds) & set(baseline))
        differences = [seeds[seed][last][metric] - baseline[seed][last][metric] for seed in shared]
        better = [seed for seed, d in zip(shared, differences) if d < 0]
        lines.append(f"{setting} vs {baselines[0]} at {last:,} steps: lower {metric.upper()} on "
                     f"{len(better)} of {len(shared)} seeds {better}, mean difference "
                     f"{np.mean(differences):+.1f}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    runs = load_runs(args.folder)
    for metric in ("fid", "kid"):
        print(f"{metric.upper()} by steps\n{table(runs, metric, args.markdown)}\n{versus_baseline(runs, metric)}\n")


if __name__ == "__main__":
    main()
