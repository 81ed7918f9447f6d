"""Series ids for ingest: (integration id, metric, labels) -> series id.

Found in bulk, created in bulk on first sight (a few statements per batch whatever the number of
integrations in it), and remembered across batches by a long-running writer (`IngestCache`, the
MQTT listener's).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import orjson
from django.db import connection, transaction
from django.db.models import Count

from integration import conf
from integration.models import IngestGeneration, Integration, Metric, Series

_IN_CHUNK = 500  # values per SQL IN (...), well under SQLite's parameter limit


class OverLimit(Exception):
    """The batch would pass an integration's limits; ingest raises it as `TooManyMetrics`."""


class IngestCache:
    """What a long-running writer remembers between batches: integrations by id, and series
    ids by (integration id, metric, labels as sent).

    Valid while the database's ingest generation is the one it was filled under: triggers bump
    it when an integration is paused, unpaused or deleted, and when a metric or series is
    renamed, moved or deleted (`IngestGeneration`). `check()` reads it once a batch (one indexed
    query) and empties the cache when it moved, so such a change takes effect in the first
    batch that starts after it commits. Series ids are remembered only once the transaction
    that found or created them commits (`on_commit`): a rolled-back batch leaves no id behind.
    Bounded: emptied when it would pass MAX_INTEGRATIONS integrations or MAX_SERIES series
    (about 300 bytes a series), then it refills from the database.

    An HTTP worker also keeps the ingest tokens it authenticated (`tokens`: hash -> live token
    with its integration), so a request costs one query before its points, not two; revoking
    or deleting a token bumps the generation too (migration 0016).
    """

    MAX_INTEGRATIONS = 50_000
    MAX_SERIES = 200_000
    MAX_TOKENS = 20_000

    def __init__(self):
        self.generation: int | None = None
        self.integrations: dict = {}
        self.series: dict[tuple, int] = {}
        self.tokens: dict = {}
        self.checked = float("-inf")  # when `check()` last ran (time.monotonic())

    def check(self) -> None:
        """Empty the cache if anything it may hold changed since it was filled."""
        self.checked = time.monotonic()
        generation = IngestGeneration.current()
        if generation != self.generation:
            self.integrations.clear()
            self.series.clear()
            self.tokens.clear()
            self.generation = generation

    def remember_token(self, token) -> None:
        if len(self.tokens) >= self.MAX_TOKENS:
            self.tokens.clear()
        self.tokens[token.hash] = token

    def integrations_in_bulk(self, ids: set) -> dict:
        """id -> Integration for those of `ids` that exist; unknown ids are not remembered."""
        found, missing = _known(self.integrations, ids)
        if missing:
            fetched = Integration.objects.in_bulk(missing)
            if len(self.integrations) + len(fetched) > self.MAX_INTEGRATIONS:
                self.integrations.clear()
            self.integrations.update(fetched)
            found.update(fetched)
        return found

    def remember_series(self, ids: dict[tuple, int]) -> None:
        generation = self.generation

        def remember():
            if self.generation != generation:
                return  # emptied meanwhile: these may be stale
            if len(self.series) + len(ids) > self.MAX_SERIES:
                self.series.clear()
            self.series.update(ids)

        transaction.on_commit(remember)


def series_ids(
    integrations: dict, keys: set[tuple], now, cache: IngestCache | None = None
) -> dict[tuple, int]:
    """(integration id, metric, labels) -> series id; metrics and series seen for the first
    time are created. Raises `OverLimit` past TELEMETRY_MAX_METRICS or _SERIES."""
    ids: dict = {}
    if cache is not None:
        ids, unknown = _known(cache.series, keys)
        if not unknown:
            return ids
        keys = set(unknown)
    texts = {key: (key[0], key[1], labels_text(key[2])) for key in keys}
    wanted = set(texts.values())
    found = _existing_series(wanted)
    missing = wanted - found.keys()
    if missing:
        _create(integrations, missing, now)
        found |= _existing_series(missing)
    new = {key: found[text] for key, text in texts.items()}
    if cache is not None:
        cache.remember_series(new)
    return ids | new


def _known(remembered: dict, keys) -> tuple[dict, list]:
    """The `keys` found in `remembered` (key -> value) and those not: one look-up a key, as a
    UUID (alone or in a key) hashes in Python (three look-ups cost 1 ms at 1,000 ids)."""
    found, missing = {}, []
    for key in keys:
        value = remembered.get(key)
        if value is None:
            missing.append(key)
        else:
            found[key] = value
    return found, missing


def labels_text(labels) -> str:
    """The canonical JSON of labels (pairs or a dict): sorted keys, no spaces."""
    pairs = labels.items() if isinstance(labels, dict) else labels
    return orjson.dumps(dict(sorted(pairs))).decode()


