"""The broker accepts an integration only while Ladder does.

Devices log in to Mosquitto with username = integration id and password = an ingest token.
Without this module those accounts are written by hand, and revoking a token, pausing or
deleting an integration in Ladder never reaches the broker. With `MQTT_ADMIN_URL` set, Ladder
drives Mosquitto's dynamic security plugin (JSON commands on `$CONTROL/dynamic-security/v1`):

- every integration has a broker client named after its id, with the role
  `integration-<id>`, whose rights are `integration_acls(integration)`: publish to its own
  telemetry topic and, when bound to a Sparkplug B edge node, publish that node's messages
  and receive its commands and the hosts' STATE (bound to one device: that device's only);
- the client is enabled iff the integration is not paused and its broker token (the one
  marked `IngestToken.on_broker`) is not revoked; clients whose role is `integration-*` and
  whose integration is gone are deleted. Other accounts (the listener's, the admin's) are
  never touched;
- the password is the plain token, which Ladder never stores (only its SHA-256), so it can be
  pushed only when the token is issued (`token_push`): the newest token pushed becomes the
  MQTT password, and its integration's other tokens work over HTTP only;
- revoke, pause, unpause and delete push at once after their commit (`push_soon`, best
  effort), and `broker_sync` (run by `telemetry_health` every minute, or by
  `mqtt_broker_sync`) repairs whatever a push missed.

Mosquitto disconnects a client at once when it is disabled, deleted, loses a role or gets a
new password (measured with 2.0.11: "Administrative action"), so no kick is needed.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from integration.models import IngestToken, Integration, token_hash
from integration.mqtt.decoding import PREFIX, Broker, broker_from_url

logger = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = CONTROL_TOPIC + "/response"
ROLE_PREFIX = "integration-"
TIMEOUT = 5.0  # seconds for connecting and for each answer
PUSH_TIMEOUT = 2.0  # the push after a user's change: short, the sync loop catches up
COMMANDS_PER_MESSAGE = 100  # the plugin saves its file once per message, not per command


class BrokerAuthError(Exception):
    """The broker could not be reached or refused a command; the message says which."""


SPARKPLUG_NODE_MESSAGES = ("NBIRTH", "NDATA", "NDEATH")
SPARKPLUG_DEVICE_MESSAGES = ("DBIRTH", "DDATA", "DDEATH")


def integration_acls(integration) -> tuple[tuple[str, str], ...]:
    """(ACL type, topic filter) of everything an integration's client may do: publish its
    telemetry and, for a Sparkplug B binding, its edge node's (and devices') messages, and
    receive the node's commands and the primary hosts' STATE."""
    acls = [("publishClientSend", f"{PREFIX}/{integration.pk}/telemetry")]
    group, node = integration.sparkplug_group, integration.sparkplug_node
    device = integration.sparkplug_device
    if group and node:
        base = f"spBv1.0/{group}"
        if device:  # a device's integration: that device's messages and commands only
            sent = [f"{base}/{kind}/{node}/{device}" for kind in SPARKPLUG_DEVICE_MESSAGES]
            received = [f"{base}/DCMD/{node}/{device}"]
        else:  # the edge node's: the node's and all its devices'
            sent = [f"{base}/{kind}/{node}" for kind in SPARKPLUG_NODE_MESSAGES]
            sent += [f"{base}/{kind}/{node}/+" for kind in SPARKPLUG_DEVICE_MESSAGES]
            received = [f"{base}/NCMD/{node}", f"{base}/DCMD/{node}/+"]
        acls += [("publishClientSend", topic) for topic in sent]
        for topic in (*received, "spBv1.0/STATE/+"):
            acls += [("subscribePattern", topic), ("publishClientReceive", topic)]
    return tuple(acls)


def configured() -> bool:
    """Whether Ladder drives the broker (MQTT_ADMIN_URL is set)."""
    return bool(getattr(settings, "MQTT_ADMIN_URL", ""))


def admin_broker() -> Broker:
    """The broker from MQTT_ADMIN_URL; BrokerAuthError when it is unset or malformed."""
    if not configured():
        raise BrokerAuthError("MQTT_ADMIN_URL is not set")
    try:
        return broker_from_url(settings.MQTT_ADMIN_URL)
    except ValueError as error:
        raise BrokerAuthError(f"MQTT_ADMIN_URL: {error}") from None


# --- A small synchronous dynsec client ---------------------------------------------------


class Dynsec:
    """`with Dynsec(broker) as dynsec: dynsec.send([...])`: one connection, commands answered
    in order; raises BrokerAuthError when the broker is away, silent or says no."""

    def __init__(self, broker: Broker, *, timeout: float = TIMEOUT):
        self.broker, self.timeout = broker, timeout
        self.events: queue.Queue = queue.Queue()  # (kind, value) from paho's thread
        client = broker.client(client_id=f"ladder-dynsec-{uuid.uuid4().hex[:8]}")
        client.connect_timeout = timeout
        client.on_connect = lambda c, u, flags, code, props: self.events.put(("connack", code))
        client.on_subscribe = lambda c, u, mid, codes, props: self.events.put(("suback", codes[0]))
        client.on_message = lambda c, u, message: self.events.put(("message", message.payload))
        self.client = client

    def _next(self, kind: str, why: str):
        try:
            while True:
                got, value = self.events.get(timeout=self.timeout)
                if got == kind:
                    return value
        except queue.Empty:
            raise BrokerAuthError(f"{self.broker}: {why} in {self.timeout:g} s") from None

    def __enter__(self) -> Dynsec:
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        except (OSError, ValueError) as error:
            raise BrokerAuthError(f"cannot connect to {self.broker}: {error}") from None
        self.client.loop_start()
        try:
            code = self._next("connack", "no answer to the login")
            if code.is_failure:
                raise BrokerAuthError(f"{self.broker} refused {self.broker.username}: {code}")
            self.client.subscribe(RESPONSE_TOPIC, qos=1)
            code = self._next("suback", f"no answer to the subscription to {RESPONSE_TOPIC}")
            if code.is_failure:
                raise BrokerAuthError(
                    f"{self.broker}: {self.broker.username} may not subscribe to "
                    f"{RESPONSE_TOPIC} ({code})"
                )
        except BrokerAuthError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, commands: list[dict], *, allow: tuple[str, ...] = ()) -> list[dict]:
        """Each command's response (its `data`, if any, under "data"), in order. An error
        other than those in `allow` (e.g. "Client not found") raises BrokerAuthError."""
        responses = []
        for start in range(0, len(commands), COMMANDS_PER_MESSAGE):
            responses += self._send_one(commands[start : start + COMMANDS_PER_MESSAGE])
        for command, response in zip(commands, responses, strict=True):
            error = response.get("error")
            if error and error not in allow:
                raise BrokerAuthError(f"the broker refused {_describe(command)}: {error}")
        return responses

    def _send_one(self, commands: list[dict]) -> list[dict]:
        tag = uuid.uuid4().hex
        tagged = [{**c, "correlationData": f"{tag}-{i}"} for i, c in enumerate(commands)]
        self.client.publish(CONTROL_TOPIC, json.dumps({"commands": tagged}), qos=1)
        while True:
            payload = self._next(
                "message",
                f"no answer from the dynamic security plugin (is it loaded, and may "
                f"{self.broker.username} publish to {CONTROL_TOPIC}?)",
            )
            responses = json.loads(payload).get("responses", [])
            # Answers to other admins' commands arrive here too: only ours count.
            if responses and responses[0].get("correlationData") == f"{tag}-0":
                return responses


def _describe(command: dict) -> str:
    name = command.get("username") or command.get("rolename") or ""
    return f"{command['command']} {name}".strip()


# --- What the broker should hold, and what it holds ----------------------------------------


@dataclass(frozen=True)
class Account:
    """An integration's broker client as Ladder wants it."""

    username: str
    acls: tuple[tuple[str, str], ...]  # (ACL type, topic filter), each allowed
    enabled: bool

    @property
    def role(self) -> str:
        return ROLE_PREFIX + self.username


