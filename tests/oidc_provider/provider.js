// A real OpenID provider for Ladder's single sign-on tests: panva's oidc-provider (OpenID
// Certified), in memory, on a free port of 127.0.0.1. Started by tests/accounts/sso/provider.py:
//   node provider.js '{"clients": [{"client_id": ..., "client_secret": ..., "redirect_uris": [...]}]}'
// It prints one JSON line {"event": "ready", "issuer": ...} once it listens.
//
// Its login page is replaced by one that asks nothing: the account to log in is the request's
// X-Test-Account header (what a person would type at a real provider), and consent is granted
// for the scopes asked. Everything else (discovery, PKCE, codes, signed ID tokens, JWKS) is the
// provider's own.
import { generateKeyPairSync } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const options = JSON.parse(process.argv[2] || "{}");
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-key-1", use: "sig", alg: "RS256" };

const configuration = {
  clients: options.clients || [],
  jwks: { keys: [signingKey] },
  cookies: { keys: ["ladder-tests-only-cookie-key"] },
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    // An address that matches no Ladder account: the login must never depend on it.
    claims: async () => ({ sub, email: `${sub}@idp.test`, email_verified: false }),
  }),
};

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith("/interaction/")) return next();
    const account = ctx.get("x-test-account");
    if (!account) {
      ctx.status = 400;
      ctx.body = "no X-Test-Account header: this test provider logs in only the account it is told";
      return;
    }
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = new provider.Grant({ accountId: account, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const result = { login: { accountId: account }, consent: { grantId } };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result));
  });
  server.on("request", provider.callback());
  console.log(JSON.stringify({ event: "ready", issuer }));
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
