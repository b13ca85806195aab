//! Certification-RP steps for the OP modules around client metadata and keys: third-party
//! initiated login (OpenID Connect Core 1.0 §4), sector identifier documents (OpenID Connect
//! Dynamic Client Registration 1.0 §5) and the OP's key rotation (`oidcc-server-rotate-keys`).
//! They build on the RP of [`super::oidcc`].

use anyhow::Context;
use cucumber::{given, then, when};
use jsonwebtoken::jwk::JwkSet;
use serde_json::{json, Value};

use super::check;
use super::oidcc::{self, Carry};
use crate::rp::id_token;
use crate::world::GateWorld;

/// Where the RP serves its sector identifier document.
const SECTOR_PATH: &str = "/sector_identifier";

/// What the key-rotation module keeps between steps.
#[derive(Debug, Default)]
pub struct KeysState {
    /// The kids of the OP's JWKS before the rotation.
    before: Vec<String>,
    /// The kids of the OP's JWKS after it.
    after: Option<JwkSet>,
}

#[when(expr = "a third party sends the user to the RP's initiate_login_uri with {string}")]
async fn third_party_initiates(w: &mut GateWorld, params: String) -> anyhow::Result<()> {
    let issuer = w.target()?.op.issuer.clone();
    let callback = oidcc::callback_url(w).await?;
    let filled = params
        .replace("(issuer)", &issuer)
        .replace("(callback)", &callback);
    let params: Vec<(String, String)> = filled
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // OIDC Core §4: the RP starts a login only at an issuer it knows, and goes on only to its
    // own pages (target_link_uri), so the initiation is no open redirect.
    let iss = get("iss").context("the login initiation has no iss")?;
    check!(
        iss.trim_end_matches('/') == issuer.trim_end_matches('/'),
        "the login initiation names the issuer {iss}, not the OP's {issuer}"
    );
    if let Some(target) = get("target_link_uri") {
        let base = oidcc::server(w).await?.base().to_owned();
        check!(
            target.starts_with(&base),
            "target_link_uri {target} is not the RP's"
        );
    }
    let extra = get("login_hint")
        .map(|h| format!("login_hint={h}"))
        .unwrap_or_default();
    oidcc::send_user(w, &extra, &[], Carry::Query, false).await
}

#[given(expr = "the certification RP serves a sector identifier document {word} its redirect URI")]
async fn serves_sector(w: &mut GateWorld, how: String) -> anyhow::Result<()> {
    let callback = oidcc::callback_url(w).await?;
    let listed = match how.as_str() {
        "listing" => json!([callback]),
        "without" => json!(["https://elsewhere.gatecheck.invalid/cb"]),
        other => anyhow::bail!("`{other}`: say listing or without"),
    };
    oidcc::server(w)
        .await?
        .serve(SECTOR_PATH, "application/json", listed.to_string());
    Ok(())
}

fn kids(set: &JwkSet) -> Vec<String> {
    set.keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect()
}

#[when("the OP rotates its signing keys")]
async fn rotates(w: &mut GateWorld) -> anyhow::Result<()> {
    let before = oidcc::fetch_jwks(w).await?;
    w.op_keys.before = kids(&before);
    // The reference OP's administrator starts the rotation; the new keys sign once their
    // publication period (key_rotation.publish_ahead) has passed on the OP's clock.
    let stack = w.stack()?;
    let rotation = stack.op.rotate_keys()?;
    let now = gatecheck_op::Clock::now(&stack.op_clock);
    let after = oidcc::fetch_jwks(w).await?;
    let published = kids(&after);
    for kid in &rotation.kids {
        check!(
            published.contains(kid),
            "the OP's JWKS does not publish the next key {kid} before it signs"
        );
    }
    w.stack()?
        .op_clock
        .advance((rotation.signs_from - now).max(0));
    w.op_keys.after = Some(after);
    Ok(())
}

#[then("the OP's JWKS has a new signing key and still has the old ones")]
async fn jwks_rotated(w: &mut GateWorld) -> anyhow::Result<()> {
    let after = oidcc::fetch_jwks(w).await?;
    let now = kids(&after);
    let before = &w.op_keys.before;
    check!(
        now.iter().any(|k| !before.contains(k)),
        "the JWKS has no new key: {now:?}"
    );
    // The suite's "should": the old keys stay, so tokens they signed still verify.
    for kid in before {
        check!(now.contains(kid), "the old key {kid} left the JWKS at once");
    }
    w.op_keys.after = Some(after);
    Ok(())
}

#[then("the RP receives an ID token signed by a new key of the OP's JWKS, named by its kid")]
async fn signed_by_new_key(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = oidcc::response(w)?;
    check!(
        r.get("error").is_none(),
        "the OP answered an error: {}",
        r.describe()
    );
    let raw = r
        .get("id_token")
        .context("the response has no id_token")?
        .to_owned();
    let jwks = oidcc::fetch_jwks(w).await?;
    let issuer = w.target()?.op.issuer.clone();
    let f = oidcc::flow(w, 0)?;
    let client_id = oidcc::client(w, f.client)?.client_id.clone();
    let now = oidcc::now() + w.stack().map(|s| s.op_clock.offset()).unwrap_or(0);
    let token = id_token::check(
        &raw,
        &jwks,
        &id_token::Expected {
            issuer: &issuer,
            client_id: &client_id,
            nonce: None,
            now,
        },
    )?;
    let kid = token.kid.unwrap_or_default();
    check!(
        !w.op_keys.before.contains(&kid),
        "the ID token after the rotation is still signed by the old key {kid}"
    );
    Ok(())
}

#[then("the ID token from before the rotation still verifies with the key its kid names")]
async fn old_token_verifies(w: &mut GateWorld) -> anyhow::Result<()> {
    let old = oidcc::flow(w, 1)?
        .auth_id_token
        .as_ref()
        .context("the flow before the rotation has no checked ID token")?
        .raw
        .clone();
    let jwks = oidcc::fetch_jwks(w).await?;
    let header = jsonwebtoken::decode_header(&old)?;
    let kid = header.kid.clone().context("the old ID token has no kid")?;
    let jwk = jwks
        .find(&kid)
        .with_context(|| format!("the OP's JWKS no longer has {kid}, the old ID token's key"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    // Only the signature: the token's age is not what this checks.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(&old, &key, &validation)
        .with_context(|| format!("the old ID token does not verify with {kid}"))?;
    Ok(())
}
