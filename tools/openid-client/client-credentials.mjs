// An unmodified openid-client (npm, OpenID-certified) against sfi serve, driven by the server tests
// (test/SecureFuture.Server.Tests/OpenIdClientInteropTests.cs): discovery, private_key_jwt client authentication,
// a DPoP-bound client_credentials token for one resource (RFC 8707), then GET /v1/whoami with it.
//
// Input (environment): SFI_ISSUER, SFI_CLIENT_ID, SFI_CLIENT_JWK (the client's private EC P-256 JWK, with kid),
// SFI_RESOURCE, SFI_SCOPE (optional). Output: one JSON line on stdout; exit 1 with the error on stderr.
import * as client from 'openid-client';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const issuer = new URL(required('SFI_ISSUER'));
const jwk = JSON.parse(required('SFI_CLIENT_JWK'));
const privateKey = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);

// Plain http is allowed only because the test server listens on 127.0.0.1.
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, required('SFI_CLIENT_ID'), undefined, client.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }), insecure);
const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));

const parameters = { resource: required('SFI_RESOURCE') };
if (process.env.SFI_SCOPE) {
  parameters.scope = process.env.SFI_SCOPE;
}

const tokens = await client.clientCredentialsGrant(config, parameters, { DPoP: dpop });
const whoami = await client.fetchProtectedResource(config, tokens.access_token, new URL('v1/whoami', issuer), 'GET', undefined, undefined, { DPoP: dpop });

process.stdout.write(JSON.stringify({
  tokenType: tokens.token_type,
  accessToken: tokens.access_token,
  whoamiStatus: whoami.status,
  whoami: await whoami.json(),
}) + '\n');
