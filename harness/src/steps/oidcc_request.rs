//! Steps of the certification plans' request-object, `claims` and client-authentication
//! modules (`features/oidcc/request_object.feature`, ...): what the RP registers (its own
//! keys, [`crate::rp::signing`]) and how it carries a request. Flows, responses and checks are
//! those of [`super::oidcc`]; like them, these use only discovery, registration and the
//! RP's own callback server, so they run against any OP.

use cucumber::{given, then, when};
use serde_json::{json, Map, Value};

use super::check;
use super::oidcc::{response, send_user, use_variant, Carry};
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

#[cfg(test)]
mod tests {
    use super::*;

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
