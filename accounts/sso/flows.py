"""A sign-in in progress, kept in the person's session between Ladder and the provider.

The state names the flow; the nonce and the PKCE verifier never leave the server except as
the provider asks. A flow is used once and lives ten minutes; a session keeps a few at a time
(two tabs), the oldest dropped first.
"""

import secrets
import time

from accounts.sso import client

SESSION_KEY = "ladder_sso_flows"
LIFETIME = 600
KEEP = 5

LOGIN = "login"
LINK = "link"


def begin(
    session, *, config, redirect_uri: str, purpose: str, invitation: str = "", user_id=None
) -> str:
    """Store a new flow and return the provider's address to send the person to."""
    metadata = client.discover(config.issuer)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = time.time()
    flows = {k: v for k, v in session.get(SESSION_KEY, {}).items() if v["started"] > now - LIFETIME}
    flows[state] = {
        "config": config.pk,
        "issuer": config.issuer,
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "nonce": nonce,
        "verifier": verifier,
        "purpose": purpose,
        "invitation": invitation,
        "user": user_id,
        "started": now,
    }
    newest = sorted(flows.items(), key=lambda item: item[1]["started"])[-KEEP:]
    session[SESSION_KEY] = dict(newest)
    return client.authorization_url(
        metadata,
        client_id=config.client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        verifier=verifier,
    )


def take(session, state: str) -> dict | None:
    """The flow `state` names, removed from the session; None if unknown or expired."""
    flows = session.get(SESSION_KEY, {})
    flow = flows.pop(state, None) if state else None
    session[SESSION_KEY] = flows
    if flow is None or flow["started"] <= time.time() - LIFETIME:
        return None
    return flow
