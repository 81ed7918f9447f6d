"""Email addresses as account names: one spelling per mailbox, and no look-alikes. Pure.

`normalise` is the one form an address is stored, looked up and throttled in: NFKC (fullwidth
letters, the Kelvin sign K), invisible format characters removed (a zero-width joiner),
casefold (upper case, ß as ss), surrounding spaces and a domain's trailing dot (the DNS root)
dropped. Lookups compare it exactly, so no database's UPPER() or collation decides who logs in.

Casefolding cannot tell a dotless ı from an i, or Cyrillic а from Latin a. So a new address
(an invitation, hence a sign-up; the admin) must be plain ASCII after normalising, with an
internationalised domain in its IDNA (xn--) form: every look-alike then shows as a visibly
different address. Refusing is plainer than a confusables table, and people whose mailbox
name is not ASCII are rare among the plant and IT staff Ladder is for.
"""

import unicodedata


def normalise(address: str) -> str:
    """The address as stored and looked up; normalising twice changes nothing."""
    previous = None
    while address != previous:  # casefold can undo NFKC's work, so repeat until it holds
        previous = address
        address = unicodedata.normalize("NFKC", address)
        address = "".join(c for c in address if unicodedata.category(c) != "Cf")
        address = unicodedata.normalize("NFKC", address.casefold()).strip()
        local, at, domain = address.rpartition("@")
        if at:
            address = f"{local}@{domain.rstrip('.').strip()}"
    return address


def ascii_problem(address: str) -> str | None:
    """Why `address` (normalised) may not be given to a new account, or None."""
    if address.isascii():
        return None
    return (
        "Enter the address in plain ASCII letters: characters such as ı or Cyrillic а look "
        "like others. For an internationalised domain use its xn-- form."
    )
