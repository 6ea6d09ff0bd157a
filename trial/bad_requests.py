"""A query parameter no page of ours sends (a hand-edited or truncated link): answered 400 with
a page saying what is wrong (trial.views.bad_request), never a server error."""

from __future__ import annotations

from django.core.exceptions import BadRequest


class BadParameter(BadRequest):
    """Raised by a view with the message the reader sees (translated)."""
