"""Jinja2 templates for every card and message, in zh-Hant, en and pt, and a pure renderer."""
