"""Unconditional image generation: `generate(n)` from latents."""

from kerasgan.tasks.base import Task


class Unconditional(Task):
    name = "unconditional"
