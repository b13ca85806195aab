//! Signing keys, the published JWK set and key rotation ([`KeySet::rotate`]).
//!
//! Keys are PKCS#8 PEM files (see `fixtures/op/keys/`) or generated at start. Each key's `kid`
//! defaults to its RFC 7638 thumbprint, so kids are distinct by construction; configured kids are
//! checked for duplicates.

use std::sync::{Arc, Mutex, RwLock};

use anyhow::{bail, Context};
use bytes::Bytes;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Digest;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, KeyRotationConfig};
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
            SigningAlg::RS256 => rsa::RsaPrivateKey::from_pkcs8_der(&generate_rsa_pkcs8()?)?
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

/// A new RSA 2048 private key as PKCS#8 DER, from aws-lc-rs: the `rsa` crate's key generation
/// took about as long as a whole stack start.
pub fn generate_rsa_pkcs8() -> anyhow::Result<Vec<u8>> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    let der: Pkcs8V1Der<'static> = pair
        .as_der()
        .map_err(|_| anyhow::anyhow!("cannot encode the generated RSA key"))?;
    Ok(der.as_ref().to_vec())
}

/// The key a PEM file holds, parsed once per process for each (algorithm, text, kid): parsing
/// checks the RSA key's consistency, which costs as much as several signatures, and a process
/// running many OPs from one configuration (the harness: one per scenario) would repeat it at
/// every start. Keys are immutable, so the OPs share them.
fn parsed_pem(
    alg: SigningAlg,
    pem: String,
    kid: Option<String>,
) -> anyhow::Result<Arc<SigningKey>> {
    type Id = (SigningAlg, String, Option<String>);
    static PARSED: std::sync::LazyLock<moka::sync::Cache<Id, Arc<SigningKey>>> =
        std::sync::LazyLock::new(|| moka::sync::Cache::new(256));
    let id = (alg, pem, kid);
    if let Some(key) = PARSED.get(&id) {
        return Ok(key);
    }
    let key = Arc::new(SigningKey::from_pem(alg, &id.1, id.2.clone())?);
    PARSED.insert(id, key.clone());
    Ok(key)
}

/// One key of the set and when it signs from (`i64::MIN` for the keys loaded at start).
#[derive(Debug, Clone)]
struct Entry {
    key: Arc<SigningKey>,
    signs_from: i64,
}

/// A rotation the OP started ([`KeySet::rotate`]): its new keys are published now and sign from
/// `signs_from`; the keys they replace stay published until `old_keys_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The new keys' ids, one per algorithm.
    pub kids: Vec<String>,
    /// When they start signing (Unix seconds).
    pub signs_from: i64,
    /// Until when the replaced keys stay in the JWKS and verify (Unix seconds).
    pub old_keys_until: i64,
}

/// The OP's keys, and their rotation.
///
/// At any time each algorithm has one signing key: of its keys whose `signs_from` has come, the
/// latest (the first configured one before any rotation). A key is published (in the JWKS, and
/// accepted by [`KeySet::verify`]) from when it is added until `grace` seconds after a newer key
/// of its algorithm started signing. A rotation adds one new key per algorithm that signs
/// `publish_ahead` seconds later, so the JWKS names a key before any token does, and a token keeps
/// verifying by its `kid` for the grace period after its key stopped signing. Everything is
/// decided on the OP's clock, so a test moves the clock instead of waiting.
#[derive(Debug)]
pub struct KeySet {
    entries: RwLock<Vec<Entry>>,
    rotation: KeyRotationConfig,
    clock: Arc<dyn Clock>,
    /// When the keys loaded at start began signing, for the automatic interval.
    started: i64,
    /// The JWK set last served and the keys it lists. The published keys change only at a
    /// rotation and when a grace period ends, so the document is serialized once per change,
    /// not per request.
    jwks_body: Mutex<Option<(Vec<Arc<SigningKey>>, Bytes)>>,
}

