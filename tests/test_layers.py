import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_test_case import dataset_for, run_fit_test, run_isolation_test, tiny_gan
from kerasgan.layers import (MinibatchDiscrimination, MinibatchStdDev, SpectralConv2D,
                             SpectralDense)


def test_minibatch_stddev_matches_numpy():
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(MinibatchStdDev(group_size=4)(x))
    assert y.shape == (8, 4, 4, 4)
    np.testing.assert_array_equal(y[..., :3], x)
    groups = x.reshape(4, 2, 4, 4, 3)          # sample i is in group i % 2
    expected = np.sqrt(groups.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(y[:, 0, 0, 3], np.tile(expected, 4), rtol=1e-5)
    # Identical samples: zero spread.
    same = keras.ops.convert_to_numpy(MinibatchStdDev(4)(np.ones((4, 5), "float32")))
    assert np.allclose(same[:, -1], 1e-4, atol=1e-4)


def test_minibatch_discrimination_sees_collapse():
    layer = MinibatchDiscrimination(num_kernels=6, kernel_dim=3)
    varied = np.random.default_rng(0).normal(size=(8, 10)).astype("float32")
    collapsed = np.repeat(varied[:1], 8, axis=0)
    out_varied = keras.ops.convert_to_numpy(layer(varied))
    out_collapsed = keras.ops.convert_to_numpy(layer(collapsed))
    assert out_varied.shape == (8, 16)
    # With every sample the same, each sees 7 identical neighbours: exp(0) * 7.
    np.testing.assert_allclose(out_collapsed[:, 10:], 7.0, rtol=1e-6)
    assert out_varied[:, 10:].mean() < 7.0
    with pytest.raises(ValueError, match="flat features"):
        MinibatchDiscrimination()(np.ones((2, 3, 3), "float32"))


@pytest.mark.parametrize("layer", [
    SpectralDense(6, kernel_initializer=keras.initializers.GlorotUniform(seed=0)),
    SpectralConv2D(5, 3, kernel_initializer=keras.initializers.GlorotUniform(seed=0))])
def test_spectral_layers_have_unit_spectral_norm_and_reload_exactly(layer, tmp_path):
    x = np.random.default_rng(0).normal(size=(4, 6, 6, 3) if isinstance(layer, SpectralConv2D)
                                        else (4, 7)).astype("float32")
    layer(x)
    for _ in range(200):  # power iterations: one per training call
        layer(x, training=True)
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
    assert sigma == pytest.approx(1.0, abs=5e-3)
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    model.save_weights(tmp_path / "sn.weights.h5")
    clone = keras.Sequential([keras.Input(x.shape[1:]), type(layer).from_config(layer.get_config())])
    clone.load_weights(tmp_path / "sn.weights.h5")
    for a, b in zip(layer.weights, clone.layers[0].weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_spectral_norm_gradient_flows_through_sigma():
    layer = SpectralDense(3, use_bias=False)
    x = tf.constant(np.random.default_rng(1).normal(size=(5, 4)).astype("float32"))
    layer(x)
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(layer(x))
    grad = tape.gradient(out, layer._kernel).numpy()
    # Without the sigma term the gradient would be sum(x) / sigma in every column.
    sigma = float(keras.ops.convert_to_numpy(layer._kernel)[0, 0] /
                  keras.ops.convert_to_numpy(layer.kernel)[0, 0])
    naive = np.tile(x.numpy().sum(axis=0)[:, None], (1, 3)) / sigma
    assert not np.allclose(grad, naive, atol=1e-4)


def test_keras_spectral_normalization_rewrites_the_trainable_kernel():
    """Why kerasgan has its own layers: a training call of Keras's wrapper changes the
    trainable weights, so a generator update would change the discriminator."""
    wrapped = keras.layers.SpectralNormalization(keras.layers.Dense(4))
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    wrapped(x)
    before = keras.ops.convert_to_numpy(wrapped.layer.kernel).copy()
    wrapped(x, training=True)
    assert not np.array_equal(before, keras.ops.convert_to_numpy(wrapped.layer.kernel))
    ours = SpectralDense(4)
    ours(x)
    before = keras.ops.convert_to_numpy(ours._kernel).copy()
    ours(x, training=True)
    np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(ours._kernel))


def test_unrolled_gan_fits_and_keeps_the_real_discriminator(mnist_small):
    gan = tiny_gan("vanilla", unrolled_steps=2)
    ds = dataset_for(gan, *mnist_small)
    run_fit_test(gan, ds, steps=2)
    run_isolation_test(gan, ds)
    plain = tiny_gan("vanilla")
    batch = gan.unpack(next(iter(ds)))
    plain.set_weights(gan.get_weights())
    # The unrolled generator update differs from the plain one.
    plain.update("g", batch)
    gan.update("g", batch)
    assert any(not np.allclose(a.numpy(), b.numpy())
               for a, b in zip(plain.generator.trainable_weights, gan.generator.trainable_weights))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_unrolling_depth_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="unrolled_steps .* must be an int >= 1"):
        tiny_gan("dcgan", unrolled_steps=bad)
    with pytest.raises(ValueError, match="Pix2Pix does not support unrolling"):
        tiny_gan("pix2pix", unrolled_steps=2)


