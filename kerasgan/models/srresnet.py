"""SRResNet (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network", Sec. 2.2 and 3.2): the residual super-resolution
generator trained alone on the pixel MSE to the high-resolution image, the paper's
PSNR-oriented model and SRGAN's initialization. See `super_resolution` for the network.

Departures: Adam(1e-4, beta_1=0.9) as the paper, but for thousands of steps on 2 cores
where the paper trains 10^6 updates on 350k ImageNet crops; named sizes smaller than the
paper's B = 16 blocks of 64 filters ('base') so a checkpoint trains here.
"""

from __future__ import annotations

import keras

from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GroupLosses, UpdateGroup
from kerasgan.models.super_resolution import SuperResolutionGAN, build_srresnet_generator

SIZES = {
    "tiny": {"filters": 8, "residual_blocks": 1},
    "small": {"filters": 32, "residual_blocks": 8},
    "base": {"filters": 64, "residual_blocks": 16},
}


@register_variant("srresnet")
class SRResNet(SuperResolutionGAN):
    """4x super-resolution by a residual network trained on the pixel MSE; no discriminator.

    Trains on `(low-resolution, high-resolution)` batches; one update group, `g`.

    Example:
    >>> sr = SRResNet.from_size("small", image_shape=(64, 64, 3))
    >>> sr.compile()
    >>> sr.fit(kerasgan.data.pipeline("emoji-sr-4x", batch_size=16), epochs=1)  # doctest: +SKIP
    >>> large = sr.upscale(small_images)            # uint8 NHWC, 4x the height and width
    """

    NETWORKS = ("generator",)
    SIZES = SIZES
    LOSS_TERMS = {"g": ("content",)}
    PENALTY_GROUPS = ()

    @staticmethod
    def build_networks(image_shape, scale, spec):
        return build_srresnet_generator(image_shape[-1], scale, **spec), None

    def update_groups(self):
        return (UpdateGroup("g", ("generator",)),)

    def default_optimizers(self):
        return {"g": lambda: keras.optimizers.Adam(1e-4, beta_1=0.9)}

    def loss_terms(self, group, batch, training=True):
        """`g`: the pixel MSE of the upscaled image to the high-resolution one."""
        source, target = batch
        return GroupLosses({"content": self.content_loss(target,
                                                         self.generator(source, training=training))})
