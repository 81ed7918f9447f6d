"""Single sign-on with OpenID Connect, one provider per organisation (issue 16).

An organisation's owner names its provider (issuer, client id, client secret); its members then
sign in there. An account is found by the identity bound to (organisation, issuer, subject),
never by an email claim; a session signed in through one organisation's provider counts only
for that organisation (accounts.sso.policy).
"""
