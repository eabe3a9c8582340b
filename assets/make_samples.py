"""Draw bnviz's sample pictures with NumPy and Pillow: deterministic, seeded, no downloads.

Run from the repository root: ``.venv/bin/python assets/make_samples.py``. It rewrites the files
next to this script. The pictures are meant to differ in ways normalization makes visible: overall
brightness, contrast, colour cast, one hue versus many, colour versus gray, aspect ratio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent


def grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates scaled to [0, 1]."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    return yy / (height - 1), xx / (width - 1)


def to_image(rgb: np.ndarray) -> Image.Image:
    """(H, W, 3) floats in [0, 1] -> an RGB Pillow image."""
    return Image.fromarray(np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8))


def lerp(a, b, t):
    """Colour a -> b as t goes 0 -> 1 (t broadcast over the last axis)."""
    return np.asarray(a) + (np.asarray(b) - np.asarray(a)) * t[..., None]


def sunset(rng: np.random.Generator) -> Image.Image:
    """160 × 120: orange-to-purple sky, a low sun, its glow on dark water."""
    height, width, horizon = 120, 160, 78
    y, x = grid(height, width)
    sky = lerp((0.35, 0.12, 0.45), (1.0, 0.62, 0.18), np.clip(y * height / horizon, 0, 1) ** 1.4)
    sun_y, sun_x = 66 / (height - 1), 0.62
    dist = np.hypot((y - sun_y) * height / width, x - sun_x)
    glow = np.exp(-((dist / 0.22) ** 2))[..., None]
    sky = sky + glow * np.array([0.35, 0.25, 0.05])
    sun = dist < 0.085
    sky[sun] = (1.0, 0.93, 0.70)
    # Water: dark, with a broken reflection column under the sun.
    water_t = (y - horizon / height) / (1 - horizon / height)
    water = lerp((0.30, 0.12, 0.20), (0.06, 0.03, 0.10), np.clip(water_t, 0, 1))
    ripples = 0.5 + 0.5 * np.sin(y * 260 + rng.normal(0, 0.6, size=y.shape))
    column = np.exp(-(((x - sun_x) / 0.07) ** 2)) * ripples
    water = water + column[..., None] * np.array([0.9, 0.55, 0.15])
    rgb = np.where((np.arange(height) < horizon)[:, None, None], sky, water)
    return to_image(rgb)


def sea(rng: np.random.Generator) -> Image.Image:
    """160 × 120: blue sky with clouds, blue sea with waves, one white sail."""
    height, width, horizon = 120, 160, 55
    y, x = grid(height, width)
    rgb = lerp((0.25, 0.50, 0.85), (0.70, 0.85, 0.97), y * height / horizon)
    # Clouds: a few soft white blobs.
    for _ in range(5):
        cy, cx = rng.uniform(0.08, 0.35), rng.uniform(0.05, 0.95)
        blob = np.exp(-(((y - cy) / 0.05) ** 2 + ((x - cx) / 0.14) ** 2))
        rgb = rgb + blob[..., None] * 0.6 * (1 - rgb)
    water_t = np.clip((y * (height - 1) - horizon) / (height - horizon), 0, 1)
    water = lerp((0.05, 0.30, 0.55), (0.02, 0.16, 0.38), water_t)
    waves = np.sin(x * 90 + 8 * np.sin(y * 20) + y * 400 * (0.2 + water_t)) * (0.3 + water_t)
    water = water + waves[..., None] * np.array([0.03, 0.06, 0.08])
    rgb = np.where((np.arange(height) < horizon)[:, None, None], rgb, water)
    image = to_image(rgb)
    draw = ImageDraw.Draw(image)
    draw.polygon([(100, 20), (100, 56), (76, 56)], fill=(250, 250, 245))  # sail
    draw.polygon([(72, 57), (108, 57), (102, 63), (78, 63)], fill=(120, 60, 40))  # hull
    return image


def leaves(rng: np.random.Generator) -> Image.Image:
    """128 × 128: overlapping green leaves with veins, on dark undergrowth."""
    size = 128
    image = Image.new("RGB", (size, size), (18, 40, 16))
    draw = ImageDraw.Draw(image)
    for _ in range(70):
        cx, cy = rng.uniform(-10, size + 10, 2)
        length, breadth = rng.uniform(18, 42), rng.uniform(7, 15)
        angle = rng.uniform(0, np.pi)
        green = np.array([rng.uniform(40, 120), rng.uniform(110, 200), rng.uniform(20, 70)])
        t = np.linspace(-1, 1, 24)
        # A leaf outline: pointed ellipse along its midrib.
        along = np.concatenate([t, t[::-1]]) * length / 2
        across = np.concatenate([1 - t**2, -(1 - t[::-1] ** 2)]) * breadth / 2
        c, s = np.cos(angle), np.sin(angle)
        points = list(zip(cx + along * c - across * s, cy + along * s + across * c, strict=True))
        draw.polygon(points, fill=tuple(int(v) for v in green))
        vein = tuple(int(v) for v in np.minimum(green * 1.35, 255))
        draw.line(
            [
                (cx - c * length / 2, cy - s * length / 2),
                (cx + c * length / 2, cy + s * length / 2),
            ],
            fill=vein,
            width=1,
        )
    rgb = np.asarray(image, dtype=np.float64) / 255
    rgb = rgb * (1 + rng.normal(0, 0.06, size=rgb.shape[:2]))[..., None]  # leaf texture
    return to_image(rgb).filter(ImageFilter.SMOOTH)


def checker(rng: np.random.Generator) -> Image.Image:
    """128 × 128, grayscale: a checkerboard on top, rows of text-like bars below."""
    size = 128
    gray = np.full((size, size), 235, dtype=np.uint8)
    yy, xx = np.mgrid[0:64, 0:size]
    gray[:64] = np.where(((yy // 16) + (xx // 16)) % 2 == 0, 20, 235)
    image = Image.fromarray(gray)
    draw = ImageDraw.Draw(image)
    for row in range(6):
        y0, x = 72 + row * 9, 6
        while x < size - 10:
            word = int(rng.integers(4, 20))
            draw.rectangle([x, y0, min(x + word, size - 6), y0 + 4], fill=int(rng.integers(10, 70)))
            x += word + int(rng.integers(3, 6))
    return image


def stained_glass(rng: np.random.Generator) -> Image.Image:
    """120 × 160 (portrait): Voronoi cells in saturated colours with dark lead lines."""
    height, width = 160, 120
    seeds = rng.uniform(0, 1, size=(30, 2)) * (height, width)
    yy, xx = np.mgrid[0:height, 0:width]
    dist = np.hypot(yy[..., None] - seeds[:, 0], xx[..., None] - seeds[:, 1])
    order = np.sort(dist, axis=-1)
    nearest = np.argmin(dist, axis=-1)
    hues = rng.uniform(0, 1, size=len(seeds))
    hsv = np.stack(
        [hues * 255, rng.uniform(170, 255, len(seeds)), rng.uniform(150, 255, len(seeds))], axis=1
    ).astype(np.uint8)
    cells = Image.fromarray(hsv[nearest], mode="HSV").convert("RGB")
    rgb = np.asarray(cells, dtype=np.float64) / 255
    # Each pane a little darker at its centre (old glass is uneven); lead where two cells nearly tie.
    lead = (order[..., 1] - order[..., 0]) < 1.6
    rgb = rgb * (0.75 + 0.25 * np.clip(order[..., 0:1] / 12, 0, 1) ** 0.5)
    rgb[lead] = (0.08, 0.07, 0.07)
    return to_image(rgb)


def night_cast(rng: np.random.Generator) -> Image.Image:
    """160 × 120: a dim street at night, low contrast, under a heavy teal cast."""
    height, width = 120, 160
    y, x = grid(height, width)
    lum = 0.10 + 0.08 * y  # dark sky to slightly lighter street
    image = Image.fromarray(np.zeros((height, width), dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    for x0, top in [(8, 40), (40, 25), (78, 48), (112, 30), (140, 52)]:  # houses
        draw.rectangle([x0, top, x0 + 28, 95], fill=60)
        for wy in range(top + 6, 90, 12):
            for wx in (x0 + 5, x0 + 17):
                if rng.uniform() < 0.5:
                    draw.rectangle([wx, wy, wx + 5, wy + 6], fill=150)
    shapes = np.asarray(image, dtype=np.float64) / 255
    lamps = sum(
        np.exp(-(((x - lx) / 0.05) ** 2 + ((y - 0.55) / 0.07) ** 2)) for lx in (0.2, 0.5, 0.8)
    )
    lum = lum + 0.18 * shapes + 0.15 * lamps + rng.normal(0, 0.012, size=lum.shape)
    cast = np.array([0.35, 0.95, 0.85])  # teal: red nearly gone
    return to_image(lum[..., None] * cast * 1.3)


def fruit(rng: np.random.Generator) -> Image.Image:
    """160 × 120: red, orange, yellow and green fruit on a pale table."""
    height, width = 120, 160
    y, x = grid(height, width)
    rgb = lerp((0.93, 0.90, 0.84), (0.80, 0.74, 0.66), y)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    fruits = [
        (70, 38, 22, (0.80, 0.08, 0.10)),  # apple
        (62, 80, 24, (0.98, 0.55, 0.08)),  # orange
        (75, 122, 20, (0.45, 0.75, 0.15)),  # lime-green apple
        (96, 62, 16, (0.55, 0.10, 0.45)),  # plum
        (94, 100, 14, (0.98, 0.86, 0.15)),  # lemon
    ]
    for cy, cx, radius, colour in fruits:
        d = np.hypot(yy - cy, xx - cx) / radius
        shadow = np.exp(-(((yy - cy - radius * 0.8) / 5) ** 2 + ((xx - cx - 4) / radius) ** 2))
        rgb = rgb * (1 - 0.35 * shadow[..., None])
        inside = d < 1
        # Shading: lit from the upper left, a small highlight.
        light = np.clip(
            1.05 - 0.55 * np.hypot(yy - cy + radius / 3, xx - cx + radius / 3) / radius, 0.3, 1.1
        )
        body = np.asarray(colour) * light[..., None]
        highlight = np.exp(-((np.hypot(yy - cy + radius / 2.5, xx - cx + radius / 2.5) / 3) ** 2))
        body = body + highlight[..., None] * 0.5
        rgb = np.where(inside[..., None], body, rgb)
    rgb = rgb + rng.normal(0, 0.01, size=rgb.shape)
    return to_image(rgb)


def snow(rng: np.random.Generator) -> Image.Image:
    """160 × 120: a bright, low-contrast snowfield under a pale blue sky (overexposed look)."""
    height, width = 120, 160
    y, x = grid(height, width)
    horizon = 0.42 + 0.06 * np.sin(x * 7 + 1.0)  # soft hills
    sky = lerp((0.70, 0.82, 0.95), (0.88, 0.93, 0.99), y / 0.5)
    snowfield = lerp((0.97, 0.98, 1.0), (0.86, 0.90, 0.96), np.clip((y - horizon) * 2.5, 0, 1))
    rgb = np.where((y < horizon)[..., None], sky, snowfield)
    trees = (np.abs(x - 0.3) < 0.012) | (np.abs(x - 0.34) < 0.01) | (np.abs(x - 0.8) < 0.014)
    trunk = trees & (y > horizon - 0.18) & (y < horizon + 0.03)
    rgb[trunk] = (0.25, 0.28, 0.30)
    rgb = rgb + rng.normal(0, 0.015, size=rgb.shape)  # falling snow as fine noise
    return to_image(rgb)


def dunes(rng: np.random.Generator) -> Image.Image:
    """160 × 120: warm sand dunes with hard shadows under a deep blue sky."""
    height, width = 120, 160
    y, x = grid(height, width)
    ridge = 0.45 + 0.12 * np.sin(x * 5.0 + 0.3) + 0.05 * np.sin(x * 13.0)
    sky = lerp((0.10, 0.30, 0.70), (0.45, 0.65, 0.90), y / 0.6)
    slope = np.cos(x * 5.0 + 0.3) * 0.6 + np.cos(x * 13.0) * 0.65  # d(ridge)/dx, up to a scale
    lit = np.where(slope > 0, 1.0, 0.55)[..., None]  # the lee side in shadow
    sand = np.asarray((0.93, 0.68, 0.35)) * lit * (0.85 + 0.15 * y[..., None])
    rgb = np.where((y < ridge)[..., None], sky, sand)
    rgb = rgb + rng.normal(0, 0.02, size=rgb.shape)
    return to_image(rgb)


def flowers(rng: np.random.Generator) -> Image.Image:
    """160 × 120: magenta and yellow flowers scattered over dark green grass."""
    height, width = 120, 160
    rgb = np.zeros((height, width, 3)) + (0.12, 0.35, 0.10)
    rgb = rgb * (0.8 + 0.4 * rng.uniform(size=(height, width, 1)))  # blades of grass
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    for _ in range(18):
        cy, cx = rng.uniform(8, height - 8), rng.uniform(8, width - 8)
        radius = rng.uniform(4, 9)
        colour = (0.90, 0.15, 0.65) if rng.uniform() < 0.65 else (0.98, 0.85, 0.10)
        angle = np.arctan2(yy - cy, xx - cx)
        petals = radius * (0.75 + 0.25 * np.cos(5 * angle))  # five petals
        d = np.hypot(yy - cy, xx - cx)
        rgb[d < petals] = colour
        rgb[d < radius * 0.28] = (0.98, 0.80, 0.20)
    return to_image(rgb)


def overcast(rng: np.random.Generator) -> Image.Image:
    """160 × 120: a grey city skyline under overcast sky: mid-tones, almost no colour."""
    height, width = 120, 160
    y, x = grid(height, width)
    rgb = lerp((0.62, 0.63, 0.65), (0.74, 0.75, 0.76), y)[...]
    image = Image.fromarray(np.zeros((height, width), dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    left = 0
    while left < width:
        building = int(rng.integers(12, 26))
        top = int(rng.integers(30, 80))
        draw.rectangle([left, top, left + building - 2, height], fill=int(rng.integers(80, 160)))
        left += building
    shade = np.asarray(image, dtype=np.float64)[..., None] / 255
    rgb = np.where(shade > 0, 0.30 + 0.35 * shade * np.asarray((1.0, 1.0, 1.03)), rgb)
    rgb = rgb + rng.normal(0, 0.01, size=rgb.shape)
    return to_image(rgb)


SAMPLES = {
    "sunset.png": sunset,
    "sea.png": sea,
    "leaves.jpg": leaves,
    "checker.png": checker,
    "stained_glass.png": stained_glass,
    "night_cast.png": night_cast,
    "fruit.png": fruit,
    "snow.png": snow,
    "dunes.png": dunes,
    "flowers.png": flowers,
    "overcast.png": overcast,
}


def main() -> None:
    for index, (file, draw) in enumerate(SAMPLES.items()):
        image = draw(np.random.default_rng(1000 + index))
        path = HERE / file
        if file.endswith(".jpg"):
            image.save(path, "JPEG", quality=88, optimize=True)
        else:
            image.save(path, "PNG", optimize=True)
        print(
            f"{file}: {image.size[0]} × {image.size[1]} {image.mode}, {path.stat().st_size} bytes"
        )


if __name__ == "__main__":
    main()
