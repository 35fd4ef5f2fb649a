"""The command line on bad input and around it: one clear line on stderr and exit code 2,
never a traceback unless --verbose; no TensorFlow start-up logging; --version; the
`list` table; output folders checked before any work."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kerasgan
from kerasgan import cli, training
from kerasgan.utils import check_writable

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = """
name = "tiny"
[model]
variant = "dcgan"
size = "small"
latent_dim = 16
[data]
dataset = "mnist"
batch_size = 32
[train]
epochs = 1
steps_per_epoch = 3
"""
# TensorFlow prints its oneDNN notice at import on CPUs where oneDNN is on by default
# (AVX-512 ones); this turns it on here too.
ONEDNN_ENV = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1")


def _kerasgan(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kerasgan.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write in. Root writes through permission bits, but not into
    sysfs, so root gets /sys."""
    if os.geteuid() == 0:
        yield Path("/sys")
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.fixture
def inputs(tmp_path, read_only_folder):
    """Paths the bad-input cases use."""
    (tmp_path / "tiny.toml").write_text(TINY_CONFIG)
    (tmp_path / "not-toml.toml").write_text("[model\nvariant = dcgan\n")
    (tmp_path / "string-batch.toml").write_text(TINY_CONFIG.replace("batch_size = 32",
                                                                    'batch_size = "64"'))
    (tmp_path / "busy-run").mkdir()
    (tmp_path / "busy-run" / "notes.txt").write_text("someone's files")
    (tmp_path / "empty").mkdir()
    return {"tmp": tmp_path, "ro": read_only_folder}


