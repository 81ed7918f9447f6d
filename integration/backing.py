"""What an integration backs: the claims and checks elsewhere that rely on its data.

Integration knows nothing of the apps above it (an import-linter contract), yet its page should
say what depends on it ("Affects: Production scheduling, level 2; milestone #9"). So the apps
above register a provider here, from their `AppConfig.ready()`, and the page asks each one:

    backing.register(my_provider)  # my_provider(*, integration) -> Iterable[Backed]

A provider returns only objects of the integration's own organisation, as plain rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from integration.models import Integration

__all__ = ["Backed", "Provider", "integration_backs", "register"]


@dataclass(frozen=True)
class Backed:
    """One thing an integration's data backs, as the page lists it."""

    kind: str  # what it is, in the user's words: "Process", "Milestone"
    label: str  # what it is called, e.g. "Production scheduling"; user text, shown escaped
    url: str
    detail: str = ""  # e.g. "level 2 Augmentation in Spring workshop" or "not scored yet"


Provider = Callable[..., Iterable[Backed]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Ask `provider(integration=...)` from now on; registering it again changes nothing."""
    if provider not in _providers:
        _providers.append(provider)


def integration_backs(*, integration: Integration) -> list[Backed]:
    """Every registered provider's rows for `integration`, in the order they registered."""
    return [row for provider in _providers for row in provider(integration=integration)]