def _existing_series(wanted: set[tuple]) -> dict[tuple, int]:
    """(integration id, metric, labels text) -> series id, for those of `wanted` stored."""
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT w.i, w.n, w.l, s.id FROM json_to_recordset(%s::json) AS w (i uuid, n text, "
            f"l text) JOIN {Metric._meta.db_table} m ON m.integration_id = w.i AND m.name = w.n "
            f"JOIN {Series._meta.db_table} s ON s.metric_id = m.id AND s.labels = w.l"
        )
        rows = _fetch(sql, [{"i": i, "n": n, "l": text} for i, n, text in wanted])
        return {row[:3]: row[3] for row in rows}
    found = {}
    for chunk in _chunks(sorted(wanted), _IN_CHUNK):
        rows = Series.objects.filter(
            metric__integration__in={integration_id for integration_id, _, _ in chunk},
            metric__name__in={name for _, name, _ in chunk},
            labels__in={text for _, _, text in chunk},
        ).values_list("metric__integration_id", "metric__name", "labels", "id")
        found.update({row[:3]: row[3] for row in rows if row[:3] in wanted})
    return found


def _create(integrations: dict, missing: set[tuple], now) -> None:
    """Create the missing (integration id, metric, labels text) series and their metrics, for
    all integrations at once, after checking every integration's limits."""
    new_series: dict = {}
    for integration_id, name, text in missing:
        new_series.setdefault(integration_id, set()).add((name, text))
    owners = sorted(new_series)
    names = {(integration_id, name) for integration_id, name, _ in missing}
    metric_ids = _metric_ids(names)
    new_metrics: dict = {}
    for integration_id, name in names - metric_ids.keys():
        new_metrics.setdefault(integration_id, set()).add(name)
    series_counts = _counts(Series, "metric__integration", owners)
    metric_counts = _counts(Metric, "integration", sorted(new_metrics))
    for integration_id in owners:  # in id order: the first over its limits refuses the lot
        _refuse_over_limit(
            "series", len(new_series[integration_id]), series_counts.get(integration_id, 0),
            conf.max_series(), "TELEMETRY_MAX_SERIES",
        )  # fmt: skip
        if integration_id in new_metrics:
            _refuse_over_limit(
                "metrics", len(new_metrics[integration_id]), metric_counts.get(integration_id, 0),
                conf.max_metrics(), "TELEMETRY_MAX_METRICS", sorted(new_metrics[integration_id]),
            )  # fmt: skip
    if new_metrics:
        # ignore_conflicts: another writer may create the same rows at the same time.
        Metric.objects.bulk_create(
            [
                Metric(integration=integrations[integration_id], name=name, created=now)
                for integration_id in sorted(new_metrics)
                for name in sorted(new_metrics[integration_id])
            ],
            ignore_conflicts=True,
        )
        metric_ids |= _metric_ids(names - metric_ids.keys())
    Series.objects.bulk_create(
        [
            Series(metric_id=metric_ids[integration_id, name], labels=text)
            for integration_id, name, text in sorted(missing)
        ],
        ignore_conflicts=True,
    )


def _metric_ids(names: set[tuple]) -> dict[tuple, int]:
    """(integration id, metric name) -> metric id, for those of `names` stored."""
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT w.i, w.n, m.id FROM json_to_recordset(%s::json) AS w (i uuid, n text) "
            f"JOIN {Metric._meta.db_table} m ON m.integration_id = w.i AND m.name = w.n"
        )
        return {row[:2]: row[2] for row in _fetch(sql, [{"i": i, "n": n} for i, n in names])}
    ids = {}
    for chunk in _chunks(sorted(names), _IN_CHUNK):
        rows = Metric.objects.filter(
            integration__in={integration_id for integration_id, _ in chunk},
            name__in={name for _, name in chunk},
        ).values_list("integration_id", "name", "id")
        ids.update({row[:2]: row[2] for row in rows if row[:2] in names})
    return ids


def _counts(model, field: str, integration_ids: list) -> dict:
    """integration id -> its rows of `model`, in one query per _IN_CHUNK integrations (one
    on PostgreSQL)."""
    if connection.vendor == "postgresql" and integration_ids:
        metrics = Metric._meta.db_table
        rows = (
            f"{metrics} m" if model is Metric
            else f"{model._meta.db_table} s JOIN {metrics} m ON s.metric_id = m.id"
        )  # fmt: skip
        sql = (
            f"SELECT m.integration_id, count(*) FROM {rows} "
            "WHERE m.integration_id = ANY(%s::uuid[]) GROUP BY 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ["{" + ",".join(map(str, integration_ids)) + "}"])
            return dict(cursor.fetchall())
    counts = {}
    for chunk in _chunks(integration_ids, _IN_CHUNK):
        rows = model.objects.filter(**{f"{field}__in": chunk}).values_list(field)
        counts.update(rows.annotate(n=Count("pk")).order_by())
    return counts


def _refuse_over_limit(what, adding, have, limit, setting, names=()):
    """OverLimit when `adding` more rows to the `have` an integration has would pass
    `limit`."""
    if have + adding > limit:
        shown = f": {', '.join(names[:5])}{'…' if len(names) > 5 else ''}" if names else ""
        raise OverLimit(
            f"the integration has {have} {what} and this batch adds {adding}{shown}; "
            f"at most {limit} are allowed ({setting})"
        )


def _fetch(sql: str, records: list[dict]) -> list[tuple]:
    """Rows of `sql`, whose one parameter is `records` as a JSON array (PostgreSQL): one text
    made in C, where a list of thousands of values is adapted one by one in Python and an IN
    of thousands of placeholders is parsed by psycopg on the client."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [orjson.dumps(records).decode()])
        return cursor.fetchall()


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
