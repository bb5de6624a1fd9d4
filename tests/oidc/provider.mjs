// A real OpenID provider for Pathledger's OIDC sign-in tests: oidc-provider on 127.0.0.1 with one
// registered confidential client. Its authorization-code + PKCE flow, token endpoint and signed
// ID tokens are the library's own; only the accounts are made up.
//
// Usage: node provider.mjs [--port N] --client-id ID --client-secret SECRET --redirect-uri URI
// (or OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI). Port 0 (the default)
// takes a free port. Prints one line, the issuer URL, on stdout once it listens; exits when its
// standard input closes (so it never outlives the test that started it).
//
// Accounts: the account id typed into the provider's development login form is the person's
// email address, verified. An id starting with `unverified:` gives the rest as an email that is
// NOT verified (email_verified: false).

import http from 'node:http';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

// Standard output carries the issuer line only: the library's notices go to standard error.
console.log = console.error;
console.info = console.error;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PORT ?? '0' },
    'client-id': { type: 'string', default: process.env.OIDC_CLIENT_ID },
    'client-secret': { type: 'string', default: process.env.OIDC_CLIENT_SECRET },
    'redirect-uri': { type: 'string', default: process.env.OIDC_REDIRECT_URI },
  },
});
for (const k of ['client-id', 'client-secret', 'redirect-uri']) {
  if (!values[k]) {
    process.stderr.write(`provider.mjs: --${k} is required\n`);
    process.exit(2);
  }
}

function account(id) {
  const unverified = id.startsWith('unverified:');
  const email = unverified ? id.slice('unverified:'.length) : id;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email,
        email_verified: !unverified,
        name: email.split('@')[0],
      };
    },
  };
}

function start(issuer) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: values['client-id'],
      client_secret: values['client-secret'],
      redirect_uris: [values['redirect-uri']],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put the scopes' claims in the ID token too (not only at the userinfo endpoint), as the
    // large providers do for `openid email profile`.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => account(id),
    // Test cookies: a fixed key (nothing outlives the process).
    cookies: { keys: ['pathledger-oidc-test-provider'] },
    pkce: { required: () => true },
  });
  provider.proxy = false;
  return provider;
}

// Listen first (port 0 gives the real port), then build the provider for that issuer URL.
const server = http.createServer();
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = start(issuer);
  server.on('request', provider.callback());
  process.stdout.write(`${issuer}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
