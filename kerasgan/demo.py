"""The zoo in the browser: `kerasgan demo [NAME ...]`, a local Gradio app (the optional
extra `pip install "kerasgan[demo]"`).

The page lists the zoo (sample grid, task, data, resolution, parameters, headline
metric, from the registry and the cards) and lets the user steer the selected model with
the controls its task offers (`Task.demo_actions`, `Task.demo_controls`,
`Task.demo_run`): a new checkpoint or task needs no edit here. Each result comes as a
PNG (downloadable) with the Python lines that reproduce it; a bad input is a message on
the page. Models load once and are reused; Gradio runs each request in a worker
thread, so the page stays responsive. Offline: the app sets `GRADIO_ANALYTICS_ENABLED=0`
and `HF_HUB_OFFLINE=1` before Gradio is imported, and serves on 127.0.0.1.

Example:
>>> app = kerasgan.demo.build_app(["dcgan-fashion-mnist"])       # doctest: +SKIP
>>> app.launch()                                                 # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import numpy as np

#: Every control the page has, in the order the run function takes them.
CONTROL_ORDER = ("seed", "count", "truncation", "label", "caption", "category", "continuous_1",
                 "continuous_2", "image", "direction", "seed_b", "crossover", "steps")


def _offline_environment():
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@dataclasses.dataclass
class DemoRequest:
    """What the page sends: every control's value (the task uses the ones it shows)."""

    seed: int = 0
    count: int = 16
    truncation: float | None = None
    label: str | None = None
    caption: str | None = None
    category: int = 0
    continuous: tuple = (0.0, 0.0)
    image: np.ndarray | None = None
    direction: str = "a2b"
    seed_b: int = 1
    crossover: int = 4
    steps: int = 8

    @classmethod
    def from_controls(cls, values: dict) -> "DemoRequest":
        def integer(key, default, low=None, high=None):
            value = values.get(key)
            if value is None or value == "":
                return default
            try:
                number = int(round(float(value)))
            except (TypeError, ValueError):
                raise ValueError(f"{key.replace('_', ' ')} must be a whole number. Received: "
                                 f"{value!r}") from None
            if (low is not None and number < low) or (high is not None and number > high):
                raise ValueError(f"{key.replace('_', ' ')} must be in [{low}, {high}]. "
                                 f"Received: {number}")
            return number

        return cls(seed=integer("seed", 0, 0, 2**32 - 1), count=integer("count", 16, 1, 64),
                   truncation=values.get("truncation"), label=values.get("label") or None,
                   caption=(values.get("caption") or "").strip() or None,
                   category=integer("category", 0, 0),
                   continuous=(float(values.get("continuous_1") or 0.0),
                               float(values.get("continuous_2") or 0.0)),
                   image=values.get("image"), direction=values.get("direction") or "a2b",
                   seed_b=integer("seed_b", 1, 0, 2**32 - 1),
                   crossover=integer("crossover", 4, 0), steps=integer("steps", 8, 2, 32))


class ModelCache:
    """Each model loaded once (by name), under a lock per name."""

    def __init__(self):
        self._models, self._locks, self._lock = {}, {}, threading.Lock()

    def get(self, name: str):
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._models:
                from kerasgan.zoo import load

                self._models[name] = load(name)
            return self._models[name]


def zoo_rows(names) -> list[dict]:
    """One row per model for the gallery, from the registry and each card's metadata."""
    from kerasgan.zoo import registry, resolve
    from kerasgan.zoo.preset import read_metadata

    rows = []
    entries = registry()
    for name in names:
        folder, _ = resolve(name)
        meta = read_metadata(folder)
        metrics = {k: v for k, v in meta.get("metrics", {}).items() if k != "protocol"}
        headline = next(((k, v) for k, v in metrics.items() if k.startswith("fid[")), None) \
            or next(((k, v) for k, v in metrics.items() if isinstance(v, (int, float))), None)
        shape = meta.get("image_shape") or meta.get("config", {}).get("model", {}).get(
            "image_shape")
        params = meta.get("training", {}).get("parameters") or meta.get("parameters") or {}
        rows.append({
            "name": name, "task": entries.get(name, {}).get("task", meta.get("task", "?")),
            "data": meta.get("data", {}).get("dataset", "?"),
            "resolution": "x".join(str(d) for d in shape[:2]) if shape else "?",
            "parameters": f"{sum(params.values()) / 1e6:.2f}M" if params else "?",
            "metric": f"{headline[0]} = {headline[1]:.4g}" if headline else "not measured",
            "samples": str(folder / "samples.png") if (folder / "samples.png").is_file() else None,
        })
    return rows


