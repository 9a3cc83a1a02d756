"""Errors as members see them: one readable line (operators read the full text in the admin and logs)."""
from django import template

from audit.services import member_event_details, readable_error

register = template.Library()

register.filter("readable_error", readable_error)
register.filter("member_event_details", member_event_details)
