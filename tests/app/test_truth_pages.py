"""What the pages say is true for the tensor they show (AppTest): the issue's false sentences."""

from conftest import open_app

IMAGES_PAGE = "pages/images.py"
COMPARE_PAGE = "pages/compare.py"


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _answer(at) -> str:
    (code,) = [c for c in at.code if c.language == "markdown"]
    return code.value


def test_feature_maps_get_no_colour_words():
    """Seven edge and blur maps are not colours: no "colour cast" or "colour balance"."""
    at = open_app(
        IMAGES_PAGE,
        {"conv": "1", "filters": "edge-x,edge-y,laplacian,box-blur,sharpen,emboss,gaussian-blur"},
    )
    text = _markdown(at) + _answer(at)
    assert "colour" not in text and "brightness" not in text
    assert "balance between" in text or "level" in text
    assert "pictures' feature maps of shape" in _answer(at)


def test_pictures_keep_their_colour_words():
    at = open_app(IMAGES_PAGE)
    assert "colour" in _markdown(at)
    assert "What normalization does to 4 pictures of shape" in _answer(at)


def test_random_data_is_not_called_pictures():
    at = open_app(IMAGES_PAGE, {"source": "synthetic"})
    answer = _answer(at)
    assert "samples of random data of shape" in answer
    assert "pictures" not in answer.split("\n")[0]


def test_compare_states_keras_momentum_in_pytorch_terms():
    at = open_app(COMPARE_PAGE)
    text = " ".join(c.value for c in at.caption)
    assert "the same 0.1" not in text
    assert (
        "Keras' 0.99 gives the new batch a weight of 0.01, which is PyTorch's momentum 0.01" in text
    )
    assert "PyTorch's default 0.1 is Keras' momentum 0.9" in text


def test_explorer_instance_norm_on_one_location_quotes_pytorch():
    """H = W = 1: InstanceNorm2d refuses in training; the Explorer says so, with its message."""
    at = open_app(None, {"n": "4", "c": "3", "h": "1", "w": "1", "scheme": "instance"})
    text = _markdown(at)
    assert "Expected more than 1 spatial element when training" in text
    assert "the output is β everywhere" in text or "the output is 0 everywhere" in text


def test_explorer_mvn_without_variance_shares_only_the_mean():
    at = open_app(
        None,
        {"scheme": "mvn", "normalize_variance": "0", "cell": "0,0,0,0"},
    )
    text = _markdown(at)
    assert "σ²" not in text.split("Group ")[1].split("\n")[0]
    assert "ε = " not in text  # ε is not used when the variance is not normalized
