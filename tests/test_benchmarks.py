"""The benchmark suite's reusable pieces: FLOP counts against hand counts, the order of
interleaved repeats, the references' networks, and the command line's refusals.
No timing is asserted."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

# `benchmarks` is a folder at the repository root, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kerasgan  # noqa: E402
from benchmarks import flops, suite, timing  # noqa: E402


def test_forward_flops_of_dense_is_the_hand_count():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    # MatMul: 2 * batch * in * out; BiasAdd: one per output element.
    assert flops.forward_flops(model, batch_size=2) == 2 * 2 * 3 * 4 + 2 * 4


def test_forward_flops_of_strided_conv_is_the_hand_count():
    model = keras.Sequential([keras.Input((8, 8, 3)),
                              keras.layers.Conv2D(5, 3, strides=2, padding="same", use_bias=False)])
    # 2 * output elements (batch 2, 4x4x5) * kernel height * width * input channels.
    assert flops.forward_flops(model, batch_size=2) == 2 * (2 * 4 * 4 * 5) * 3 * 3 * 3


def test_graph_flops_counts_only_the_gradients_the_function_uses():
    kernel = tf.Variable(tf.ones((3, 3, 2, 5)))

    def input_gradient(images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            total = tf.reduce_sum(tf.nn.conv2d(images, kernel, 1, "SAME"))
        return tape.gradient(total, images)

    function = tf.function(input_gradient, autograph=False).get_concrete_function(
        tf.TensorSpec((2, 6, 6, 2)))
    # Conv2D's gradient builds the input and the filter gradients (and the forward conv
    # doesn't feed the result of a linear function's gradient): only the input
    # gradient runs, 2 * (2 * 6 * 6 * 2) * 3 * 3 * 5.
    assert flops.graph_flops(function) == 2 * (2 * 6 * 6 * 2) * 3 * 3 * 5


def test_graph_flops_refuses_nested_functions():
    inner = tf.function(lambda x: tf.matmul(x, x))
    outer = tf.function(lambda x: inner(x)).get_concrete_function(tf.TensorSpec((2, 2)))
    with pytest.raises(ValueError, match="nested function"):
        flops.graph_flops(outer)


def test_interleaved_runs_contenders_in_rounds():
    calls = []
    rates = timing.interleaved({"a": lambda: calls.append("a") or 1.0,
                                "b": lambda: calls.append("b") or 3.0}, repeats=3)
    assert calls == ["a", "b"] * 3
    assert rates == {"a": [1.0] * 3, "b": [3.0] * 3}
    assert timing.ratio_summary(rates["b"], rates["a"])["median"] == 3.0


def test_summarize_gives_median_and_spread():
    summary = timing.summarize([4.0, 1.0, 2.0, 3.0, 100.0])
    assert (summary["median"], summary["min"], summary["max"]) == (3.0, 1.0, 100.0)
    assert (summary["q1"], summary["q3"]) == (2.0, 4.0)


def test_keras_io_discriminator_for_kerasgan_outputs_the_logits():
    from benchmarks.reference_dcgan import reference_networks

    _, discriminator = reference_networks()
    logits_model = suite._logits_discriminator(discriminator)
    logits_model.set_weights(discriminator.get_weights())
    images = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    probabilities = discriminator(images, training=False).numpy()
    logits = logits_model(images, training=False).numpy()
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), probabilities, rtol=1e-4, atol=1e-6)
    assert logits_model.count_params() == discriminator.count_params()


def test_only_names_the_unknown_part_and_its_closest_match(capsys):
    with pytest.raises(SystemExit):
        suite.main(["--only", "throughput,flopz"])
    error = capsys.readouterr().err
    assert "Unknown benchmark part 'flopz'" in error and "Did you mean: flops?" in error


def test_levers_option_names_the_unknown_lever_and_its_closest_match():
    import argparse

    from benchmarks import bench_step_overhead

    assert bench_step_overhead.parse_levers("ema, fused") == ("ema", "fused")
    with pytest.raises(argparse.ArgumentTypeError, match="Unknown lever 'emma'.*Did you mean: ema"):
        bench_step_overhead.parse_levers("emma")
    with pytest.raises(argparse.ArgumentTypeError, match="at least one"):
        bench_step_overhead.parse_levers(" , ")


def test_quick_run_refuses_to_overwrite_the_published_page(capsys):
    with pytest.raises(SystemExit):
        suite.main(["--quick", "--out", str(suite.REPO_ROOT / "docs")])
    assert "must not replace the published docs/performance.md" in capsys.readouterr().err


def test_time_to_quality_run_and_page(tmp_path):
    """A few seconds of the time-to-quality script on a config, then its table and plot in
    the performance page: the curve's points, and the time to the reference's FID."""
    import json

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    import bench_time_to_quality as ttq

    from benchmarks import report

    config = tmp_path / "tiny.toml"
    config.write_text('name = "tiny"\n[model]\nvariant = "dcgan"\nsize = "small"\nlatent_dim = 16\n'
                      '[data]\ndataset = "fashion-mnist"\nbatch_size = 32\n'
                      '[train]\nepochs = 1\nsteps_per_epoch = 6\n')
    ttq.main(["config", str(config), "--out", str(tmp_path / "run"), "--every", "1000",
              "--seconds", "0.000001", "--num-samples", "60"])
    curve = json.loads((tmp_path / "run" / "curve.json").read_text())
    assert [p["steps"] for p in curve["points"]] == [1] and curve["points"][0]["fid"] > 0
    assert curve["command"].startswith("python benchmarks/bench_time_to_quality.py config ")

    # A made-up reference curve that the run beats at its only point.
    reference = dict(curve, name="reference", batch_size=256,
                     points=[{"steps": 5, "epoch": 0, "train_seconds": 10.0, "fid": 1e6},
                             {"steps": 9, "epoch": 0, "train_seconds": 20.0, "fid": 2e6}])
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "curve.json").write_text(json.dumps(reference))
    docs = tmp_path / "docs"
    ttq.main(["report", str(tmp_path / "ref"), str(tmp_path / "run"), "--target-seconds", "15",
              "--docs", str(docs)])
    page = (docs / "performance.md").read_text()
    assert "## Time to quality" in page and "after 10 s of training, **1000000.0**" in page
    seconds = curve["points"][0]["train_seconds"]
    assert f"**{seconds / 10.0:.2f}x**" in page
    assert (docs / "images" / "performance-time-to-quality.png").stat().st_size > 0
    assert json.loads((docs / "performance.json").read_text())["time_to_quality"]["target_fid"] == 1e6
    assert report.seconds_to_reach(reference["points"], 1.5e6) == 10.0
    assert report.seconds_to_reach(reference["points"], 10.0) is None


def test_levers_section_joins_the_page_and_keeps_the_others(tmp_path):
    import json

    from benchmarks import report

    (tmp_path / report.RESULTS_FILE).write_text(json.dumps({"other": 1}))
    rates = {"A": timing.summarize([100.0, 110.0]), "B": timing.summarize([120.0, 121.0])}
    levers = {"rates": rates, "ratios": {"B / A": timing.ratio_summary([120.0, 121.0], [100.0, 110.0])},
              "rounds": 2, "steps": "40", "batch": 128, "verdict": "B wins.",
              "command": "python benchmarks/bench_step_overhead.py --rounds 2",
              "machine": {"cpu": "cpu", "cpu_count": 2, "gpus": 0, "python": "3", "tensorflow": "2",
                          "keras": "3", "git_commit": "x", "date": "d"}}
    report.add_section(tmp_path, "levers", levers)
    results = json.loads((tmp_path / report.RESULTS_FILE).read_text())
    assert results["other"] == 1 and results["levers"]["batch"] == 128
    page = (tmp_path / report.PAGE_FILE).read_text()
    assert "## Throughput levers" in page and "B wins." in page
    # Median of the per-round ratios 1.2 and 1.1.
    assert "| B / A | **1.150 (1.100–1.200)x** |" in page


def test_peak_verdict_pairs_each_dcgan_with_the_reference_on_its_networks():
    from benchmarks import report

    def fractions(**medians):
        return {name.replace("_", " "): timing.summarize([value])
                for name, value in medians.items()}

    pairs = [{"label": "x", "reference": "reference a", "kerasgan": "kerasgan DCGAN a",
              "same_networks": True},
             {"label": "y", "reference": "reference b", "kerasgan": "kerasgan DCGAN b",
              "same_networks": True}]
    training = {"pairs": pairs,
                "fraction_of_peak": fractions(reference_a=0.30, kerasgan_DCGAN_a=0.29,
                                              reference_b=0.60, kerasgan_DCGAN_b=0.58,
                                              kerasgan_DCGAN_c=0.40,
                                              kerasgan_WGANGP=0.1)}
    text = report.peak_verdict(training)
    assert "kerasgan DCGAN a 29.0% (not met; the reference on these networks: 30.0%)" in text
    assert "kerasgan DCGAN b 58.0% (met; the reference on these networks: 60.0%)" in text
    assert "the networks set it" in text and "kerasgan DCGAN c has no reference" in text
    assert "WGANGP" not in text
    # A reference well above kerasgan on the same networks puts the gap on kerasgan.
    training["fraction_of_peak"]["reference a"] = timing.summarize([0.45])
    assert "the gap is kerasgan's to close" in report.peak_verdict(training)


def test_conditional_reference_trains_on_caption_classes_and_draws_uint8():
    """The text-to-image baseline: each glyph caption is its classifier's class id, the
    reference takes a step on real glyphs, and draws uint8 images for given classes."""
    from benchmarks import bench_text_to_image_vs_reference as t2i
    from benchmarks.reference_conditional_gan import ReferenceConditionalGAN

    classes = kerasgan.data.caption_classes("glyphs")
    np.testing.assert_array_equal(t2i.caption_class_ids("glyphs", classes), np.arange(len(classes)))
    batch = next(iter(t2i.training_data("glyphs", batch_size=8, seed=0)))
    assert batch[0].shape == (8, 32, 32, 1) and batch[1].shape == (8, len(classes))
    assert 0.0 <= float(tf.reduce_min(batch[0])) and float(tf.reduce_max(batch[0])) <= 1.0
    keras.utils.set_random_seed(0)
    reference = ReferenceConditionalGAN(len(classes), (32, 32, 1), latent_dim=16)
    reference.compile()
    logs = reference.train_step(batch)
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    images = t2i.reference_images(reference, np.array([0, 5, 61]), len(classes), seed=0)
    assert images.dtype == np.uint8 and images.shape == (3, 32, 32, 1)
    assert not np.array_equal(images[0], images[1])


def test_pix2pix_reference_learns_the_edge_pairs_and_translates_to_uint8():
    """The image-to-image baseline on real edge/image pairs: the tutorial's U-Net keeps
    28x28 through its padding and crop, a few steps lower its L1, and the
    translations come back as uint8 scored against their targets."""
    from benchmarks import bench_translation_vs_reference as translation
    from benchmarks.reference_pix2pix import ReferencePix2Pix

    batch = next(iter(translation.training_data("fashion-mnist-edges", batch_size=16, seed=0)))
    assert batch[0].shape == (16, 28, 28, 1) and batch[1].shape == (16, 28, 28, 1)
    assert -1.0 <= float(tf.reduce_min(batch[1])) and float(tf.reduce_max(batch[1])) <= 1.0
    keras.utils.set_random_seed(0)
    reference = ReferencePix2Pix((28, 28, 1))
    reference.compile()
    assert reference.discriminator([batch[0], batch[1]]).shape == (16, 5, 5, 1)
    first = float(reference.train_step(batch)["l1"])
    for _ in range(5):
        logs = reference.train_step(batch)
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    reference.l1_metric.reset_state()
    assert float(reference.train_step(batch)["l1"]) < first
    sources, targets = kerasgan.data.load_pairs("fashion-mnist-edges", "test")
    translated = translation.reference_translations(reference, sources[:3])
    assert translated.dtype == np.uint8 and translated.shape == (3, 28, 28, 1)
    errors = kerasgan.metrics.translation_errors(translated, targets[:3])
    assert 0.0 < errors["mae_uint8"] < 255.0 and np.isfinite(errors["psnr_db"])


def test_translation_errors_are_levels_and_decibels():
    targets = np.full((2, 4, 4, 1), 100, np.uint8)
    errors = kerasgan.metrics.translation_errors(targets + 2, targets)
    assert errors["mae_uint8"] == 2.0
    assert abs(errors["psnr_db"] - 10.0 * np.log10(255.0 ** 2 / 4.0)) < 1e-9


def test_throughput_verdict_tells_a_lead_from_parity_and_a_loss():
    from benchmarks import report

    assert report.throughput_verdict(timing.ratio_summary([1.1, 1.0], [1.0, 1.0])) == "met"
    assert "parity" in report.throughput_verdict(timing.ratio_summary([0.9, 1.02], [1.0, 1.0]))
    assert report.throughput_verdict(timing.ratio_summary([0.7, 0.8], [1.0, 1.0])) == "not met"


def test_stylegan_reference_grows_through_its_phases_on_real_digits(mnist_small):
    """The keras.io StyleGAN recipe: with 7 phases of 2 steps, 8x8 fades in during steps
    2-3, 16x16 during 6-7, 32x32 during 10-11, and the example's learning rate halves per
    resolution beyond 8x8; its sampler draws 32x32 images from latents."""
    from benchmarks.reference_stylegan import ReferenceStyleGAN

    keras.utils.set_random_seed(0)
    reference = ReferenceStyleGAN(image_shape=(32, 32, 1), latent_dim=16)
    reference.set_schedule(14)
    reference.compile()
    digits = np.pad(mnist_small[0][:32], ((0, 0), (2, 2), (2, 2), (0, 0)))
    batch = tf.constant(kerasgan.utils.from_uint8(digits[:8]))
    alphas, rates = [], []
    for _ in range(12):
        logs = reference.train_step(batch)
        alphas.append([round(float(reference.alphas[s].numpy()), 2) for s in (8, 16, 32)])
        rates.append(float(reference.g_optimizer.learning_rate.numpy()))
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    assert alphas[0] == [0, 0, 0] and alphas[3] == [0.5, 0, 0] and alphas[5] == [1, 0, 0]
    assert alphas[7] == [1, 0.5, 0] and alphas[11] == [1, 1, 0.5]
    assert rates[0] == pytest.approx(1e-3) and rates[11] == pytest.approx(2.5e-4)
    images = reference.generator(tf.zeros((2, 16)), training=False)
    assert images.shape == (2, 32, 32, 1)


def _tiny_wgan_gp_reference():
    from benchmarks.reference_wgan_gp import ReferenceWGANGP

    keras.utils.set_random_seed(0)
    reference = ReferenceWGANGP(latent_dim=8, critic_steps=1, image_shape=(32, 32, 1))
    reference.compile()
    return reference


def test_a_reference_resumes_from_its_backup_with_its_snapshots(tmp_path):
    """`same_time.fit_reference --backup`: a run cut after its step-4 backup continues to
    the planned step count, keeps the snapshot it took before the cut, and a restore
    gives back exactly the saved networks and optimizer state."""
    import shutil

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from benchmarks import same_time

    images = np.random.default_rng(0).uniform(-1, 1, (16, 32, 32, 1)).astype("float32")
    pipeline = tf.data.Dataset.from_tensor_slices(images).batch(4).repeat()
    whole = _tiny_wgan_gp_reference()
    snapshots = same_time.fit_reference(whole, pipeline, 6, backup=tmp_path / "whole",
                                        snapshot_at=[3, 6], every=2,
                                        progress={"seconds_per_step": 0.5})
    assert sorted(snapshots) == [3, 6]
    assert int(whole.generator_optimizer.iterations.numpy()) == 6
    saved = sorted(p.name for p in (tmp_path / "whole" / "backup").iterdir())
    assert saved == ["ckpt-000004", "ckpt-000006"]  # the older ones pruned
    assert same_time.saved_plan(tmp_path / "whole")["seconds_per_step"] == 0.5

    # The machine "dies" after the step-4 backup: a new process resumes from it.
    cut = tmp_path / "cut" / "backup"
    shutil.copytree(tmp_path / "whole" / "backup" / "ckpt-000004", cut / "ckpt-000004")
    # A backup is resumed only by the plan it was made for.
    with pytest.raises(ValueError, match="reference of 6 steps; this run asks for 4"):
        same_time.fit_reference(_tiny_wgan_gp_reference(), pipeline, 4,
                                backup=tmp_path / "cut", every=2)
    resumed = _tiny_wgan_gp_reference()
    resumed_snapshots = same_time.fit_reference(resumed, pipeline, 6, backup=tmp_path / "cut",
                                                snapshot_at=[3, 6], every=2)
    assert int(resumed.generator_optimizer.iterations.numpy()) == 6
    assert int(resumed.critic_optimizer.iterations.numpy()) == 6
    for a, b in zip(resumed_snapshots[3], snapshots[3]):
        np.testing.assert_array_equal(a, b)  # taken before the cut, read back from the backup

    # What was restored is the saved state, bit for bit (same machine).
    restored = _tiny_wgan_gp_reference()
    restored.fit(pipeline.take(1), epochs=1, steps_per_epoch=1, verbose=0)
    restored.built = True
    restored.load_weights(tmp_path / "whole" / "backup" / "ckpt-000006" / "state.weights.h5")
    for a, b in zip(restored.generator.get_weights(), whole.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(restored.critic_optimizer.iterations.numpy()) == 6
