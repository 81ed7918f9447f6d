"""How rows refer to each other and to time in the document: people by email, ISO text times."""

from datetime import UTC, date, datetime

from accounts.models import User


def stamp(value: datetime | None) -> str | None:
    """A time as ISO text in UTC (None stays None)."""
    return None if value is None else value.astimezone(UTC).isoformat()


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class People:
    """The people an export refers to, collected as rows name them (one query per person)."""

    def __init__(self):
        self._users: dict[int, User] = {}
        self._emails: set[str] = set()

    def email(self, pk: int | None) -> str | None:
        if pk is None:
            return None
        if pk not in self._users:
            self._users[pk] = User.objects.get(pk=pk)
        return self._users[pk].email

    def add_emails(self, emails) -> None:
        self._emails.update(e for e in emails if e)

    def rows(self) -> list[dict]:
        """Each person once, by email: what the import needs to find or create them."""
        users = {u.email: u for u in self._users.values()}
        missing = self._emails - set(users)
        users.update({u.email: u for u in User.objects.filter(email__in=missing)})
        return [
            {
                "email": email,
                "first_name": users[email].first_name,
                "last_name": users[email].last_name,
                "firm_name": users[email].firm_name,
            }
            for email in sorted(users)
        ]
