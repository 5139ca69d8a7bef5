"""Answers meant for one signed-in user are never kept by a browser or proxy cache."""

from django.utils.cache import patch_cache_control


class NoStoreWhenAuthenticatedMiddleware:
    """``Cache-Control: no-store, private`` on every answer to an authenticated user: pages,
    PDFs, exports and API responses (DRF sets ``request.user`` from a token by the time the
    answer comes back). Anonymous answers and static files keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
