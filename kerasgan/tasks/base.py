"""The task base class: what differs between kinds of model, in one place.

A variant names its task (`task = "conditional"`); `kerasgan.tasks.task_of(gan)` gives
the `Task` object, which the rest of kerasgan asks instead of comparing task names:
the batches it trains on, its serving module, how `kerasgan sample` conditions and
captions a grid, how it is evaluated, what fine-tuning from a folder supports, and
the usage and serving text of its model card (as keras-hub's task classes do for
their backbones).
"""

from __future__ import annotations

from kerasgan.tasks import serving


class Task:
    #: The name variants use (`task = "..."`), and metadata/registry entries record.
    name = "unconditional"
    #: The Hugging Face pipeline tag of its model cards.
    pipeline_tag = "unconditional-image-generation"
    #: What its training batches hold: "images", "paired" or "captioned".
    data_kind = "images"
    #: Whether its image batches carry class labels (`(images, labels)`).
    trains_on_labels = False
    #: The serving module `kerasgan.export` writes.
    serving_module = serving.LatentServing
    #: Whether it samples from latents (interpolation, `sample` signatures).
    has_latents = True
    #: How `kerasgan.metrics.evaluate` measures it: "samples" (generated images vs a
    #: reference set), "translation" (held-out sources translated vs their targets) or
    #: "captions" (images for held-out captions vs their images).
    evaluation = "samples"
    #: Measurements beyond the distribution metrics that evaluation adds, by name
    #: (`kerasgan.metrics.EXTRA_METRICS`).
    extra_metrics = ()
    #: The `kerasgan sample` option that conditions a grid ("--label", "--caption"), if any.
    sample_option = None

    def __repr__(self):
        return f"<kerasgan task {self.name!r}>"

    # ------------------------------------------------------------ sampling
    def sample_conditioning(self, gan, model: str, label=None, caption=None):
        """What `kerasgan sample --label/--caption` passes to `generate`; refuses the
        options this task has no use for."""
        for option, value in (("--label", label), ("--caption", caption)):
            if value is not None and option != self.sample_option:
                hint = f" (use {self.sample_option})" if self.sample_option else ""
                raise ValueError(f"{option} applies to {_takers(option)} models; {model} is "
                                 f"{self.name}{hint}. Received: {option} {value!r}")
        return label if self.sample_option == "--label" else caption

    def grid_captions(self, gan, conditioning, num: int):
        """Text written under each tile of a sample grid (None: no text)."""
        return None

    def path_conditioning(self, gan, labels, num_paths: int):
        """What each latent interpolation path holds fixed (None: nothing); `labels` as
        the user gave them (one, one per path, or None)."""
        return labels  # the model's generate refuses labels it does not take

    def evaluation_labels(self, gan, num_samples: int):
        """What each generated evaluation image is drawn for (None: nothing)."""
        return None

    def scores_class_agreement(self) -> bool:
        """Whether evaluation reports how often the classifier agrees with the label."""
        return False

    def training_sample_inputs(self, gan, dataset: str, split: str):
        """Fixed inputs for the grids and golden outputs of a training run (None: the
        model's own `example_inputs`)."""
        return None

    def batch_image_specs(self, gan, element_spec):
        """(spec, the model's shape, what) for each image tensor of a training batch."""
        specs = element_spec if isinstance(element_spec, tuple) else (element_spec,)
        return [(specs[0], gan.image_shape, "images")]

    # --------------------------------------------------------- fine-tuning
    def folder_finetuning_error(self, model: str) -> str | None:
        """Why `kerasgan finetune` can't train this model on a folder of images (None: it can)."""
        return None

    # ------------------------------------------------------ preset and card
    def preset_metadata(self, gan) -> dict:
        """What a checkpoint's metadata records for this task beyond the common fields."""
        return {}

    def class_names(self, meta: dict) -> list[str] | None:
        """The class names a checkpoint's card lists (None: it has no classes)."""
        return None

    def card_usage(self, meta: dict) -> str:
        """The card's example call: `images = <first line>` (more lines may follow)."""
        return "gan.generate(16, seed=0)"

    def card_inputs(self, meta: dict) -> list[str]:
        """Lines that define the inputs `card_usage` names, so the card's snippet runs
        as is (none for latent models)."""
        return []

    @staticmethod
    def dataset_load_line(meta: dict, assign: str, loader: str) -> str:
        """`<assign> = kerasgan.data.<loader>("<dataset>", "test")` for the checkpoint's
        registered dataset; for any other data, a comment saying what to pass."""
        from kerasgan.data import find_dataset

        dataset = meta.get("data", {}).get("dataset")
        if find_dataset(dataset) is None:
            return f"# {assign}: your uint8 NHWC images (e.g. kerasgan.data.load_image_folder(...))"
        return f'{assign} = kerasgan.data.{loader}("{dataset}", "test")'

    def card_serving(self, meta: dict) -> str:
        return ("SavedModel `serving_default(latents: float32[None, latent_dim])`, returning "
                "uint8 NHWC images; `sample(seed, num_images)`. LiteRT and ONNX add a "
                "`valid` output (bool per image).")

    def preset_images(self, gan) -> dict:
        """Extra images a checkpoint folder holds for its card: file name -> uint8 grid."""
        return {}

    def card_sections(self, meta: dict) -> list[str]:
        """Markdown lines a card adds for this task (after the metrics)."""
        return []

    def export_files(self, gan) -> dict[str, str]:
        """Extra files written beside LiteRT and ONNX exports: suffix -> text."""
        return {}

    # ---- the browser demo (`kerasgan demo`): what a user can do with a model
    #: What the demo offers, first the default.
    demo_actions = ("samples", "interpolation")
    #: The inputs it shows: "seed", "count", "truncation", "label", "caption", "codes",
    #: "image", "direction", "mixing" (a second seed and a crossover).
    demo_controls = ("seed", "count", "truncation")
    #: The truncation control: (lowest, highest, the value that means none).
    demo_truncation = (0.0, 3.0, 0.0)

    def demo_generate_arguments(self, gan, request) -> dict:
        """The conditioning keyword arguments of `generate` for a demo request (none)."""
        return {}

    def demo_run(self, gan, name: str, action: str, request):
        """(uint8 image, Python lines reproducing it, GIF path or None) for `action`
        ("interpolation", which every latent model offers, is the demo's own)."""
        from kerasgan.utils import image_grid

        arguments = self.demo_generate_arguments(gan, request)
        off = self.demo_truncation[2]
        truncation = None if request.truncation in (None, off) else float(request.truncation)
        shown = "".join(f"{key}={value!r}, " for key, value in arguments.items())
        if action == "samples":
            extra = "" if truncation is None else f", truncation={truncation}"
            images = gan.generate(request.count, seed=request.seed, truncation=truncation,
                                  **arguments)
            code = f"images = gan.generate({request.count}, {shown}seed={request.seed}{extra})"
            return image_grid(images), code, None
        raise ValueError(f"{name} ({self.name}) offers {', '.join(self.demo_actions)}. "
                         f"Received: {action!r}")


