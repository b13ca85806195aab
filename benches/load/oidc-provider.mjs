// node oidc-provider, configured like the gatecheck OP's bench client: one confidential client
// with client_credentials, introspection enabled, opaque access tokens. run.sh starts it with
// NODE_PATH pointing at its npm cache and PORT set; it serves on 127.0.0.1:PORT.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH, 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'read',
  }],
  scopes: ['openid', 'read'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  ttl: { ClientCredentials: 7200 },
  cookies: { keys: ['load-bench-cookie-key'] },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
