"""The `kerasgan` command: list | info | sample | train | train-classifier | evaluate | export | finetune | push."""

from __future__ import annotations

import argparse
import json
import sys


def _cmd_list(args):
    from kerasgan.zoo import list_models, model_info

    for name in list_models(args.pattern):
        info = model_info(name)
        print(f"{name:28s} {info.get('task', ''):14s} {info.get('dataset', ''):16s} "
              f"{info.get('repo_id', '')}")
    return 0


def _cmd_info(args):
    from kerasgan.zoo import model_info

    print(json.dumps(model_info(args.name), indent=2))
    return 0


def _cmd_sample(args):
    from kerasgan.utils import save_image_grid
    from kerasgan.zoo import load

    gan = load(args.model, compile=False)
    if gan.task == "image-to-image":
        # Translations of held-out sources from the model's own paired dataset.
        import numpy as np

        from kerasgan.data import load_pairs
        from kerasgan.utils import save_image

        dataset = gan.preset_metadata.get("data", {}).get("dataset")
        sources, _ = load_pairs(dataset, "test")
        start = np.random.default_rng(args.seed).integers(0, len(sources) - args.num + 1)
        grid = gan.preview({"images": sources[start:start + args.num]})
        save_image(args.out, grid, upscale=args.upscale)
        print(f"Wrote {args.num} (source, translation) pairs from {args.model} to {args.out}")
        return 0
    labels = None
    if args.label is not None:
        labels = args.label
    if args.caption is not None:
        if gan.task != "text-to-image":
            raise ValueError(f"--caption applies to text-to-image models; {args.model} is "
                             f"{gan.task}.")
        labels = args.caption
    images = gan.generate(args.num, labels, seed=args.seed, truncation=args.truncation)
    save_image_grid(args.out, images, upscale=args.upscale)
    print(f"Wrote {len(images)} samples from {args.model} to {args.out}")
    return 0


def _cmd_train(args):
    from kerasgan.training import main_train

    return main_train(args)


def _cmd_train_classifier(args):
    from kerasgan.metrics.classifier_training import train_classifier

    meta = train_classifier(args.config, args.out, overwrite=args.overwrite)
    print(f"Wrote {args.out}: test accuracy {meta['test_accuracy']:.4f}")
    return 0


def _cmd_evaluate(args):
    from kerasgan.metrics import evaluate_preset

    results = evaluate_preset(args.model, metrics=args.metrics.split(","),
                              num_samples=args.num_samples, reference_split=args.split,
                              write=args.write)
    print(json.dumps(results, indent=2))
    return 0


def _cmd_export(args):
    from kerasgan.export import export

    path = export(args.model, args.out, format=args.format, model_name=args.name,
                  version=args.version, quantize=args.quantize, overwrite=args.overwrite)
    print(f"Wrote {path}")
    return 0


def _cmd_finetune(args):
    from kerasgan.finetune import finetune

    meta = finetune(args.model, args.data, args.out, steps=args.steps, batch_size=args.batch_size,
                    augment=args.augment, freeze_d=args.freeze_d,
                    learning_rate=args.learning_rate, holdout=args.holdout,
                    extractor=args.extractor, overwrite=args.overwrite)
    print(json.dumps({"before": meta["metrics_before"], "after": meta["metrics"]}, indent=2))
    print(f"Wrote {args.out}")
    return 0


def _cmd_push(args):
    from kerasgan.zoo.hub import push

    push(args.folder, args.repo, dry_run=args.dry_run, private=args.private)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerasgan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered pretrained models")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. '*fashion*'")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="show a model's registry entry")
    p.add_argument("name")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("sample", help="write a grid of samples to a PNG")
    p.add_argument("model", help="registry name, hf://org/repo[@rev] or a checkpoint folder")
    p.add_argument("--num", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", type=int, default=None, help="class id (conditional models)")
    p.add_argument("--caption", default=None,
                   help="text-to-image models: one caption for every image, e.g. "
                        "'latin small letter g' (default: cycle through the model's captions)")
    p.add_argument("--truncation", type=float, default=None)
    p.add_argument("--upscale", type=int, default=4)
    p.add_argument("--out", default="samples.png")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("train", help="train from a TOML config and write a preset folder")
    p.add_argument("config")
    p.add_argument("--out", required=True)
    p.add_argument("--strategy", default="auto",
                   choices=["auto", "cpu", "gpu", "mirrored", "multiworker", "tpu"])
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--epochs", type=int, default=None, help="override the config")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="override the config")
    p.add_argument("--no-eval", action="store_true", help="skip the metrics at the end")
    p.add_argument("--num-eval-samples", type=int, default=None)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("train-classifier", help="train a metrics feature classifier")
    p.add_argument("config")
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_train_classifier)

    p = sub.add_parser("evaluate", help="FID/KID/PR/classifier score of a model")
    p.add_argument("model")
    p.add_argument("--metrics", default="fid,kid,pr,cs")
    p.add_argument("--num-samples", type=int, default=10000)
    p.add_argument("--split", default="test", help="reference split of the model's dataset")
    p.add_argument("--write", action="store_true",
                   help="write the results into the folder's metadata.json and card")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("export", help="export the generator: SavedModel, LiteRT or ONNX")
    p.add_argument("model")
    p.add_argument("--format", default="saved_model", choices=["saved_model", "tflite", "onnx"])
    p.add_argument("--out", required=True, help="SavedModels go to OUT/<name>/<version>/")
    p.add_argument("--name", default=None, help="model name (default: the checkpoint's)")
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--quantize", action="store_true", help="LiteRT dynamic-range int8")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("finetune", help="fine-tune a pretrained model on a folder of images")
    p.add_argument("model")
    p.add_argument("--data", required=True, help="a folder of images")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--augment", default="none",
                   help="none, ada or diffaugment; KIND:POLICY picks transforms, e.g. "
                        "diffaugment:translation (default: none; ada pays off on long runs "
                        "over few images, see docs/finetuning.md)")
    p.add_argument("--freeze-d", type=int, default=0, help="FreezeD: freeze the first K D blocks")
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--holdout", type=float, default=0.2, help="fraction kept out for metrics")
    p.add_argument("--extractor", default=None,
                   help="features for the metrics: mnist, fashion-mnist or inception-v3")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_finetune)

    p = sub.add_parser("push", help="publish a checkpoint folder to the Hugging Face Hub")
    p.add_argument("folder")
    p.add_argument("--repo", required=True, help="org/name")
    p.add_argument("--private", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="list the files, upload nothing")
    p.set_defaults(func=_cmd_push)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError, TypeError, RuntimeError) as e:
        print(f"kerasgan {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
