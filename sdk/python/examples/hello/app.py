"""Hello in Python: the SDK's minimal example area (quoted in sdk/python/README.md).
It counts visits in `kv` and lets the user set the name it greets."""

from portico_sdk import Area, Context, Form, Request, Response, View, export, i18n, kv, read_templates


def page(cx: Context) -> View:
    """The page, after counting this visit."""
    visits = kv.update_json("visits", lambda n: (n or 0) + 1)
    name = kv.get_json("name") or cx.user.first_name
    return Response.view("hello.html", i18n.message("title"), {"name": name, "visits": visits})


class Hello(Area):
    templates = read_templates(__file__)  # templates/hello.html, read at build time
    messages = i18n.catalogues(__file__)  # i18n/fr.json and i18n/en.json

    def handle(self, cx: Context, req: Request) -> Response:
        match (req.method, req.path):
            case ("GET", "/"):
                return page(cx)
            case ("POST", "/name"):
                form = Form(req)
                name = form.field("name").required().max_chars(40).value()
                if kv.get_json("name") == name:
                    form.error("name", i18n.message("name-taken", name=name))
                form.finish(lambda: page(cx))  # 422: the form again, with the errors
                kv.set_json("name", name)
                return Response.redirect(cx.href("/"))
            case _:
                return Response.not_found()


Plugin = export(Hello)
