"""Loading pictures: a catalogue of odd but valid files, of bad ones, and batches of both.

Every file is made here with Pillow (or by hand, byte by byte), so the expected values are known.
"""

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bnviz
from bnviz import InputError
from bnviz.engine import loading
from bnviz.engine.loading import ImageBatch, fit_image, load_batch, load_image, sample_images


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (the data is far too short)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


RGB_PIXELS = np.array(
    [[[255, 0, 0], [0, 255, 0], [0, 0, 255]], [[0, 0, 0], [255, 255, 255], [51, 102, 204]]],
    dtype=np.uint8,
)  # 2 × 3


# --- odd but valid files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True}), ("GIF", {})],
)
def test_rgb_formats_exact(fmt, options):
    data = encode(Image.fromarray(RGB_PIXELS), fmt, **options)
    got = load_image(data, name=f"x.{fmt.lower()}")
    assert got.dtype == np.float32
    assert got.shape == (3, 2, 3)
    # GIF goes through a palette; these few colours survive it exactly.
    np.testing.assert_array_equal(got, np.moveaxis(RGB_PIXELS, -1, 0) / np.float32(255))


def test_jpeg_approximately():
    data = encode(Image.fromarray(np.full((8, 8, 3), (200, 100, 50), np.uint8)), "JPEG", quality=95)
    got = load_image(data)
    assert got.shape == (3, 8, 8)
    np.testing.assert_allclose(got[:, 4, 4], np.array([200, 100, 50]) / 255, atol=3 / 255)


def test_grayscale_is_one_channel():
    gray = np.array([[0, 128, 255]], dtype=np.uint8)
    got = load_image(encode(Image.fromarray(gray), "PNG"))
    assert got.shape == (1, 1, 3)
    np.testing.assert_array_equal(got[0], gray / np.float32(255))
    one_bit = Image.fromarray(gray).convert("1", dither=Image.Dither.NONE)
    np.testing.assert_array_equal(load_image(encode(one_bit, "PNG"))[0], [[0, 1, 1]])


def test_rgba_composited_onto_white():
    rgba = np.array([[[255, 0, 0, 255], [255, 0, 0, 0], [0, 0, 255, 51]]], dtype=np.uint8)
    got = load_image(encode(Image.fromarray(rgba), "PNG"), name="t.png")
    assert got.shape == (3, 1, 3)
    np.testing.assert_allclose(got[:, 0, 0], [1, 0, 0])  # opaque red
    np.testing.assert_allclose(got[:, 0, 1], [1, 1, 1])  # fully transparent -> white
    # 20 % blue over white: 0.2 * (0, 0, 1) + 0.8 * (1, 1, 1)
    np.testing.assert_allclose(got[:, 0, 2], [0.8, 0.8, 1.0], atol=1e-6)


def test_gray_with_alpha_stays_gray():
    la = Image.fromarray(np.array([[[0, 255], [0, 0]]], dtype=np.uint8), mode="LA")
    got = load_image(encode(la, "PNG"))
    np.testing.assert_allclose(got, [[[0.0, 1.0]]])


def test_palette_gif_with_transparency():
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    image.putpixel((0, 0), 0)
    image.putpixel((1, 0), 1)
    got = load_image(encode(image, "GIF", transparency=1), name="p.gif")
    np.testing.assert_allclose(got[:, 0, 0], [1, 0, 0])
    np.testing.assert_allclose(got[:, 0, 1], [1, 1, 1])  # the transparent entry -> white


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (4, 3), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    got = load_image(data, name="anim.gif")
    assert got.shape == (3, 3, 4)
    np.testing.assert_allclose(got[:, 1, 1], [1, 0, 0])


