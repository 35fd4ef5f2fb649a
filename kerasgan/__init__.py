"""kerasgan: a Keras 3 model zoo of GANs with pretrained checkpoints.

>>> import kerasgan
>>> gan = kerasgan.load("dcgan-fashion-mnist")    # doctest: +SKIP
>>> images = gan.generate(16, seed=0)             # doctest: +SKIP
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

import importlib  # noqa: E402
import warnings  # noqa: E402

# kerasgan's pipelines shuffle inside tf.data; Keras's reminder about fit(shuffle=) is noise.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")

_SUBMODULES = ("callbacks", "data", "distribute", "export", "finetune", "glyphs", "latent",
               "layers", "losses", "metrics", "models", "penalties", "tasks",
               "training", "utils", "zoo")
_ATTRIBUTES = {"GAN": "kerasgan.models", "VanillaGAN": "kerasgan.models",
               "DCGAN": "kerasgan.models", "ConditionalGAN": "kerasgan.models",
               "Pix2Pix": "kerasgan.models", "StackGAN": "kerasgan.models",
               "InfoGAN": "kerasgan.models", "WGANGP": "kerasgan.models",
               "SNGAN": "kerasgan.models", "BiGAN": "kerasgan.models",
               "CycleGAN": "kerasgan.models", "DiscoGAN": "kerasgan.models",
               "SRResNet": "kerasgan.models", "SRGAN": "kerasgan.models",
               "LAPGAN": "kerasgan.models", "ProGAN": "kerasgan.models",
               "StyleGAN": "kerasgan.models",
               "list_models": "kerasgan.zoo", "load": "kerasgan.zoo", "model_info": "kerasgan.zoo"}


def __getattr__(name):
    """Submodules and the top-level API on first use (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"kerasgan.{name}")
    if name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kerasgan' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_SUBMODULES, *_ATTRIBUTES})


def _launched_as_cli() -> bool:
    """The `kerasgan` command (console script or `python -m kerasgan.cli`) imports what
    each subcommand needs itself, after hiding TensorFlow's start-up logging; `--help`
    imports no TensorFlow at all."""
    argv = sys.orig_argv
    return (bool(sys.argv) and os.path.basename(sys.argv[0]) == "kerasgan") or any(
        flag == "-m" and module == "kerasgan.cli" for flag, module in zip(argv, argv[1:]))


if not _launched_as_cli():
    # `import kerasgan` registers every Keras class, so `keras.saving.load_model` of a
    # saved kerasgan model works in a fresh process.
    for _name in _SUBMODULES:
        importlib.import_module(f"kerasgan.{_name}")
    del _name

__all__ = ["GAN", "VanillaGAN", "DCGAN", "ConditionalGAN", "Pix2Pix", "StackGAN", "InfoGAN",
           "WGANGP", "SNGAN", "BiGAN", "CycleGAN", "DiscoGAN", "SRResNet", "SRGAN", "LAPGAN", "ProGAN",
           "StyleGAN",
           "tasks", "callbacks",
           "data", "glyphs",
           "distribute", "losses", "metrics", "models", "penalties", "utils", "zoo", "export", "load",
           "list_models", "model_info", "__version__"]
