"""The one seam between the SDK's wrappers and a host.

Inside a component the seam is the generated bindings (``_component``);
under pytest it is :class:`portico_sdk.testing.FakeHost`. Both implement
:class:`Backend`, whose methods mirror the WIT imports one for one, take and
return the SDK's own types, and raise :class:`portico_sdk.HostError`.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol


class Backend(Protocol):
    """The host imports (``portico:area@1.1.0``) with SDK types."""

    def call(self, interface: str, function: str, *args: Any) -> Any:
        """Calls ``interface.function`` (WIT names, e.g. ``"kv", "compare-and-swap"``)."""
        ...


_backend: Optional[Backend] = None


def install(backend: Optional[Backend]) -> None:
    """Makes ``backend`` the host every wrapper calls (``None``: no host)."""
    global _backend
    _backend = backend


def call(interface: str, function: str, *args: Any) -> Any:
    """Calls the current host; outside a component and without a fake host, says how to get one."""
    if _backend is None:
        raise RuntimeError(
            "no Portico host: this code runs inside a component built with componentize-py, "
            "or in a test under portico_sdk.testing.FakeHost()"
        )
    return _backend.call(interface, function, *args)