def one_per_path(values, num_paths: int, defaults):
    """A label or caption broadcast to every path, or one per path; `defaults` cycled."""
    import numpy as np

    if values is None:
        return np.asarray([defaults[i % len(defaults)] for i in range(num_paths)])
    if isinstance(values, str) or np.ndim(values) == 0:
        return np.asarray([values] * num_paths)
    values = np.asarray(values)
    if values.shape != (num_paths,):
        raise ValueError(f"Expected one label or caption, or one per path ({num_paths}). "
                         f"Received: shape={values.shape}")
    return values


def _takers(option):
    return {"--label": "conditional", "--caption": "text-to-image"}[option]


def image_demo(gan, request, shape, call: str, run, any_size: bool = False):
    """The demo of an image-in, image-out model: the uploaded source (enlarged, nearest,
    to the result's height) beside the result, and the lines that reproduce it."""
    import numpy as np

    from kerasgan.utils import image_for_model, image_grid

    source = image_for_model(request.image, shape, any_size=any_size)
    result = run(source[None])[0]
    if source.shape[-1] == 1 and result.shape[-1] == 3:  # shown beside an RGB result
        source = np.repeat(source, 3, axis=-1)
    factor = max(1, result.shape[0] // source.shape[0])
    source = np.repeat(np.repeat(source, factor, 0), factor, 1)
    code = f"source = ...  # uint8 (1, H, W, C)\nresult = gan.{call}"
    return image_grid(np.stack([source, result]), rows=1), code, None
