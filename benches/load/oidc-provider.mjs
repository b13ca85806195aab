// node oidc-provider (pinned by oidc-provider.sh) in one of two configurations, chosen by
// OIDC_PROVIDER_PROFILE:
//
// - `bench` (the default; benches/load/run.sh): configured like the gatecheck OP's bench client
//   (op.yml): one confidential client with client_credentials, introspection, opaque tokens.
// - `certification` (harness/tests/target_oidc_provider.rs, targets/oidc-provider.yml): an
//   independent OP for features/oidcc and the generic login driver: dynamic registration, the
//   code, implicit and hybrid response types (form_post is built in), authorization requests by
//   POST, refresh tokens, the claims parameter, claims for every standard scope, and login and
//   consent pages of its own (below) that check the users' passwords. With REDIRECT_URI set it
//   also has the static client `rp` / `rp-secret` (with POST_LOGOUT_REDIRECT_URI, registered
//   for RP-initiated logout). With INTROSPECTION=on it also serves token introspection
//   (RFC 7662): the gateway's resource-server test (reference/gateway/tests/
//   openid_connect_oidc_provider.rs); off by default so the features' capability checks see
//   the same OP as before. With JWT_API=<resource indicator> the client `rp` may also use
//   client_credentials, and a token request naming that resource (RFC 8707) gets a JWT access
//   token for it (RFC 9068): the gateway's `bearer` method against oidc-provider's keys.
//   CLIENT_CREDENTIALS=on gives `rp` client_credentials without that. With OXD_SCOPE=on it also offers Gluu's `oxd` scope, which oxd's protection tokens need
//   (reference/gateway/tests/gluu_oauth_oidc_provider.rs).
//
// Started with NODE_PATH pointing at the npm cache that holds oidc-provider and PORT set; serves
// on 127.0.0.1:PORT and prints `oidc-provider listening on ISSUER` when ready. Every option:
// https://github.com/panva/node-oidc-provider/blob/v9.x/docs/README.md
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH, 'noop.js'));
const { default: Provider, interactionPolicy, errors } = await import(require.resolve('oidc-provider'));

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const profile = process.env.OIDC_PROVIDER_PROFILE || 'bench';

function bench() {
  return {
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
  };
}

// The users the certification profile knows, their passwords, and a claim for every standard
// scope (OIDC Core §5.4).
const PASSWORDS = { alex: 'doe', jdoe: 'secret' };
const ACCOUNTS = {
  alex: {
    name: 'Alex Doe',
    given_name: 'Alex',
    family_name: 'Doe',
    preferred_username: 'alex',
    email: 'alex@example.com',
    email_verified: true,
    address: { street_address: '1 Main Street', locality: 'Austin', country: 'US' },
    phone_number: '+1 512 555 0101',
    phone_number_verified: false,
  },
  jdoe: {
    name: 'John Doe',
    given_name: 'John',
    family_name: 'Doe',
    email: 'jdoe@example.com',
    email_verified: false,
  },
};

