"""{% load ops_links %} … {{ step.task_id|flower_task_url }} → a link to the task in Flower (or "")."""
from django import template

from workers.ops.flower import flower_task_url as _flower_task_url

register = template.Library()


@register.filter
def flower_task_url(task_id):
    return _flower_task_url(task_id)