def test_animated_webp_gives_first_frame():
    frames = [Image.new("RGB", (4, 3), colour) for colour in ((0, 255, 0), (255, 0, 0))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    np.testing.assert_allclose(load_image(data)[:, 1, 1], [0, 1, 0])


def test_16_bit_grayscale_png():
    values = np.array([[0, 1, 32768, 65535]], dtype=np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    got = load_image(encode(image, "PNG"))
    assert got.shape == (1, 1, 4)
    np.testing.assert_allclose(got[0], values / 65535.0, rtol=1e-7)


def test_float_tiff_in_range_kept_out_of_range_stretched():
    inside = np.array([[0.0, 0.25, 1.0]], dtype=np.float32)
    got = load_image(encode(Image.fromarray(inside), "TIFF"), name="f.tif")
    np.testing.assert_array_equal(got[0], inside)
    outside = np.array([[-10.0, 0.0, 30.0]], dtype=np.float32)
    got = load_image(encode(Image.fromarray(outside), "TIFF"))
    np.testing.assert_allclose(got[0], [[0.0, 0.25, 1.0]])
    nan = np.array([[0.0, np.nan]], dtype=np.float32)
    with pytest.raises(InputError, match="nan.tif.*NaN"):
        load_image(encode(Image.fromarray(nan), "TIFF"), name="nan.tif")


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red in print colours
    got = load_image(encode(cmyk, "JPEG", quality=100), name="print.jpg")
    assert got.shape == (3, 8, 8)
    np.testing.assert_allclose(got[:, 4, 4], [1, 0, 0], atol=2 / 255)


def test_exif_orientation_applied():
    # A 40-wide, 20-tall picture, left half black, whose EXIF says "rotate 90° clockwise to view".
    pixels = np.full((20, 40, 3), 255, np.uint8)
    pixels[:, :20] = 0
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(Image.fromarray(pixels), "JPEG", exif=exif, quality=95)
    got = load_image(data, name="phone.jpg")
    assert got.shape == (3, 40, 20)  # H and W swapped: now portrait
    # Rotated clockwise, the black left half is now the top half.
    assert got[:, :15].mean() < 0.05
    assert got[:, 25:].mean() > 0.95


def test_sources_path_str_file_object_and_uploaded_file(tmp_path):
    data = encode(Image.fromarray(RGB_PIXELS), "PNG")
    path = tmp_path / "pic.png"
    path.write_bytes(data)
    want = load_image(data)
    np.testing.assert_array_equal(load_image(path), want)
    np.testing.assert_array_equal(load_image(str(path)), want)
    with open(path, "rb") as file:
        np.testing.assert_array_equal(load_image(file), want)

    class Uploaded(io.BytesIO):  # what Streamlit's UploadedFile looks like
        name, size = "upload.png", len(data)

    upload = Uploaded(data)
    upload.read()  # already read once, e.g. for a preview: we read it again from the start
    np.testing.assert_array_equal(load_image(upload), want)


# --- bad files ---------------------------------------------------------------------------------


def valid_png() -> bytes:
    rng = np.random.default_rng(0)
    return encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "PNG")


def valid_jpeg() -> bytes:
    rng = np.random.default_rng(0)
    return encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "JPEG")


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'