def enlarge(image: np.ndarray, target: int = 320) -> np.ndarray:
    """A result as the page shows it: gray as (H, W) (what PIL writes), enlarged by the
    whole factor (nearest) that brings its longer side closest to `target` pixels."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    factor = max(1, target // max(image.shape[:2]))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def run_request(cache: ModelCache, name: str, action: str, values: dict):
    """(image or None, code, GIF path or None, message) for one request: errors become
    the message, never an exception out of the page."""
    from kerasgan.tasks import task_of

    try:
        if not name:
            raise ValueError("Pick a model first.")
        gan = cache.get(name)
        task = task_of(gan)
        action = action or task.demo_actions[0]
        if action not in task.demo_actions:
            raise ValueError(f"{name} offers {', '.join(task.demo_actions)}. Received: "
                             f"{action!r}")
        request = DemoRequest.from_controls(values)
        if action == "interpolation":
            image, code, gif = interpolation(gan, task, request)
        else:
            image, code, gif = task.demo_run(gan, name, action, request)
        if image is not None:
            image = enlarge(image)
        code = f'import kerasgan\ngan = kerasgan.load("{name}")\n{code}'
        return image, code, gif, ""
    except Exception as error:  # shown on the page, never a dead page
        return None, "", None, f"**{type(error).__name__}:** {error}"


def interpolation(gan, task, request):
    """A latent walk between two latents drawn from the seed (conditioned as the task's
    samples are): the frames in a row and an animated GIF."""
    import tempfile

    from kerasgan.latent import interpolation_images, save_interpolation
    from kerasgan.utils import image_grid

    arguments = task.demo_generate_arguments(gan, request)
    labels = arguments.get("labels", arguments.get("captions", arguments.get("codes")))
    walk = interpolation_images(gan, num_paths=1, steps=request.steps, seed=request.seed,
                                labels=labels)
    gif = Path(tempfile.mkdtemp(prefix="kerasgan-demo-")) / "interpolation.gif"
    save_interpolation(gif, walk, upscale=4)
    label_arg = "" if labels is None else f", labels={labels!r}"
    code = ("walk = kerasgan.latent.interpolation_images(gan, num_paths=1, "
            f"steps={request.steps}, seed={request.seed}{label_arg})\n"
            'kerasgan.latent.save_interpolation("interpolation.gif", walk)')
    return image_grid(walk[0], rows=1), code, str(gif)


def controls_for(name: str) -> dict:
    """What the page shows for a model, from its task: actions, controls, class names,
    the truncation range, the number of styles (read from the card, no model load)."""
    from kerasgan.tasks import task_of
    from kerasgan.zoo import resolve
    from kerasgan.zoo.preset import read_metadata

    meta = read_metadata(resolve(name)[0])
    task = task_of(meta)
    return {"actions": list(task.demo_actions), "controls": list(task.demo_controls),
            "classes": task.class_names(meta) or [], "truncation": list(task.demo_truncation),
            "captions": list(meta.get("captions") or []), "num_ws": meta.get("num_ws", 8)}


def build_app(names=None):
    """The Gradio Blocks app of the zoo (all registered models, or `names`)."""
    _offline_environment()
    import gradio as gr

    from kerasgan.zoo import list_models

    known = list_models()
    names = list(names or known)
    unknown = [n for n in names if n not in known and not Path(n).is_dir()]
    if unknown:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("model", unknown[0], known)
    cache = ModelCache()
    rows = zoo_rows(names)
    first = controls_for(names[0])

    # Small images shown large: keep their pixels sharp.
    css = "#result img, #source img {image-rendering: pixelated;}"
    with gr.Blocks(title="kerasgan zoo", css=css) as app:
        gr.Markdown("# kerasgan zoo\nEvery checkpoint, steered in the browser. Results "
                    "download as PNG; the code under each reproduces it in Python.")
        gr.Dataframe([[r[k] for k in ("name", "task", "data", "resolution", "parameters",
                                      "metric")] for r in rows],
                     headers=["model", "task", "data", "resolution", "parameters",
                              "headline metric"], interactive=False, label="The zoo")
        gr.Gallery([(r["samples"], r["name"]) for r in rows if r["samples"]], columns=4,
                   height="auto", label="Samples", allow_preview=True)
        with gr.Row():
            model = gr.Dropdown(names, value=names[0], label="Model", elem_id="model")
            action = gr.Dropdown(first["actions"], value=first["actions"][0], label="Show",
                                 allow_custom_value=True, elem_id="action")
        with gr.Row():
            seed = gr.Number(0, precision=0, label="Seed", elem_id="seed")
            count = gr.Slider(1, 64, 16, step=1, label="Images", elem_id="count")
            low, high, off = first["truncation"]
            truncation = gr.Slider(low, high, off, step=0.05,
                                   label="Truncation (off at its default)")
            steps = gr.Slider(2, 32, 8, step=1, label="Interpolation steps")
        with gr.Row():
            label = gr.Dropdown(first["classes"], label="Class", allow_custom_value=True,
                                visible="label" in first["controls"])
            caption = gr.Textbox(label="Caption", visible="caption" in first["controls"],
                                 elem_id="caption")
            category = gr.Slider(0, 9, 0, step=1, label="Category code",
                                 visible="codes" in first["controls"])
            continuous_1 = gr.Slider(-2, 2, 0, step=0.1, label="Continuous code 1",
                                     visible="codes" in first["controls"])
            continuous_2 = gr.Slider(-2, 2, 0, step=0.1, label="Continuous code 2",
                                     visible="codes" in first["controls"])
            direction = gr.Radio(["a2b", "b2a"], value="a2b", label="Direction",
                                 visible="direction" in first["controls"])
            seed_b = gr.Number(1, precision=0, label="Second seed (style mixing)",
                               visible="mixing" in first["controls"])
            crossover = gr.Slider(0, first["num_ws"], first["num_ws"] // 2, step=1,
                                  label="Crossover layer", visible="mixing" in first["controls"])
        image = gr.Image(type="numpy", label="Source image", image_mode=None, elem_id="source",
                         visible="image" in first["controls"])
        run = gr.Button("Run", variant="primary", elem_id="run")
        message = gr.Markdown(elem_id="message")
        result = gr.Image(type="numpy", format="png", label="Result (PNG)", interactive=False,
                          elem_id="result", height=360)
        animation = gr.Image(type="filepath", label="Animation (GIF)", interactive=False)
        code = gr.Code(language="python", label="Reproduce in Python", elem_id="code")
        inputs = [seed, count, truncation, label, caption, category, continuous_1,
                  continuous_2, image, direction, seed_b, crossover, steps]

        def on_run(name, chosen, *values):
            image_out, code_out, gif, error = run_request(cache, name, chosen,
                                                          dict(zip(CONTROL_ORDER, values)))
            return image_out, gif, code_out, error

        run.click(on_run, [model, action, *inputs], [result, animation, code, message],
                  api_name="run", concurrency_limit=2)

        def on_model(name):
            try:
                shown = controls_for(name)
            except Exception as error:
                return [gr.update()] * 12 + [f"**{type(error).__name__}:** {error}"]
            c = shown["controls"]
            low, high, off = shown["truncation"]
            return [gr.update(choices=shown["actions"], value=shown["actions"][0]),
                    gr.update(visible="seed" in c), gr.update(visible="count" in c),
                    gr.update(minimum=low, maximum=high, value=off,
                              visible="truncation" in c),
                    gr.update(choices=shown["classes"], value=None, visible="label" in c),
                    gr.update(visible="caption" in c),
                    *[gr.update(visible="codes" in c)] * 3,
                    gr.update(visible="direction" in c),
                    gr.update(visible="image" in c),
                    gr.update(maximum=shown["num_ws"], visible="mixing" in c), ""]

        model.change(on_model, model, [action, seed, count, truncation, label, caption,
                                       category, continuous_1, continuous_2, direction, image,
                                       crossover, message], api_name="select")
    return app


def launch(names=None, *, port: int | None = None, block: bool = True):
    """Builds and serves the app on 127.0.0.1 (`port`: a free one when None)."""
    app = build_app(names)
    app.queue(default_concurrency_limit=2)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=not block,
               show_error=True, quiet=True)
    return app


SPACE_APP = '''"""kerasgan zoo demo, as a Hugging Face Space."""
import kerasgan.demo

kerasgan.demo.build_app({names}).queue().launch()
'''


def write_space(out, names=None) -> Path:
    """A folder that runs as a Hugging Face Space: app.py, requirements.txt and a README
    with the Space's YAML."""
    from kerasgan import __version__

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "app.py").write_text(SPACE_APP.format(names=repr(list(names)) if names else "None"))
    (out / "requirements.txt").write_text(f"kerasgan[demo]=={__version__}\n")
    (out / "README.md").write_text(
        "---\ntitle: kerasgan zoo\nemoji: 🎨\ncolorFrom: indigo\ncolorTo: gray\nsdk: gradio\n"
        "app_file: app.py\npinned: false\nlicense: apache-2.0\n---\n\n# kerasgan zoo\n\n"
        "Every kerasgan checkpoint in the browser: samples, interpolations, class, caption "
        "and code controls, image translation and super-resolution, StyleGAN's truncation, "
        "style mixing and projection.\n")
    return out
