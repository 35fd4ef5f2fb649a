"""WGAN-GP (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs").

The critic maximises D(x) - D(G(z)) under a two-sided gradient penalty,
lambda * (||grad D(x_hat)|| - 1)^2, at points x_hat drawn uniformly on the lines
between real and generated images; it takes `d_steps` = 5 updates per generator
update, and both use Adam(1e-4, beta_1=0, beta_2=0.9), the paper's Algorithm 1.

The critic has no batch norm (the penalty is per sample): layer norm, as the paper
recommends. Departures, for the zoo's 28x28 images and a 2-core CPU: the networks
are DCGAN's (the paper's DCGAN-style architecture, not its ResNet), sized by
`from_size`.
"""

from __future__ import annotations

import keras

from kerasgan import losses as gan_losses
from kerasgan import penalties as gan_penalties
from kerasgan.models._registry import register_variant
from kerasgan.models.dcgan import SIZES, build_dcgan_discriminator, build_dcgan_generator
from kerasgan.models.gan import GAN


@register_variant("wgan-gp", aliases=("wgan_gp",))
class WGANGP(GAN):
    """Wasserstein GAN with gradient penalty.

    Args:
        gradient_penalty: the penalty's weight lambda (10 in the paper).
        d_steps: critic updates per generator update (5 in the paper).

    Example:
    >>> gan = WGANGP.from_size("small", image_shape=(28, 28, 1))
    >>> gan.compile()            # Wasserstein loss, GP(10), Adam(1e-4, 0, 0.9)
    >>> gan.fit(kerasgan.data.fashion_mnist(), epochs=1)   # doctest: +SKIP
    """

    def __init__(self, generator, discriminator, *, d_steps: int = 5,
                 gradient_penalty: float = 10.0, **kwargs):
        super().__init__(generator, discriminator, d_steps=d_steps, **kwargs)
        if gradient_penalty < 0:
            raise ValueError(f"gradient_penalty must be >= 0. Received: {gradient_penalty}")
        self.gradient_penalty = float(gradient_penalty)

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), latent_dim=100,
                  d_normalization="layer", **kwargs):
        """A new, untrained model of a named size (DCGAN's: 'small', 'base', 'large')."""
        from kerasgan.models import check_size

        if d_normalization == "batch":
            raise ValueError("WGAN-GP's critic must not use batch norm: the gradient penalty "
                             "is per sample. Use d_normalization='layer' or 'none'. Received: "
                             "d_normalization='batch'")
        filters = check_size(SIZES, size)["base_filters"]
        return cls(build_dcgan_generator(latent_dim, image_shape, filters),
                   build_dcgan_discriminator(image_shape, filters, d_normalization),
                   **kwargs)

    def default_optimizers(self):
        return {g.name: (lambda: keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
                for g in self.update_groups()}

    def default_loss(self):
        return gan_losses.Wasserstein()

    def default_penalties(self):
        return {"d": [gan_penalties.GradientPenalty(self.gradient_penalty)]}

    def get_config(self):
        return {**super().get_config(), "gradient_penalty": self.gradient_penalty}
