"""Text a user could type to turn a page against whoever reads it: for parametrised tests."""

# The attack of the security review: an owner's browser invites the attacker as an owner.
HTMX_INVITE = (
    '<div hx-post="/o/acme/members/" hx-vals=\'{"email":"x@evil.example","role":"owner"}\''
    ' hx-trigger="load" hx-swap="none"></div>'
)

HOSTILE = [
    HTMX_INVITE,
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><div hx-trigger=load hx-get=/o/acme/members/>x</div>',
    "'><a href=javascript:alert(1)>x</a>",
    '<a href="https://evil.example">x</a> <b>bold</b>',
    "{{ request.user.password }} {% csrf_token %}",
    "&lt;i&gt; already escaped &amp; more",
]
