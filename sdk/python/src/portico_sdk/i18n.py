"""Translatable messages, as in the Rust SDK.

An area ships ``i18n/fr.json`` and ``i18n/en.json`` beside its code
(:func:`catalogues` reads them at import, so they are baked into the
component); the host renders every page in the reader's language. In
templates: ``{{ t("key", name=value) }}`` and the host's filters ``date``,
``datetime``, ``number``, ``amount("EUR")``. In code, where a text leaves the
area (form errors, a refusal), :func:`message` encodes a key and its
arguments that the host translates with the area's catalogue, then its own.

>>> message("amount.too-large")
'i18n:amount.too-large'
>>> message("amount.at-most", max="100")
'i18n:amount.at-most {"max":"100"}'
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

#: The prefix the host recognises on a translatable message.
PREFIX = "i18n:"

#: The languages every area ships, in this order.
LANGUAGES = ("fr", "en")


def message(key: str, **args: Any) -> str:
    """A translatable message: ``key`` of the area's catalogue (or of the host's, e.g.
    ``form.required``) with ``{name}`` placeholders filled from ``args``."""
    if not args:
        return PREFIX + key
    encoded = json.dumps({k: str(v) for k, v in args.items()}, ensure_ascii=False, separators=(",", ":"))
    return f"{PREFIX}{key} {encoded}"


def catalogues(module_file: str, directory: str = "i18n") -> dict[str, str]:
    """The area's catalogues, ``{"fr": json_text, "en": json_text}``, read from
    ``i18n/fr.json`` and ``i18n/en.json`` beside ``module_file`` (pass ``__file__``).

    Call it at module level: the build runs the module's top level, so the
    text is part of the component (there is no file system at run time)."""
    base = os.path.join(os.path.dirname(os.path.abspath(module_file)), directory)
    found: dict[str, str] = {}
    for lang in LANGUAGES:
        path = os.path.join(base, f"{lang}.json")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        json.loads(text)  # a broken catalogue fails the build, not a page
        found[lang] = text
    return found


_SDK_EN: Optional[dict[str, Any]] = None


def _sdk_english() -> dict[str, Any]:
    global _SDK_EN
    if _SDK_EN is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue", "en.json")
        with open(path, encoding="utf-8") as f:
            _SDK_EN = json.load(f)
    return _SDK_EN


def english(text: str, area_en: Optional[str] = None) -> str:
    """``text`` as an English reader sees it: a :func:`message` reference rendered
    with ``area_en`` (the area's English catalogue, JSON text) then the SDK's
    own; any other text unchanged. The fake host shows form errors this way,
    so tests read what people read.

    >>> english(message("form.required"))
    'This field is required.'
    >>> english(message("hi", name="Ada"), '{"hi": "Hi {name}"}')
    'Hi Ada'
    """
    if not text.startswith(PREFIX):
        return text
    reference = text[len(PREFIX):]
    key, _, raw_args = reference.partition(" ")
    args = json.loads(raw_args) if raw_args else {}

    def lookup(root: Any) -> Optional[str]:
        if isinstance(root, dict) and isinstance(root.get(key), str):
            return root[key]
        node = root
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, str) else None

    template = lookup(json.loads(area_en)) if area_en else None
    if template is None:
        template = lookup(_sdk_english())
    if template is None:
        return key
    for name, value in args.items():
        template = template.replace("{" + name + "}", str(value))
    return template
