"""One way in: every surface (pages, API, admin, imports) refuses the same bad input with the
same message and reports the same events. Black-box: HTTP, management commands and model rows
only; no view, serializer, service or admin module is imported."""
