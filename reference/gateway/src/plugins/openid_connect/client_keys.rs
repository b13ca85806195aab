//! `client_jwk` and `client_alg`: how the plugin signs the client assertions of
//! `client_secret_jwt` and `private_key_jwt` (OpenID Connect Core §9, RFC 7523 §2.2), with Kong
//! 3.x's names (`docs/kong.md#discovery-endpoints-and-clients`). Both are arrays matched to
//! `client_id` by position, as `client_secret` is; a client without its own element uses the
//! first. Without any `client_jwk`, `private_key_jwt` signs with the gateway's keyring
//! ([`crate::rp::keys::Keyring`], published at `GET /openid-connect/jwks`).

use std::sync::Arc;

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::plugins::schema::ConfigError;
use crate::rp::client::ClientAuth;
use crate::rp::keys::{algorithm, is_hmac, is_rsa, Keyring, PrivateKey, CLIENT_ALGS};
use crate::schema::{Check, Field, Record};

/// The fields this module reads.
pub const FIELDS: [&str; 2] = ["client_jwk", "client_alg"];

/// The auth-method fields that may name `private_key_jwt` or `client_secret_jwt`.
const METHOD_FIELDS: [&str; 3] = [
    "token_endpoint_auth_method",
    "introspection_endpoint_auth_method",
    "revocation_endpoint_auth_method",
];

fn jwk_record() -> Record {
    let s = Field::string;
    Record::new()
        .field("kty", s().required().one_of(&["RSA", "EC"]))
        .field("kid", s())
        .field("alg", s().one_of(&CLIENT_ALGS[3..]))
        .field("use", s())
        .field("n", s())
        .field("e", s())
        .field("d", s())
        .field("p", s())
        .field("q", s())
        .field("dp", s())
        .field("dq", s())
        .field("qi", s())
        .field("crv", s())
        .field("x", s())
        .field("y", s())
}

/// Declares the fields on the plugin's config record.
pub fn declare(record: Record) -> Record {
    record
        .field(
            "client_jwk",
            Field::array(Field::record(jwk_record()))
                .description("private JWKs for private_key_jwt, one per client_id"),
        )
        .field(
            "client_alg",
            Field::array(Field::string().one_of(&CLIENT_ALGS)).description(
                "assertion algorithm per client_id: HS* for client_secret_jwt (default HS256), \
                 RS*/PS*/ES256 for private_key_jwt (default: the JWK's alg, else RS256)",
            ),
        )
        .check(Check::custom_on("client_jwk", keys_load))
        .check(Check::custom_on("client_alg", algs_fit))
}

