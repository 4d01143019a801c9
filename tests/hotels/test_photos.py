import io

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hotels.photos import photo_reencode


def upload(fmt="PNG", size=(64, 48), name="p.png", content_type="image/png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def test_a_real_photo_is_reencoded_as_a_fresh_jpeg():
    result = photo_reencode(upload())
    assert result.name.endswith(".jpg") and result.name != "p.png"
    with Image.open(io.BytesIO(result.read())) as image:
        assert image.format == "JPEG" and image.size == (64, 48)


@pytest.mark.parametrize("payload", [b"<?php system($_GET['c']); ?>", b"GIF89a" + b"\x00" * 10, b""])
def test_files_that_are_not_photos_are_refused(payload):
    with pytest.raises(forms.ValidationError):
        photo_reencode(SimpleUploadedFile("evil.jpg", payload, content_type="image/jpeg"))


def test_other_image_formats_and_huge_files_are_refused():
    with pytest.raises(forms.ValidationError, match="JPEG, PNG or WebP"):
        photo_reencode(upload("GIF", name="a.gif", content_type="image/gif"))
    big = SimpleUploadedFile("big.jpg", b"\xff" * (9 * 1024 * 1024), content_type="image/jpeg")
    with pytest.raises(forms.ValidationError, match="limited"):
        photo_reencode(big)
