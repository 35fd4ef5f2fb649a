import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kerasgan
from gan_test_case import (assert_float_images_close, assert_images_close, perturbed_weights,
                           tiny_gan)
from kerasgan import zoo
from kerasgan.zoo.hub import files_to_push, push, seed_hf_cache
from kerasgan.zoo.preset import PresetError, golden_inputs, save_to_preset

REPO_ROOT = Path(__file__).resolve().parents[1]
ZOO = REPO_ROOT / "zoo"
ZOO_FOLDERS = [p for p in ZOO.iterdir() if (p / "README.md").is_file()]
REGISTERED = zoo.list_models()


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    gan = tiny_gan("dcgan")
    path = tmp_path_factory.mktemp("presets") / "tiny-dcgan"
    save_to_preset(gan, path, metadata={"data": {"dataset": "mnist", "split": "train"}})
    return path


def _assert_reproduces_golden(gan, folder, same_machine=False):
    """The golden outputs again (every output the file records: both directions of an
    unpaired translator): bit for bit when they were written on this machine, else
    within what another CPU changes (see gan_test_case), and a model with 1% noise on
    its weights must fail that check."""
    with np.load(Path(folder) / "golden.npz", allow_pickle=False) as golden:
        inputs = golden_inputs(golden)
        floats = gan.golden_outputs_from(inputs, output="float")
        images = gan.golden_outputs_from(inputs)
        assert {f"{name}_uint8" for name in images} <= set(golden.files), golden.files
        for name in images:
            if same_machine:
                np.testing.assert_array_equal(floats[name], golden[f"{name}_float"])
                np.testing.assert_array_equal(images[name], golden[f"{name}_uint8"])
            else:
                assert_float_images_close(floats[name], golden[f"{name}_float"])
                assert_images_close(images[name], golden[f"{name}_uint8"])
        if same_machine:
            return
        for name in images:
            network = gan.translator("b2a") if name == "images_b2a" else gan.sampling_generator
            with perturbed_weights(network, relative=0.01):
                perturbed = gan.golden_outputs_from(inputs, output="float")[name]
                with pytest.raises(AssertionError):
                    assert_float_images_close(perturbed, golden[f"{name}_float"])
                with pytest.raises(AssertionError, match="values within 1 level"):
                    assert_images_close(gan.golden_outputs_from(inputs)[name],
                                        golden[f"{name}_uint8"])


def test_preset_layout_and_exact_reload(tiny_preset):
    names = {p.name for p in tiny_preset.iterdir()}
    assert {"config.json", "metadata.json", "generator.weights.h5", "discriminator.weights.h5",
            "README.md", "samples.png", "golden.npz"} <= names
    card = (tiny_preset / "README.md").read_text()
    from huggingface_hub import ModelCard

    assert card.startswith("---\n") and "- kerasgan" in card
    assert ModelCard(card).data.library_name == "keras"
    meta = json.loads((tiny_preset / "metadata.json").read_text())
    assert meta["versions"]["keras"] and meta["parameters"]["generator"] > 0
    gan = kerasgan.load(str(tiny_preset), with_discriminator=True)
    _assert_reproduces_golden(gan, tiny_preset, same_machine=True)
    assert gan.compiled
    assert not any(p.name.startswith(".") for p in tiny_preset.parent.iterdir())


def test_loaded_preset_fine_tunes(tiny_preset, mnist_small):
    gan = kerasgan.load(str(tiny_preset), with_discriminator=True)
    ds = kerasgan.data.from_numpy(mnist_small[0], batch_size=32)
    history = gan.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])


