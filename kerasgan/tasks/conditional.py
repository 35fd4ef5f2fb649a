"""Class-conditional generation: `(images, labels)` batches, `generate(n, labels=...)`."""

from kerasgan.tasks import serving
from kerasgan.tasks.base import Task, one_per_path


class Conditional(Task):
    name = "conditional"
    serving_module = serving.LabelServing
    sample_option = "--label"
    trains_on_labels = True

    def grid_captions(self, gan, labels, num):
        names = getattr(gan, "class_names", None)
        return None if names is None else [names[i] for i in gan.prepare_labels(labels, num)]

    def path_conditioning(self, gan, labels, num_paths):
        return one_per_path(labels, num_paths, list(range(gan.num_classes)))

    def evaluation_labels(self, gan, num_samples):
        return gan.prepare_labels(None, num_samples)  # the classes, cycled

    def scores_class_agreement(self):
        return True

    def folder_finetuning_error(self, model):
        return ("kerasgan finetune trains on unlabeled folders; fine-tune conditional models "
                "in Python with kerasgan.finetune.prepare(gan, num_classes=...) and labeled data.")

    def preset_metadata(self, gan):
        meta = {"num_classes": gan.num_classes}
        if getattr(gan, "class_names", None):
            meta["class_names"] = list(gan.class_names)
        return meta

    def class_names(self, meta):
        """From the metadata, else the names of the dataset the model learned."""
        if meta.get("class_names"):
            return list(meta["class_names"])
        from kerasgan.models.conditional_gan import dataset_class_names

        names = dataset_class_names(meta.get("data", {}).get("dataset"), meta.get("num_classes"))
        return None if names is None else list(names)

    def card_usage(self, meta):
        names = self.class_names(meta)
        example = min(7, len(names) - 1) if names else 7
        if names:
            return f'gan.generate(16, labels="{names[example].lower()}", seed=0)  # class {example}'
        return f"gan.generate(16, labels={example}, seed=0)  # class {example}"

    demo_controls = ("seed", "count", "truncation", "label")

    def demo_generate_arguments(self, gan, request):
        return {"labels": request.label} if request.label not in (None, "") else {}

    def card_serving(self, meta):
        return ("SavedModel `serving_default(latents: float32[None, latent_dim], labels: "
                "int32[None])`, returning uint8 NHWC images; `sample(seed, num_images, labels)`. "
                "LiteRT and ONNX add a `valid` output (bool per image): False, with a black "
                "image, for a label outside the classes.")
