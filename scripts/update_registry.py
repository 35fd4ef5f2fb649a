"""Rebuilds kerasgan/zoo/registry.json from the checkpoint folders in zoo/.

Usage: python scripts/update_registry.py [--org kerasgan]

Each entry pins a repo id, a revision and the sha256 of each loaded file. Until
a checkpoint is pushed, its revision is `content_revision(files)`, a 40-hex id
of its content; `kerasgan push` prints the Hub's commit id to pin instead.
"""

import argparse
import json
from pathlib import Path

from kerasgan.utils import sha256_file
from kerasgan.zoo import content_revision
from kerasgan.zoo.preset import is_verified

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", default="kerasgan")
    args = parser.parse_args()
    registry_path = ROOT / "kerasgan" / "zoo" / "registry.json"
    old = json.loads(registry_path.read_text())
    models, classifiers = {}, {}
    for folder in sorted((ROOT / "zoo").iterdir()):
        if not (folder / "metadata.json").is_file():
            continue
        meta = json.loads((folder / "metadata.json").read_text())
        if meta.get("kind") == "feature-classifier":
            files = {f: sha256_file(folder / f) for f in ("config.json", "classifier.weights.h5")}
            entry = {"dataset": meta["dataset"], "extractor_id": meta["extractor_id"],
                     "test_accuracy": round(meta["test_accuracy"], 4)}
            target = classifiers
        else:
            files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if is_verified(p.name)}
            metrics = {k: v for k, v in meta.get("metrics", {}).items() if k != "protocol"}
            entry = {"task": meta["task"], "variant": meta.get("variant"),
                     "dataset": meta["data"]["dataset"],
                     "resolution": "x".join(map(str, meta["image_shape"])),
                     "conditional": meta["task"] == "conditional",
                     "parameters": meta["parameters"],
                     "metrics": {k: round(v, 4) for k, v in metrics.items()},
                     "num_eval_samples": meta.get("metrics", {}).get("protocol", {}).get("num_fake")}
            target = models
        previous = old.get("models", {}).get(folder.name) or old.get("classifiers", {}).get(folder.name)
        pushed = previous and previous.get("pushed") and previous.get("files") == files
        target[folder.name] = {
            "repo_id": f"{args.org}/{folder.name}",
            "revision": previous["revision"] if pushed else content_revision(files),
            "pushed": bool(pushed),
            "files": files,
            **entry,
        }
    registry_path.write_text(json.dumps({"models": models, "classifiers": classifiers},
                                        indent=2, sort_keys=True) + "\n")
    print(f"Wrote {registry_path}: {len(models)} models, {len(classifiers)} classifiers")


if __name__ == "__main__":
    main()
