"""What the Images page computes: display mappings and sentences, against hand-made batches."""

import numpy as np
import pytest

import bnviz
from bnviz.text import images as picture_words
from bnviz.views import images


def test_display_window_is_three_sigma_around_mid_gray():
    shown = images.to_display(np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0]))
    np.testing.assert_allclose(shown, [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    assert shown.dtype == np.float32
    assert images.clipped_fraction(np.array([-4.0, 0.0, 2.9, 3.5])) == 0.5
    with pytest.raises(bnviz.InputError):
        images.to_display(np.zeros(3), window=0)


def test_input_display_keeps_pictures_and_maps_other_tensors_linearly():
    x = np.array([0.2, 0.8], dtype=np.float32).reshape(1, 2, 1, 1)
    shown, text = images.input_to_display(x, pictures=True)
    np.testing.assert_allclose(shown, x)
    assert "as loaded" in text
    maps = np.array([-2.0, 0.0, 6.0], dtype=np.float32).reshape(1, 3, 1, 1)
    shown, text = images.input_to_display(maps, pictures=False)
    np.testing.assert_allclose(shown.ravel(), [0.0, 0.25, 1.0])
    assert "-2" in text and "6" in text
    flat, text = images.input_to_display(np.ones((1, 1, 2, 2)), pictures=False)
    assert np.all(flat == 0.5) and "mid-gray" in text


def test_rgb_only_for_three_channels():
    planes = np.random.default_rng(0).uniform(size=(2, 3, 4, 5))
    rgb = images.as_rgb(planes)
    assert rgb.shape == (2, 4, 5, 3)
    assert rgb[1, 2, 3, 0] == planes[1, 0, 2, 3]
    assert images.as_rgb(planes[:, :1]) is None


def cast_batch():
    """Two 2×2 colour pictures: a red-cast one and a blue-cast one, with some texture."""
    texture = np.array([[0.0, 0.1], [0.2, 0.3]], dtype=np.float32)
    red = np.stack([0.8 + texture, 0.2 + texture, 0.1 + texture])
    blue = np.stack([0.1 + texture, 0.3 - texture, 0.9 - texture])
    return np.stack([red, blue]).astype(np.float32)


def test_instance_norm_removes_each_images_cast_batch_norm_keeps_it():
    x = cast_batch()
    batch, instance, layer = images.normalize_pictures(x, ["batch", "instance", "layer"])
    np.testing.assert_allclose(instance.channel_means, 0, atol=1e-6)
    assert "every channel of every image now averages 0" in picture_words.colour_sentence(
        instance, ["red", "blue"]
    )
    # Batch norm: each channel's mean over the batch is 0, but the red picture stays red.
    np.testing.assert_allclose(batch.channel_means.mean(axis=0), 0, atol=1e-6)
    assert batch.channel_means[0, 0] > 0.9 and batch.channel_means[1, 2] > 0.9
    sentence = picture_words.colour_sentence(batch, ["red", "blue"])
    assert "keep their differences" in sentence
    listed = picture_words.sigmas_text(batch.channel_means[int(np.argmax(batch.cast))])
    assert listed in sentence
    # Layer norm: each picture's overall mean is 0, its colour balance is not.
    np.testing.assert_allclose(layer.channel_means.mean(axis=1), 0, atol=1e-6)
    assert "overall brightness is gone" in picture_words.colour_sentence(layer, ["red", "blue"])
    assert batch.summary == bnviz.describe(x.shape, "batch").summary
    assert batch.rgb.shape == (2, 2, 2, 3) and 0 <= batch.rgb.min() <= batch.rgb.max() <= 1


def test_grayscale_sentence_speaks_of_brightness():
    x = np.stack([np.full((1, 2, 2), 0.2), np.full((1, 2, 2), 0.9)]).astype(np.float32)
    x[:, :, 0, 0] += 0.05
    (batch,) = images.normalize_pictures(x, ["batch"])
    sentence = picture_words.colour_sentence(batch, ["dark", "bright"])
    assert "brightness" in sentence and batch.rgb is None


def test_every_offered_scheme_runs_on_feature_maps():
    x = np.random.default_rng(3).normal(size=(3, 6, 5, 5)).astype(np.float32)
    results = images.normalize_pictures(x, images.PICTURE_SCHEMES)
    assert [r.scheme for r in results] == list(images.PICTURE_SCHEMES)
    group = next(r for r in results if r.scheme == "group")
    # G = 2, the divisor of C = 6 nearest its square root: 6 groups of 3 channels × 5 × 5.
    assert group.summary == bnviz.describe(x.shape, "group", num_groups=2).summary
    with pytest.raises(bnviz.InputError):
        images.normalize_pictures(x, ["no-such"])


def test_sigmas_text_has_no_negative_zero():
    assert picture_words.sigmas_text([-0.001, 0.126, -1.0]) == "+0.00, +0.13, -1.00"
