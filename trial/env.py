"""Typed readers of environment variables for settings.py.

Every name read is recorded in READ, so a test can check that docker-compose.yml sets only
variables the settings actually read (and every one production requires).
"""

import ipaddress
import os
from typing import overload

READ: set[str] = set()


class MissingVariable(RuntimeError):
    pass


@overload
def string(name: str, default: str, *, required: bool = False) -> str: ...
@overload
def string(name: str, default: None = None, *, required: bool = False) -> str | None: ...
def string(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    READ.add(name)
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required:
        raise MissingVariable(
            f"The environment variable {name} must be set in production (EDC_ENV=production). "
            f"See README.md, section Production."
        )
    return default


def boolean(name: str, default: bool = False) -> bool:
    raw = string(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise MissingVariable(f"{name}={raw!r} is not a boolean: use true or false.")


def integer(name: str, default: int) -> int:
    raw = string(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise MissingVariable(f"{name}={raw!r} is not a whole number.") from None


def csv(name: str, default: list[str]) -> list[str]:
    raw = string(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def networks(name: str) -> list[str]:
    """Comma-separated IP addresses or CIDR networks ("10.0.0.5, 172.16.0.0/12"); a typo fails
    loudly instead of silently trusting nobody (or everybody)."""
    values = csv(name, [])
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise MissingVariable(
                f"{name}: {value!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)."
            ) from None
    return values
