"""Brand images as Home Assistant's brands rules ask: light and dark, 1x and 2x, trimmed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

BRAND = Path(__file__).parents[1] / "custom_components" / "japan_sim_data" / "brand"


@pytest.mark.parametrize("variant", ["", "dark_"])
@pytest.mark.parametrize(("kind", "scale"), [("icon", 1), ("icon", 2), ("logo", 1), ("logo", 2)])
def test_brand_image(variant: str, kind: str, scale: int) -> None:
    suffix = "@2x" if scale == 2 else ""
    with Image.open(BRAND / f"{variant}{kind}{suffix}.png") as image:
        assert image.mode == "RGBA"  # transparent background
        width, height = image.size
        if kind == "icon":
            assert (width, height) == (256 * scale, 256 * scale)
        else:
            assert 128 * scale <= min(width, height) <= 256 * scale
            # Trimmed: something opaque touches every edge of a logo.
            assert image.getchannel("A").getbbox() == (0, 0, width, height)


def test_dark_variants_differ_from_the_light_ones() -> None:
    for name in ("icon.png", "logo.png"):
        with Image.open(BRAND / name) as light, Image.open(BRAND / f"dark_{name}") as dark:
            assert light.size == dark.size
            assert light.tobytes() != dark.tobytes()
