"""The EDC's own date and time formats, one style per language (settings.FORMAT_MODULE_PATH).

Django's defaults mix styles ("Dec. 6, 2026" and "12/06/2026" in English, "6 décembre 2026"
and "06/12/2026" in French) and read 01/12/2026 the American way in English. Here each
language has one style, written and typed alike:

- English: ISO 8601, "2026-12-06" and "2026-12-06 14:05 CET";
- French: "06/12/2026" and "06/12/2026 14:05 CET" (24-hour clock).

A date-time is always shown with its time zone named (format character T). What these
modules leave out (separators of numbers, first day of the week) is Django's own.
"""