def test_minibatch_stddev_option_of_the_discriminators():
    import kerasgan

    for variant in ("gan", "dcgan"):
        gan = kerasgan.models.create(variant, "small", minibatch_stddev=4)
        layer = gan.discriminator.get_layer("minibatch_stddev")
        assert isinstance(layer, MinibatchStdDev) and layer.group_size == 4
        assert gan.discriminator(np.zeros((8, 28, 28, 1), "float32")).shape == (8, 1)
        # Round-trips through the saved config (presets rebuild networks from it).
        clone = type(gan).from_config(gan.get_config())
        assert clone.discriminator.get_layer("minibatch_stddev").group_size == 4
        plain = kerasgan.models.create(variant, "small")
        assert "minibatch_stddev" not in [layer.name for layer in plain.discriminator.layers]
    with pytest.raises(ValueError, match=r"batch that is a multiple of its group size 4.*Received: batch=6"):
        gan.discriminator(np.zeros((6, 28, 28, 1), "float32"))
    with pytest.raises(ValueError, match=r"integer >= 0 .*Received: minibatch_stddev=-1"):
        kerasgan.models.create("dcgan", "small", minibatch_stddev=-1)


def test_unrolling_replays_the_discriminators_adam_update_on_copies():
    """One replayed step equals the discriminator optimizer's real next step (Adam with
    its moments and step count), and the real optimizer state is left as it was."""
    from kerasgan.models.gan import _ReplayedUpdate

    rng = np.random.default_rng(0)
    variable = keras.Variable(rng.standard_normal((3, 4)).astype("float32"))
    optimizer = keras.optimizers.Adam(learning_rate=1e-2, beta_1=0.5, beta_2=0.9)
    for _ in range(3):  # a state with non-zero moments and step count
        optimizer.apply_gradients([(tf.constant(rng.standard_normal((3, 4)), tf.float32), variable)])
    grad = tf.constant(rng.standard_normal((3, 4)), tf.float32)
    state = [keras.ops.convert_to_numpy(v).copy() for v in optimizer.variables]
    replayed = _ReplayedUpdate(optimizer, [variable], fallback_learning_rate=1.0)(
        [variable.value], [grad])[0].numpy()
    for before, after in zip(state, optimizer.variables):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(after))
    plain_sgd = variable.numpy() - 1.0 * grad.numpy()
    optimizer.apply_gradients([(grad, variable)])
    np.testing.assert_allclose(replayed, variable.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(replayed, plain_sgd)


def test_global_batch_dropout_drops_at_its_rate_and_reloads(tmp_path):
    """Kept units are scaled by 1/(1-rate), about `rate` of them are dropped, inference is
    the identity, and a model with the layer saves and loads (its 2-replica equivalence
    is the mirrored check's `cgan`, `bigan` and `lapgan` cases)."""
    from kerasgan.layers import GlobalBatchDropout

    x = np.ones((64, 100), "float32")
    out = np.asarray(GlobalBatchDropout(0.3, seed=1)(x, training=True))
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((out == 0).mean() - 0.3) < 0.02
    assert np.array_equal(np.asarray(GlobalBatchDropout(0.3)(x, training=False)), x)
    with pytest.raises(ValueError, match="noise_shape is not supported"):
        GlobalBatchDropout(0.3, noise_shape=(None, 1))
    model = keras.Sequential([keras.Input((100,)), GlobalBatchDropout(0.5, seed=2)])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0], GlobalBatchDropout) and loaded.layers[0].rate == 0.5
