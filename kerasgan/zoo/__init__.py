"""The zoo: a registry of pretrained GANs and the resolver that loads them.

`load(name_or_uri)` resolves, in order:
0. a `.keras` file written by `gan.save(...)`;
1. a local folder;
2. `hf://org/repo[@revision]`: the local zoo mirror when that is a registered repo at
   its pinned revision, else `huggingface_hub.snapshot_download`;
3. a registry name: the local zoo mirror (`$KERASGAN_ZOO`, or this
   repository's `zoo/`), then the Hugging Face Hub at the pinned revision,
   into the standard HF cache (honouring `HF_HUB_OFFLINE`, `HF_HOME`,
   `HF_ENDPOINT`).

Every file's sha256 is checked before a byte of weights is read.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from importlib import resources
from pathlib import Path

from kerasgan.utils import unknown_name_error
from kerasgan.zoo.preset import (PresetError, VERIFIED_FILES, load_from_preset,  # noqa: F401
                                 save_to_preset)

REGISTRY_FILE = "registry.json"
HF_PREFIX = "hf://"
KERAS_FILE_SUFFIX = ".keras"


def _registry_file() -> dict:
    return json.loads(resources.files("kerasgan.zoo").joinpath(REGISTRY_FILE).read_text())


def registry() -> dict:
    """GAN name -> {repo_id, revision, files: {file: sha256}, task, dataset, ...}."""
    return _registry_file()["models"]


def classifier_registry() -> dict:
    """Feature-classifier name -> {repo_id, revision, files, dataset, extractor_id, ...}."""
    return _registry_file().get("classifiers", {})


def list_models(pattern: str = "*", *, task: str | None = None) -> list[str]:
    """Registered model names matching a shell-style `pattern`, like timm.

    Example:
    >>> kerasgan.list_models("*fashion*")    # doctest: +SKIP
    ['cgan-fashion-mnist', 'dcgan-fashion-mnist']
    """
    entries = registry()
    return sorted(name for name, entry in entries.items()
                  if fnmatch.fnmatch(name, pattern) and (task is None or entry.get("task") == task))


def model_info(name: str) -> dict:
    """The registry entry (card data) of a model name."""
    entries = registry()
    if name not in entries:
        raise unknown_name_error("kerasgan model", name, entries)
    return dict(entries[name], name=name)


def content_revision(files: dict[str, str]) -> str:
    """A 40-hex id of a checkpoint's content, used as revision until it is pushed."""
    text = "".join(f"{name} {digest}\n" for name, digest in sorted(files.items()))
    return hashlib.sha1(text.encode()).hexdigest()


def zoo_mirror() -> Path | None:
    """The local zoo mirror: `$KERASGAN_ZOO` ("" disables it) or the repo's `zoo/`."""
    env = os.environ.get("KERASGAN_ZOO")
    if env is not None:
        return Path(env) if env else None
    candidate = Path(__file__).resolve().parents[2] / "zoo"
    return candidate if candidate.is_dir() else None


def parse_hf_uri(uri: str) -> tuple[str, str | None]:
    body = uri[len(HF_PREFIX):]
    repo_id, _, revision = body.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ValueError(f"Expected hf://org/name[@revision]. Received: {uri!r}")
    return repo_id, revision or None


def hub_download(repo_id: str, revision: str | None, allow_patterns=None) -> Path:
    """`snapshot_download` with errors that say what to do."""
    from huggingface_hub import snapshot_download
    from huggingface_hub import constants
    from huggingface_hub.errors import (LocalEntryNotFoundError, RepositoryNotFoundError,
                                        RevisionNotFoundError)

    where = f"{repo_id}@{revision or 'main'}"
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=allow_patterns))
    except RevisionNotFoundError as e:
        raise PresetError(f"Revision '{revision}' does not exist in Hub repo {repo_id}.") from e
    except RepositoryNotFoundError as e:
        raise PresetError(f"Hub repo {repo_id} does not exist or is private.") from e
    except LocalEntryNotFoundError as e:
        offline = " (HF_HUB_OFFLINE is set)" if constants.HF_HUB_OFFLINE else ""
        # huggingface_hub retries an unreachable Hub for a while; offline mode skips that.
        hint = "" if constants.HF_HUB_OFFLINE else (
            " Set HF_HUB_OFFLINE=1 to use the cache without trying the network.")
        raise PresetError(
            f"{where} is not in the Hugging Face cache ({constants.HF_HUB_CACHE}) and the Hub "
            f"can't be reached{offline}. Connect and retry, or load a local folder.{hint}"
        ) from e
    except OSError as e:
        raise PresetError(f"Could not download {where} from the Hugging Face Hub: {e}") from e


