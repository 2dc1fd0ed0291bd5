"""A hostile area written in Python, for tests/python.rs: each route attacks
the sandbox one way, and must be stopped exactly as a Rust area is
(tests/hostile.rs runs the Rust twin, plugins/hostile). Not in areas.yaml.
"""

from portico_sdk import Area, Context, Request, Response, export, kv

templates = {"ok.html": "<p id=\"ok\">{{ data.n }}</p>"}


class Hostile(Area):
    templates = templates

    def handle(self, cx: Context, req: Request) -> Response:
        if req.path == "/loop":
            n = 0
            while True:  # stopped by the host's epoch deadline (timeout-ms)
                n += 1
        if req.path == "/memory":
            hoard = []
            while True:  # stopped by the memory limit (memory-mib)
                hoard.append(bytearray(1 << 20))
        if req.path == "/raise":
            kv.set("written-before-raising", b"1")  # must not be kept
            raise RuntimeError("deliberate failure with a secret: hunter2")
        if req.path == "/ok":
            return Response.view("ok.html", "OK", {"n": kv.get("written-before-raising") is not None})
        if req.path == "/exit":
            raise SystemExit(3)  # not an Exception: the SDK still answers
        return Response.not_found()


Plugin = export(Hostile)
