from django.http import JsonResponse

from .models import Question


def index(request):
    texts = list(Question.objects.order_by("id").values_list("text", flat=True))
    return JsonResponse({"questions": texts})
