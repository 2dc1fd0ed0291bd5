"""__AREA_TITLE__: a Portico area written in Python, made by `portico new --lang python`.

One page lists the structure's items (stored in `kv`), a form adds one
(with an error under each wrong field), a button marks one done, and the
number of open items is published as a fact that other areas' `when`
expressions can read: `fact('__AREA_ID__', 'open')`.

The area keeps no state in memory (each request gets a fresh instance): all
of it lives in `kv`, private to this area and the current structure.
"""

from __future__ import annotations

import datetime
from typing import Optional

from portico_sdk import Area, Context, Form, Request, Response, View, export, facts, i18n, kv, read_templates

#: Items shown on one page; the page links to the next ones.
PAGE_SIZE = 20
#: Longest item text, in characters.
MAX_WHAT = 200


def page(req: Request) -> View:
    """The page: items in the order they were added, PAGE_SIZE at a time."""
    listed = kv.list_json("item/", req.query_value("after"), PAGE_SIZE)
    items = [{"key": key, "what": item["what"], "due": item.get("due")} for key, item in listed.items]
    count = kv.get_json("open", 0)
    return Response.view("page.html", i18n.message("title"), {"items": items, "next": listed.next, "count": count})


def due_problem(value: str) -> Optional[str]:
    """None if ``value`` is a real date written YYYY-MM-DD, else the error to show."""
    try:
        if len(value) == 10:
            datetime.date.fromisoformat(value)
            return None
    except ValueError:
        pass
    return i18n.message("due-invalid", value=value)


def count_open(delta: int) -> None:
    """Adds ``delta`` to the open count and publishes it as the fact ``open``."""
    open_now = kv.update_json("open", lambda n: max(0, (n or 0) + delta))
    facts.set_json("open", open_now)


class __AREA_TYPE__(Area):
    templates = read_templates(__file__)  # templates/*.html, read at build time
    messages = i18n.catalogues(__file__)  # i18n/fr.json and i18n/en.json

    def handle(self, cx: Context, req: Request) -> Response:
        match (req.method, req.path):
            case ("GET", "/"):
                return page(req)
            case ("POST", "/items"):
                form = Form(req)
                what = form.field("what").required().max_chars(MAX_WHAT).value()
                due = form.field("due").check_with(due_problem).optional()
                form.finish(lambda: page(req))  # 422: the form again, with the errors
                seq = kv.update_json("seq", lambda n: (n or 0) + 1)
                # Zero-padded, so keys sort in the order items were added.
                kv.set_json(f"item/{seq:012}", {"what": what, "due": due, "by": cx.user.first_name})
                count_open(1)
                return Response.redirect(cx.href("/"))
            case ("POST", "/done"):
                form = Form(req)
                key = req.form_value("key") or ""
                if not key.startswith("item/") or not kv.delete(key):
                    form.fail(i18n.message("not-found"))
                form.finish(lambda: page(req))
                count_open(-1)
                return Response.redirect(cx.href("/"))
            case _:
                return Response.not_found()


Plugin = export(__AREA_TYPE__)
