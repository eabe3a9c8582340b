"""Pictures in the app, headless: the Images page, uploads with good and bad files, question 2."""

import io

import numpy as np
from conftest import open_app
from PIL import Image

import bnviz
from bnviz.engine import loading

IMAGES_PAGE = "pages/images.py"


def png_bytes(colour, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


app = open_app


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_images_page_opens_on_sample_pictures_with_three_schemes():
    at = app(IMAGES_PAGE)
    assert at.radio(key="w.source").value == "samples"
    text = markdown(at)
    assert "Instance norm: every channel of every image now averages 0" in text
    assert "Layer norm: each image's overall brightness is gone" in text
    assert list(at.multiselect(key="w.schemes").value) == ["batch", "instance", "layer"]
    assert not at.error


def test_images_page_state_in_the_url_and_bad_values_noticed():
    at = app(IMAGES_PAGE, {"schemes": "group,tensor", "samples": "snow,dunes", "size": "16"})
    assert list(at.multiselect(key="w.schemes").value) == ["group", "tensor"]
    assert "2 pictures brought to 16 × 16" in markdown(at)
    at = app(IMAGES_PAGE, {"schemes": "batch,<b>", "size": "99999"})
    warnings = " ".join(w.value for w in at.warning)
    assert "schemes" in warnings and "picture size" in warnings
    assert at.number_input(key="w.size").value == loading.MAX_BATCH_SIDE


def test_upload_with_good_and_bad_files_keeps_the_good_and_lists_the_bad():
    at = app(IMAGES_PAGE, {"source": "upload"})
    assert "No pictures yet" in at.error[0].value
    at.file_uploader(key="w.uploader").set_value(
        [
            ("red.png", png_bytes((200, 30, 30)), "image/png"),
            ("empty.png", b"", "image/png"),
            ("notes.png", b"this is text, not a picture", "image/png"),
            ("blue.png", png_bytes((20, 40, 220), size=(30, 40)), "image/png"),
        ]
    ).run()
    assert not at.exception
    assert not at.error
    # One message lists every refused file with its reason, each file named once.
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("2 files were not loaded")
    assert "- empty.png: the file is empty." in warning
    assert "- notes.png: is a text file, not a picture" in warning
    assert "2 pictures brought to 32 × 32" in markdown(at)
    # The same uploads flow into the Explorer: N = 2 pictures, C = 3.
    at.switch_page("app.py").run()
    assert not at.exception
    assert at.info[0].value == bnviz.describe((2, 3, 32, 32), "batch").summary


def test_question_2_ten_pictures_seven_filters_of_five():
    """A mini-batch of 10 pictures of 50 × 50, 7 filters of 5 × 5, 'valid': 7 maps of 46 × 46."""
    names = [s.name for s in bnviz.sample_images()][:10]
    filters = ["edge-x", "edge-y", "laplacian", "box-blur", "gaussian-blur", "sharpen", "emboss"]
    at = app(
        None,
        {
            "source": "samples",
            "samples": ",".join(names),
            "size": "50",
            "conv": "1",
            "filters": ",".join(filters),
            "kernel": "5",
        },
    )
    summary = at.info[0].value
    assert summary == bnviz.describe((10, 7, 46, 46), "batch").summary
    assert "7 means and 7 variances, each over 10 × 46 × 46 = 21,160 values" in summary
    shown = markdown(at)
    assert "50 − 5 + 1 = 46" in shown
    assert "7 filters of 5 × 5" in shown


def test_images_page_shows_feature_maps_channel_by_channel():
    at = app(IMAGES_PAGE, {"conv": "1", "filters": "edge-x,edge-y", "kernel": "3"})
    assert "C = 2" in " ".join(i.value for i in at.info)
    text = markdown(at)
    assert "**edge-x**" in text and "**edge-y**" in text
    # No numbers in the page: the sentence's means come from the package.
    assert np.isfinite(float(text.split("mean ")[1].split(",")[0]))


def test_images_page_url_round_trip():
    at = app(IMAGES_PAGE)
    at.multiselect(key="w.schemes").set_value(["instance", "tensor"]).run()
    at.number_input(key="w.size").set_value(20).run()
    at.selectbox(key="w.focus").set_value("layer").run()
    query = {key: at.query_params[key] for key in at.query_params}
    assert query["schemes"] == "instance,tensor" and query["size"] == "20"
    assert query["focus"] == "layer"
    again = app(IMAGES_PAGE, query)
    assert list(again.multiselect(key="w.schemes").value) == ["instance", "tensor"]
    assert again.number_input(key="w.size").value == 20
    assert again.selectbox(key="w.focus").value == "layer"
    assert markdown(again) == markdown(at)
