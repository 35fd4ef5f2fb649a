"""Model cards (README.md with Hugging Face YAML front matter) from preset metadata."""

from __future__ import annotations

import json


def hub_dataset_id(dataset: str) -> str:
    """The Hugging Face Hub id of a registered dataset (`kerasgan.data.get_dataset`), for
    the card's `datasets:`; other names (a folder, a dataset without one) as they are."""
    from kerasgan.data import find_dataset

    registered = find_dataset(dataset)
    return registered.hub_id if registered is not None and registered.hub_id else dataset


def _metrics_table(metrics: dict) -> str:
    if not metrics:
        return "_Not evaluated yet._\n"
    protocol = metrics.get("protocol", {})
    rows = ["| metric | value |", "|---|---|"]
    for key, value in metrics.items():
        if key == "protocol":
            continue
        rows.append(f"| `{key}` | {value:.4g} |" if isinstance(value, (int, float))
                    else f"| `{key}` | {value} |")
    text = "\n".join(rows) + "\n"
    if protocol:
        text += "\nProtocol: " + ", ".join(f"{k} = {v}" for k, v in protocol.items()) + "\n"
    return text


def _classes_table(names: list[str]) -> str:
    rows = ["| id | class |", "|---|---|"] + [f"| {i} | {name} |" for i, name in enumerate(names)]
    return "\n".join(rows) + "\n"


def _history_section(history: list[dict]) -> list[str]:
    """Earlier versions published under the same name, newest first, with their figures."""
    if not history:
        return []
    lines = ["## History",
             "Earlier versions published under this name, newest first, with the figures "
             "their cards gave (revision: the registry's pin of that version).", ""]
    for old in reversed(history):
        metrics = old.get("metrics", {})
        figures = ", ".join(f"{k.split('[')[0]} {v:.4g}" for k, v in metrics.items()
                            if isinstance(v, (int, float)) and not k.startswith("kid_std"))
        lines.append(f"- revision `{old.get('revision', '?')}`: {old.get('steps', '?')} steps "
                     f"(batch {old.get('batch_size', '?')}), {old.get('wall_time_s', '?')} s; "
                     f"config sha256 `{str(old.get('config_sha256', '?'))[:12]}`; {figures}"
                     + (f". {old['why_replaced']}" if old.get("why_replaced") else ""))
    return lines + [""]


def history_entry(meta: dict, revision: str | None, why_replaced: str | None = None) -> dict:
    """What a card's History keeps of a version being replaced (`scripts/publish_preset.py`)."""
    training = meta.get("training", {})
    metrics = {k: v for k, v in meta.get("metrics", {}).items() if k != "protocol"}
    return {"revision": revision, "steps": training.get("steps"),
            "batch_size": training.get("batch_size"), "wall_time_s": training.get("wall_time_s"),
            "config_sha256": meta.get("config_sha256"), "command": training.get("command"),
            "metrics": metrics, **({"why_replaced": why_replaced} if why_replaced else {})}


def eval_results(meta: dict, task_type: str) -> list:
    """The card's metrics as `huggingface_hub.EvalResult`s (the `model-index` the Hub
    renders): each metric's name says its feature extractor and its sample sizes."""
    from huggingface_hub import EvalResult

    metrics = meta.get("metrics", {})
    protocol = metrics.get("protocol", {})
    dataset = meta.get("data", {}).get("dataset", "unknown")
    reference = str(protocol.get("reference", ""))
    split = reference.split(":", 1)[1] if ":" in reference else meta.get("data", {}).get("split")
    sizes = ", ".join(f"{protocol[k]:,} {label}" for k, label in
                      (("num_fake", "generated"), ("num_real", "held-out")) if k in protocol)
    results = []
    for key, value in metrics.items():
        if key == "protocol" or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        kind, _, extractor = key.partition("[")
        details = "; ".join(part for part in (extractor.rstrip("]"), sizes) if part)
        results.append(EvalResult(
            task_type=task_type, dataset_type=hub_dataset_id(dataset), dataset_name=dataset,
            dataset_split=split, metric_type=kind, metric_value=float(value),
            metric_name=f"{kind} ({details})" if details else kind,
            metric_config=extractor.rstrip("]") or None))
    return results


def front_matter(meta: dict, *, tags, pipeline_tag=None, base_model=None) -> list[str]:
    """The card's YAML header, written by `huggingface_hub.ModelCardData` (so the Hub
    parses it as its own cards): library, license, tags, datasets, pipeline tag,
    `base_model` for fine-tuned models and the metrics as `model-index`."""
    from huggingface_hub import ModelCardData

    dataset = meta.get("data", {}).get("dataset")
    data = ModelCardData(
        library_name="keras", license="apache-2.0", tags=list(tags),
        datasets=[hub_dataset_id(dataset)] if dataset else None, pipeline_tag=pipeline_tag,
        base_model=base_model, model_name=meta.get("name", "model"),
        eval_results=eval_results(meta, pipeline_tag or "unconditional-image-generation") or None)
    return ["---", *data.to_yaml().splitlines(), "---"]


