//! Steps of the certification plans' request-object, `claims` and client-authentication
//! modules (`features/oidcc/dynamic.feature`, ...): what the RP registers (its own
//! keys, [`crate::rp::signing`]) and how it carries a request. Flows, responses and checks are
//! those of [`super::oidcc`]; like them, these use only discovery, registration and the
//! RP's own callback server, so they run against any OP.

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::{json, Map, Value};

use super::check;
use super::oidcc::{callback_url, metadata_of, response, send_user, server, use_variant, Carry};
use crate::world::GateWorld;

/// The registration metadata of a client whose request objects are RS256-signed by the RP's
/// key (OpenID Connect Dynamic Client Registration §2: `jwks`, `request_object_signing_alg`).
fn signing_metadata() -> anyhow::Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert("jwks".into(), crate::rp::signing::jwks()?);
    m.insert("request_object_signing_alg".into(), json!("RS256"));
    Ok(m)
}

#[given(
    expr = "the certification RP uses response type {string} and response mode {string}, with its key registered for RS256 request objects"
)]
async fn variant_with_key(w: &mut GateWorld, rt: String, mode: String) -> anyhow::Result<()> {
    use_variant(w, &rt, &mode, signing_metadata()?).await
}

#[when(
    "the RP sends the user to the OP with its request in an RS256-signed request object passed by reference"
)]
async fn sends_signed_request_uri(w: &mut GateWorld) -> anyhow::Result<()> {
    send_user(w, "", &[], Carry::SignedRequestUri, false).await
}

/// An error for a request object the OP would not read: the state inside it cannot come back,
/// so only the error (one of `errors`, `a or b`) and the absence of a code are checked.
#[then(expr = "the RP receives the error {string} for its request object")]
async fn request_object_refused(w: &mut GateWorld, errors: String) -> anyhow::Result<()> {
    let r = response(w)?;
    let error = r.get("error").unwrap_or_default();
    check!(
        errors.split(" or ").any(|e| e == error),
        "the OP answered {error:?}, expected {errors}: {}",
        r.describe()
    );
    check!(r.get("code").is_none(), "the error response carries a code");
    check!(
        r.get("id_token").is_none() && r.get("access_token").is_none(),
        "the error response carries tokens"
    );
    Ok(())
}

/// Where the RP serves its JWK set on its callback server when it registers a `jwks_uri`.
const JWKS_PATH: &str = "/jwks";

/// The Dynamic plan's client authentication: `private_key_jwt` with the RP's key, registered by
/// value (`jwks`) unless `jwks_uri` is given.
fn private_key_jwt(jwks_uri: Option<String>) -> anyhow::Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert(
        "token_endpoint_auth_method".into(),
        json!("private_key_jwt"),
    );
    match jwks_uri {
        Some(uri) => m.insert("jwks_uri".into(), json!(uri)),
        None => m.insert("jwks".into(), crate::rp::signing::jwks()?),
    };
    Ok(m)
}

#[given(
    expr = "the certification RP uses response type {string} and response mode {string}, with private_key_jwt"
)]
async fn variant_pkj(w: &mut GateWorld, rt: String, mode: String) -> anyhow::Result<()> {
    use_variant(w, &rt, &mode, private_key_jwt(None)?).await
}

#[given(
    expr = "the certification RP uses response type {string} and response mode {string}, with private_key_jwt, registered with:"
)]
async fn variant_pkj_with(
    w: &mut GateWorld,
    step: &Step,
    rt: String,
    mode: String,
) -> anyhow::Result<()> {
    let callback = callback_url(w).await?;
    let mut meta = private_key_jwt(None)?;
    meta.extend(metadata_of(step, &callback)?);
    use_variant(w, &rt, &mode, meta).await
}

#[given(
    expr = "the certification RP uses response type {string} and response mode {string}, with private_key_jwt and its key registered for RS256 request objects"
)]
async fn variant_pkj_signing(w: &mut GateWorld, rt: String, mode: String) -> anyhow::Result<()> {
    let mut meta = private_key_jwt(None)?;
    meta.extend(signing_metadata()?);
    use_variant(w, &rt, &mode, meta).await
}

#[given(
    expr = "the certification RP uses response type {string} and response mode {string}, with private_key_jwt and its keys at its jwks_uri"
)]
async fn variant_pkj_jwks_uri(w: &mut GateWorld, rt: String, mode: String) -> anyhow::Result<()> {
    let jwks = crate::rp::signing::jwks()?.to_string();
    let uri = server(w).await?.serve(JWKS_PATH, "application/json", jwks);
    use_variant(w, &rt, &mode, private_key_jwt(Some(uri))?).await
}

/// The suite's RP rotates its key: its `jwks_uri` now holds only a new key (a new `kid`), and
/// its assertions are signed with that one, so only an OP that fetches the set again accepts
/// them.
#[when("the RP rotates its key at its jwks_uri")]
async fn rotates_key(w: &mut GateWorld) -> anyhow::Result<()> {
    let jwks = crate::rp::signing::jwks_of(crate::rp::signing::ROTATED_KID)?.to_string();
    server(w).await?.serve(JWKS_PATH, "application/json", jwks);
    for c in &mut w.oidcc.clients {
        c.kid = crate::rp::signing::ROTATED_KID;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_key_jwt_registers_keys_by_value_or_by_reference() {
        let by_value = private_key_jwt(None).unwrap();
        assert_eq!(by_value["token_endpoint_auth_method"], "private_key_jwt");
        assert!(by_value["jwks"]["keys"][0].get("d").is_none());
        let by_ref = private_key_jwt(Some("http://127.0.0.1:9/jwks".into())).unwrap();
        assert_eq!(by_ref["jwks_uri"], "http://127.0.0.1:9/jwks");
        assert!(by_ref.get("jwks").is_none());
    }

    #[test]
    fn the_signing_client_registers_its_public_key_and_alg() {
        let m = signing_metadata().unwrap();
        assert_eq!(m["request_object_signing_alg"], "RS256");
        let key = &m["jwks"]["keys"][0];
        assert_eq!(key["kid"], crate::rp::signing::KID);
        assert!(
            key.get("d").is_none(),
            "the private part is never registered"
        );
    }
}
