import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kerasgan
from kerasgan.training import latest_checkpoint

CONFIG = """
name = "tiny-resume"
[model]
variant = "dcgan"
size = "small"
latent_dim = 16
ema_decay = 0.9
[data]
dataset = "mnist"
batch_size = 32
[train]
epochs = 2
steps_per_epoch = 15
seed = 0
backup_every_steps = 5
"""

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_DETERMINISTIC_OPS="1")


def _train_cmd(config, out, *extra):
    return [sys.executable, "-m", "kerasgan.cli", "train", str(config), "--out", str(out),
            "--no-eval", *extra]


def _weights(preset):
    gan = kerasgan.load(str(preset), with_discriminator=True, compile=False)
    return gan.generator.get_weights() + gan.discriminator.get_weights()


@pytest.mark.large
def test_sigkill_mid_run_then_resume_matches_uninterrupted(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    reference = subprocess.run(_train_cmd(config, tmp_path / "a"), env=ENV, capture_output=True,
                               text=True, timeout=300)
    assert reference.returncode == 0, reference.stderr[-3000:]

    victim = subprocess.Popen(_train_cmd(config, tmp_path / "b"), env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    try:
        while time.time() < deadline and not (tmp_path / "b" / "backup" / "ckpt-000002").exists():
            time.sleep(0.05)
        assert (tmp_path / "b" / "backup" / "ckpt-000002").exists(), "no checkpoint appeared"
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        victim.kill()
        victim.wait(timeout=30)
    assert not (tmp_path / "b" / "preset").exists()
    folder, progress = latest_checkpoint(tmp_path / "b" / "backup")
    assert 2 <= progress["chunks_done"] < 6

    resumed = subprocess.run(_train_cmd(config, tmp_path / "b", "--resume"), env=ENV,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming" in resumed.stderr
    for a, b in zip(_weights(tmp_path / "a" / "preset"), _weights(tmp_path / "b" / "preset")):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_non_finite_loss_stops_and_keeps_last_good_state(tmp_path):
    config = tmp_path / "nan.toml"
    # A huge learning rate on the Wasserstein loss drives the critic to Inf quickly.
    config.write_text(CONFIG.replace('[train]', '[loss]\nd = "wasserstein"\ng = "wasserstein"\n'
                                     '[optimizer]\nd_learning_rate = 1e30\ng_learning_rate = 1e30\n'
                                     '[train]'))
    with pytest.raises(FloatingPointError, match="NaN or Inf"):
        kerasgan.training.train(config, tmp_path / "run", evaluate=False, verbose=0)
    assert not (tmp_path / "run" / "preset").exists()
    latest = latest_checkpoint(tmp_path / "run" / "backup")
    if latest is not None:
        gan = kerasgan.models.create("dcgan", "small", latent_dim=16, ema_decay=0.9)
        gan.compile()
        gan.load_weights(latest[0] / "state.weights.h5")
        assert all(np.isfinite(w).all() for w in gan.get_weights())