def desired_state(integrations=None) -> dict[str, Account]:
    """The account of each integration (all of them, or of the queryset given), by username."""
    live_on_broker = IngestToken.objects.filter(
        integration=OuterRef("pk"), on_broker__isnull=False, revoked__isnull=True
    )
    rows = (integrations if integrations is not None else Integration.objects.all()).annotate(
        broker_token_live=Exists(live_on_broker)
    )
    return {
        str(i.pk): Account(
            username=str(i.pk),
            acls=integration_acls(i),
            enabled=i.broker_token_live and not i.paused,
        )
        for i in rows.only("id", "paused", "sparkplug_group", "sparkplug_node", "sparkplug_device")
    }


@dataclass(frozen=True)
class Held:
    """A client as the broker holds it."""

    roles: frozenset[str]
    disabled: bool


def _held(client: dict) -> Held:
    roles = frozenset(r["rolename"] for r in client.get("roles", []))
    return Held(roles=roles, disabled=bool(client.get("disabled")))


def _acls(role: dict) -> set[tuple[str, str, bool]]:
    return {(a["acltype"], a["topic"], a["allow"]) for a in role.get("acls", [])}


def account_commands(
    account: Account, held: Held | None, acls: set | None, *, password: str | None = None
) -> list[dict]:
    """The commands that make the broker's client and role match `account` (pure).

    `held` / `acls`: the client and the role's ACLs as the broker has them (None: missing).
    A new password is set before the client is enabled, never after.
    """
    commands = []
    wanted = {(acltype, topic, True) for acltype, topic in account.acls}
    if acls is None:
        acls_json = [{"acltype": t, "topic": topic, "allow": a} for t, topic, a in sorted(wanted)]
        commands.append({"command": "createRole", "rolename": account.role, "acls": acls_json})
    else:
        for acltype, topic, _ in sorted(acls - wanted):
            remove = {"command": "removeRoleACL", "rolename": account.role}
            commands.append({**remove, "acltype": acltype, "topic": topic})
        for acltype, topic, allow in sorted(wanted - acls):
            add = {"command": "addRoleACL", "rolename": account.role}
            commands.append({**add, "acltype": acltype, "topic": topic, "allow": allow})
    if held is None:
        create = {"command": "createClient", "username": account.username}
        create["roles"] = [{"rolename": account.role}]
        if password is not None:
            create["password"] = password
        commands.append(create)
        held = Held(roles=frozenset([account.role]), disabled=False)
    else:
        if account.role not in held.roles:
            add = {"command": "addClientRole", "username": account.username}
            commands.append({**add, "rolename": account.role})
        if password is not None:
            set_password = {"command": "setClientPassword", "username": account.username}
            commands.append({**set_password, "password": password})
    if account.enabled and held.disabled:
        commands.append({"command": "enableClient", "username": account.username})
    if not account.enabled and not held.disabled:
        commands.append({"command": "disableClient", "username": account.username})
    return commands


