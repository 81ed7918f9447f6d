"""Store every address in its normalised form (accounts.addresses), as lookups now expect.

Two accounts whose addresses normalise alike (say "straße@x.example" and "strasse@x.example")
would become one mailbox: the migration stops and names them instead of picking one; change
or merge one of each, then migrate again. Accounts whose address is not plain ASCII are kept
as they are (normalised) and listed, for a look at whether they imitate someone else's.
Wrong passwords already counted are attached to the account their address now names.
"""

from collections import defaultdict

from django.db import migrations

from accounts.addresses import normalise


class AddressClash(Exception):
    pass


def normalise_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Invitation = apps.get_model("accounts", "Invitation")
    FailedLogin = apps.get_model("accounts", "FailedLogin")

    by_address = defaultdict(list)
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        by_address[normalise(email)].append((pk, email))
    clashes = [
        f"{address!r}: " + ", ".join(f"user {pk} ({email!r})" for pk, email in accounts)
        for address, accounts in by_address.items()
        if len(accounts) > 1
    ]
    if clashes:
        raise AddressClash(
            "These accounts' addresses are one mailbox once normalised; change or merge one of "
            "each (manage.py shell) and run migrate again:\n  " + "\n  ".join(clashes)
        )
    user_ids = {}
    for address, [(pk, email)] in by_address.items():
        user_ids[address] = pk
        if email != address:
            User.objects.filter(pk=pk).update(email=address)
    not_ascii = sorted(address for address in by_address if not address.isascii())
    if not_ascii:
        print(f"\n  Accounts whose address is not plain ASCII (check them): {not_ascii}")

    for pk, email in Invitation.objects.values_list("pk", "email"):
        if normalise(email) != email:
            Invitation.objects.filter(pk=pk).update(email=normalise(email))
    for row in FailedLogin.objects.filter(user=None):
        row.email = normalise(row.email)
        row.user_id = user_ids.get(row.email)
        row.save(update_fields=["email", "user"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_failedlogin_user")]

    operations = [
        migrations.RunPython(normalise_addresses, migrations.RunPython.noop, elidable=True),
    ]
