"""Date and number formats by language, over Django's own (FORMAT_MODULE_PATH).

Templates name a format (`|date:"SHORT_DATE_FORMAT"`) and never spell one out, so that
each reader gets the conventions of their language: see docs/i18n.md.
"""
