"""What the Python SDK repeats from the rest of the repository stays the same."""

import os
import re

import portico_sdk
from portico_sdk import limits

SDK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
REPO = os.path.join(SDK, "..", "..")


def read(*parts: str) -> str:
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def test_the_readme_quotes_the_example_area_verbatim():
    readme = read(SDK, "README.md")
    code = read(SDK, "examples", "hello", "app.py")
    assert f"```python\n{code}```" in readme, "sdk/python/README.md must quote examples/hello/app.py exactly"


def test_the_packaged_contract_is_the_repositorys():
    assert read(SDK, "src", "portico_sdk", "wit", "area.wit") == read(REPO, "sdk", "wit", "area.wit")
    version = re.search(r"package portico:area@([0-9.]+);", read(REPO, "sdk", "wit", "area.wit")).group(1)
    assert portico_sdk.API_VERSION == version


def test_the_form_messages_are_the_rust_sdks():
    for lang in ("en", "fr"):
        assert read(SDK, "src", "portico_sdk", "catalogue", f"{lang}.json") == read(REPO, "sdk", "i18n", f"{lang}.json")


def rust_const(module: str, name: str) -> int:
    """A `pub const NAME: usize = EXPR;` of sdk/contract/src/limits.rs, evaluated."""
    source = read(REPO, "sdk", "contract", "src", "limits.rs")
    body = source[source.index(f"pub mod {module} "):]
    m = re.search(rf"pub const {name}: \w+ = ([^;]+);", body)
    assert m, f"{module}::{name} not found"
    return eval(m.group(1).replace("_", ""), {})  # digits, *, + only


def test_the_limits_are_the_contract_crates():
    pairs = {
        ("kv", "MAX_KEY_BYTES"): limits.KV_MAX_KEY_BYTES,
        ("kv", "MAX_VALUE_BYTES"): limits.KV_MAX_VALUE_BYTES,
        ("kv", "MAX_LIST"): limits.KV_MAX_LIST,
        ("facts", "MAX_NAME_BYTES"): limits.FACTS_MAX_NAME_BYTES,
        ("facts", "MAX_VALUE_BYTES"): limits.FACTS_MAX_VALUE_BYTES,
        ("messages", "MAX_NAME_BYTES"): limits.MESSAGES_MAX_NAME_BYTES,
        ("messages", "MAX_PAYLOAD_BYTES"): limits.MESSAGES_MAX_PAYLOAD_BYTES,
        ("messages", "MAX_PER_CALL"): limits.MESSAGES_MAX_PER_CALL,
        ("timers", "MAX_KIND_BYTES"): limits.TIMERS_MAX_KIND_BYTES,
        ("timers", "MAX_PAYLOAD_BYTES"): limits.TIMERS_MAX_PAYLOAD_BYTES,
        ("timers", "MAX_PER_CALL"): limits.TIMERS_MAX_PER_CALL,
        ("timers", "MAX_PENDING"): limits.TIMERS_MAX_PENDING,
        ("timers", "MAX_HORIZON_MS"): limits.TIMERS_MAX_HORIZON_MS,
    }
    for (module, name), python in pairs.items():
        assert rust_const(module, name) == python, f"{module}::{name}"
    host = read(REPO, "host", "src", "runtime", "host", "mod.rs")
    assert f"pub const MAX_HOST_CALLS: u32 = {limits.MAX_HOST_CALLS:_};" in host
