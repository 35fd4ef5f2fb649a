"""Copies a trained preset into the zoo mirror under its registry name.

    python scripts/publish_preset.py runs/dcgan-fashion-mnist/preset dcgan-fashion-mnist [--notes "..."] \
        [--why-replaced "..."]

Publishing over an existing checkpoint keeps the old version's figures (revision, steps,
wall time, config hash, metrics) in the new card's History, with the older history.

The card's evaluation command is rewritten to use the registry name, so anyone
can reproduce its numbers with `kerasgan evaluate NAME ...`. Then run
`python scripts/update_registry.py && python scripts/make_zoo_docs.py`.
"""

import argparse
import json
import re
import shutil
from pathlib import Path

from kerasgan.utils import atomic_directory
from kerasgan.zoo.card import history_entry, render_card

ROOT = Path(__file__).resolve().parents[1]


def publish(preset, name, *, zoo_dir=ROOT / "zoo",
            registry_path=ROOT / "kerasgan" / "zoo" / "registry.json", notes=None,
            why_replaced=None) -> Path:
    """Copies `preset` to `zoo_dir/name` and rewrites its card; returns the folder."""
    target = Path(zoo_dir) / name
    history = []
    if (target / "metadata.json").is_file():
        old = json.loads((target / "metadata.json").read_text())
        registry = json.loads(Path(registry_path).read_text()) if Path(registry_path).is_file() else {}
        revision = registry.get("models", {}).get(name, {}).get("revision")
        history = old.get("history", []) + [history_entry(old, revision, why_replaced)]
    # Staged beside the target, then swapped in: an interrupted publish leaves the old one.
    with atomic_directory(target, overwrite=True) as staged:
        shutil.copytree(preset, staged, dirs_exist_ok=True)
        meta_path = Path(staged) / "metadata.json"
        meta = json.loads(meta_path.read_text())
        meta["name"] = name
        protocol = meta.get("metrics", {}).get("protocol", {})
        for holder, key in ((meta, "evaluation_command"), (protocol, "command")):
            if key in holder:
                # The run's own path (relative to where it was trained) becomes the name.
                holder[key] = re.sub(r"^kerasgan evaluate \S+", f"kerasgan evaluate {name}",
                                     holder[key])
        if notes:
            meta.setdefault("training", {})["notes"] = notes
        if history:
            meta["history"] = history
        meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True))
        (Path(staged) / "README.md").write_text(render_card(meta))
    return target


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("preset")
    parser.add_argument("name")
    parser.add_argument("--notes", default=None)
    parser.add_argument("--why-replaced", default=None,
                        help="why the version being replaced was retrained (for the History)")
    args = parser.parse_args()
    target = publish(args.preset, args.name, notes=args.notes, why_replaced=args.why_replaced)
    print(f"Published {args.preset} as {target}")


if __name__ == "__main__":
    main()
