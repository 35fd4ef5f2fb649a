"""One file per named dataset; importing a file registers its datasets
(`kerasgan.data.registry.register_dataset`). A new dataset is a new file here, added
to the import below."""

from kerasgan.data.sources import emoji, fashion_mnist, glyphs, mnist, printed_digits  # noqa: F401
