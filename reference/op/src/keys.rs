//! Signing keys and the published JWK set.
//!
//! Keys are PKCS#8 PEM files (see `fixtures/op/keys/`) or generated at start. Each key's `kid`
//! defaults to its RFC 7638 thumbprint, so kids are distinct by construction; configured kids are
//! checked for duplicates.

use anyhow::{bail, Context};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Digest;

use crate::config::Config;
use crate::protocol::SigningAlg;
use crate::util::b64;

/// One private signing key with its public JWK.
pub struct SigningKey {
    /// Algorithm.
    pub alg: SigningAlg,
    /// Key id.
    pub kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Builds a key from a PKCS#8 PEM private key.
    pub fn from_pem(alg: SigningAlg, pem: &str, kid: Option<String>) -> anyhow::Result<Self> {
        let (encoding, decoding, mut jwk) = match alg {
            SigningAlg::RS256 => {
                let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                    .context("not a PKCS#8 PEM RSA private key")?;
                let public = key.to_public_key();
                let n = b64(&public.n().to_bytes_be());
                let e = b64(&public.e().to_bytes_be());
                let decoding = DecodingKey::from_rsa_components(&n, &e)?;
                let jwk = json!({"kty": "RSA", "e": e, "n": n});
                (EncodingKey::from_rsa_pem(pem.as_bytes())?, decoding, jwk)
            }
            SigningAlg::ES256 => {
                let key = p256::SecretKey::from_pkcs8_pem(pem)
                    .context("not a PKCS#8 PEM P-256 private key")?;
                let point = key.public_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    bail!("P-256 public key has no affine coordinates");
                };
                let (x, y) = (b64(x), b64(y));
                let decoding = DecodingKey::from_ec_components(&x, &y)?;
                let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
                (EncodingKey::from_ec_pem(pem.as_bytes())?, decoding, jwk)
            }
        };
        // RFC 7638: members in lexicographic order, no whitespace; serde_json keeps insertion
        // order, so build the canonical form explicitly.
        let canonical = match alg {
            SigningAlg::RS256 => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                jwk["e"].as_str().unwrap_or_default(),
                jwk["n"].as_str().unwrap_or_default()
            ),
            SigningAlg::ES256 => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["x"].as_str().unwrap_or_default(),
                jwk["y"].as_str().unwrap_or_default()
            ),
        };
        let kid = kid.unwrap_or_else(|| b64(&sha2::Sha256::digest(canonical.as_bytes())));
        if let Value::Object(map) = &mut jwk {
            map.insert("kid".into(), json!(kid));
            map.insert("use".into(), json!("sig"));
            map.insert("alg".into(), json!(alg.as_str()));
        }
        Ok(Self {
            alg,
            kid,
            encoding,
            decoding,
            jwk,
        })
    }

    /// Generates a fresh key (RSA 2048 or P-256).
    pub fn generate(alg: SigningAlg, kid: Option<String>) -> anyhow::Result<Self> {
        let pem = match alg {
            SigningAlg::RS256 => rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?
                .to_pkcs8_pem(LineEnding::LF)?
                .to_string(),
            SigningAlg::ES256 => p256::SecretKey::random(&mut rand::rngs::OsRng)
                .to_pkcs8_pem(LineEnding::LF)?
                .to_string(),
        };
        Self::from_pem(alg, &pem, kid)
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }
}

/// The OP's keys.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<SigningKey>,
}

