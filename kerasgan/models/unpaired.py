"""The base of unpaired image-to-image translation (CycleGAN, DiscoGAN): two domains A
and B, two generators and two discriminators, trained on `(a_batch, b_batch)` where no
image of one batch belongs with any of the other (`kerasgan.data.from_unpaired`).

Networks by name (the base GAN's two keep their meaning for domain B):
- `generator`: A -> B (CycleGAN's G, DiscoGAN's G_AB);
- `discriminator`: judges domain B (D_B);
- `generator_b2a`: B -> A (CycleGAN's F, DiscoGAN's G_BA);
- `discriminator_a`: judges domain A (D_A).

Update groups: `g` on both generators, then `d` on both discriminators (`d_steps`
times), the order of both papers' code: `d` sees the translations `g` made in the same
step (through `step_cache`), before the generators moved, so one forward pass feeds
both updates. A variant sets the losses: its adversarial loss (`default_loss`), the
reconstruction distance and weight, and optionally an identity term and what the
discriminators see of the fakes (`discriminator_fakes`: CycleGAN's history buffer).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from kerasgan.models.gan import GAN, GroupLosses, UpdateGroup
from kerasgan.utils import check_image_batch, to_uint8

DIRECTIONS = ("a2b", "b2a")


def check_halvable(image_shape, times: int, model: str) -> None:
    """A clear error unless the image can be halved `times` times by stride-2 layers."""
    factor = 2 ** times
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(f"The {model} networks halve the image {times} times: height and "
                         f"width must be divisible by {factor}. Received: "
                         f"image_shape={tuple(image_shape)}")


class UnpairedTranslationGAN(GAN):
    """Two-domain translation trained without pairs; see the module docstring.

    Args:
        generator, discriminator, generator_b2a, discriminator_a: the four networks.
        cycle_weight: weight of the reconstruction (cycle) terms A -> B -> A and
            B -> A -> B.
        identity_weight: weight of the identity terms `G(b) ~ b`, `F(a) ~ a`, as a
            fraction of `cycle_weight` (CycleGAN's 0.5); 0 turns them off. Needs the
            domains to have the same channel count.
        ema_decay, seed, d_steps: as for `GAN`.
    """

    task = "unpaired-translation"
    NETWORKS = ("generator", "discriminator", "generator_b2a", "discriminator_a")
    SAMPLED_NETWORKS = ("generator", "generator_b2a")
    UNROLLABLE = False
    #: The reconstruction distance: "l1" (mean absolute error) or "l2" (mean squared).
    RECONSTRUCTION = "l1"
    #: Factor on the discriminators' loss (CycleGAN halves it).
    D_LOSS_SCALE = 1.0
    #: Named sizes ('tiny', 'small', 'base'): the keyword arguments of the networks.
    SIZES: dict = {}

    def __init__(self, generator, discriminator, *, generator_b2a, discriminator_a,
                 cycle_weight: float = 10.0, identity_weight: float = 0.0,
                 ema_decay: float | None = None, seed: int | None = None, d_steps: int = 1,
                 **kwargs):
        kwargs.pop("latent_dim", None)
        super().__init__(generator, discriminator, generator_b2a=generator_b2a,
                         discriminator_a=discriminator_a, ema_decay=ema_decay, seed=seed,
                         d_steps=d_steps, **kwargs)
        self.latent_dim = None
        for name, value in (("cycle_weight", cycle_weight), ("identity_weight", identity_weight)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a number >= 0. Received: {name}={value!r}")
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        shape_a, shape_b = self.domain_shape("a"), self.domain_shape("b")
        if tuple(self.generator_b2a.outputs[0].shape[1:]) != shape_a:
            raise ValueError(f"generator_b2a must translate back to domain A's shape {shape_a}. "
                             f"Received: output shape {tuple(self.generator_b2a.outputs[0].shape[1:])}")
        if self.identity_weight and shape_a[-1] != shape_b[-1]:
            raise ValueError(
                "The identity terms feed each domain's images to the other domain's generator, "
                f"so they need the same channel count; domain A has {shape_a[-1]}, domain B "
                f"{shape_b[-1]}. Set identity_weight=0. Received: identity_weight={identity_weight}")
        self.reconstruction_loss = (keras.losses.MeanAbsoluteError() if self.RECONSTRUCTION == "l1"
                                    else keras.losses.MeanSquaredError())

    @classmethod
    def from_size(cls, size="small", *, image_shape=(28, 28, 1), source_shape=None, **kwargs):
        """A new, untrained model of a named size (see `SIZES`): domain B images of
        `image_shape`, domain A of `source_shape` (by default the same); the other
        keyword arguments go to the constructor."""
        from kerasgan.models import check_size

        return cls.from_spec(check_size(cls.SIZES, size), image_shape=image_shape,
                             source_shape=source_shape, **kwargs)

    @classmethod
    def from_spec(cls, spec: dict, *, image_shape=(28, 28, 1), source_shape=None, **kwargs):
        """`from_size` with the size's spec given (a variant adds its own keys to it)."""
        shape_b = tuple(image_shape)
        shape_a = tuple(source_shape or image_shape)
        if shape_a[:2] != shape_b[:2]:
            raise ValueError(f"{cls.__name__} keeps the image size: source_shape {shape_a} and "
                             f"image_shape {shape_b} differ in height or width.")
        return cls(cls.build_generator(shape_a, shape_b[-1], spec, "generator"),
                   cls.build_discriminator(shape_b, spec, "discriminator"),
                   generator_b2a=cls.build_generator(shape_b, shape_a[-1], spec, "generator_b2a"),
                   discriminator_a=cls.build_discriminator(shape_a, spec, "discriminator_a"),
                   **kwargs)

    @staticmethod
    def build_generator(source_shape, target_channels, spec: dict, name: str) -> keras.Model:
        """A generator of the variant's size `spec` (for `from_size`)."""
        raise NotImplementedError

    @staticmethod
    def build_discriminator(image_shape, spec: dict, name: str) -> keras.Model:
        """A discriminator of the variant's size `spec` (for `from_size`)."""
        raise NotImplementedError

    def set_augment(self, augment):
        if augment not in (None, "none"):
            raise ValueError(f"{type(self).__name__} does not support discriminator augmentation. "
                             f"Received: augment={augment!r}")
        self.augment = None

    # ---------------------------------------------------------------- shapes
    def domain_shape(self, domain: str) -> tuple[int, int, int]:
        """The image shape of domain "a" (the A -> B generator's input) or "b"."""
        network = self.generator
        shape = network.inputs[0].shape if domain == "a" else network.outputs[0].shape
        return tuple(int(d) for d in shape[1:])

    @property
    def source_shape(self) -> tuple[int, int, int]:
        return self.domain_shape("a")

    def check_direction(self, direction) -> str:
        if direction not in DIRECTIONS:
            from kerasgan.utils import unknown_name_error

            raise unknown_name_error("translation direction", str(direction), DIRECTIONS)
        return direction

    def translator(self, direction: str) -> keras.Model:
        """The (EMA) generator of a direction."""
        self.check_direction(direction)
        return self.sampling_network("generator" if direction == "a2b" else "generator_b2a")

    # ------------------------------------------------------------ training
    def update_groups(self):
        return (UpdateGroup("g", ("generator", "generator_b2a")),
                UpdateGroup("d", ("discriminator", "discriminator_a"), self.d_steps))

    def loss_term_names(self, group):
        if group == "d":
            return ("loss",)
        return ("loss", "cycle") + (("identity",) if self.identity_weight else ())

    def loss_weights(self, group):
        if group == "d":
            return {"loss": self.D_LOSS_SCALE}
        return {"cycle": self.cycle_weight, "identity": self.cycle_weight * self.identity_weight}

    def unpack(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                f"{type(self).__name__} trains on (a_batch, b_batch) from two unpaired domains, "
                "e.g. kerasgan.data.from_unpaired(domain_a, domain_b). Received a batch of "
                f"{'a single tensor' if not isinstance(data, (tuple, list)) else len(data)} "
                "element(s).")
        return data[0], data[1]

    def discriminator_fakes(self, fake_b, fake_a, training):
        """The translations the discriminators are shown (CycleGAN: from its history)."""
        return fake_b, fake_a

    def loss_terms(self, group, batch, training=True):
        """`g`: fool both discriminators, reconstruct each domain through the other (and
        map each domain to itself). `d`: each discriminator tells its domain's images
        from the other domain's translations."""
        real_a, real_b = batch
        if group == "g":
            fake_b = self.generator(real_a, training=training)
            fake_a = self.generator_b2a(real_b, training=training)
            cache = self.step_cache
            if cache is not None:
                cache["fakes"] = (tf.stop_gradient(fake_b), tf.stop_gradient(fake_a))
            adversarial = (
                self.g_loss_fn.generator_loss(self.discriminator(fake_b, training=training))
                + self.g_loss_fn.generator_loss(self.discriminator_a(fake_a, training=training)))
            cycle = (self.reconstruction_loss(real_a, self.generator_b2a(fake_b, training=training))
                     + self.reconstruction_loss(real_b, self.generator(fake_a, training=training)))
            terms = {"loss": adversarial, "cycle": cycle}
            if self.identity_weight:
                terms["identity"] = (
                    self.reconstruction_loss(real_b, self.generator(real_b, training=training))
                    + self.reconstruction_loss(real_a,
                                               self.generator_b2a(real_a, training=training)))
            return GroupLosses(terms)
        cached = (self.step_cache or {}).get("fakes")
        if cached is None:
            cached = (tf.stop_gradient(self.generator(real_a, training=training)),
                      tf.stop_gradient(self.generator_b2a(real_b, training=training)))
        fake_b, fake_a = cached
        if training:
            fake_b, fake_a = self.discriminator_fakes(fake_b, fake_a, training)
        loss_b = self.d_loss_fn.discriminator_loss(self.discriminator(real_b, training=training),
                                                   self.discriminator(fake_b, training=training))
        loss_a = self.d_loss_fn.discriminator_loss(
            self.discriminator_a(real_a, training=training),
            self.discriminator_a(fake_a, training=training))
        return GroupLosses({"loss": loss_b + loss_a})

    # ------------------------------------------------------------ translation
    def check_images(self, images, direction: str = "a2b") -> np.ndarray:
        """Images of the direction's source domain as float32 in [-1, 1]: uint8 in
        [0, 255] or floats in [-1, 1], `(N, H, W, C)`, or `(N, H, W)` for one channel."""
        domain = self.check_direction(direction)[0]
        return check_image_batch(images, self.domain_shape(domain), f"domain {domain.upper()} "
                                 f"images (the source of direction '{direction}')")

    def translate(self, images, direction: str = "a2b", *, batch_size: int = 256,
                  output="uint8") -> np.ndarray:
        """Translates images from one domain to the other (EMA generators when kept).

        Args:
            images: uint8 `(N, H, W, C)` in [0, 255], or floats in [-1, 1], of the
                direction's source domain.
            direction: "a2b" (domain A to B, `generator`) or "b2a" (`generator_b2a`).
            output: "uint8" (NHWC in [0, 255]) or "float" (NHWC in [-1, 1]).

        Example:
        >>> handwritten = gan.translate(printed_digits)               # doctest: +SKIP
        >>> printed = gan.translate(handwritten, direction="b2a")     # doctest: +SKIP
        """
        if output not in ("uint8", "float"):
            raise ValueError(f"output must be 'uint8' or 'float'. Received: output={output!r}")
        images = self.check_images(images, direction)
        if len(images) == 0:
            raise ValueError(f"Expected at least one image. Received: shape={images.shape}")
        run = self._translate_function(direction)
        out = np.concatenate([run(tf.constant(images[i:i + batch_size])).numpy()
                              for i in range(0, len(images), batch_size)]).astype(np.float32)
        return out if output == "float" else to_uint8(out)

    def _translate_function(self, direction):
        functions = self.__dict__.setdefault("_translate_functions", {})
        if direction not in functions:
            network = self.translator(direction)
            functions[direction] = tf.function(lambda x: network(x, training=False),
                                               reduce_retracing=True)
        return functions[direction]

    def cycle(self, images, direction: str = "a2b", **kwargs) -> np.ndarray:
        """Images translated there and back (A -> B -> A for "a2b"), uint8 by default."""
        there = self.translate(images, direction, output="float")
        return self.translate(there, "b2a" if direction == "a2b" else "a2b", **kwargs)

    def generate(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} translates images rather than sampling them: "
                        "use gan.translate(images, direction='a2b' or 'b2a').")

    def make_latents(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} has no latents: it translates images.")

    def example_inputs(self, num_images: int, seed=None) -> dict:
        """Random uint8 images of both domains (fixed by `seed`), for golden outputs:
        `images` (domain A) and `images_b`."""
        rng = np.random.default_rng(seed)
        return {"images": rng.integers(0, 256, (int(num_images), *self.domain_shape("a")),
                                       np.uint8),
                "images_b": rng.integers(0, 256, (int(num_images), *self.domain_shape("b")),
                                         np.uint8)}

    def generate_from(self, inputs: dict, output="uint8") -> np.ndarray:
        """The A -> B translations of `inputs["images"]` (see `generate_both_from`)."""
        return self.translate(inputs["images"], "a2b", output=output)

    def generate_both_from(self, inputs: dict, output="uint8") -> dict:
        """`{"a2b": ..., "b2a": ...}` translations of `images` and `images_b`."""
        return {"a2b": self.translate(inputs["images"], "a2b", output=output),
                "b2a": self.translate(inputs["images_b"], "b2a", output=output)}

    def golden_outputs_from(self, inputs: dict, output="uint8") -> dict:
        """Both directions: "images" (A -> B of `images`) and "images_b2a" (of `images_b`)."""
        both = self.generate_both_from(inputs, output=output)
        return {"images": both["a2b"], "images_b2a": both["b2a"]}

    def preview(self, inputs: dict) -> np.ndarray:
        """A grid of rows (A, A -> B, B, B -> A), eight images a row."""
        from kerasgan.utils import image_grid

        count = min(8, len(inputs["images"]), len(inputs["images_b"]))
        a = to_uint8(self.check_images(inputs["images"][:count], "a2b"))
        b = to_uint8(self.check_images(inputs["images_b"][:count], "b2a"))
        rows = [a, self.translate(a, "a2b"), b, self.translate(b, "b2a")]
        channels = max(r.shape[-1] for r in rows)
        rows = [np.repeat(r, channels, axis=-1) if r.shape[-1] != channels else r for r in rows]
        return image_grid(np.concatenate(rows), cols=count)

    # --------------------------------------------------------- serialization
    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "augment", "unrolled_steps", "unrolled_learning_rate",
                    "simultaneous_updates"):
            config.pop(key)
        config.update(cycle_weight=self.cycle_weight, identity_weight=self.identity_weight)
        return config
