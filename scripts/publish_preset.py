"""Copies a trained preset into the zoo mirror under its registry name.

    python scripts/publish_preset.py runs/dcgan-fashion-mnist/preset dcgan-fashion-mnist [--notes "..."]

The card's evaluation command is rewritten to use the registry name, so anyone
can reproduce its numbers with `kerasgan evaluate NAME ...`. Then run
`python scripts/update_registry.py && python scripts/make_zoo_docs.py`.
"""

import argparse
import json
import re
import shutil
from pathlib import Path

from kerasgan.zoo.card import render_card

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("preset")
    parser.add_argument("name")
    parser.add_argument("--notes", default=None)
    args = parser.parse_args()
    target = ROOT / "zoo" / args.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(args.preset, target)
    meta_path = target / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["name"] = args.name
    protocol = meta.get("metrics", {}).get("protocol", {})
    for holder, key in ((meta, "evaluation_command"), (protocol, "command")):
        if key in holder:
            # The run's own path (relative to where it was trained) becomes the name.
            holder[key] = re.sub(r"^kerasgan evaluate \S+", f"kerasgan evaluate {args.name}",
                                 holder[key])
    if args.notes:
        meta.setdefault("training", {})["notes"] = args.notes
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True))
    (target / "README.md").write_text(render_card(meta))
    print(f"Published {args.preset} as {target}")


if __name__ == "__main__":
    main()
