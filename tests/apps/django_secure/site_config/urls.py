from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse(f"secure={request.is_secure()} host={request.get_host()}\n", content_type="text/plain")


urlpatterns = [path("", index)]
