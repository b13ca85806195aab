//! Kong's `openid-connect` authenticating itself to the reference OP with client assertions
//! (OpenID Connect Core §9, RFC 7523): `private_key_jwt` with the gateway's own key (published
//! at `GET /openid-connect/jwks`, which the OP reads as the client's `jwks_uri`) or with a
//! `client_jwk`, and `client_secret_jwt`; through the password and client_credentials grants at
//! the gateway and introspection; a key the OP does not know is 401, never 500.

mod common;

use common::openid_connect::ALEX;
use common::{client, echo, listener};
use gatecheck_gateway::rp::keys::PrivateKey;
use serde_json::{json, Value};

const SECRET: &str = "kong-client-secret";

struct Stack {
    op: gatecheck_op::Handle,
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
}

/// A gateway with service `api` (route `/`) to the echo upstream and no plugin yet.
async fn gateway(
    jwks_file: Option<std::path::PathBuf>,
) -> (gatecheck_gateway::Handle, gatecheck_upstream::Handle) {
    let up = echo().await;
    let doc = json!({"_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}]}]});
    let gw = gatecheck_gateway::start(
        gatecheck_gateway::Config {
            declarative_config_string: Some(doc),
            openid_connect_jwks: jwks_file,
            ..Default::default()
        },
        listener().await,
        listener().await,
    )
    .await
    .unwrap();
    (gw, up)
}

/// The OP with client `kong` (`kong_patch` over password + client_credentials, opaque access
/// tokens, allowed to introspect any token), client `app` (client_secret_basic) to obtain tokens
/// for introspection, and user alex / doe.
async fn start_op(kong_patch: Value) -> gatecheck_op::Handle {
    let mut kong = json!({
        "client_id": "kong", "client_secret": SECRET,
        "grant_types": ["password", "client_credentials"],
        "scopes": ["openid", "profile", "email"], "introspect_any_token": true,
    });
    for (k, v) in kong_patch.as_object().unwrap() {
        kong[k] = v.clone();
    }
    let config = json!({
        "keys": [{"alg": "RS256", "pem": concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/op/keys/rs256.pem")}],
        "scopes": ["openid", "profile", "email"],
        "users": [{"username": "alex", "password": "doe"}],
        "clients": [kong, {"client_id": "app", "client_secret": "app-secret",
                           "grant_types": ["password"], "scopes": ["openid"]}],
    });
    // YAML is a superset of JSON.
    let config = gatecheck_op::Config::from_yaml_str(&config.to_string()).unwrap();
    gatecheck_op::start(config, listener().await).await.unwrap()
}

/// Adds openid-connect (`config` over the OP's basics) to service `api`; the Admin API answer.
async fn add_plugin(
    gw: &gatecheck_gateway::Handle,
    op: &gatecheck_op::Handle,
    config: Value,
) -> (u16, Value) {
    let mut cfg = json!({"issuer": op.issuer(), "client_id": ["kong"], "client_secret": [SECRET],
        "auth_methods": ["password", "client_credentials", "introspection"],
        "password_param_type": ["header"], "client_credentials_param_type": ["query"],
        "bearer_token_param_type": ["header"], "timeout": 5000, "display_errors": true});
    for (k, v) in config.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let r = client()
        .post(format!("{}/services/api/plugins", gw.admin_url()))
        .json(&json!({"name": "openid-connect", "config": cfg}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn jwks(gw: &gatecheck_gateway::Handle) -> Value {
    let r = client()
        .get(format!("{}/openid-connect/jwks", gw.admin_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

impl Stack {
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = client().get(format!("{}{path}", self.gw.proxy_url()));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// An opaque access token of client `app` for alex, straight from the OP.
    async fn app_token(&self) -> String {
        let r = client()
            .post(format!("{}/oxauth/restv1/token", self.op.url()))
            .basic_auth("app", Some("app-secret"))
            .form(&[
                ("grant_type", "password"),
                ("username", "alex"),
                ("password", "doe"),
                ("scope", "openid"),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned()
    }
}

/// Every way through the gateway that calls the OP with the client's assertion works.
async fn assert_grants_and_introspection_work(s: &Stack) {
    let (status, body) = s.get("/", &[("authorization", ALEX)]).await;
    assert_eq!(status, 200, "password grant: {body}");
    assert!(body["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer "));
    let (status, body) = s
        .get(&format!("/?client_id=kong&client_secret={SECRET}"), &[])
        .await;
    assert_eq!(status, 200, "client_credentials grant: {body}");
    let token = s.app_token().await;
    let (status, body) = s
        .get("/", &[("authorization", &format!("Bearer {token}"))])
        .await;
    assert_eq!(status, 200, "introspection: {body}");
}

#[tokio::test]
async fn private_key_jwt_with_the_gateways_own_key_published_at_the_admin_api() {
    let (gw, up) = gateway(None).await;
    // The OP reads the client's keys from the gateway's Admin API, as one registers a Kong
    // node's `/openid-connect/jwks` at an IdP.
    let op = start_op(json!({"token_endpoint_auth_method": "private_key_jwt",
                       "jwks_uri": format!("{}/openid-connect/jwks", gw.admin_url())}))
    .await;
    let (status, body) = add_plugin(&gw, &op, json!({"client_auth": ["private_key_jwt"]})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["config"]["client_auth"], json!(["private_key_jwt"]));
    let set = jwks(&gw).await;
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{set}");
    assert_eq!(
        (&keys[0]["kty"], &keys[0]["alg"], &keys[0]["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    assert!(keys[0]["kid"].is_string());
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(keys[0].get(private).is_none(), "{private} published: {set}");
    }
    let s = Stack { op, gw, _up: up };
    assert_grants_and_introspection_work(&s).await;
    assert_eq!(jwks(&s.gw).await, set, "one key, generated once");

    // A client_credentials caller must be the plugin's own client, with its secret: a private
    // key proves the gateway, not the caller.
    let (status, _) = s.get("/?client_id=kong&client_secret=guess", &[]).await;
    assert_eq!(status, 401);
    let (status, _) = s.get("/?client_id=app&client_secret=app-secret", &[]).await;
    assert_eq!(status, 401);

    // Another gateway has a key of its own, which the OP does not know: its assertions are
    // refused (invalid_client) and the caller gets 401, never 500.
    let (other, up2) = gateway(None).await;
    assert_ne!(jwks(&other).await, set);
    let (status, body) =
        add_plugin(&other, &s.op, json!({"client_auth": ["private_key_jwt"]})).await;
    assert_eq!(status, 201, "{body}");
    let wrong = Stack {
        op: s.op,
        gw: other,
        _up: up2,
    };
    let (status, body) = wrong.get("/", &[("authorization", ALEX)]).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("invalid_client"),
        "{body}"
    );
    let token = wrong.app_token().await;
    let (status, body) = wrong
        .get("/", &[("authorization", &format!("Bearer {token}"))])
        .await;
    assert_eq!(status, 401, "introspection refused: {body}");
    let (status, _) = wrong
        .get(&format!("/?client_id=kong&client_secret={SECRET}"), &[])
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn private_key_jwt_with_a_configured_client_jwk_and_client_secret_jwt() {
    // An ES256 key of the client's, registered at the OP by its public half.
    let ec = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let private: Value = serde_json::from_str(&ec.to_jwk_string()).unwrap();
    let mut private = private;
    private["kid"] = json!("kong-es256");
    let key = PrivateKey::from_jwk(&private, None).unwrap();
    let (gw, up) = gateway(None).await;
    let op = start_op(json!({"token_endpoint_auth_method": "private_key_jwt",
                       "jwks": {"keys": [key.public.clone()]}}))
    .await;
    let (status, body) = add_plugin(
        &gw,
        &op,
        json!({"client_auth": ["private_key_jwt"], "client_jwk": [private.clone()]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let s = Stack { op, gw, _up: up };
    assert_grants_and_introspection_work(&s).await;

    // A wrong client_jwk (a key the OP does not have): 401.
    let (gw, up) = gateway(None).await;
    let stranger = PrivateKey::generate().unwrap();
    let (status, _) = add_plugin(
        &gw,
        &s.op,
        json!({"client_auth": ["private_key_jwt"], "client_jwk": [stranger.private_jwk()]}),
    )
    .await;
    assert_eq!(status, 201);
    let wrong = Stack {
        op: s.op,
        gw,
        _up: up,
    };
    let (status, body) = wrong.get("/", &[("authorization", ALEX)]).await;
    assert_eq!(status, 401, "{body}");

    // client_secret_jwt: the assertion MACed with the shared secret.
    let (gw, up) = gateway(None).await;
    let op = start_op(json!({"token_endpoint_auth_method": "client_secret_jwt"})).await;
    let (status, body) = add_plugin(&gw, &op, json!({"client_auth": ["client_secret_jwt"]})).await;
    assert_eq!(status, 201, "{body}");
    let s = Stack { op, gw, _up: up };
    assert_grants_and_introspection_work(&s).await;
    // ...and a wrong secret is 401.
    let (gw, up) = gateway(None).await;
    let (status, _) = add_plugin(
        &gw,
        &s.op,
        json!({"client_auth": ["client_secret_jwt"], "client_secret": ["not-the-secret"]}),
    )
    .await;
    assert_eq!(status, 201);
    let wrong = Stack {
        op: s.op,
        gw,
        _up: up,
    };
    let (status, body) = wrong.get("/", &[("authorization", ALEX)]).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn bad_client_jwk_and_client_alg_are_schema_violations_naming_the_field() {
    let (gw, _up) = gateway(None).await;
    let op = start_op(json!({})).await;
    let public = PrivateKey::generate().unwrap().public;
    for (config, field) in [
        (
            json!({"client_auth": ["private_key_jwt"], "client_jwk": [public]}),
            "client_jwk",
        ),
        (
            json!({"client_auth": ["private_key_jwt"], "client_jwk": [{"kty": "oct", "k": "c2VjcmV0"}]}),
            "client_jwk",
        ),
        (
            json!({"client_auth": ["private_key_jwt"], "client_alg": ["ES512"]}),
            "client_alg",
        ),
        (
            json!({"client_auth": ["client_secret_post"], "client_alg": ["RS256"]}),
            "client_alg",
        ),
        (
            json!({"client_auth": ["private_key_jwt"], "client_alg": ["HS256"]}),
            "client_alg",
        ),
    ] {
        let (status, body) = add_plugin(&gw, &op, config.clone()).await;
        assert_eq!(status, 400, "{config}: {body}");
        assert_eq!(body["name"], "schema violation", "{body}");
        assert!(
            !body["fields"]["config"][field].is_null(),
            "{config}: {body}"
        );
    }
    // The schema endpoint shows both fields.
    let schema: Value = client()
        .get(format!("{}/schemas/plugins/openid-connect", gw.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = schema.to_string();
    assert!(
        text.contains("client_jwk") && text.contains("client_alg"),
        "{schema}"
    );
}

#[tokio::test]
async fn gateways_given_the_same_keyring_file_publish_and_sign_with_the_same_key() {
    let dir = std::env::temp_dir().join(format!("gatecheck-oidc-jwks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("jwks.json");
    let (first, up) = gateway(Some(file.clone())).await;
    let set = jwks(&first).await;
    first.shutdown().await;
    // A restart on the file, registered at the OP by the key set published before it.
    let (gw, up2) = gateway(Some(file.clone())).await;
    assert_eq!(jwks(&gw).await, set);
    let op = start_op(json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": set})).await;
    let (status, body) = add_plugin(&gw, &op, json!({"client_auth": ["private_key_jwt"]})).await;
    assert_eq!(status, 201, "{body}");
    drop(up);
    let s = Stack { op, gw, _up: up2 };
    let (status, body) = s.get("/", &[("authorization", ALEX)]).await;
    assert_eq!(status, 200, "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}
