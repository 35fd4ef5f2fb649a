"""Task classes: one per kind of model (see `kerasgan.tasks.base.Task`).

>>> kerasgan.tasks.task_of(kerasgan.load("cgan-fashion-mnist")).name   # doctest: +SKIP
'conditional'
"""

from kerasgan.tasks.base import Task
from kerasgan.tasks.code_controlled import CodeControlled
from kerasgan.tasks.conditional import Conditional
from kerasgan.tasks.encoding import Encoding
from kerasgan.tasks.image_to_image import ImageToImage
from kerasgan.tasks.super_resolution import SuperResolution
from kerasgan.tasks.style import StyleBased
from kerasgan.tasks.text_to_image import TextToImage
from kerasgan.tasks.unconditional import Unconditional
from kerasgan.tasks.unpaired_translation import UnpairedTranslation

#: task name -> the Task object.
TASKS = {task.name: task for task in (Unconditional(), Conditional(), ImageToImage(),
                                      TextToImage(), CodeControlled(), Encoding(),
                                      UnpairedTranslation(), SuperResolution(),
                                      StyleBased())}


def get(name: str) -> Task:
    """The task of a name, with the closest names when it is unknown."""
    if name not in TASKS:
        from kerasgan.utils import unknown_name_error

        raise unknown_name_error("task", name, TASKS)
    return TASKS[name]


def task_of(gan_or_class) -> Task:
    """The task a GAN (or GAN class, or metadata dict) belongs to."""
    if isinstance(gan_or_class, dict):
        return get(gan_or_class.get("task", "unconditional"))
    return get(gan_or_class.task)


__all__ = ["Task", "TASKS", "get", "task_of", "Unconditional", "Conditional", "ImageToImage",
           "TextToImage", "CodeControlled", "Encoding", "UnpairedTranslation",
           "SuperResolution", "StyleBased"]