function certification() {
  // oidc-provider asks for consent on every request of a native client (its
  // `native_client_prompt` check), so `prompt=none` could never succeed for the certification
  // RP, whose loopback callback makes it a native client (OpenID Connect Dynamic Client
  // Registration §2). The suite's RP registers web clients with https callbacks instead; this
  // OP keeps every other consent check.
  const policy = interactionPolicy.base();
  const consent = policy.get('consent');
  const i = consent.checks.findIndex((c) => c.reason === 'native_client_prompt');
  if (i !== -1) consent.checks.splice(i, 1);

  const clients = [];
  const jwtApi = process.env.JWT_API;
  const clientCredentials = Boolean(jwtApi) || process.env.CLIENT_CREDENTIALS === 'on';
  if (process.env.REDIRECT_URI) {
    clients.push({
      client_id: 'rp',
      client_secret: 'rp-secret',
      grant_types: clientCredentials ? ['authorization_code', 'client_credentials'] : ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [process.env.REDIRECT_URI],
      post_logout_redirect_uris: process.env.POST_LOGOUT_REDIRECT_URI
        ? [process.env.POST_LOGOUT_REDIRECT_URI] : [],
    });
  }
  return {
    clients,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'address', 'phone',
      ...(process.env.OXD_SCOPE === 'on' ? ['oxd'] : [])],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
      address: ['address'],
      phone: ['phone_number', 'phone_number_verified'],
    },
    responseTypes: [
      'code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'none',
    ],
    // The acr of a password login, so that acr_values_supported is not empty and ID tokens
    // carry an acr.
    acrValues: [PASSWORD_ACR],
    // OIDC Core §3.1.2.1: the authorization endpoint must accept POST too. oidc-provider then
    // requires its session cookie to be SameSite=None.
    enableHttpPostMethods: true,
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      claimsParameter: { enabled: true },
      introspection: { enabled: process.env.INTROSPECTION === 'on' },
      clientCredentials: { enabled: clientCredentials },
      ...(jwtApi ? {
        resourceIndicators: {
          enabled: true,
          async getResourceServerInfo(_ctx, indicator) {
            if (indicator !== jwtApi) throw new errors.InvalidTarget();
            return { scope: 'api', audience: jwtApi, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
          },
        },
      } : {}),
    },
    interactions: { policy },
    pkce: { required: () => false },
    async findAccount(_ctx, sub) {
      const claims = ACCOUNTS[sub];
      if (!claims) return undefined;
      return { accountId: sub, async claims() { return { sub, ...claims }; } };
    },
  };
}

const PASSWORD_ACR = 'urn:gatecheck:acr:password';

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

async function formBody(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return Object.fromEntries(new URLSearchParams(text));
}

// The certification profile's login and consent pages (what every oidc-provider deployment
// writes itself; the library's development pages accept any password): a login form with a
// user name and a password, a consent form with Continue and a Cancel link.
function interactions(provider) {
  return async (ctx, next) => {
    const m = ctx.path.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/);
    if (!m) return next();
    const [, uid, action] = m;
    ctx.set('cache-control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params, session } = details;
    const loginPage = (error) => page('Sign-in', `${error ? `<p class="error">${escape(error)}</p>` : ''}`
      + `<form method="post" action="/interaction/${uid}/login">`
      + `<label>User name <input type="text" name="login" autofocus></label>`
      + `<label>Password <input type="password" name="password"></label>`
      + `<button type="submit">Sign-in</button></form>`);
    const finish = async (result, merge) => {
      const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
      ctx.status = 303;
      ctx.redirect(to);
    };
    if (!action && ctx.method === 'GET') {
      ctx.type = 'html';
      if (prompt.name === 'login') {
        ctx.body = loginPage();
      } else {
        ctx.body = page('Authorize', `<p>${escape(params.client_id)} asks for ${escape(params.scope)}.</p>`
          + `<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Continue</button></form>`
          + `<a href="/interaction/${uid}/abort">Cancel</a>`);
      }
      return undefined;
    }
    if (action === 'login' && ctx.method === 'POST' && prompt.name === 'login') {
      const { login, password } = await formBody(ctx.req);
      if (!Object.hasOwn(PASSWORDS, login) || PASSWORDS[login] !== password) {
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = loginPage('Invalid user name or password.');
        return undefined;
      }
      return finish({ login: { accountId: login, acr: PASSWORD_ACR, amr: ['pwd'] } }, false);
    }
    if (action === 'confirm' && ctx.method === 'POST' && prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scope] of Object.entries(missing.missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scope.join(' '));
      }
      return finish({ consent: { grantId: await grant.save() } }, true);
    }
    if (action === 'abort' && ctx.method === 'GET') {
      return finish({ error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
    }
    ctx.status = 405;
    ctx.body = 'Method Not Allowed';
    return undefined;
  };
}

const configs = { bench, certification };
if (!configs[profile]) {
  console.error(`OIDC_PROVIDER_PROFILE=${profile}: not one of ${Object.keys(configs).join(', ')}`);
  process.exit(2);
}
const config = configs[profile]();
const provider = new Provider(issuer, {
  ...config,
  cookies: {
    keys: [`gatecheck-${profile}-cookie-key`],
    long: config.enableHttpPostMethods ? { sameSite: 'none' } : undefined,
  },
});
provider.proxy = false;
if (profile === 'certification') provider.use(interactions(provider));
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
