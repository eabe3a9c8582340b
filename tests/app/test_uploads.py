"""Uploads as a lecturer makes them, headless (AppTest): every refused file is named on the page with
its reason, alone or in a batch; the same file twice is loaded once, said; phone photos load."""

import io
import tomllib

import pytest
from conftest import ROOT, open_app
from PIL import Image

from bnviz.engine import loading
from bnviz.views import source

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def png_bytes(colour, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload(page, files):
    at = open_app(page, {"source": "upload"})
    at.file_uploader(key="w.uploader").set_value(files).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", [None, "pages/images.py", "pages/compare.py", "pages/local.py"])
def test_a_pdf_uploaded_alone_is_refused_with_its_reason(page):
    at = upload(page, [("slides.pdf", PDF, "application/pdf")])
    (error,) = at.error
    assert error.value.startswith("No picture could be loaded:")
    assert "- slides.pdf: is a PDF document, not a picture; export the page as PNG or JPEG." in (
        error.value
    )
    assert "No pictures yet" not in error.value


def test_a_file_over_the_size_limit_is_refused_with_its_reason(monkeypatch):
    # The page hears of it: the uploader's own limit (server.maxUploadSize) is higher.
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 1000)
    big = b"BM" + bytes(2000)
    at = upload("pages/images.py", [("big.bmp", big, "image/bmp")])
    assert "- big.bmp: the file is larger than 0.001 MB, the limit for one picture." in (
        at.error[0].value
    )


def test_refused_files_in_a_batch_are_listed_in_one_message():
    at = upload(
        "pages/images.py",
        [
            ("red.png", png_bytes((200, 30, 30)), "image/png"),
            ("slides.pdf", PDF, "application/pdf"),
            ("empty.png", b"", "image/png"),
        ],
    )
    assert not at.error
    (warning,) = at.warning
    assert warning.value.startswith("2 files were not loaded; the batch is the other pictures:")
    assert "- slides.pdf: is a PDF document" in warning.value
    assert "- empty.png: the file is empty." in warning.value
    assert "1 picture brought to 32 × 32" in "\n".join(m.value for m in at.markdown)


def test_the_same_file_twice_is_loaded_once_and_said():
    red = png_bytes((200, 30, 30))
    at = upload(
        None,
        [
            ("red.png", red, "image/png"),
            ("blue.png", png_bytes((20, 40, 220)), "image/png"),
            ("red.png", red, "image/png"),
            ("copy of red.png", red, "image/png"),
        ],
    )
    assert not at.warning and not at.error
    notes = [i.value for i in at.info if "loaded once" in i.value]
    assert notes == [
        "red.png was uploaded twice, and copy of red.png is the same file: it is loaded once."
    ]
    # N = 2 pictures, not 4: the statistics count each picture once.
    assert "2 pictures brought to 32 × 32" in "\n".join(m.value for m in at.markdown)


def test_unique_uploads_names_each_repeat():
    a, b = png_bytes((1, 2, 3)), png_bytes((4, 5, 6))
    kept, notes = source.unique_uploads([("a.png", a), ("b.png", b), ("a.png", a)])
    assert [name for name, _ in kept] == ["a.png", "b.png"]
    assert notes == ("a.png was uploaded twice: it is loaded once.",)
    kept, notes = source.unique_uploads([("a.png", a)] * 3 + [("c.png", a), ("d.png", a)])
    assert len(kept) == 1
    assert notes == (
        "a.png was uploaded 3 times, and c.png and d.png are the same file: it is loaded once.",
    )
    kept, notes = source.unique_uploads([("a.png", a), ("c.png", a)])
    assert notes == ("c.png is the same file as a.png: it is loaded once.",)
    assert source.unique_uploads([("a.png", a), ("b.png", b)]) == (
        [("a.png", a), ("b.png", b)],
        (),
    )


def test_a_48_megapixel_phone_photo_uploads():
    buffer = io.BytesIO()
    Image.new("RGB", (8000, 6000), (30, 120, 200)).save(buffer, "JPEG", quality=80)
    at = upload("pages/images.py", [("phone.jpg", buffer.getvalue(), "image/jpeg")])
    assert not at.error and not at.warning
    assert "1 picture brought to 32 × 32" in "\n".join(m.value for m in at.markdown)


def test_the_uploader_takes_every_file_and_its_limit_is_above_ours():
    at = open_app("pages/images.py", {"source": "upload"})
    uploader = at.get("file_uploader")[0].proto
    assert list(uploader.type) == []  # no filter: the browser would refuse without a reason
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1_000_000 > loading.MAX_FILE_BYTES


def test_an_empty_uploader_keeps_the_pictures_uploaded_earlier():
    # On a page switch the uploader's value can arrive empty (make soak lost a student's picture
    # so): the pictures stay, and the sidebar says they are still used.
    at = upload("pages/images.py", [("red.png", png_bytes((200, 60, 20)), "image/png")])
    assert any("red.png" in c.value for c in at.caption)
    at.file_uploader(key="w.uploader").set_value([]).run()
    assert not at.exception
    assert not any("No pictures yet" in e.value for e in at.error)
    assert any("red.png" in c.value for c in at.caption)
    assert any(
        "Using 1 picture(s) uploaded earlier in this session." in c.value
        for c in at.sidebar.caption
    )
