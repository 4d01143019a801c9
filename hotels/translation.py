"""Catalogue content edited per language (django-modeltranslation; README, Languages, says why this library):
each field below gets one column per language on its own table (``name_fr``…), and reading ``hotel.name`` gives
the active language's text, else the default language's. The plain column (``name``) keeps the default
language's text, which the raw SQL of ``hotels/search.py`` reads for sorting."""

from modeltranslation.translator import TranslationOptions, register

from .models import Amenity, Hotel, HotelTax, RatePlan, RoomType


@register(Hotel)
class HotelTranslation(TranslationOptions):
    fields = ("name", "description")


@register(RoomType)
class RoomTypeTranslation(TranslationOptions):
    fields = ("name", "description", "beds")


@register(RatePlan)
class RatePlanTranslation(TranslationOptions):
    fields = ("name",)


@register(Amenity)
class AmenityTranslation(TranslationOptions):
    fields = ("name",)


@register(HotelTax)
class HotelTaxTranslation(TranslationOptions):
    fields = ("name",)