impl KeySet {
    /// Loads (or generates) every configured key; rotation as configured, on the wall clock until
    /// [`KeySet::with_clock`].
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let mut keys: Vec<Arc<SigningKey>> = Vec::new();
        for (i, k) in config.keys.iter().enumerate() {
            let key = match &k.pem {
                Some(path) => {
                    let path = config.resolve(path);
                    let pem = std::fs::read_to_string(&path).with_context(|| {
                        format!("keys[{i}].pem: cannot read {}", path.display())
                    })?;
                    parsed_pem(k.alg, pem, k.kid.clone())
                        .with_context(|| format!("keys[{i}].pem: {}", path.display()))?
                }
                None => Arc::new(
                    SigningKey::generate(k.alg, k.kid.clone())
                        .with_context(|| format!("keys[{i}]: key generation failed"))?,
                ),
            };
            if keys.iter().any(|other| other.kid == key.kid) {
                bail!("keys[{i}].kid: duplicate kid `{}`", key.kid);
            }
            keys.push(key);
        }
        let mut set = Self::from_shared(keys)?;
        set.rotation = config.key_rotation.clone();
        Ok(set)
    }

    /// A key set from ready keys (first key of each alg signs), never rotated automatically.
    pub fn from_keys(keys: Vec<SigningKey>) -> anyhow::Result<Self> {
        Self::from_shared(keys.into_iter().map(Arc::new).collect())
    }

    fn from_shared(keys: Vec<Arc<SigningKey>>) -> anyhow::Result<Self> {
        if !keys.iter().any(|k| k.alg == SigningAlg::RS256) {
            bail!("keys: at least one RS256 key is required");
        }
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Ok(Self {
            entries: RwLock::new(
                keys.into_iter()
                    .map(|key| Entry {
                        key,
                        signs_from: i64::MIN,
                    })
                    .collect(),
            ),
            rotation: KeyRotationConfig::default(),
            started: clock.now(),
            clock,
            jwks_body: Mutex::new(None),
        })
    }

    /// The same keys on `clock` (the OP's clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.started = clock.now();
        self.clock = clock;
        self
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry>> {
        // Entries are replaced whole under the lock; a panic elsewhere cannot leave one torn.
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The keys published at `now`.
    fn published(&self, now: i64) -> Vec<Entry> {
        let entries = self.read();
        entries
            .iter()
            .filter(|e| {
                let superseded = entries
                    .iter()
                    .filter(|o| {
                        o.key.alg == e.key.alg && o.signs_from > e.signs_from && o.signs_from <= now
                    })
                    .map(|o| o.signs_from)
                    .min();
                superseded.is_none_or(|t| now < t.saturating_add(self.rotation.grace))
            })
            .cloned()
            .collect()
    }

    /// The key signing `alg` at `now`.
    fn signing(&self, alg: SigningAlg, now: i64) -> Option<Arc<SigningKey>> {
        let entries = self.read();
        let mut best: Option<&Entry> = None;
        for e in entries
            .iter()
            .filter(|e| e.key.alg == alg && e.signs_from <= now)
        {
            if best.is_none_or(|b| e.signs_from > b.signs_from) {
                best = Some(e);
            }
        }
        best.map(|e| e.key.clone())
    }

    /// Algorithms there is a key for.
    pub fn algs(&self) -> Vec<SigningAlg> {
        let entries = self.read();
        SigningAlg::ALL
            .into_iter()
            .filter(|a| entries.iter().any(|e| e.key.alg == *a))
            .collect()
    }

    /// The JWK set document: every published key, the next ones included.
    pub fn jwks(&self) -> Value {
        let now = self.now();
        json!({"keys": self.published(now).iter().map(|e| e.key.jwk.clone()).collect::<Vec<_>>()})
    }

    /// [`KeySet::jwks`] serialized, as the JWKS endpoint sends it; serialized again only when
    /// the published keys changed since the last call.
    pub fn jwks_body(&self) -> Bytes {
        let published: Vec<Arc<SigningKey>> = self
            .published(self.now())
            .into_iter()
            .map(|e| e.key)
            .collect();
        let mut cache = self.jwks_body.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((keys, body)) = &*cache {
            if keys.len() == published.len()
                && keys.iter().zip(&published).all(|(a, b)| Arc::ptr_eq(a, b))
            {
                return body.clone();
            }
        }
        let document = json!({"keys": published.iter().map(|k| &k.jwk).collect::<Vec<_>>()});
        let body = Bytes::from(document.to_string());
        *cache = Some((published, body.clone()));
        body
    }

    /// Now on the OP's clock, after starting the automatic rotation when it is due.
    fn now(&self) -> i64 {
        let now = self.clock.now();
        let r = &self.rotation;
        if r.interval > 0 {
            let latest = self
                .read()
                .iter()
                .map(|e| e.signs_from.max(self.started))
                .max()
                .unwrap_or(self.started);
            // Started so that the new keys sign exactly `interval` after the current ones.
            if latest <= now && now >= latest.saturating_add(r.interval - r.publish_ahead) {
                if let Err(e) = self.rotate() {
                    tracing::error!("automatic key rotation failed: {e:#}");
                }
            }
        }
        now
    }

    /// Starts a rotation: one new key per algorithm, published now, signing from `publish_ahead`
    /// seconds later. While a rotation is pending (its keys do not sign yet) it is answered
    /// again instead of starting another. Keys past their grace period are dropped.
    pub fn rotate(&self) -> anyhow::Result<Rotation> {
        let now = self.clock.now();
        let signs_from = now.saturating_add(self.rotation.publish_ahead);
        let describe = |entries: &[Entry], from: i64| Rotation {
            kids: entries
                .iter()
                .filter(|e| e.signs_from == from)
                .map(|e| e.key.kid.clone())
                .collect(),
            signs_from: from,
            old_keys_until: from.saturating_add(self.rotation.grace),
        };
        {
            let entries = self.read();
            if let Some(pending) = entries.iter().map(|e| e.signs_from).find(|t| *t > now) {
                return Ok(describe(&entries, pending));
            }
        }
        // Generated outside the lock: RSA key generation takes a while.
        let fresh = self
            .algs()
            .into_iter()
            .map(|alg| SigningKey::generate(alg, None))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let keep = self.published(now);
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if let Some(pending) = entries.iter().map(|e| e.signs_from).find(|t| *t > now) {
            return Ok(describe(&entries, pending));
        }
        entries.retain(|e| keep.iter().any(|k| k.key.kid == e.key.kid));
        entries.extend(fresh.into_iter().map(|key| Entry {
            key: Arc::new(key),
            signs_from,
        }));
        let rotation = describe(&entries, signs_from);
        tracing::info!(
            "key rotation: {:?} published, signing from {signs_from}",
            rotation.kids
        );
        Ok(rotation)
    }

    /// Signs `claims` with the signing key of `alg` (falls back to RS256 when there is none).
    pub fn sign<T: Serialize>(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &T,
    ) -> anyhow::Result<String> {
        let now = self.now();
        let key = self
            .signing(alg, now)
            .or_else(|| self.signing(SigningAlg::RS256, now))
            .context("no signing key")?;
        let mut header = Header::new(key.alg.jwt_alg());
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &key.encoding)?)
    }

    /// Verifies a JWT signed by one of our published keys (selected by `kid`) and returns its
    /// claims. Only the signature and `iss` are checked; callers check audience and expiry as
    /// needed.
    pub fn verify(&self, token: &str, issuer: &str) -> Result<Value, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWS: {e}"))?;
        let kid = header.kid.ok_or("token has no kid")?;
        let now = self.now();
        let published = self.published(now);
        let key = published
            .iter()
            .map(|e| &e.key)
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
    fn a_key_file_is_parsed_once_and_shared_but_kids_and_texts_stay_apart() {
        let config = crate::config::Config {
            keys: crate::config::fixture_keys(),
            ..Default::default()
        };
        let first = |set: &KeySet| set.entries.read().unwrap()[0].key.clone();
        let (a, b) = (
            KeySet::load(&config).unwrap(),
            KeySet::load(&config).unwrap(),
        );
        assert!(Arc::ptr_eq(&first(&a), &first(&b)), "one parse per process");
        let mut named = config.clone();
        named.keys[0].kid = Some("named".into());
        let c = KeySet::load(&named).unwrap();
        assert_eq!(first(&c).kid, "named", "the kid is part of what is shared");
        assert!(!Arc::ptr_eq(&first(&a), &first(&c)));
        assert_ne!(first(&a).kid, "named");
    }

    fn rotating(interval: i64) -> (KeySet, crate::clock::ManualClock) {
        let clock = crate::clock::ManualClock::at(1_000_000);
        let mut keys = keyset().with_clock(Arc::new(clock.clone()));
        keys.rotation = KeyRotationConfig {
            interval,
            publish_ahead: 300,
            grace: 3600,
        };
        (keys, clock)
    }

    fn kid_of(token: &str) -> String {
        jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
    }

    /// The kids the JWKS endpoint serves; its cached body must agree with the key set at every
    /// step of a rotation.
    fn published_kids(keys: &KeySet) -> Vec<String> {
        let served: Value = serde_json::from_slice(&keys.jwks_body()).unwrap();
        assert_eq!(served, keys.jwks(), "the cached JWKS body is stale");
        served["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_rotation_publishes_first_switches_later_and_keeps_the_old_key_for_the_grace_period() {
        let (keys, clock) = rotating(0);
        let claims = json!({"iss": "https://op", "sub": "x"});
        let old = keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap();
        let old_kid = kid_of(&old);

        let rotation = keys.rotate().unwrap();
        assert_eq!(rotation.kids.len(), 2, "one new key per algorithm");
        assert_eq!(rotation.signs_from, 1_000_300);
        assert_eq!(rotation.old_keys_until, 1_003_900);
        assert!(!rotation.kids.contains(&old_kid));
        // Published before it signs: the JWKS has old and new, tokens still name the old key.
        let kids = published_kids(&keys);
        assert_eq!(kids.len(), 4);
        assert!(kids.contains(&old_kid) && rotation.kids.iter().all(|k| kids.contains(k)));
        assert_eq!(
            kid_of(&keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap()),
            old_kid
        );
        // Asking again while pending answers the same rotation.
        assert_eq!(keys.rotate().unwrap(), rotation);

        clock.advance(300);
        let new = keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap();
        assert!(rotation.kids.contains(&kid_of(&new)));
        assert_ne!(kid_of(&new), old_kid);
        for alg in SigningAlg::ALL {
            let kid = kid_of(&keys.sign(alg, "JWT", &claims).unwrap());
            assert!(rotation.kids.contains(&kid), "{alg:?} switched");
        }
        // The old token still verifies by its kid during the grace period, then not.
        assert_eq!(keys.verify(&old, "https://op").unwrap()["sub"], "x");
        assert_eq!(keys.verify(&new, "https://op").unwrap()["sub"], "x");
        clock.advance(3599);
        assert!(keys.verify(&old, "https://op").is_ok());
        assert!(published_kids(&keys).contains(&old_kid));
        clock.advance(1);
        assert_eq!(
            keys.verify(&old, "https://op").unwrap_err(),
            "token was not signed by this OP"
        );
        assert!(!published_kids(&keys).contains(&old_kid));
        assert_eq!(published_kids(&keys).len(), 2);
        assert!(keys.verify(&new, "https://op").is_ok());
        // The next rotation drops the expired keys for good.
        let next = keys.rotate().unwrap();
        assert_eq!(keys.read().len(), 4);
        assert_ne!(next.kids, rotation.kids);
    }

    #[test]
    fn the_interval_rotates_on_its_own_so_new_keys_sign_one_interval_after_the_last() {
        let (keys, clock) = rotating(86_400);
        let claims = json!({"iss": "https://op"});
        let first = kid_of(&keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap());
        clock.advance(86_400 - 301);
        assert_eq!(published_kids(&keys).len(), 2, "not due yet");
        clock.advance(1);
        assert_eq!(published_kids(&keys).len(), 4, "published ahead");
        assert_eq!(
            kid_of(&keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap()),
            first
        );
        clock.advance(300);
        let second = kid_of(&keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap());
        assert_ne!(second, first);
        assert_eq!(
            published_kids(&keys).len(),
            4,
            "the old keys in their grace period"
        );
        // The next one is due an interval after the second key started signing.
        clock.advance(86_400 - 301);
        assert_eq!(
            published_kids(&keys).len(),
            2,
            "grace over, the next not due"
        );
        clock.advance(1);
        assert_eq!(published_kids(&keys).len(), 4);
        assert_eq!(
            kid_of(&keys.sign(SigningAlg::RS256, "JWT", &claims).unwrap()),
            second,
            "published ahead, not signing yet"
        );
    }

    #[test]
    fn bad_pem_is_an_error() {
        assert!(SigningKey::from_pem(SigningAlg::RS256, EC_PEM, None).is_err());
        assert!(SigningKey::from_pem(SigningAlg::ES256, "garbage", None).is_err());
    }
}
