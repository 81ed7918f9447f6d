"""Hostile spellings of one address, shared by the address and login tests."""

ADDRESS = "kit.strasse@acme.example"

# Other spellings of the same mailbox: they reach the same account and its throttle counter.
SAME_MAILBOX = {
    "upper case": "KIT.Strasse@ACME.example",
    "Kelvin sign K": "\u212ait.strasse@acme.example",
    "fullwidth letters": "\uff4b\uff49\uff54.strasse\uff20acme.example",
    "sharp s": "kit.stra\u00dfe@acme.example",
    "trailing dot domain": "kit.strasse@acme.example.",
    "zero-width joiner": "kit.stra\u200dsse@acme.example",
    "surrounding spaces": "  kit.strasse@acme.example ",
}

# Different mailboxes that look the same: never the account, refused for new addresses.
LOOK_ALIKES = {
    "dotless i": "k\u0131t.strasse@acme.example",
    "Cyrillic a": "kit.str\u0430sse@acme.example",
    "Cyrillic e in the domain": "kit.strasse@acm\u0435.example",
}