def _delete_commands(username: str, held: Held | None, role_exists: bool) -> list[dict]:
    """Remove what the broker holds for an integration that is gone."""
    commands = []
    if held is not None and ROLE_PREFIX + username in held.roles:
        commands.append({"command": "deleteClient", "username": username})
    if role_exists:
        commands.append({"command": "deleteRole", "rolename": ROLE_PREFIX + username})
    return commands


# --- Syncing ------------------------------------------------------------------------------


@dataclass
class SyncReport:
    integrations: int = 0
    enabled: int = 0
    commands: int = 0
    deleted: int = 0

    def __str__(self):
        return (
            f"{self.integrations} integration(s) on the broker, {self.enabled} enabled; "
            f"{self.commands} change(s) sent, {self.deleted} stale client(s) deleted."
        )


def broker_sync(*, broker: Broker | None = None) -> SyncReport:
    """Make the broker's integration clients match Ladder; raises BrokerAuthError."""
    broker = broker or admin_broker()
    with Dynsec(broker) as dynsec:
        listed = dynsec.send(
            [{"command": "listClients", "verbose": True}, {"command": "listRoles", "verbose": True}]
        )
        clients = {c["username"]: _held(c) for c in listed[0]["data"]["clients"]}
        roles = {r["rolename"]: _acls(r) for r in listed[1]["data"]["roles"]}
        if len(clients) != listed[0]["data"]["totalCount"]:
            raise BrokerAuthError("the broker listed only part of its clients")
        # Read after the broker: a push that lands in between is then not undone.
        desired = desired_state()
        commands = []
        for username, account in desired.items():
            held, acls = clients.get(username), roles.get(account.role)
            commands += account_commands(account, held, acls)
        # Gone from Ladder: clients with an integration role, and such roles left alone.
        stale = {u for u, held in clients.items() if ROLE_PREFIX + u in held.roles}
        stale |= {r.removeprefix(ROLE_PREFIX) for r in roles if r.startswith(ROLE_PREFIX)}
        for username in sorted(stale - set(desired)):
            role_exists = ROLE_PREFIX + username in roles
            commands += _delete_commands(username, clients.get(username), role_exists)
        dynsec.send(commands)
    return SyncReport(
        integrations=len(desired),
        enabled=sum(a.enabled for a in desired.values()),
        commands=len(commands),
        deleted=sum(c["command"] == "deleteClient" for c in commands),
    )


