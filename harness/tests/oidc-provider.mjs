// node oidc-provider for harness/tests/oidc_provider.rs: one confidential client for the
// authorization code flow, the development login and consent pages, dynamic registration.
// Started with NODE_PATH pointing at its npm cache, PORT and REDIRECT_URI set; serves on
// 127.0.0.1:PORT.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH, 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'rp',
    client_secret: 'rp-secret',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [process.env.REDIRECT_URI],
  }],
  scopes: ['openid', 'profile', 'email'],
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
  },
  pkce: { required: () => false },
  cookies: { keys: ['gatecheck-target-test-cookie-key'] },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
