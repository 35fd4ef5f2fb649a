"""GAN variants. One file per variant; each registers itself in `VARIANTS`."""

from kerasgan.models.conditional_gan import ConditionalGAN
from kerasgan.models.dcgan import DCGAN
from kerasgan.models.gan import GAN
from kerasgan.models.pix2pix import Pix2Pix
from kerasgan.models.stackgan import StackGAN
from kerasgan.models.vanilla_gan import VanillaGAN

#: variant name (as used in training configs) -> class.
VARIANTS = {
    "gan": VanillaGAN,
    "dcgan": DCGAN,
    "cgan": ConditionalGAN,
    "pix2pix": Pix2Pix,
    "stackgan": StackGAN,
}


def check_size(sizes: dict, size: str) -> dict:
    if size not in sizes:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("model size", size, sizes)
    return sizes[size]


def create(variant: str, size: str = "small", **kwargs) -> GAN:
    """A new, untrained GAN by variant name and size.

    Example:
    >>> gan = kerasgan.models.create("dcgan", "small", image_shape=(28, 28, 1))
    """
    if variant not in VARIANTS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("GAN variant", variant, VARIANTS)
    return VARIANTS[variant].from_size(size, **kwargs)


__all__ = ["GAN", "VanillaGAN", "DCGAN", "ConditionalGAN", "Pix2Pix", "StackGAN", "VARIANTS", "create"]