def render_card(meta: dict) -> str:
    """The model card of a checkpoint's metadata: trained from a config, or fine-tuned."""
    if meta.get("finetuned_from"):
        return _fine_tuned_card(meta)
    from kerasgan.tasks import task_of

    task = task_of(meta)
    name = meta.get("name", "model")
    dataset = meta.get("data", {}).get("dataset", "unknown")
    training = meta.get("training", {})
    tags = ["gan", "kerasgan", meta.get("variant", meta.get("class_name", "gan")).lower(),
            "image-generation"]
    front = front_matter(meta, tags=tags, pipeline_tag=task.pipeline_tag)
    class_names = task.class_names(meta)
    usage = task.card_usage(meta)
    serving = task.card_serving(meta)
    lines = [
        f"# {name}",
        "",
        f"A {meta.get('class_name', 'GAN')} ({meta.get('task', 'unconditional')}) trained with "
        f"[kerasgan](https://github.com/kerasgan/kerasgan) on **{dataset}** "
        f"({meta.get('data', {}).get('split', '?')} split), "
        f"images of shape {tuple(meta.get('image_shape', []))}.",
        "",
        "![samples](samples.png)",
        "",
        "## Use",
        "```python",
        "import kerasgan",
        f'gan = kerasgan.load("{name}")',
        *task.card_inputs(meta),
        # The first line's own comment, else what comes back.
        f"images = {usage}" + ("" if "#" in usage.splitlines()[0] else "  # uint8, NHWC"),
        "```",
        "",
        *(["## Classes",
           "`labels` takes a class id or its name (any case), or a list of them.",
           "",
           _classes_table(class_names)] if class_names else []),
        "## Training",
        f"- Data: {json.dumps(meta.get('data', {}))}",
        f"- Steps: {training.get('steps', '?')} ({training.get('epochs', '?')} epochs, "
        f"batch {training.get('batch_size', '?')})",
        f"- Wall time: {training.get('wall_time_s', '?')} s on {training.get('hardware', '?')}",
        f"- Parameters: {json.dumps(meta.get('parameters', {}))}",
        f"- Config hash (sha256): `{meta.get('config_sha256', '?')}`",
        f"- Command: `{training.get('command', '?')}`",
        *([f"- Notes: {training['notes']}"] if training.get("notes") else []),
        "",
        "## Metrics (held-out data)",
        _metrics_table(meta.get("metrics", {})),
        f"Reproduce: `{meta.get('evaluation_command', '?')}`",
        "",
        *task.card_sections(meta),
        *(["The FID/KID/precision-recall features come from a classifier kerasgan trained on "
           "the dataset, not from InceptionV3: the numbers compare models within kerasgan "
           "only, and are not comparable with published Inception FIDs.", ""]
          if any("[" in key for key in meta.get("metrics", {})) else []),
        *_history_section(meta.get("history", [])),
        "## Intended use and limitations",
        f"Research, teaching and a starting point for fine-tuning on small "
        f"{'grayscale ' if (meta.get('image_shape') or [1])[-1] == 1 else ''}datasets. "
        "Low resolution; samples show typical GAN artefacts; not for any decision about people.",
        "",
        "## Serving",
        f"See `kerasgan export`: {serving}",
        "",
    ]
    return "\n".join(front + [""] + lines)


def _fine_tuned_card(meta: dict) -> str:
    """The card of a checkpoint fine-tuned by `kerasgan finetune`: base model, data,
    held-out metrics before and after."""
    def table(results):
        rows = [f"| `{k}` | {'null' if v is None else format(v, '.4g')} |"
                for k, v in results.items() if k != "protocol"]
        return "\n".join(["| metric | value |", "|---|---|", *rows]) if rows else "_not measured_"

    base = meta["finetuned_from"]
    d, t = meta["data"], meta["training"]
    notes = []
    if t.get("interrupted"):
        notes.append(f"- **Interrupted** (Ctrl-C) at step {t['interrupted']['at_step']} of "
                     f"{t['interrupted']['of']}.")
    if meta.get("evaluation", {}).get("note"):
        notes.append(f"- {meta['evaluation']['note']}")
    if meta["metrics_before"].get("protocol", {}).get("note"):
        # Set by kerasgan.metrics below its reliable sample size.
        notes.append(f"- Metrics on {meta['metrics_before']['protocol'].get('num_real')} "
                     "held-out images: compare before with after only; at this size every "
                     "metric carries a large sample-size bias (docs/metrics.md).")
    notes = "\n".join(notes)
    from kerasgan.tasks import task_of

    front = "\n".join(front_matter(meta, tags=["gan", "kerasgan", "fine-tuned"],
                                   pipeline_tag=task_of(meta).pipeline_tag,
                                   base_model=f"kerasgan/{base['name']}"))
    return f"""{front}
# {meta['name']}

Fine-tuned from `{base['name']}` (revision `{base['revision']}`) on
{d['num_train_images']} images from `{d['dataset']}`; {d['num_holdout_images']} more were
held out for the metrics below.

![samples](samples.png)

- Steps: {t['steps']} at batch {t['batch_size']} ({t['epochs']} passes over the images),
  {t['wall_time_s']} s; augmentation: {t['augment']}; FreezeD: {t['freeze_d']};
  learning rate {t['learning_rate']}.
- Command: `{t['command']}`
{notes}

## Held-out metrics before fine-tuning
{table(meta['metrics_before'])}

## After
{table(meta['metrics'])}
"""