#: case -> (argv from the `inputs` paths, what the one line must say).
BAD_INPUTS = {
    "list-no-match": (lambda p: ["list", "no-such-model*"], "No registered model matches"),
    "info-typo": (lambda p: ["info", "dcgan-fashon-mnist"],
                  "Unknown kerasgan model 'dcgan-fashon-mnist'. Did you mean: dcgan-fashion-mnist"),
    "train-no-config": (lambda p: ["train", str(p["tmp"] / "absent.toml"), "--out",
                                   str(p["tmp"] / "run")], "absent.toml does not exist"),
    "train-not-toml": (lambda p: ["train", str(p["tmp"] / "not-toml.toml"), "--out",
                                  str(p["tmp"] / "run")], "is not valid TOML"),
    "train-string-batch": (lambda p: ["train", str(p["tmp"] / "string-batch.toml"), "--out",
                                      str(p["tmp"] / "run")],
                           "batch_size in .* Received: batch_size='64' (a string)"),
    "train-epochs-0": (lambda p: ["train", str(p["tmp"] / "tiny.toml"), "--out",
                                  str(p["tmp"] / "run"), "--epochs", "0"],
                       "Expected --epochs"),
    "train-steps-negative": (lambda p: ["train", str(p["tmp"] / "tiny.toml"), "--out",
                                        str(p["tmp"] / "run"), "--steps-per-epoch", "-3"],
                             "Received: steps_per_epoch=-3"),
    "train-resume-nothing": (lambda p: ["train", str(p["tmp"] / "tiny.toml"), "--out",
                                        str(p["tmp"] / "absent-run"), "--resume"],
                             "Drop --resume"),
    "train-busy-folder": (lambda p: ["train", str(p["tmp"] / "tiny.toml"), "--out",
                                     str(p["tmp"] / "busy-run")], "is not empty"),
    "train-out-is-a-file": (lambda p: ["train", str(p["tmp"] / "tiny.toml"), "--out",
                                       str(p["tmp"] / "tiny.toml")], "is a file, not a folder"),
    "train-read-only": (lambda p: ["train", str(p["tmp"] / "tiny.toml"), "--out",
                                   str(p["ro"] / "kerasgan-run")], "Permission denied"),
    "export-typo": (lambda p: ["export", "dcgan-fashon-mnist", "--out", str(p["tmp"] / "e")],
                    "Unknown kerasgan model"),
    "export-no-folder": (lambda p: ["export", "./no-such-checkpoint", "--out",
                                    str(p["tmp"] / "e")], "does not exist"),
    "export-not-a-checkpoint": (lambda p: ["export", str(p["tmp"] / "empty"), "--out",
                                           str(p["tmp"] / "e")], str("empty")),
    "export-version-0": (lambda p: ["export", "dcgan-fashion-mnist", "--out",
                                    str(p["tmp"] / "e"), "--version", "0"],
                         "--version must be an integer >= 1"),
    "export-read-only": (lambda p: ["export", "dcgan-fashion-mnist", "--out",
                                    str(p["ro"] / "kerasgan-export")], "Permission denied"),
    "push-no-folder": (lambda p: ["push", str(p["tmp"] / "absent"), "--repo", "org/name",
                                  "--dry-run"], "does not exist"),
    "push-not-a-checkpoint": (lambda p: ["push", str(p["tmp"] / "empty"), "--repo", "org/name",
                                         "--dry-run"], "is not a kerasgan checkpoint"),
    "push-bad-repo": (lambda p: ["push", str(REPO / "zoo" / "dcgan-fashion-mnist"), "--repo",
                                 "no-slash", "--dry-run"], "--repo must be 'org/name'"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_ends_in_one_clear_line(case, inputs, capsys):
    argv, says = BAD_INPUTS[case]
    argv = argv(inputs)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"kerasgan {argv[0]}: error: ")
    if ".*" in says:
        import re

        assert re.search(says.replace("(", r"\(").replace(")", r"\)"), lines[0]), lines[0]
    else:
        assert says in lines[0]


@pytest.mark.parametrize("argv,says", [
    (["export", "dcgan-fashion-mnist", "--out", "x", "--format", "gif"],
     "argument --format: invalid choice: 'gif'"),
    (["train", "x.toml", "--out", "x", "--epochs", "three"],
     "argument --epochs: invalid int value: 'three'"),
    (["push", "folder"], "the following arguments are required: --repo"),
])
def test_argparse_errors_are_one_usage_and_one_error(argv, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(f"kerasgan {argv[0]}: error: {says}")


@pytest.mark.parametrize("argv", [["--verbose", "info", "no-such-model"],
                                  ["info", "no-such-model", "--verbose"]])
def test_verbose_adds_the_traceback(argv, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("kerasgan info: error: Unknown kerasgan model")


def test_an_error_from_inside_a_library_is_one_line_too(tmp_path, capsys):
    """A checkpoint folder whose config.json is not JSON fails inside the loader; the user
    still gets one line (with the error's type) and exit code 2."""
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "generator.weights.h5", "metadata.json"):
        (broken / name).write_text("{ not json")
    assert cli.main(["export", str(broken), "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("args", [["--help"], ["list"], ["train", "--help"]])
def test_no_tensorflow_startup_logging(args):
    result = _kerasgan(*args, env=ONEDNN_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "usage: kerasgan" in result.stdout or "dcgan-fashion-mnist" in result.stdout


def test_verbose_keeps_tensorflow_startup_logging():
    result = _kerasgan("--verbose", "list", env=ONEDNN_ENV)
    assert result.returncode == 0, result.stderr
    assert "oneDNN" in result.stderr


def test_help_does_not_import_tensorflow():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "kerasgan.cli", "--help"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "usage: kerasgan" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "kerasgan" in imported
    assert not {"tensorflow", "keras"} & imported


def test_version():
    result = _kerasgan("--version", env=ONEDNN_ENV)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"kerasgan {kerasgan.__version__} (keras ")


def test_console_error_is_one_line():
    result = _kerasgan("train", "no-such-config.toml", "--out", "no-such-run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kerasgan train: error: Training config no-such-config.toml does not exist."]


def test_list_shows_task_data_resolution_parameters_and_fid(capsys):
    assert cli.main(["list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line}
    assert rows["NAME"].split() == ["NAME", "TASK", "DATA", "RESOLUTION", "G", "PARAMS", "FID",
                                    "(SAMPLES)"]
    for name in kerasgan.list_models():
        info = kerasgan.model_info(name)
        fid = next((v for k, v in info["metrics"].items() if k.startswith("fid[")), None)
        cells = rows[name].split()
        assert cells[1:5] == [info["task"], info["dataset"], info["resolution"],
                              cli._count(info["parameters"]["generator"])]
        if fid is None:  # super-resolution (PSNR), unpaired translation (FID per direction)
            assert cells[5] == "-", name
        else:
            assert float(cells[5]) == pytest.approx(fid, abs=0.005)
    assert cli._count(1173045) == "1.17M" and cli._count(858945) == "859k"


def test_check_writable(tmp_path, read_only_folder):
    target = tmp_path / "new" / "run"
    assert check_writable(target) == target
    assert not (tmp_path / "new").exists()  # checked, not created
    with pytest.raises(PermissionError, match=f"Can't write the output folder "
                                              f"{read_only_folder / 'run'}.*Permission denied"):
        check_writable(read_only_folder / "run")
    a_file = tmp_path / "file.txt"
    a_file.write_text("")
    with pytest.raises(NotADirectoryError, match=f"{a_file} is a file, not a folder"):
        check_writable(a_file / "run")
    with pytest.raises(OSError, match=r"MiB free, but about .* MiB are needed") as full:
        check_writable(tmp_path, min_free_bytes=2**62)
    assert full.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == [a_file]  # the probe file is gone


def test_read_only_output_fails_before_training(tmp_path, read_only_folder):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_CONFIG)
    with pytest.raises(PermissionError, match=f"run folder \\(--out\\) {read_only_folder}"):
        training.train(config, read_only_folder / "kerasgan-run", verbose=0)
