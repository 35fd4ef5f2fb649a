import json
import os
import shlex
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

# Trains CONFIG (argv[1]) into argv[2] and sends itself a real SIGINT, as Ctrl-C does,
# right after step 7: two steps into the second 5-step chunk, so the saved state is
# not on a chunk boundary.
CTRL_C_AT_STEP_7 = """
import os, signal, sys
import keras
from kerasgan import training

class CtrlCAtStep(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) == 7:
            os.kill(os.getpid(), signal.SIGINT)

try:
    training.train(sys.argv[1], sys.argv[2], evaluate=False, verbose=0,
                   callbacks=[CtrlCAtStep()])
except training.TrainingInterrupted as interrupted:
    print(interrupted.steps, interrupted.checkpoint, interrupted.resume_command, sep="\\n")
    sys.exit(130)
"""


def _train_cmd(config, out, *extra):
    return [sys.executable, "-m", "kerasgan.cli", "train", str(config), "--out", str(out),
            "--no-eval", *extra]


def _weights(preset):
    gan = kerasgan.load(str(preset), with_discriminator=True, compile=False)
    return gan.generator.get_weights() + gan.discriminator.get_weights()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The weights of CONFIG trained in one go, in a subprocess like the runs it is
    compared with."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    config = tmp / "tiny.toml"
    config.write_text(CONFIG)
    result = subprocess.run(_train_cmd(config, tmp / "a"), env=ENV, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return _weights(tmp / "a" / "preset")


def _wait_for(path, process, seconds=240):
    deadline = time.time() + seconds
    while time.time() < deadline and not path.exists() and process.poll() is None:
        time.sleep(0.05)
    assert path.exists(), "no checkpoint appeared"


@pytest.mark.large
def test_sigkill_mid_run_then_resume_matches_uninterrupted(tmp_path, uninterrupted):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    victim = subprocess.Popen(_train_cmd(config, tmp_path / "b"), env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(tmp_path / "b" / "backup" / "ckpt-000002", victim)
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
    for a, b in zip(uninterrupted, _weights(tmp_path / "b" / "preset")):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.large
def test_ctrl_c_saves_the_state_and_the_printed_command_resumes_it(tmp_path, uninterrupted,
                                                                   sigint_delivered):
    """SIGINT from outside, as a terminal sends it: exit code 130, no traceback, one line
    naming the saved checkpoint and the resume command; running that command finishes
    the run with the uninterrupted run's weights, bit for bit."""
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    run = tmp_path / "b"
    victim = subprocess.Popen(_train_cmd(config, run), env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(run / "backup" / "ckpt-000002", victim)
        victim.send_signal(signal.SIGINT)
        _, err = victim.communicate(timeout=120)
    finally:
        victim.kill()
        victim.wait(timeout=30)
    assert victim.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("kerasgan train:")]
    assert len(lines) == 1, err
    folder, progress = latest_checkpoint(run / "backup")
    assert progress["steps"] >= 10  # nothing since the last backup is lost
    assert (f"kerasgan train: Interrupted at step {progress['steps']} of 30; the state is "
            f"saved in {folder}. Resume with: kerasgan train ") in lines[0]
    assert not (run / "preset").exists()

    command = shlex.split(lines[0].split("Resume with: ", 1)[1])
    assert command[:2] == ["kerasgan", "train"] and command[-1] == "--resume"
    resumed = subprocess.run([sys.executable, "-m", "kerasgan.cli", *command[1:]], env=ENV,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"(step {progress['steps']} of 30)" in resumed.stderr
    for a, b in zip(uninterrupted, _weights(run / "preset")):
        np.testing.assert_array_equal(a, b)


@pytest.mark.large
def test_ctrl_c_mid_chunk_resumes_exactly(tmp_path, uninterrupted, sigint_delivered):
    """The state saved at step 7 (backups every 5) resumes from step 7, not 5: the data
    stream is skipped by steps, so the result equals the uninterrupted run's."""
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    run = tmp_path / "b"
    interrupted = subprocess.run([sys.executable, "-c", CTRL_C_AT_STEP_7, str(config), str(run)],
                                 env=ENV, capture_output=True, text=True, timeout=300)
    assert interrupted.returncode == 130, interrupted.stderr[-3000:]
    steps, checkpoint, command = interrupted.stdout.strip().splitlines()[-3:]
    assert steps == "7"
    assert command == f"kerasgan train {config} --out {run} --no-eval --resume"
    folder, progress = latest_checkpoint(run / "backup")
    assert str(folder) == checkpoint
    assert progress["steps"] == 7 and progress["interrupted"]
    assert json.loads((folder / "progress.json").read_text())["steps"] == 7

    resumed = subprocess.run(_train_cmd(config, run, "--resume"), env=ENV, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "(step 7 of 30)" in resumed.stderr
    for a, b in zip(uninterrupted, _weights(run / "preset")):
        np.testing.assert_array_equal(a, b)


# The sample grid of a diverged epoch would cast NaN images to uint8.
@pytest.mark.filterwarnings("error:invalid value encountered in cast:RuntimeWarning")
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
