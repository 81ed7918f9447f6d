"""bench/scale_out.py's tables, Markdown ready for docs/BENCHMARKS.md: throughput of one of
each against two of each and the ratio, values stored against acknowledged, alerts recorded
once per transition (health events, drift audit events, emails), CPU per process group."""

from __future__ import annotations

import os

TARGET = 1.4


REARM = {
    "continuous": "every bound check due, and each due again as soon as it is judged",
    "all": "every bound check due again once all are judged",
}


def print_markdown(run: dict) -> None:
    args, (one, two) = run["args"], run["configs"]
    print(
        f"\n### Past one node: one of each against two of each ({run['summary']})\n\n"
        f"Per configuration three windows of {args.duration / 3:.0f} s, one kind of work "
        f"saturated in each: HTTP ({args.clients} closed-loop clients, {args.batch} reports of "
        f"3 values per POST), MQTT (a backlog of {args.backlog:,} messages of 3 values drained "
        f"from the listeners' sessions), checks ({REARM[args.rearm]}). "
        f"Each gunicorn instance has one sync worker. PostgreSQL {run['pg_version']}, "
        f"{os.cpu_count()} CPUs, load average {run['load'][0]:.1f} at the start, "
        f"{run['load'][1]:.1f} at the end; machine {run['machine'] * 100:.0f} % busy.\n"
    )
    rows = [
        ("HTTP values stored / s", one["http"]["rate"], two["http"]["rate"]),
        ("MQTT messages drained / s", one["mqtt"]["rate"], two["mqtt"]["rate"]),
        ("check evaluations / s", one["checks"]["rate"], two["checks"]["rate"]),
    ]
    print(f"| work | one of each | two of each | two ÷ one (target ≥ {TARGET}×) |")
    print("|---|--:|--:|--:|")
    for name, a, b in rows:
        ratio = b / a if a else float("nan")
        print(f"| {name} | {a:,.0f} | {b:,.0f} | {ratio:.2f}× |")

    print(
        "\nCPU per unit of work (what wall-clock ratios hide on a shared machine): CPU s of "
        "the processes of that kind, over the span their work was counted, per 1,000 units.\n\n"
        "| work | one of each | two of each | two ÷ one |\n|---|--:|--:|--:|"
    )
    for name, key in UNITS:
        a, b = (_per_thousand(c, key) for c in (one, two))
        ratio = b / a if a else float("nan")
        print(f"| {name} | {a:.3f} | {b:.3f} | {ratio:.2f}× |")

    print(
        "\n| configuration | HTTP requests (refused) | MQTT messages drained: before all "
        "listeners were connected / measured (s) / all | check rounds completed (checks; "
        "`continuous`: evaluations ÷ checks) |\n"
        "|---|--:|--:|--:|"
    )
    for c in (one, two):
        h, m, k = c["http"], c["mqtt"], c["checks"]
        print(
            f"| {c['label']} of each | {h['requests']:,} ({h['refused'] // 3 // args.batch:,}) | "
            f"{m['before']:,} / {m['messages']:,} ({m['seconds']:.1f}) / {m['all']:,} | "
            f"{k['rounds']} ({k['checks']:,}) |"
        )

    print(
        "\n| transport | integrations | values sent | stored | lost | doubled | refused or "
        "unanswered |\n|---|--:|--:|--:|--:|--:|--:|"
    )
    for r in run["values"]:
        if r["sent"] or r["stored"]:
            print(
                f"| {r['transport']} | {r['integrations']:,} | {r['sent']:,} | "
                f"{r['stored']:,} | {r['lost']:,} | {r['doubled']:,} | {r['failed']:,} |"
            )

    print(
        "\n| configuration | health events (by transition) | doubled | emails (events' notes / "
        "in the logs) | drift changes (by action) | doubled | drift emails in the logs |\n"
        "|---|--:|--:|--:|--:|--:|--:|"
    )
    for c in (one, two):
        h, d, e = c["health"], c["drift"], c["emails"]
        logged = e.get("down", 0) + e.get("recovered", 0)
        drift_logged = e.get("verified dropped", 0) + e.get("verified recovered", 0)
        print(
            f"| {c['label']} of each | {h['events']} ({_kinds(h['by_status'])}) | {h['breaks']} "
            f"| {h['noted_emails']} / {logged} | {d['events']} ({_kinds(d['by_action'])}) | "
            f"{d['breaks']} | {drift_logged} |"
        )
    for c in (one, two):
        shares = ", ".join(f"{name} {n}" for name, n in c["claims"].items())
        print(f"\nChanges each process says it recorded, {c['label']} of each: {shares}.")
    print(
        "\nDoubled: a transition recorded twice (an event not starting from the status or "
        "level the previous one ended at). Each organisation has one owner and no consultant: "
        "one email per event.\n"
    )

    print("| configuration | window | process | CPU s | cores |\n|---|---|---|--:|--:|")
    for c in (one, two):
        for window, (cpu, wall) in c["cpu"].items():
            extra = {}
            if window == "HTTP":
                extra["HTTP clients (load generator)"] = c["http"]["client_cpu"]
            for name, seconds in {**cpu, **extra}.items():
                if seconds >= 0.05:
                    print(
                        f"| {c['label']} of each | {window} | {name} | {seconds:.1f} | "
                        f"{seconds / wall:.2f} |"
                    )


UNITS = (
    ("web workers per 1,000 values", ("http", "values")),
    ("listeners per 1,000 messages", ("mqtt", "messages")),
    ("evaluators per 1,000 evaluations", ("checks", "evaluations")),
)


def _per_thousand(config: dict, key: tuple) -> float:
    done = config[key[0]][key[1]]
    # The listeners' and evaluators' CPU is read over the same span as their count.
    http = key[0] == "http"
    seconds = config["cpu"]["HTTP"][0]["web workers"] if http else config[key[0]]["cpu"]
    return seconds / done * 1000 if done else float("nan")


def _kinds(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