def resolve(name_or_uri: str, *, revision: str | None = None, source: str = "auto",
            with_discriminator: bool = False, entries: dict | None = None
            ) -> tuple[Path, dict | None]:
    """(local folder, pinned hashes or None) for a folder, `hf://` URI or registry name."""
    if source not in ("auto", "mirror", "hub"):
        raise ValueError(f"source must be 'auto', 'mirror' or 'hub'. Received: {source!r}")
    text = str(name_or_uri)
    if text.startswith(HF_PREFIX):
        repo_id, uri_revision = parse_hf_uri(text)
        name, pinned = next(((n, e) for n, e in (entries or registry()).items()
                             if e["repo_id"] == repo_id), (None, None))
        wanted = revision or uri_revision or (pinned and pinned["revision"])
        expected = pinned["files"] if pinned and wanted == pinned["revision"] else None
        # The pinned revision of a registered repo is byte for byte the local mirror's
        # folder (the registry's sha256 are checked on load): no network needed.
        mirror = zoo_mirror()
        if (expected is not None and source != "hub" and mirror is not None
                and (mirror / name).is_dir()):
            return mirror / name, expected
        if source == "mirror":
            raise PresetError(f"{text} is not the pinned revision of a model in the local zoo "
                              f"mirror {mirror}.")
        return hub_download(repo_id, wanted), expected
    path = Path(text).expanduser()
    if path.is_dir():
        return path, None
    entries = registry() if entries is None else entries
    if text not in entries:
        if os.sep in text or text.startswith("."):
            raise PresetError(f"Checkpoint folder {text} does not exist.")
        raise unknown_name_error("kerasgan model", text, entries)
    entry = entries[text]
    if revision is not None and revision != entry["revision"]:
        return hub_download(entry["repo_id"], revision), None
    mirror = zoo_mirror()
    if source in ("auto", "mirror") and mirror is not None and (mirror / text).is_dir():
        return mirror / text, entry["files"]
    if source == "mirror":
        raise PresetError(f"'{text}' is not in the local zoo mirror {mirror}.")
    patterns = [f for f in entry["files"] if with_discriminator or f != "discriminator.weights.h5"]
    patterns += ["metadata.json", "README.md", "samples.png"]
    return hub_download(entry["repo_id"], entry["revision"], allow_patterns=patterns), entry["files"]


def load(name_or_uri: str, *, revision: str | None = None, with_discriminator: bool = False,
         compile: bool = True, source: str = "auto"):
    """Loads a pretrained GAN in one line.

    Args:
        name_or_uri: a registry name (see `list_models()`), `hf://org/repo[@revision]`,
            a local checkpoint folder, or a `.keras` file saved with `gan.save(...)`.
        revision: a Hub revision to use instead of the pinned one.
        with_discriminator: also load the discriminator (needed to fine-tune).
        compile: compile with the variant's defaults, so `fit` works at once.
        source: "auto", "mirror" (local zoo only) or "hub" (skip the local zoo).

    Example:
    >>> gan = kerasgan.load("dcgan-fashion-mnist")   # doctest: +SKIP
    >>> gan.generate(16, seed=0).shape               # doctest: +SKIP
    (16, 28, 28, 1)
    """
    text = str(name_or_uri)
    if (text.endswith(KERAS_FILE_SUFFIX) and not text.startswith(HF_PREFIX)
            and not Path(text).expanduser().is_dir()):
        return load_keras_file(text, compile=compile)
    folder, expected = resolve(name_or_uri, revision=revision, source=source,
                               with_discriminator=with_discriminator)
    return load_from_preset(folder, with_discriminator=with_discriminator, compile=compile,
                            expected_hashes=expected)


def load_keras_file(path, *, compile: bool = True):
    """A GAN saved whole with `gan.save("x.keras")` (every network and, when compiled,
    the optimizer state), through `keras.saving.load_model` in safe mode.

    Example:
    >>> gan.save("my_dcgan.keras")                      # doctest: +SKIP
    >>> kerasgan.load("my_dcgan.keras").generate(4)     # doctest: +SKIP
    """
    import keras

    import kerasgan.models  # noqa: F401  (registers the classes)
    from kerasgan.models import GAN

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"No such .keras file: {path}. Received: path='{path}'")
    try:
        gan = keras.saving.load_model(path, compile=compile, safe_mode=True)
    except (ValueError, TypeError, OSError) as e:
        raise PresetError(f"{path} could not be loaded as a Keras model: {e}") from e
    if not isinstance(gan, GAN):
        raise PresetError(f"{path} holds a {type(gan).__name__}, not a kerasgan GAN. "
                          f"Load it with keras.saving.load_model. Received: path='{path}'")
    gan.preset_path = str(path)
    gan.preset_metadata = {"name": path.stem}
    return gan


def classifier_for_dataset(dataset_or_name: str) -> str:
    """The registered feature classifier for a dataset name (or a classifier name)."""
    entries = classifier_registry()
    if dataset_or_name in entries:
        return dataset_or_name
    for name, entry in entries.items():
        if entry.get("dataset") == dataset_or_name:
            return name
    raise unknown_name_error("feature classifier or dataset", dataset_or_name,
                             list(entries) + [e.get("dataset") for e in entries.values()])


def load_classifier(name_or_path: str, *, source: str = "auto"):
    """(keras classifier, metadata) of a shipped feature classifier, sha256-verified."""
    import keras

    from kerasgan.zoo.preset import read_metadata, verify_files

    folder, expected = resolve(name_or_path, source=source, entries=classifier_registry())
    metadata = read_metadata(folder)
    verify_files(folder, expected if expected is not None else metadata["files"],
                 source="the kerasgan registry" if expected is not None else "metadata.json")
    config = json.loads((folder / "config.json").read_text())
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    model.load_weights(folder / "classifier.weights.h5")
    return model, metadata
