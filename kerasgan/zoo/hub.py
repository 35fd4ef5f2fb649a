"""Publishing checkpoint folders to the Hugging Face Hub, and seeding an offline HF cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from kerasgan.zoo.preset import PresetError, REQUIRED_FILES, read_metadata


def files_to_push(folder) -> list[str]:
    """The files `push` uploads: everything in the folder but hidden files."""
    folder = Path(folder)
    missing = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
    if missing:
        raise PresetError(f"{folder} is not a kerasgan checkpoint: missing {', '.join(missing)}.")
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def describe_card(path) -> str:
    """The card as the Hub parses it (`huggingface_hub.ModelCard`): its metadata and the
    evaluation results of its `model-index`. A card that does not parse is an error."""
    from huggingface_hub import ModelCard

    path = Path(path)
    if not path.is_file():
        return f"No model card ({path.name}): the Hub page would be empty."
    card = ModelCard(path.read_text())
    data = card.data
    lines = [f"Model card as the Hub reads it: library {data.library_name}, license "
             f"{data.license}, pipeline {data.pipeline_tag or '-'}, datasets "
             f"{', '.join(data.datasets or []) or '-'}"
             + (f", base model {data.base_model}" if data.base_model else "")]
    for result in data.eval_results or []:
        lines.append(f"  {result.metric_name} on {result.dataset_name} ({result.dataset_split}):"
                     f" {result.metric_value:.4g}")
    if not data.eval_results:
        lines.append("  no evaluation results")
    return "\n".join(lines)


def push(folder, repo_id: str, *, dry_run: bool = False, private: bool = False,
         commit_message: str | None = None) -> str | None:
    """Uploads a checkpoint folder with `huggingface_hub.upload_folder`.

    Prints and returns the commit revision to pin in the registry. With
    `dry_run=True`, prints the exact files and uploads nothing.
    """
    folder = Path(folder)
    files = files_to_push(folder)
    if repo_id.count("/") != 1:
        raise ValueError(f"--repo must be 'org/name'. Received: {repo_id!r}")
    meta = read_metadata(folder)
    print(f"{'Would upload' if dry_run else 'Uploading'} {len(files)} files from {folder} "
          f"to https://huggingface.co/{repo_id}:")
    for name in files:
        print(f"  {name}  ({(folder / name).stat().st_size} bytes)")
    print(describe_card(folder / "README.md"))
    if dry_run:
        return None
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, exist_ok=True, private=private)
    info = api.upload_folder(folder_path=str(folder), repo_id=repo_id,
                             commit_message=commit_message or f"kerasgan: {meta.get('name', folder.name)}",
                             allow_patterns=files)
    revision = info.oid
    print(f"Pushed. Pin this revision in kerasgan/zoo/registry.json: {revision}")
    return revision


def seed_hf_cache(folder, repo_id: str, revision: str, cache_dir) -> Path:
    """Copies a checkpoint folder into a Hugging Face cache, in huggingface_hub's own
    layout (`models--org--name/snapshots/<revision>/` + `refs/main`), so
    `snapshot_download(repo_id, revision=...)` finds it offline."""
    cache_dir = Path(cache_dir)
    repo_dir = cache_dir / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo_dir / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    for name in files_to_push(folder):
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(folder) / name, target)
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)
    return snapshot