impl KeySet {
    /// Loads (or generates) every configured key.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let mut keys: Vec<SigningKey> = Vec::new();
        for (i, k) in config.keys.iter().enumerate() {
            let key = match &k.pem {
                Some(path) => {
                    let path = config.resolve(path);
                    let pem = std::fs::read_to_string(&path).with_context(|| {
                        format!("keys[{i}].pem: cannot read {}", path.display())
                    })?;
                    SigningKey::from_pem(k.alg, &pem, k.kid.clone())
                        .with_context(|| format!("keys[{i}].pem: {}", path.display()))?
                }
                None => SigningKey::generate(k.alg, k.kid.clone())
                    .with_context(|| format!("keys[{i}]: key generation failed"))?,
            };
            if keys.iter().any(|other| other.kid == key.kid) {
                bail!("keys[{i}].kid: duplicate kid `{}`", key.kid);
            }
            keys.push(key);
        }
        Self::from_keys(keys)
    }

    /// A key set from ready keys (first key of each alg signs).
    pub fn from_keys(keys: Vec<SigningKey>) -> anyhow::Result<Self> {
        if !keys.iter().any(|k| k.alg == SigningAlg::RS256) {
            bail!("keys: at least one RS256 key is required");
        }
        Ok(Self { keys })
    }

    /// Algorithms there is a key for.
    pub fn algs(&self) -> Vec<SigningAlg> {
        SigningAlg::ALL
            .into_iter()
            .filter(|a| self.keys.iter().any(|k| k.alg == *a))
            .collect()
    }

    /// The JWK set document.
    pub fn jwks(&self) -> Value {
        json!({"keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()})
    }

    fn key_for(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg == alg)
    }

    /// Signs `claims` with the first key of `alg` (falls back to RS256 when there is none).
    pub fn sign<T: Serialize>(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &T,
    ) -> anyhow::Result<String> {
        let key = self
            .key_for(alg)
            .or_else(|| self.key_for(SigningAlg::RS256))
            .context("no signing key")?;
        let mut header = Header::new(key.alg.jwt_alg());
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &key.encoding)?)
    }

    /// Verifies a JWT signed by one of our keys (selected by `kid`) and returns its claims.
    /// Only the signature and `iss` are checked; callers check audience and expiry as needed.
    pub fn verify(&self, token: &str, issuer: &str) -> Result<Value, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWS: {e}"))?;
        let kid = header.kid.ok_or("token has no kid")?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or("token was not signed by this OP")?;
        if header.alg != key.alg.jwt_alg() {
            return Err("token alg does not match the key".into());
        }
        let mut validation = Validation::new(key.alg.jwt_alg());
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[issuer]);
        jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| format!("invalid token: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PEM: &str = include_str!("../../../fixtures/op/keys/rs256.pem");
    const EC_PEM: &str = include_str!("../../../fixtures/op/keys/es256.pem");

    fn keyset() -> KeySet {
        KeySet::from_keys(vec![
            SigningKey::from_pem(SigningAlg::RS256, RSA_PEM, None).unwrap(),
            SigningKey::from_pem(SigningAlg::ES256, EC_PEM, None).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn jwks_has_distinct_kids_and_public_parts_only() {
        let jwks = keyset().jwks();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0]["kid"], keys[1]["kid"]);
        assert_eq!(keys[0]["kty"], "RSA");
        assert_eq!(keys[0]["e"], "AQAB");
        assert_eq!(keys[1]["crv"], "P-256");
        for key in keys {
            assert!(key.get("d").is_none(), "private part leaked");
        }
    }

    #[test]
    fn sign_and_verify_round_trip_for_both_algs() {
        let keys = keyset();
        for alg in SigningAlg::ALL {
            let token = keys
                .sign(alg, "JWT", &json!({"iss": "https://op", "sub": "x"}))
                .unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, alg.jwt_alg());
            assert_eq!(keys.verify(&token, "https://op").unwrap()["sub"], "x");
            assert!(keys.verify(&token, "https://other").is_err());
        }
    }

    #[test]
    fn foreign_and_tampered_tokens_are_rejected() {
        let keys = keyset();
        let token = keys
            .sign(SigningAlg::RS256, "JWT", &json!({"iss": "https://op"}))
            .unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_payload = b64(br#"{"iss":"https://op","sub":"admin"}"#);
        parts[1] = &forged_payload;
        assert!(keys.verify(&parts.join("."), "https://op").is_err());
        let foreign = SigningKey::generate(SigningAlg::ES256, Some("other".into())).unwrap();
        let other = KeySet::from_keys(vec![
            SigningKey::from_pem(SigningAlg::RS256, RSA_PEM, None).unwrap(),
            foreign,
        ])
        .unwrap();
        let token = other
            .sign(SigningAlg::ES256, "JWT", &json!({"iss": "https://op"}))
            .unwrap();
        assert!(keys.verify(&token, "https://op").is_err());
        assert!(keys.verify("not-a-jwt", "https://op").is_err());
    }

    #[test]
    fn duplicate_configured_kids_are_rejected() {
        let mut config = crate::config::Config {
            keys: crate::config::fixture_keys(),
            ..Default::default()
        };
        for key in &mut config.keys {
            key.kid = Some("same".into());
        }
        let err = KeySet::load(&config).unwrap_err().to_string();
        assert!(err.contains("keys[1].kid"), "{err}");
    }

    #[test]
    fn bad_pem_is_an_error() {
        assert!(SigningKey::from_pem(SigningAlg::RS256, EC_PEM, None).is_err());
        assert!(SigningKey::from_pem(SigningAlg::ES256, "garbage", None).is_err());
    }
}
