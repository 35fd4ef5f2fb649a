"""kerasgan: a Keras 3 model zoo of GANs with pretrained checkpoints.

>>> import kerasgan
>>> gan = kerasgan.load("dcgan-fashion-mnist")    # doctest: +SKIP
>>> images = gan.generate(16, seed=0)             # doctest: +SKIP
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

import warnings  # noqa: E402

# kerasgan's pipelines shuffle inside tf.data; Keras's reminder about fit(shuffle=) is noise.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")

from kerasgan import (callbacks, data, distribute, finetune, glyphs, layers, losses,  # noqa: E402
                      models, penalties, utils)
from kerasgan import zoo  # noqa: E402
from kerasgan.export import export  # noqa: E402
from kerasgan.models import (GAN, ConditionalGAN, DCGAN, Pix2Pix, StackGAN,  # noqa: E402
                             VanillaGAN)
from kerasgan.zoo import list_models, load, model_info  # noqa: E402

__all__ = ["GAN", "VanillaGAN", "DCGAN", "ConditionalGAN", "Pix2Pix", "StackGAN", "callbacks",
           "data", "glyphs",
           "distribute", "losses", "models", "penalties", "utils", "zoo", "export", "load",
           "list_models", "model_info", "__version__"]