def _fetch(dynsec: Dynsec, username: str) -> tuple[Held | None, set | None]:
    """One integration's client and its role's ACLs as the broker holds them (None: missing)."""
    found = dynsec.send(
        [
            {"command": "getClient", "username": username},
            {"command": "getRole", "rolename": ROLE_PREFIX + username},
        ],
        allow=("Client not found", "Role not found"),
    )
    held = _held(found[0]["data"]["client"]) if "data" in found[0] else None
    acls = _acls(found[1]["data"]["role"]) if "data" in found[1] else None
    return held, acls


def _sync_one(dynsec: Dynsec, username: str) -> None:
    """One integration's client and role made to match Ladder; deleted if it is gone."""
    held, acls = _fetch(dynsec, username)
    account = desired_state(Integration.objects.filter(pk=username)).get(username)
    if account is None:
        dynsec.send(_delete_commands(username, held, acls is not None))
    else:
        dynsec.send(account_commands(account, held, acls))


_local_push_lock = threading.Lock()
_PUSH_LOCK_CLASS = 7_411_520_005  # mixed into the advisory lock's key: token pushes only


@contextmanager
def _push_lock(integration_id):
    """Token pushes of one integration one at a time, from the push to the mark, without a
    lock any other write waits for: no row lock (ingest updates the integration's row) and,
    on SQLite, no open transaction (it would hold the database's one write lock during the
    network calls). PostgreSQL: an advisory lock per integration, for every process; SQLite
    (one node, the embedded setup): a lock of this process."""
    if connection.vendor != "postgresql":
        with _local_push_lock:
            yield
        return
    key = (uuid.UUID(str(integration_id)).int ^ _PUSH_LOCK_CLASS) & 0x7FFF_FFFF_FFFF_FFFF
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        yield


def token_push(*, raw: str, now, broker: Broker | None = None, timeout: float = TIMEOUT) -> bool:
    """Make `raw`, the plain text of a just issued (and committed) ingest token, its
    integration's MQTT password, and mark the token as the broker's. False when MQTT_ADMIN_URL
    is unset; raises BrokerAuthError when the broker cannot be told (the token then works over
    HTTP only, and MQTT keeps the password it had)."""
    if broker is None and not configured():
        return False
    broker = broker or admin_broker()
    token = IngestToken.objects.get(hash=token_hash(raw))
    sent = False
    try:
        # Pushes of one integration take turns from the push to the mark, so two tokens
        # issued at once cannot leave the broker with one password and Ladder marking the other.
        with _push_lock(token.integration_id):
            integration = Integration.objects.get(pk=token.integration_id)
            username = str(integration.pk)
            enabled = not integration.paused
            account = Account(username, integration_acls(integration), enabled=enabled)
            with Dynsec(broker, timeout=timeout) as dynsec:
                held, acls = _fetch(dynsec, username)
                sent = True
                dynsec.send(account_commands(account, held, acls, password=raw))
            # Marked only once the broker has it: a sync meanwhile may disable the client
            # (and the next one enables it again), but never enables an older password.
            IngestToken.objects.filter(integration_id=integration.pk).update(on_broker=None)
            IngestToken.objects.filter(pk=token.pk).update(on_broker=now)
    except BrokerAuthError:
        if sent:
            # No answer to the password: the broker holds the new one or the old. Neither
            # is trusted (the sync disables the client) until a push succeeds.
            IngestToken.objects.filter(integration_id=token.integration_id).update(on_broker=None)
        raise
    return True


def push_soon(integration_id) -> None:
    """After the current transaction commits, bring one integration's client in line (best
    effort, short timeout: the sync loop repairs what fails); nothing when unconfigured."""
    if not configured():
        return
    transaction.on_commit(lambda: _push_quietly(str(integration_id)), robust=True)


def _push_quietly(username: str) -> None:
    try:
        with Dynsec(admin_broker(), timeout=PUSH_TIMEOUT) as dynsec:
            _sync_one(dynsec, username)
    except BrokerAuthError as error:
        logger.warning(
            "mqtt broker: integration %s not pushed (the sync will): %s", username, error
        )
