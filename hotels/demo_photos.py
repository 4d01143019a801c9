"""Drawn demo photos (no downloads: the site works offline). Written once under MEDIA_ROOT/demo/."""

import random
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw

PALETTES = [
    ((255, 183, 120), (120, 170, 230), (236, 226, 208)),
    ((250, 214, 165), (90, 140, 200), (204, 120, 92)),
    ((255, 160, 140), (70, 90, 160), (240, 240, 235)),
    ((190, 225, 250), (60, 130, 200), (214, 196, 170)),
    ((255, 210, 150), (40, 70, 120), (180, 150, 120)),
    ((230, 240, 250), (110, 160, 210), (120, 150, 130)),
]


def _draw(path: Path, rng: random.Random, palette) -> None:
    width, height = 960, 600
    horizon, sky, facade = palette
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(sky[i] * (1 - t) + horizon[i] * t) for i in range(3)))
    # neighbouring buildings, then the hotel
    for x in range(-40, width, rng.randint(110, 170)):
        h = rng.randint(180, 330)
        shade = tuple(max(c - 70, 0) for c in sky)
        draw.rectangle([x, height - h, x + rng.randint(90, 160), height], fill=shade)
    left, right, top = width // 2 - 230, width // 2 + 230, rng.randint(110, 190)
    draw.rectangle([left, top, right, height], fill=facade)
    draw.rectangle([left - 12, top - 18, right + 12, top], fill=tuple(max(c - 60, 0) for c in facade))
    for y in range(top + 30, height - 120, 62):
        for x in range(left + 28, right - 40, 58):
            lit = rng.random() < 0.35
            draw.rectangle([x, y, x + 34, y + 40], fill=(255, 226, 150) if lit else (70, 90, 120))
    door = width // 2
    draw.rectangle([door - 45, height - 110, door + 45, height], fill=(60, 50, 45))
    draw.rectangle([door - 120, height - 150, door + 120, height - 125], fill=(150, 40, 40))
    draw.rectangle([0, height - 22, width, height], fill=(90, 90, 95))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=82, optimize=True)


def demo_photo_paths(count: int = 9) -> list[str]:
    """Paths (relative to MEDIA_ROOT) of the demo photos, drawing any that are missing."""
    rng = random.Random(11)
    paths = []
    for n in range(count):
        relative = f"demo/hotel-{n + 1}.jpg"
        target = Path(settings.MEDIA_ROOT) / relative
        palette = PALETTES[n % len(PALETTES)]
        if not target.exists():
            _draw(target, random.Random(rng.random()), palette)
        paths.append(relative)
    return paths
