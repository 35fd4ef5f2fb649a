"""GAN variants. One file per variant; each registers itself in `VARIANTS` with
`@register_variant`."""

from kerasgan.models._registry import ALIASES, VARIANTS, register_variant
from kerasgan.models.bigan import BiGAN
from kerasgan.models.conditional_gan import ConditionalGAN
from kerasgan.models.cyclegan import CycleGAN
from kerasgan.models.dcgan import DCGAN
from kerasgan.models.discogan import DiscoGAN
from kerasgan.models.gan import GAN, GroupLosses, UpdateGroup
from kerasgan.models.infogan import InfoGAN
from kerasgan.models.lapgan import LAPGAN
from kerasgan.models.pix2pix import Pix2Pix
from kerasgan.models.progan import ProGAN
from kerasgan.models.sngan import SNGAN
from kerasgan.models.srgan import SRGAN
from kerasgan.models.srresnet import SRResNet
from kerasgan.models.stackgan import StackGAN
from kerasgan.models.stylegan import StyleGAN
from kerasgan.models.vanilla_gan import VanillaGAN
from kerasgan.models.wgan_gp import WGANGP


def variant_names(aliases: bool = False) -> list[str]:
    """Registered variant names (without the aliases, unless asked)."""
    return sorted(n for n in VARIANTS if aliases or n not in ALIASES)


def check_size(sizes: dict, size: str) -> dict:
    if size not in sizes:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("model size", size, sizes)
    return sizes[size]


def check_minibatch_stddev(group_size) -> int:
    """The `minibatch_stddev` group size of a discriminator: an integer >= 0 (0: off)."""
    if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 0:
        raise ValueError("minibatch_stddev is the MinibatchStdDev group size: an integer >= 0 "
                         f"(0 turns it off). Received: minibatch_stddev={group_size!r}")
    return group_size


def create(variant: str, size: str = "small", **kwargs) -> GAN:
    """A new, untrained GAN by variant name and size.

    Example:
    >>> gan = kerasgan.models.create("dcgan", "small", image_shape=(28, 28, 1))
    """
    if variant not in VARIANTS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("GAN variant", variant, VARIANTS)
    return VARIANTS[variant].from_size(size, **kwargs)


__all__ = ["GAN", "VanillaGAN", "DCGAN", "ConditionalGAN", "Pix2Pix", "StackGAN", "InfoGAN",
           "WGANGP", "SNGAN", "BiGAN", "CycleGAN", "DiscoGAN", "SRResNet", "SRGAN", "LAPGAN", "ProGAN",
           "StyleGAN",
           "VARIANTS",
           "UpdateGroup", "GroupLosses", "create", "register_variant", "variant_names"]