def test_save_to_preset_is_atomic(tmp_path):
    gan = tiny_gan("dcgan")
    target = tmp_path / "broken"
    with pytest.raises(TypeError):
        save_to_preset(gan, target, metadata={"not_json": object()})
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    save_to_preset(gan, target)
    with pytest.raises(FileExistsError, match="exists and is not empty.*overwrite"):
        save_to_preset(gan, target)
    save_to_preset(gan, target, overwrite=True)


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_tampered_and_truncated_weights_are_refused(tiny_preset, tmp_path):
    flipped = _copy(tiny_preset, tmp_path / "flipped")
    weights = flipped / "generator.weights.h5"
    raw = bytearray(weights.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    weights.write_bytes(bytes(raw))
    with pytest.raises(PresetError, match=r"sha256 mismatch for .*generator\.weights\.h5.*nothing was loaded"):
        kerasgan.load(str(flipped))
    truncated = _copy(tiny_preset, tmp_path / "truncated")
    weights = truncated / "generator.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(PresetError, match="sha256 mismatch"):
        kerasgan.load(str(truncated))


def test_missing_files_and_unknown_class(tiny_preset, tmp_path):
    partial = _copy(tiny_preset, tmp_path / "partial")
    (partial / "generator.weights.h5").unlink()
    with pytest.raises(PresetError, match="is missing generator.weights.h5"):
        kerasgan.load(str(partial))
    alien = _copy(tiny_preset, tmp_path / "alien")
    config = json.loads((alien / "config.json").read_text())
    config["registered_name"] = config["class_name"] = "kerasgan>HyperGAN"
    (alien / "config.json").write_text(json.dumps(config))
    meta = json.loads((alien / "metadata.json").read_text())
    meta["files"].pop("config.json")
    (alien / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(PresetError, match="names a class that can't be built: 'kerasgan>HyperGAN'"):
        kerasgan.load(str(alien))


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Unknown kerasgan model 'dcgan-fashion-mnst'"):
        kerasgan.load("dcgan-fashion-mnst")
    if "dcgan-fashion-mnist" in REGISTERED:
        with pytest.raises(ValueError, match="Did you mean: dcgan-fashion-mnist"):
            kerasgan.load("dcgan-fashion-mnst")
    with pytest.raises(ValueError, match="Unknown kerasgan model"):
        kerasgan.model_info("nope")


def test_list_models_filters():
    assert zoo.list_models("*") == REGISTERED
    assert all("fashion" in n for n in zoo.list_models("*fashion*"))
    assert zoo.list_models("no-such-*") == []


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_model_reproduces_golden(name):
    gan = kerasgan.load(name, source="mirror")
    _assert_reproduces_golden(gan, zoo.zoo_mirror() / name)
    info = zoo.model_info(name)
    assert len(info["revision"]) == 40 and set(info["files"]) >= {"config.json", "generator.weights.h5"}


@pytest.mark.parametrize("name", REGISTERED)
def test_registry_hashes_match_the_mirror(name):
    from kerasgan.utils import sha256_file

    info = zoo.model_info(name)
    for file, digest in info["files"].items():
        assert sha256_file(zoo.zoo_mirror() / name / file) == digest, file


def _run_offline(code: str, cache: Path, extra_env=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(cache), HF_HOME=str(cache.parent),
               KERASGAN_ZOO="", TF_CPP_MIN_LOG_LEVEL="3", **(extra_env or {}))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)


def test_hf_uri_loads_from_a_real_offline_cache(tiny_preset, tmp_path):
    revision = "a" * 40
    cache = tmp_path / "hub"
    seed_hf_cache(tiny_preset, "test-org/tiny-dcgan", revision, cache)
    code = f"""
import numpy as np, kerasgan
gan = kerasgan.load("hf://test-org/tiny-dcgan@{revision}")
golden = np.load("{tiny_preset}/golden.npz")
assert np.array_equal(gan.generate(golden["latents"]), golden["images_uint8"])
gan = kerasgan.load("hf://test-org/tiny-dcgan")   # refs/main
print("OK", gan.preset_path)
"""
    result = _run_offline(code, cache)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK" in result.stdout and str(cache) in result.stdout


def test_offline_errors_name_the_revision(tmp_path):
    cache = tmp_path / "hub"
    cache.mkdir()
    code = """
import kerasgan
for uri in ["hf://test-org/absent", "hf://test-org/absent@" + "b" * 40]:
    try:
        kerasgan.load(uri)
    except kerasgan.zoo.PresetError as e:
        print("ERR", e)
"""
    result = _run_offline(code, cache)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [l for l in result.stdout.splitlines() if l.startswith("ERR")]
    assert len(lines) == 2
    assert "test-org/absent@main is not in the Hugging Face cache" in lines[0]
    assert "HF_HUB_OFFLINE is set" in lines[0]
    assert "test-org/absent@" + "b" * 40 in lines[1]


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_model_loads_through_huggingface_hub(name, tmp_path):
    info = zoo.model_info(name)
    cache = tmp_path / "hub"
    seed_hf_cache(zoo.zoo_mirror() / name, info["repo_id"], info["revision"], cache)
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np, kerasgan
from gan_test_case import assert_images_close
from kerasgan.zoo.preset import golden_inputs
for ref in ["{name}", "hf://{info['repo_id']}", "hf://{info['repo_id']}@{info['revision']}"]:
    gan = kerasgan.load(ref)
    golden = np.load(gan.preset_path + "/golden.npz")
    assert_images_close(gan.generate_from(golden_inputs(golden)), golden["images_uint8"])
    assert "{cache}" in gan.preset_path, gan.preset_path
try:
    kerasgan.load("{name}", revision="c" * 40)
except kerasgan.zoo.PresetError as e:
    print("ERR", e)
print("OK")
"""
    result = _run_offline(code, cache)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK" in result.stdout
    assert f"{info['repo_id']}@{'c' * 40} is not in the Hugging Face cache" in result.stdout


def test_push_dry_run_lists_exact_files(tiny_preset, capsys):
    assert push(tiny_preset, "someone/tiny", dry_run=True) is None
    out = capsys.readouterr().out
    for name in files_to_push(tiny_preset):
        assert name in out
    assert "Would upload 7 files" in out
    assert "Model card as the Hub reads it: library keras, license apache-2.0" in out
    push(ZOO / "dcgan-fashion-mnist", "someone/dcgan", dry_run=True)
    out = capsys.readouterr().out
    assert "fid (kerasgan-fashion-mnist-classifier-v1; 10,000 generated, 10,000 held-out) " \
           "on fashion-mnist (test): 29.51" in out
    with pytest.raises(ValueError, match="org/name"):
        push(tiny_preset, "no-slash", dry_run=True)


def test_one_line_load_in_a_fresh_process():
    if "dcgan-fashion-mnist" not in REGISTERED:
        pytest.skip("dcgan-fashion-mnist is not registered yet")
    code = "import kerasgan; print(kerasgan.load('dcgan-fashion-mnist').generate(16, seed=0).shape)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(16, 28, 28, 1)" in result.stdout


def test_registered_hf_uri_loads_from_the_mirror_without_network(tmp_path):
    """The pinned revision of a registered repo is the local mirror's folder, so it loads
    with the Hub unreachable (a closed local port) and nothing in the HF cache."""
    name = "dcgan-fashion-mnist"
    if name not in REGISTERED:
        pytest.skip(f"{name} is not registered")
    info = zoo.model_info(name)
    mirror = zoo.zoo_mirror() / name
    cache = tmp_path / "hub"
    cache.mkdir()
    code = f"""
import kerasgan
for uri in ["hf://{info['repo_id']}", "hf://{info['repo_id']}@{info['revision']}"]:
    gan = kerasgan.load(uri)
    print("PATH", gan.preset_path, gan.generate(2, seed=0).shape)
try:
    kerasgan.load("hf://{info['repo_id']}@" + "d" * 40)   # not the pinned revision
except kerasgan.zoo.PresetError as e:
    print("ERR", e)
"""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_ENDPOINT="http://127.0.0.1:9",
               HF_HUB_CACHE=str(cache), HF_HOME=str(tmp_path), KERASGAN_ZOO=str(zoo.zoo_mirror()),
               TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    paths = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("PATH")]
    assert paths == [str(mirror), str(mirror)], result.stdout
    assert "(2, 28, 28, 1)" in result.stdout
    assert f"{info['repo_id']}@{'d' * 40} is not in the Hugging Face cache" in result.stdout


def test_keras_file_loads(tmp_path):
    gan = tiny_gan("dcgan")
    gan.save(tmp_path / "my_dcgan.keras")
    loaded = kerasgan.load(str(tmp_path / "my_dcgan.keras"))
    assert isinstance(loaded, kerasgan.models.GAN) and loaded.compiled
    np.testing.assert_array_equal(loaded.generate(4, seed=3), gan.generate(4, seed=3))
    assert loaded.preset_path == str(tmp_path / "my_dcgan.keras")
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        kerasgan.load(str(tmp_path / "missing.keras"))
    import keras

    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "plain.keras")
    with pytest.raises(PresetError, match="holds a Sequential, not a kerasgan GAN"):
        kerasgan.load(str(tmp_path / "plain.keras"))


def test_republishing_keeps_the_old_version_in_the_card_history(tiny_preset, tmp_path):
    import importlib.util

    script = Path(__file__).parents[1] / "scripts" / "publish_preset.py"
    spec = importlib.util.spec_from_file_location("publish_preset", script)
    publish_preset = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish_preset)

    def preset_with(tmp_name, steps, fid):
        folder = tmp_path / tmp_name
        shutil.copytree(tiny_preset, folder)
        meta = json.loads((folder / "metadata.json").read_text())
        meta["training"] = {"steps": steps, "batch_size": 128, "wall_time_s": 10.0 * steps}
        meta["metrics"] = {"fid[x]": fid, "protocol": {"num_fake": 100}}
        (folder / "metadata.json").write_text(json.dumps(meta))
        return folder

    zoo, registry = tmp_path / "zoo", tmp_path / "registry.json"
    registry.write_text(json.dumps({"models": {"tiny": {"revision": "a" * 40}}}))
    publish_preset.publish(preset_with("v1", 100, 150.0), "tiny", zoo_dir=zoo,
                           registry_path=registry)
    assert "## History" not in (zoo / "tiny" / "README.md").read_text()
    published = publish_preset.publish(preset_with("v2", 300, 90.0), "tiny", zoo_dir=zoo,
                                       registry_path=registry, why_replaced="one class under 5%")
    meta = json.loads((published / "metadata.json").read_text())
    assert meta["training"]["steps"] == 300 and meta["metrics"]["fid[x]"] == 90.0
    assert meta["history"] == [{"revision": "a" * 40, "steps": 100, "batch_size": 128,
                                "wall_time_s": 1000.0, "config_sha256": meta["history"][0]["config_sha256"],
                                "command": None, "metrics": {"fid[x]": 150.0},
                                "why_replaced": "one class under 5%"}]
    card = (published / "README.md").read_text()
    assert "## History" in card and f"revision `{'a' * 40}`: 100 steps" in card
    assert "fid 150" in card and "one class under 5%" in card
    # A third version keeps both earlier ones, newest first in the card.
    publish_preset.publish(preset_with("v3", 500, 80.0), "tiny", zoo_dir=zoo, registry_path=registry)
    meta = json.loads((zoo / "tiny" / "metadata.json").read_text())
    assert [h["steps"] for h in meta["history"]] == [100, 300]
    card = (zoo / "tiny" / "README.md").read_text()
    assert card.index(": 300 steps") < card.index(": 100 steps")
    assert sorted(p.name for p in zoo.iterdir()) == ["tiny"]      # no staging folder left behind


@pytest.mark.parametrize("name", sorted(p.name for p in ZOO_FOLDERS))
def test_every_card_parses_as_the_hub_does_and_lists_its_metrics(name):
    """huggingface_hub's own ModelCard reads each zoo card; its `model-index` holds
    exactly the metrics of metadata.json, each named with its feature extractor and
    sample sizes."""
    from huggingface_hub import ModelCard

    folder = ZOO / name
    card = ModelCard((folder / "README.md").read_text())
    meta = json.loads((folder / "metadata.json").read_text())
    assert card.data.library_name == "keras" and card.data.license == "apache-2.0"
    if meta.get("kind") == "feature-classifier":
        return
    assert card.data.pipeline_tag == kerasgan.tasks.task_of(meta).pipeline_tag
    assert card.data.datasets and card.data.model_name == name
    expected = {k: v for k, v in meta["metrics"].items()
                if k != "protocol" and isinstance(v, (int, float)) and not isinstance(v, bool)}
    listed = {(r.metric_type + (f"[{r.metric_config}]" if r.metric_config else "")):
              r.metric_value for r in card.data.eval_results or []}
    assert listed == pytest.approx(expected, rel=1e-12)
    protocol = meta["metrics"].get("protocol", {})
    for result in card.data.eval_results or []:
        if result.metric_config:
            assert result.metric_config in result.metric_name
        if "num_fake" in protocol:
            assert f"{protocol['num_fake']:,} generated" in result.metric_name
