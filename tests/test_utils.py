"""kerasgan.utils: atomic writes give files and folders the permissions a plain write
would, so another user (a TF Serving process, say) can read presets and exports."""

import os
import stat

import numpy as np
import pytest

from gan_test_case import tiny_gan
from kerasgan.utils import atomic_directory, atomic_write, save_image
from kerasgan.zoo import save_to_preset


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o027], ids=["umask022", "umask027"])
def umask(request):
    """A known umask for the test; the caller's is restored afterwards."""
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_atomic_write_gives_a_new_file_the_mode_of_a_plain_write(umask, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    target = tmp_path / "atomic.txt"
    with atomic_write(target) as tmp:
        with open(tmp, "w") as f:
            f.write("x")
    assert _mode(target) == _mode(plain) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atomic.txt", "plain.txt"]


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(umask, tmp_path):
    target = tmp_path / "image.png"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    save_image(target, np.zeros((4, 4, 1), np.uint8))
    assert _mode(target) == 0o640  # as open(target, "w") would leave it
    assert target.read_bytes().startswith(b"\x89PNG")


def test_a_failed_atomic_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path / "never.txt") as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_directory_gives_the_modes_of_os_mkdir_and_open(umask, tmp_path):
    os.mkdir(tmp_path / "plain")
    target = tmp_path / "export"
    with atomic_directory(target) as tmp:
        (tmp / "inside.txt").write_text("x")
        with atomic_write(tmp / "atomic.txt") as inner:
            with open(inner, "w") as f:
                f.write("x")
    assert _mode(target) == _mode(tmp_path / "plain") == 0o777 & ~umask
    assert _mode(target / "inside.txt") == _mode(target / "atomic.txt") == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "plain"]


def test_a_saved_preset_is_readable_by_other_users(tmp_path):
    previous = os.umask(0o022)
    try:
        folder = save_to_preset(tiny_gan("dcgan"), tmp_path / "tiny-dcgan")
    finally:
        os.umask(previous)
    assert _mode(folder) == 0o755
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {"config.json", "generator.weights.h5", "golden.npz"} <= {p.name for p in files}
    for path in files:
        assert _mode(path) == 0o644, f"{path.name}: {oct(_mode(path))}"
    for path in (p for p in folder.rglob("*") if p.is_dir()):
        assert _mode(path) == 0o755, f"{path.name}: {oct(_mode(path))}"
