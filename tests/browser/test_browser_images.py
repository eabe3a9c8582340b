"""A real browser uploads a picture on the Images page and sees it normalized."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_upload_a_picture_and_see_it_normalized(page, app_url, tmp_path):
    picture = tmp_path / "orange.png"
    image = Image.new("RGB", (48, 36), (240, 140, 30))
    image.paste((30, 60, 200), (0, 0, 24, 18))  # some structure, so the channels vary
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/images?source=upload")
    expect(page.get_by_text("No pictures yet")).to_be_visible(timeout=30_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(picture))
    # (The origin sentence sits in a collapsed expander: attached, not visible.)
    expect(page.get_by_text("1 picture brought to 32 × 32")).to_be_attached(timeout=30_000)
    expect(page.get_by_text("every channel of every image now averages 0").first).to_be_visible()
    # The picture before, then after batch, instance and layer norm, then its channels.
    expect(page.locator('[data-testid="stImage"]')).to_have_count(4 + 2 * 3, timeout=15_000)
    expect(page.get_by_text("orange.png", exact=True).first).to_be_visible()
