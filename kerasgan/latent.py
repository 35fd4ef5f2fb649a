"""Walks through latent space: interpolate between latents, render the walk as a
grid or an animated GIF. Works for every model that draws from latents
(unconditional, conditional, text-to-image).

Spherical interpolation ("slerp", the default) keeps the latents at the norm a
Gaussian latent typically has; a straight line ("linear") passes near the
origin for distant endpoints, where the generator has seen few latents, so
middle frames come out faded (White 2016, "Sampling Generative Networks").

Example:
>>> gan = kerasgan.load("dcgan-fashion-mnist")                  # doctest: +SKIP
>>> a, b = gan.make_latents(2, seed=0)                          # doctest: +SKIP
>>> z = kerasgan.latent.interpolate(gan, a, b, steps=8)         # doctest: +SKIP
>>> frames = gan.generate(latents=z)                            # doctest: +SKIP
>>> images = kerasgan.latent.interpolation_images(gan, num_paths=4, seed=0)  # doctest: +SKIP
>>> kerasgan.latent.save_interpolation("walk.gif", images)      # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

METHODS = ("slerp", "linear")


def _latent_dim(gan) -> int:
    from kerasgan.tasks import task_of

    task = task_of(gan)
    if not task.has_latents or getattr(gan, "latent_dim", None) is None:
        raise TypeError(f"{type(gan).__name__} has no latents to interpolate: it translates "
                        f"source images. Received: task={task.name!r}")
    return int(gan.latent_dim)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an int >= 2 (both endpoints included). "
                         f"Received: steps={steps!r}")
    return int(steps)


def interpolate(gan, a, b, steps: int = 8, method: str = "slerp") -> np.ndarray:
    """Latents on the way from `a` to `b`, both endpoints included.

    Args:
        gan: the model the latents are for (its `latent_dim` is checked).
        a, b: latent vectors `(latent_dim,)`, or batches `(N, latent_dim)`
            interpolated row by row.
        steps: points per path, >= 2.
        method: "slerp" (spherical: along the arc between them) or "linear".

    Returns:
        float32 `(steps, latent_dim)` for vectors, `(N, steps, latent_dim)` for batches.

    Example:
    >>> a, b = gan.make_latents(2, seed=0)                           # doctest: +SKIP
    >>> interpolate(gan, a, b, steps=5, method="linear").shape        # doctest: +SKIP
    (5, 100)
    """
    latent_dim = _latent_dim(gan)
    steps = _check_steps(steps)
    if method not in METHODS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("interpolation method", str(method), METHODS)
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim not in (1, 2) or a.shape[-1] != latent_dim:
        raise ValueError(f"a and b must both have shape ({latent_dim},) or (N, {latent_dim}). "
                         f"Received: a.shape={a.shape}, b.shape={b.shape}")
    single = a.ndim == 1
    a = gan.check_latents(a.reshape(-1, latent_dim)).astype(np.float64)
    b = gan.check_latents(b.reshape(-1, latent_dim)).astype(np.float64)
    t = np.linspace(0.0, 1.0, steps)[None, :, None]                    # (1, steps, 1)
    linear = (1.0 - t) * a[:, None] + t * b[:, None]
    if method == "linear":
        path = linear
    else:
        norm_a = np.linalg.norm(a, axis=1, keepdims=True)
        norm_b = np.linalg.norm(b, axis=1, keepdims=True)
        safe_a, safe_b = np.maximum(norm_a, 1e-12), np.maximum(norm_b, 1e-12)
        cos = np.clip(np.sum(a / safe_a * (b / safe_b), axis=1), -1.0, 1.0)
        omega = np.arccos(cos)[:, None, None]                            # (N, 1, 1)
        sin_omega = np.sin(omega)
        # Parallel (or opposite, or zero) endpoints have no unique great circle: a line.
        degenerate = (sin_omega < 1e-6) | (norm_a[:, None] < 1e-12) | (norm_b[:, None] < 1e-12)
        sin_omega = np.where(degenerate, 1.0, sin_omega)
        spherical = (np.sin((1.0 - t) * omega) / sin_omega * a[:, None]
                     + np.sin(t * omega) / sin_omega * b[:, None])
        path = np.where(degenerate, linear, spherical)
        path[:, 0], path[:, -1] = a, b  # exact endpoints
    path = path.astype(np.float32)
    return path[0] if single else path


SPACES = ("z", "w")


def interpolation_images(gan, a=None, b=None, *, num_paths: int = 8, steps: int = 8,
                         method: str = "slerp", seed=None, labels=None, space: str = "z",
                         output: str = "uint8") -> np.ndarray:
    """Images along latent paths: `(num_paths, steps, H, W, C)`.

    `space="w"` (style-based models: StyleGAN) maps the endpoints through the mapping
    network and walks the straight line between them in W, the intermediate latent
    space whose paths the paper finds smoother (its perceptual path length in W uses
    linear interpolation, so `method` is "linear" there).

    Args:
        a, b: endpoints `(N, latent_dim)` (or one vector each); default: `2 * num_paths`
            latents drawn with `seed`, paired up.
        labels: what every image of a path is conditioned on: class ids or names
            for conditional models, captions for text-to-image ones; one, or one per
            path (default: as `gan.generate` picks, per path).
        num_paths, steps, method, seed, output: as named (`output` as in `gan.generate`).

    Example:
    >>> images = interpolation_images(gan, num_paths=4, steps=6, seed=0)   # doctest: +SKIP
    >>> images.shape                                                        # doctest: +SKIP
    (4, 6, 28, 28, 1)
    """
    _latent_dim(gan)
    if space not in SPACES:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("latent space", str(space), SPACES)
    if space == "w" and not hasattr(gan, "map_to_w"):
        raise ValueError(f"space='w' needs a style-based model (a mapping network to W); "
                         f"{type(gan).__name__} has none. Received: space='w'")
    if (a is None) != (b is None):
        raise ValueError("Pass both endpoints a and b, or neither (then they are drawn from seed).")
    if a is None:
        from kerasgan.models.gan import check_num_images

        num_paths = check_num_images(num_paths, name="num_paths")
        endpoints = gan.make_latents(2 * num_paths, seed=seed)
        a, b = endpoints[:num_paths], endpoints[num_paths:]
    elif seed is not None:
        raise ValueError("seed draws the endpoints, so it can't apply to given a and b. "
                         f"Received: seed={seed!r}")
    if space == "w":
        a, b = np.atleast_2d(a), np.atleast_2d(b)
        interpolate(gan, a, b, 2, method)  # checks the endpoints and the method
        gan.prepare_labels(labels, len(a))  # style-based models take none
        w_a, w_b = gan.map_to_w(a), gan.map_to_w(b)
        t = np.linspace(0.0, 1.0, _check_steps(steps), dtype=np.float32)[None, :, None]
        path = (1.0 - t) * w_a[:, None] + t * w_b[:, None]
        images = gan.synthesize(path.reshape(-1, path.shape[-1]), output=output)
        return images.reshape(len(w_a), path.shape[1], *images.shape[1:])
    path = interpolate(gan, a, b, steps, method)
    if path.ndim == 2:
        path = path[None]
    num_paths, steps = path.shape[:2]
    from kerasgan.tasks import task_of

    # One label, caption or code per path, held along it.
    labels = task_of(gan).path_conditioning(gan, labels, num_paths)
    if labels is not None:
        labels = np.repeat(labels, steps, axis=0)
    # Labels go positionally: text-to-image models call them captions.
    images = gan.generate(None, labels, latents=path.reshape(num_paths * steps, -1),
                          output=output)
    return images.reshape(num_paths, steps, *images.shape[1:])


def save_interpolation(path, images, *, upscale: int = 2, frame_ms: int = 120) -> Path:
    """Writes `interpolation_images` output: a grid (a row per path, a column per step),
    or, when `path` ends in `.gif`, an animation whose frames show every path at one
    step, going there and back so it loops smoothly.

    Example:
    >>> save_interpolation("walk.png", images)      # doctest: +SKIP
    >>> save_interpolation("walk.gif", images)      # doctest: +SKIP
    """
    from kerasgan.utils import atomic_write, image_format, image_grid, save_image

    images = np.asarray(images)
    if images.ndim != 5:
        raise ValueError("save_interpolation expects images of shape (paths, steps, H, W, C), "
                         f"as interpolation_images returns. Received: shape={images.shape}")
    num_paths, steps = images.shape[:2]
    path = Path(path)
    if image_format(path) != "GIF":
        return save_image(path, image_grid(images.reshape(-1, *images.shape[2:]), cols=steps),
                          upscale=upscale)
    from PIL import Image

    cols = min(num_paths, 8)
    frames = [image_grid(images[:, step], cols=cols, upscale=upscale) for step in range(steps)]
    frames = frames + frames[-2:0:-1]  # there and back
    pil_frames = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
    with atomic_write(path) as tmp:
        pil_frames[0].save(tmp, format="GIF", save_all=True, append_images=pil_frames[1:],
                           duration=int(frame_ms), loop=0)
    return path