BAD_FILES = {
    "empty.png": (b"", "empty"),
    "notes.png": (b"these are my lecture notes, not a picture\n" * 3, "text file"),
    "cut.png": (valid_png()[:2000], "truncated or damaged"),
    "cut.jpg": (valid_jpeg()[:1500], "truncated or damaged"),
    "logo.svg": (SVG, "SVG"),
    "logo.png": (SVG, "SVG"),  # by content, not by name
    "bare.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
    "slides.png": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    "phone.heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
    "noise.bin": (bytes(range(256)) * 4, "not a picture"),
    "icon.ico": (
        encode(Image.new("RGB", (16, 16)), "ICO"),
        "not a picture",
    ),  # Pillow reads it; we don't
    "page.html": (b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_rejected_with_its_name(name):
    data, problem = BAD_FILES[name]
    with pytest.raises(InputError) as caught:
        load_image(data, name=name)
    message = str(caught.value)
    assert name in message
    assert problem in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="nothing.png: no such file"):
        load_image(tmp_path / "nothing.png")
    with pytest.raises(InputError, match="folder"):
        load_image(tmp_path)
    with pytest.raises(InputError, match="expected a file path"):
        load_image(12345)


# Pillow warns above 89 million pixels (its own guard); ours refuses above 150 million.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_bomb_rejected_before_decoding_and_quickly():
    # 13000 × 12000 = 156 million pixels: under Pillow's own guard, over ours (150 million).
    data = png_claiming(13000, 12000)
    assert len(data) < 200
    start = time.perf_counter()
    with pytest.raises(
        InputError, match=r"bomb.png: 13000 × 12000 = 156.0 million pixels.*150 million"
    ):
        load_image(data, name="bomb.png")
    # A header far over Pillow's guard: Pillow's DecompressionBombError comes back as InputError.
    with pytest.raises(InputError, match="huge.png.*150 million pixels"):
        load_image(png_claiming(100_000, 100_000), name="huge.png")
    assert time.perf_counter() - start < 1.0


# --- large photos: reduced while decoding --------------------------------------------------------


def halves(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture whose left half is black and right half white (a structure that survives any
    box reduction by a factor dividing width / 2)."""
    image = Image.new(mode, (width, height), "white")
    image.paste("black", (0, 0, width // 2, height))
    return image


def test_48_megapixel_phone_photo_loads_reduced_while_decoding():
    # 8000 × 6000: a 48-megapixel phone photo (it was refused, over 40 million pixels).
    data = encode(halves(8000, 6000), "JPEG", quality=80)
    start = time.perf_counter()
    got = load_image(data, name="phone.jpg")
    # Reduced by 2 (JPEG's own 1/2-scale decoding) to 16 million pixels at most.
    assert got.shape == (3, 3000, 4000)
    assert got[:, :, :1900].max() < 0.05 and got[:, :, 2100:].min() > 0.95
    batch = load_batch([("phone.jpg", data)], size=(32, 32))
    assert batch.rejected == [] and batch.images.shape == (1, 3, 32, 32)
    # Centre crop of a 4:3 picture: columns 0-15 black, 16-31 white (edges blur a little).
    assert batch.images[0, :, :, :14].max() < 0.05 and batch.images[0, :, :, 18:].min() > 0.95
    assert time.perf_counter() - start < 10.0


def test_large_png_is_box_reduced():
    data = encode(halves(6000, 4000, "L"), "PNG")
    got = load_image(data, name="scan.png")
    assert got.shape == (1, 2000, 3000)  # 24 million pixels: reduced by 2
    assert got[0, :, :1500].max() == 0 and got[0, :, 1500:].min() == 1
    batch = load_batch([("scan.png", data)], size=(16, 16), fit="pad")
    assert batch.images.shape == (1, 1, 16, 16)


def test_reduction_factors():
    assert loading.reduction_for_pixels(4000, 3000, 16_000_000) == 1
    assert loading.reduction_for_pixels(8000, 6000, 16_000_000) == 2
    assert loading.reduction_for_pixels(12000, 9000, 16_000_000) == 3  # a 108-megapixel photo
    # The smallest factor whose rounded-up result fits: ⌈5/2⌉ · ⌈5/2⌉ = 9 > 8, ⌈5/3⌉² = 4.
    assert loading.reduction_for_pixels(5, 5, 8) == 3
    for width, height, limit in [(8001, 6001, 16_000_000), (7, 3, 2), (1, 1000, 10), (9, 9, 1)]:
        f = loading.reduction_for_pixels(width, height, limit)
        assert -(-width // f) * -(-height // f) <= limit
        assert f == 1 or -(-width // (f - 1)) * -(-height // (f - 1)) > limit
    # The fit keeps twice the pixels it uses: crop covers (the smaller ratio), pad fits in.
    assert loading.reduction_for_fit(8000, 6000, (32, 32), "crop") == 93  # 6000 / 32 / 2
    assert loading.reduction_for_fit(8000, 6000, (32, 32), "pad") == 125  # 8000 / 32 / 2
    assert loading.reduction_for_fit(100, 100, (64, 64), "crop") == 1


def test_max_pixels_reduces_every_mode_correctly():
    # Palette with a transparent entry: averaged as RGBA, then composited on white.
    image = Image.new("P", (4, 2))
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    image.paste(1, (2, 0, 4, 2))  # right half: the transparent entry
    got = load_image(encode(image, "GIF", transparency=1), name="p.gif", max_pixels=2)
    assert got.shape == (3, 1, 2)
    np.testing.assert_allclose(got[:, 0, 0], [1, 0, 0])
    np.testing.assert_allclose(got[:, 0, 1], [1, 1, 1])
    # 16-bit gray: averaged in 32-bit integers, still divided by 65535.
    values = np.array([[0, 2, 65535, 65533]], dtype=np.uint16)
    got = load_image(encode(Image.fromarray(values), "PNG"), max_pixels=2)
    np.testing.assert_allclose(got[0], [[1 / 65535, 65534 / 65535]], rtol=1e-6)
    # 1-bit: averaged as gray.
    bits = Image.fromarray(np.array([[0, 255, 255, 255]], np.uint8)).convert("1")
    got = load_image(encode(bits, "PNG"), max_pixels=2)
    np.testing.assert_allclose(got[0], [[0.5, 1.0]], atol=1 / 255)
    with pytest.raises(InputError, match="max_pixels"):
        load_image(encode(bits, "PNG"), max_pixels=0)


def test_reduced_photo_keeps_its_exif_orientation():
    # Landscape pixels whose EXIF says "rotate 90° clockwise": a portrait photo, reduced.
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(halves(4000, 2000), "JPEG", exif=exif, quality=90)
    got = load_image(data, max_pixels=500_000)
    assert got.shape == (3, 1000, 500)  # reduced by 4 (1/4-scale JPEG decoding), upright
    assert got[:, :450].max() < 0.05 and got[:, 550:].min() > 0.95  # black half on top
    batch = load_batch([data], size=(40, 20))  # portrait target: crop covers, reduced by 25
    assert batch.images.shape == (1, 3, 40, 20)
    assert batch.images[0, :, :18].max() < 0.05 and batch.images[0, :, 22:].min() > 0.95


def test_pixel_cap_is_read_at_call_time(monkeypatch):
    monkeypatch.setattr(loading, "MAX_PIXELS", 100)
    with pytest.raises(InputError, match="over the limit of 0.0001 million"):
        load_image(encode(Image.new("RGB", (11, 10)), "PNG"), name="small.png")
    assert load_image(encode(Image.new("RGB", (10, 10)), "PNG")).shape == (3, 10, 10)


def test_oversized_file_rejected(tmp_path, monkeypatch):
    too_big = b"\x89PNG" + b"\x00" * loading.MAX_FILE_BYTES
    with pytest.raises(InputError, match="big.png: the file is larger than 50 MB"):
        load_image(too_big, name="big.png")
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.png"
    path.write_bytes(valid_png())
    with pytest.raises(InputError, match="big.png.*larger than"):
        load_image(path)

    class Uploaded(io.BytesIO):
        name, size = "upload.png", 10**9  # claims to be huge: refused before reading

        def read(self, *args):
            raise AssertionError("read although too big")

    with pytest.raises(InputError, match="upload.png.*larger than"):
        load_image(Uploaded())


# --- batches -----------------------------------------------------------------------------------


def test_batch_good_and_bad_mixed(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(encode(Image.new("RGB", (30, 20), (255, 0, 0)), "PNG"))
    gray = tmp_path / "gray.png"
    gray.write_bytes(encode(Image.new("L", (20, 30), 128), "PNG"))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    batch = load_batch(
        [good, ("notes.png", b"just text"), gray, empty, ("logo.svg", SVG)], size=(16, 16)
    )
    assert isinstance(batch, ImageBatch)
    assert batch.names == ["good.png", "gray.png"]
    assert len(batch) == 2
    assert batch.images.shape == (2, 3, 16, 16)  # one colour picture: all RGB
    assert batch.images.dtype == np.float32
    np.testing.assert_allclose(batch.images[0, :, 8, 8], [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(batch.images[1], 128 / 255, atol=1e-6)  # gray repeated on R, G, B
    assert [name for name, _ in batch.rejected] == ["notes.png", "empty.png", "logo.svg"]
    assert "empty" in batch.rejected[1][1]
    assert "SVG" in batch.rejected[2][1]


def test_batch_all_gray_stays_one_channel_and_grayscale_option():
    gray = encode(Image.new("L", (8, 8), 51), "PNG")
    assert load_batch([gray, gray], size=(4, 4)).images.shape == (2, 1, 4, 4)
    red = encode(Image.new("RGB", (8, 8), (255, 0, 0)), "PNG")
    batch = load_batch([red, gray], size=(4, 4), grayscale=True)
    assert batch.images.shape == (2, 1, 4, 4)
    np.testing.assert_allclose(batch.images[0], 0.299, atol=1e-6)
    np.testing.assert_allclose(batch.images[1], 0.2, atol=1e-6)
    assert batch.names == ["image 1", "image 2"]


def test_batch_nothing_good_is_empty_not_an_error():
    batch = load_batch([("a.png", b""), ("b.png", b"text")], size=(8, 10))
    assert batch.images.shape == (0, 3, 8, 10)
    assert batch.names == []
    assert len(batch.rejected) == 2
    assert load_batch([], size=(8, 10), grayscale=True).images.shape == (0, 1, 8, 10)


def test_batch_too_many_files():
    gray = encode(Image.new("L", (4, 4), 0), "PNG")
    batch = load_batch([(f"f{i}.png", gray) for i in range(7)], size=(4, 4), max_files=5)
    assert batch.names == [f"f{i}.png" for i in range(5)]
    assert [name for name, _ in batch.rejected] == ["f5.png", "f6.png"]
    assert "at most 5 files" in batch.rejected[0][1]
    many = load_batch([gray] * (loading.MAX_FILES + 2), size=(4, 4))
    assert len(many) == loading.MAX_FILES == 64
    assert len(many.rejected) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": (0, 8)}, "size"),
        ({"size": (8, 10_000)}, "size"),
        ({"size": 8}, "size"),
        ({"fit": "stretch"}, "fit"),
        ({"max_files": 0}, "max_files"),
        ({"max_files": 1000}, "max_files"),
        ({"pad_value": 2.0}, "pad_value"),
    ],
)
def test_batch_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        load_batch([], **kwargs)


def two_tone(height: int, width: int) -> np.ndarray:
    """(1, h, w): left half 0, right half 1; plus a marker row of 1 on top."""
    pixels = np.zeros((1, height, width), np.float32)
    pixels[:, :, width // 2 :] = 1.0
    return pixels


def test_crop_and_pad_geometry():
    wide = np.zeros((1, 10, 40), np.float32)
    wide[:, :, :10] = 1.0  # the left quarter is white
    # crop to 10 × 10: the centre 10 columns (15..25) are kept, the white quarter is cut off.
    cropped = fit_image(wide, (10, 10), "crop")
    assert cropped.shape == (1, 10, 10)
    np.testing.assert_allclose(cropped, 0.0, atol=1e-6)
    # pad to 10 × 10: the whole picture shrinks to 10 wide × 2.5 -> 2 or 3 tall, centred, black bars.
    padded = fit_image(wide, (10, 10), "pad", pad_value=0.5)
    assert padded.shape == (1, 10, 10)
    content_rows = np.where((padded[0] != 0.5).any(axis=1))[0]
    assert 2 <= len(content_rows) <= 3
    assert content_rows.min() in (3, 4) and content_rows.max() in (5, 6)
    np.testing.assert_array_equal(padded[0, :3], 0.5)
    assert padded[0, content_rows[0], 0] > 0.9  # the white quarter is still there, on the left
    # Same aspect ratio: crop and pad agree.
    square = np.random.default_rng(0).uniform(size=(3, 20, 20)).astype(np.float32)
    np.testing.assert_allclose(
        fit_image(square, (10, 10), "crop"), fit_image(square, (10, 10), "pad")
    )


def test_crop_tall_keeps_the_middle():
    tall = np.ones((1, 40, 10), np.float32)
    tall[:, 15:25] = 0.0  # a black band in the middle
    np.testing.assert_allclose(fit_image(tall, (10, 10), "crop"), 0.0, atol=1e-6)


def test_batch_crop_vs_pad_shapes_and_range():
    data = encode(
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 90, 3), np.uint8)), "PNG"
    )
    for fit in ("crop", "pad"):
        batch = load_batch([data], size=(24, 32), fit=fit)
        assert batch.images.shape == (1, 3, 24, 32)
        assert batch.images.min() >= 0.0 and batch.images.max() <= 1.0
    padded = load_batch([data], size=(24, 32), fit="pad").images
    assert (padded[0, :, :6] == 0).all()  # 30 × 90 scaled to 32 wide is ~11 tall: black bars above


# --- samples -----------------------------------------------------------------------------------


def test_samples_exist_load_and_are_small():
    samples = sample_images()
    assert len(samples) >= 10  # question 2 asks about a mini-batch of ten pictures
    readme = (Path(loading.SAMPLE_DIR) / "README.md").read_text()
    assert len({s.name for s in samples}) == len(samples)
    channels = set()
    for sample in samples:
        assert Path(sample.path).is_file(), sample.path
        assert sample.path.stat().st_size < 60_000
        assert sample.caption
        assert sample.path.name in readme  # the source of every picture is noted
        pixels = load_image(sample.path)
        channels.add(pixels.shape[0])
        assert min(pixels.shape[1:]) >= 100
    assert channels == {1, 3}  # colour and grayscale both represented
    batch = load_batch(sample_images(), size=(32, 32))
    assert batch.images.shape == (len(samples), 3, 32, 32)
    assert batch.names == [s.name for s in samples]
    assert batch.rejected == []
    assert bnviz.load_batch is load_batch
