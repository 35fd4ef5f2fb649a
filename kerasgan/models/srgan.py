"""SRGAN (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network"): the SRResNet generator trained against a
discriminator, on the perceptual loss `content + 1e-3 * adversarial`, for sharper,
more photo-realistic detail than the MSE's average of the plausible images (at a lower
PSNR, as the paper reports).

The content loss is the paper's choice of three:
- "mse": pixel MSE (the paper's SRGAN-MSE), the default: it needs nothing downloaded;
- "vgg22" / "vgg54": MSE between VGG19 ImageNet features (after `block2_conv2`, or
  `block5_conv4`), scaled by 1/12.75 as the paper does, where VGG19's ImageNet weights
  can be loaded (`vgg19_weights`: "imagenet", or the path of Keras'
  `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`).
Offline, with no ImageNet weights, the checkpoints use "mse": the adversarial term alone
carries the perceptual part, which is the paper's SRGAN-MSE row, not its SRGAN-VGG54.

Departures: the discriminator's width and dense layer in the named sizes ('small' is 24
filters and 128 units where the paper's 'base' has 64 and 1024) so its weights stay a
few MB; the non-saturating BCE as the paper's `-log D(G(x))`; the generator initialized
from a trained SRResNet as in the paper (`[model] generator_init` in a training config).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from kerasgan.models._registry import register_variant
from kerasgan.models.gan import GroupLosses
from kerasgan.models.super_resolution import (SuperResolutionGAN, build_sr_discriminator,
                                              build_srresnet_generator)
from kerasgan.models.srresnet import SIZES as GENERATOR_SIZES

SIZES = {
    "tiny": {**GENERATOR_SIZES["tiny"], "d_filters": 8, "dense_units": 16},
    "small": {**GENERATOR_SIZES["small"], "d_filters": 24, "dense_units": 128},
    "base": {**GENERATOR_SIZES["base"], "d_filters": 64, "dense_units": 1024},
}
#: Content loss -> the VGG19 layer whose features it compares (None: pixels).
CONTENT_LOSSES = {"mse": None, "vgg22": "block2_conv2", "vgg54": "block5_conv4"}
#: The paper's rescaling of VGG feature losses ("a rescaling factor of 1/12.75").
VGG_LOSS_SCALE = 1.0 / 12.75


def vgg19_features(layer: str, image_shape, weights="imagenet") -> keras.Model:
    """VGG19 up to `layer`, taking images in [-1, 1]; a clear error when its weights can't
    be loaded (offline, without the weights file)."""
    try:
        vgg = keras.applications.VGG19(include_top=False, weights=weights,
                                       input_shape=tuple(image_shape))
    except Exception as e:  # a download or file error, whichever Keras raises
        raise ValueError(
            f"VGG19's ImageNet weights could not be loaded ({type(e).__name__}: {e}). Offline, "
            "use content_loss='mse' (the paper's SRGAN-MSE), or pass vgg19_weights= the path "
            "of vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5. Received: "
            f"vgg19_weights={weights!r}") from e
    vgg.trainable = False
    images = keras.Input(tuple(image_shape))
    # [-1, 1] RGB -> Caffe's BGR minus the ImageNet mean, VGG19's own preprocessing.
    pixels = keras.applications.vgg19.preprocess_input((images + 1.0) * 127.5)
    features = keras.Model(vgg.input, vgg.get_layer(layer).output)(pixels)
    return keras.Model(images, features, name=f"vgg19_{layer}")


@register_variant("srgan")
class SRGAN(SuperResolutionGAN):
    """4x super-resolution trained on `content + adversarial_weight * adversarial`.

    Args:
        generator, discriminator: the SRResNet generator and SRGAN's discriminator.
        adversarial_weight: weight of the generator's adversarial term (1e-3 in the paper).
        content_loss: "mse", "vgg22" or "vgg54" (see the module docstring).
        vgg19_weights: where the VGG content losses get VGG19's weights.
        scale, image_shape, ema_decay, seed, d_steps: as for `SuperResolutionGAN`.

    Example:
    >>> gan = SRGAN.from_size("small", image_shape=(64, 64, 3))
    >>> gan.compile()
    >>> gan.fit(kerasgan.data.pipeline("emoji-sr-4x", batch_size=16), epochs=1)  # doctest: +SKIP
    """

    SIZES = SIZES
    LOSS_TERMS = {"d": ("loss",), "g": ("loss", "content")}

    def __init__(self, generator, discriminator, *, adversarial_weight: float = 1e-3,
                 content_loss: str = "mse", vgg19_weights="imagenet", **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if isinstance(adversarial_weight, bool) or not isinstance(adversarial_weight, (int, float)) \
                or adversarial_weight < 0:
            raise ValueError("adversarial_weight must be a number >= 0. Received: "
                             f"adversarial_weight={adversarial_weight!r}")
        if content_loss not in CONTENT_LOSSES:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("SRGAN content loss", content_loss, CONTENT_LOSSES)
        self.adversarial_weight = float(adversarial_weight)
        self.content_loss_name = content_loss
        self.vgg19_weights = vgg19_weights
        layer = CONTENT_LOSSES[content_loss]
        self.vgg_features = None if layer is None else vgg19_features(
            layer, self.image_shape, vgg19_weights)

    @staticmethod
    def build_networks(image_shape, scale, spec):
        spec = dict(spec)
        d_spec = {"filters": spec.pop("d_filters"), "dense_units": spec.pop("dense_units")}
        return (build_srresnet_generator(image_shape[-1], scale, **spec),
                build_sr_discriminator(image_shape, **d_spec))

    def default_optimizers(self):
        return {name: (lambda: keras.optimizers.Adam(1e-4, beta_1=0.9)) for name in ("d", "g")}

    def content_loss(self, target, upscaled):
        if self.vgg_features is None:
            return super().content_loss(target, upscaled)
        # The features of the target are constants; the upscaled image's carry the gradient.
        error = self.vgg_features(upscaled) - tf.stop_gradient(self.vgg_features(target))
        return VGG_LOSS_SCALE * self.global_mean(tf.reduce_mean(tf.square(error), axis=[1, 2, 3]))

    def loss_terms(self, group, batch, training=True):
        """`d`: high-resolution images real, upscaled ones fake. `g`: fool `d` (weighted by
        `adversarial_weight`), plus the content loss to the high-resolution image."""
        source, target = batch
        if group == "d":
            fake = tf.stop_gradient(self.generator(source, training=training))
            losses, _ = self.discriminator_terms(target, None, fake, None, training)
            return losses
        upscaled = self.generator(source, training=training)
        logits = self.discriminate(upscaled, None, training=training)
        return GroupLosses({"loss": self.g_loss_fn.generator_loss(logits),
                            "content": self.content_loss(target, upscaled)})

    def loss_weights(self, group):
        return {"loss": self.adversarial_weight} if group == "g" else {}

    def get_config(self):
        return {**super().get_config(), "adversarial_weight": self.adversarial_weight,
                "content_loss": self.content_loss_name, "vgg19_weights": self.vgg19_weights}
