import math

from axes.helpers import get_cool_off
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


def healthz(request):
    """Liveness for load balancers: the process answers and the database does too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer (AXES_LOCKOUT_CALLABLE) to a login refused for too many failures,
    on every login form: a page in the site's style saying for how long, status 429.

    The refused try itself counted as a failure, so the wait runs from now."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    context = {
        "minutes": minutes,
        "until": timezone.now() + cool_off if cool_off else None,
        "login_path": request.path,
    }
    return render(request, "registration/locked_out.html", context, status=429)