/// Every method the config may authenticate with, per `client_auth` element and override.
fn methods(r: &Map<String, Value>) -> Vec<&str> {
    let mut all: Vec<&str> = r["client_auth"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    all.extend(METHOD_FIELDS.iter().filter_map(|f| r[*f].as_str()));
    all
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn keys_load(r: &Map<String, Value>) -> Result<(), String> {
    let algs = strings(&r["client_alg"]);
    for (i, jwk) in r["client_jwk"].as_array().into_iter().flatten().enumerate() {
        // The algorithm this key will sign with: its client's, if that is one for a key.
        let alg = algs
            .get(i)
            .or(algs.first())
            .copied()
            .and_then(algorithm)
            .filter(|a| !is_hmac(*a));
        PrivateKey::from_jwk(jwk, alg).map_err(|e| format!("element {}: {e}", i + 1))?;
    }
    Ok(())
}

fn algs_fit(r: &Map<String, Value>) -> Result<(), String> {
    let algs = strings(&r["client_alg"]);
    let methods = methods(r);
    let hmac = algs.iter().copied().filter_map(algorithm).any(is_hmac);
    let asymmetric = algs
        .iter()
        .copied()
        .filter_map(algorithm)
        .any(|a| !is_hmac(a));
    if hmac && !methods.contains(&"client_secret_jwt") {
        return Err("HS* algorithms are for client_secret_jwt, which no client_auth names".into());
    }
    if asymmetric && !methods.contains(&"private_key_jwt") {
        return Err(
            "RS*, PS* and ES256 are for private_key_jwt, which no client_auth names".into(),
        );
    }
    Ok(())
}

/// The parsed keys and algorithms.
#[derive(Debug, Clone, Default)]
pub struct ClientKeys {
    jwks: Vec<PrivateKey>,
    algs: Vec<Algorithm>,
    keyring: Arc<Keyring>,
}

impl ClientKeys {
    /// Takes `client_jwk` and `client_alg` out of the effective config (already validated by
    /// [`declare`]'s checks).
    pub fn take(fields: &mut Map<String, Value>) -> Result<ClientKeys, ConfigError> {
        let algs: Vec<Algorithm> = fields
            .remove("client_alg")
            .as_ref()
            .map(strings)
            .unwrap_or_default()
            .into_iter()
            .filter_map(algorithm)
            .collect();
        let jwks = fields
            .remove("client_jwk")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, jwk)| {
                let alg = algs
                    .get(i)
                    .or(algs.first())
                    .copied()
                    .filter(|a| !is_hmac(*a));
                PrivateKey::from_jwk(jwk, alg).map_err(|e| {
                    ConfigError::field("client_jwk", format!("element {}: {e}", i + 1))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ClientKeys {
            jwks,
            algs,
            keyring: Arc::default(),
        })
    }

    /// Signs with `keyring` when no `client_jwk` is configured; with `generate_now`, makes sure
    /// its key exists (so a keyring that cannot be loaded fails the configuration, not a request).
    pub fn with_keyring(
        mut self,
        keyring: Arc<Keyring>,
        generate_now: bool,
    ) -> Result<Self, ConfigError> {
        if generate_now && self.jwks.is_empty() {
            keyring
                .signing_key()
                .map_err(|e| ConfigError::field("client_jwk", e))?;
        }
        self.keyring = keyring;
        Ok(self)
    }

    /// Whether `private_key_jwt` would sign with the gateway's keyring.
    pub fn uses_keyring(&self) -> bool {
        self.jwks.is_empty()
    }

    /// The client authentication `method` means for the client at `index`.
    pub fn client_auth(&self, method: Option<&str>, index: usize) -> Result<ClientAuth, String> {
        let alg = self.algs.get(index).or(self.algs.first()).copied();
        Ok(match method {
            Some("client_secret_post") => ClientAuth::Post,
            Some("client_secret_jwt") => ClientAuth::SecretJwt {
                alg: alg.filter(|a| is_hmac(*a)).unwrap_or(Algorithm::HS256),
            },
            Some("private_key_jwt") => {
                let key = match self.jwks.get(index).or(self.jwks.first()) {
                    Some(key) => key.clone(),
                    None => {
                        let mut key = self.keyring.signing_key()?;
                        // The keyring's key is RSA: any RS*/PS* `client_alg` fits it.
                        if let Some(a) = alg.filter(|a| is_rsa(*a)) {
                            key.alg = a;
                        }
                        key
                    }
                };
                ClientAuth::PrivateKeyJwt {
                    alg: key.alg,
                    kid: Some(key.kid.clone()),
                    key: key.encoding,
                }
            }
            Some("none") => ClientAuth::None,
            _ => ClientAuth::Basic,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(config: Value) -> ClientKeys {
        let mut fields = config.as_object().unwrap().clone();
        let keys = ClientKeys::take(&mut fields).unwrap();
        assert!(fields.is_empty(), "both fields are taken: {fields:?}");
        keys
    }

    #[test]
    fn each_client_gets_its_own_key_and_algorithm_else_the_first() {
        let a = PrivateKey::generate().unwrap();
        let mut b = PrivateKey::generate().unwrap().private_jwk().clone();
        b["kid"] = json!("b");
        let k = keys(json!({"client_jwk": [a.private_jwk(), b], "client_alg": ["PS256", "RS512"]}));
        let signed = |method, index| match k.client_auth(Some(method), index).unwrap() {
            ClientAuth::PrivateKeyJwt { alg, kid, .. } => (alg, kid.unwrap()),
            ClientAuth::SecretJwt { alg } => (alg, String::new()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            signed("private_key_jwt", 0),
            (Algorithm::PS256, a.kid.clone())
        );
        assert_eq!(signed("private_key_jwt", 1), (Algorithm::RS512, "b".into()));
        assert_eq!(
            signed("private_key_jwt", 7).1,
            a.kid,
            "a third client uses the first"
        );
        // client_secret_jwt never takes an RSA algorithm: HS256.
        assert_eq!(signed("client_secret_jwt", 0).0, Algorithm::HS256);
        let hs = keys(json!({"client_alg": ["HS512"]}));
        assert!(matches!(
            hs.client_auth(Some("client_secret_jwt"), 3),
            Ok(ClientAuth::SecretJwt {
                alg: Algorithm::HS512
            })
        ));
        for (name, expected) in [
            (Some("client_secret_post"), "client_secret_post"),
            (Some("none"), "none"),
            (None, "client_secret_basic"),
        ] {
            assert_eq!(format!("{:?}", hs.client_auth(name, 0).unwrap()), expected);
        }
    }

    #[test]
    fn without_client_jwk_the_keyring_signs_with_an_rsa_client_alg() {
        let ring = Arc::new(Keyring::new(None));
        let k = keys(json!({"client_alg": ["RS384"]}))
            .with_keyring(ring.clone(), true)
            .unwrap();
        assert!(k.uses_keyring());
        let kid = ring.signing_key().unwrap().kid;
        match k.client_auth(Some("private_key_jwt"), 0).unwrap() {
            ClientAuth::PrivateKeyJwt { alg, kid: got, .. } => {
                assert_eq!(
                    (alg, got.as_deref()),
                    (Algorithm::RS384, Some(kid.as_str()))
                );
            }
            other => panic!("{other:?}"),
        }
        // A keyring file that is not a key set fails the configuration, naming client_jwk.
        let dir = std::env::temp_dir().join(format!("gatecheck-ck-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jwks.json");
        std::fs::write(&path, "not json").unwrap();
        let err = keys(json!({}))
            .with_keyring(Arc::new(Keyring::new(Some(path))), true)
            .unwrap_err();
        assert!(format!("{err:?}").contains("client_jwk"), "{err:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
