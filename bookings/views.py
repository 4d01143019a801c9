from django.http import HttpResponse


def booking_start(request):
    return HttpResponse(status=501)
