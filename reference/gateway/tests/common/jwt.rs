//! RSA keys, JWKs and signed JWTs for the JWT access token tests.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

/// The OP's signing key and one the OP never published.
pub struct Keys {
    pub good: RsaPrivateKey,
    pub other: RsaPrivateKey,
}

/// Generated once per test binary (2048-bit generation takes a while).
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        Keys {
            good: RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            other: RsaPrivateKey::new(&mut rng, 2048).unwrap(),
        }
    })
}

/// The public JWK of `key` (RS256).
pub fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    json!({"kid": kid, "kty": "RSA", "use": "sig", "alg": "RS256",
           "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
           "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())})
}

/// `key` as jsonwebtoken's encoding key.
pub fn encoding_key(key: &RsaPrivateKey) -> EncodingKey {
    let pem = key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
    EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
}

/// An RS256 JWT of `claims` signed with `key`.
pub fn sign(key: &RsaPrivateKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &encoding_key(key)).unwrap()
}

/// A JWT with any header JSON, signed by `key` with `alg` over exactly these bytes.
pub fn sign_raw(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), key, alg).unwrap();
    format!("{h}.{p}.{signature}")
}

/// Claims of a JWT access token the test OP (`https://op.example`) would issue.
pub fn claims(client_id: Option<&str>, exp: i64) -> Value {
    let mut c = json!({"iss": "https://op.example", "sub": "s", "exp": exp, "iat": super::now(),
                       "scope": "read write", "token_type": "bearer"});
    if let Some(id) = client_id {
        c["client_id"] = json!(id);
    }
    c
}
