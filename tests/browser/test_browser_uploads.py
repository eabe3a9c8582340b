"""Uploads in a real browser: a file the uploader could have refused by itself (a PDF, a file over
bnviz's size limit) reaches the page, which names it with its reason, alone or in a batch."""

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def uploader(page):
    return page.locator('[data-testid="stFileUploader"] input[type="file"]')


def test_a_pdf_alone_is_refused_with_its_reason_on_the_page(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/images?source=upload")
    expect(page.get_by_text("No pictures yet")).to_be_visible(timeout=30_000)
    uploader(page).set_input_files(
        files=[{"name": "slides.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(page.get_by_text("No picture could be loaded")).to_be_visible(timeout=30_000)
    expect(
        page.get_by_text(
            "slides.pdf: is a PDF document, not a picture; export the page as PNG or JPEG."
        )
    ).to_be_visible()
    expect(page.get_by_text("No pictures yet")).to_have_count(0)


def test_a_file_over_the_limit_in_a_batch_is_listed_with_its_reason(page, app_url, tmp_path):
    red = tmp_path / "red.png"
    Image.new("RGB", (40, 30), (200, 60, 20)).save(red, "PNG")
    # 51 MB of "BMP": over bnviz's 50 MB limit, under the uploader's own (server.maxUploadSize).
    # Given as a path: the browser reads it from disk (a buffer would cross the driver slowly).
    big = tmp_path / "poster.bmp"
    with open(big, "wb") as file:
        file.write(b"BM")
        file.truncate(51_000_000)
    pdf = tmp_path / "slides.pdf"
    pdf.write_bytes(PDF)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/images?source=upload")
    expect(page.get_by_text("No pictures yet")).to_be_visible(timeout=30_000)
    uploader(page).set_input_files([red, big, pdf])
    expect(page.get_by_text("2 files were not loaded")).to_be_visible(timeout=60_000)
    expect(
        page.get_by_text("poster.bmp: the file is larger than 50 MB, the limit for one picture.")
    ).to_be_visible()
    expect(page.get_by_text("slides.pdf: is a PDF document")).to_be_visible()
    expect(page.get_by_text("1 picture brought to 32 × 32")).to_be_attached()
