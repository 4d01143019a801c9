"""Uploaded photos are checked and re-encoded before they are stored: only real JPEG/PNG/WebP images of a
reasonable size get in, and what is stored is a fresh JPEG we wrote (no metadata, no polyglot payload), under a
random name, served as a static file from media storage — never executed."""

import io
import uuid

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 2400


def photo_reencode(upload) -> SimpleUploadedFile:
    """Return a re-encoded JPEG of ``upload`` or raise ``forms.ValidationError`` with a message for staff."""
    if upload.size > MAX_BYTES:
        raise forms.ValidationError(_("Photos are limited to %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)})
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            if kind not in ALLOWED_FORMATS:
                raise forms.ValidationError(_("Upload a JPEG, PNG or WebP photo."))
            if image.width * image.height > MAX_PIXELS:
                raise forms.ValidationError(_("This photo has too many pixels."))
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise forms.ValidationError(_("This file is not a photo we can read.")) from exc
    return SimpleUploadedFile(f"{uuid.uuid4().hex}.jpg", out.getvalue(), content_type="image/jpeg")


class PhotoForm(forms.ModelForm):
    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload (not the stored file)
            return photo_reencode(image)
        return image
