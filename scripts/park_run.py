"""Carries an unfinished training run from one session's machine to the next.

A session's machine (and its ignored `runs/`) may not come back: only what is
committed does. `park` copies a run's newest complete backup and its history into
`training/parked/<run>/`, to be committed; `unpark` puts them back under `runs/`, where
`kerasgan train CONFIG --out runs/<run> --resume` continues exactly from that step (a
same-time reference from `benchmarks/`: its command with `--backup runs/<run>`).

    python scripts/park_run.py park runs/progan-fashion-mnist-32
    python scripts/park_run.py unpark progan-fashion-mnist-32      # -> runs/progan-fashion-mnist-32
    python scripts/park_run.py drop progan-fashion-mnist-32        # once the run has finished
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from kerasgan.training import latest_checkpoint
from kerasgan.utils import atomic_directory

ROOT = Path(__file__).resolve().parent.parent
PARKED = ROOT / "training" / "parked"
KEPT = ("history.csv",)


def park(run: Path) -> Path:
    latest = latest_checkpoint(run / "backup")
    if latest is None:
        raise SystemExit(f"{run} has no complete checkpoint in {run / 'backup'}: nothing to park.")
    folder, progress = latest
    target = PARKED / run.name
    with atomic_directory(target, overwrite=True) as tmp:
        shutil.copytree(folder, tmp / "backup" / folder.name)
        for name in KEPT:
            if (run / name).is_file():
                shutil.copy2(run / name, tmp / name)
    print(f"Parked {folder} (step {progress['steps']} of {progress.get('total_steps')}, "
          f"{progress['wall_time_s'] / 60:.0f} min trained) in {target}. Commit it.")
    return target


def unpark(name: str, runs: Path) -> Path:
    source = PARKED / name
    if not source.is_dir():
        known = sorted(p.name for p in PARKED.glob("*") if p.is_dir())
        raise SystemExit(f"No parked run {name!r} in {PARKED}. Parked: {known or 'none'}")
    run = runs / name
    if latest_checkpoint(run / "backup") is not None:
        raise SystemExit(f"{run} already has a backup; remove it first to unpark {name}.")
    shutil.copytree(source, run, dirs_exist_ok=True)
    progress = json.loads(next((run / "backup").glob("ckpt-*/progress.json")).read_text())
    print(f"Unparked {name} at step {progress['steps']} into {run}; continue it with "
          f"kerasgan train CONFIG --out {run} --resume (a same-time reference: its "
          f"benchmark command with --backup {run})")
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("park").add_argument("run", type=Path)
    p = sub.add_parser("unpark")
    p.add_argument("name")
    p.add_argument("--runs", type=Path, default=ROOT / "runs")
    sub.add_parser("drop").add_argument("name")
    args = parser.parse_args(argv)
    if args.action == "park":
        park(args.run)
    elif args.action == "unpark":
        unpark(args.name, args.runs)
    else:
        shutil.rmtree(PARKED / args.name)
        print(f"Dropped {PARKED / args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
