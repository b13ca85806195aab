//! Token introspection (RFC 7662) at `/oxauth/restv1/introspection`, GET or POST.
//!
//! The caller authenticates with client credentials (Basic or form) or with
//! `Authorization: Bearer <access token>` (the caller is then that token's client). A caller
//! sees a token as active only when it may serve it: the token was issued to the caller, or its
//! `aud` names the caller or one of the caller's `resource_servers`, or the caller is configured
//! with `introspect_any_token` (a gateway that serves every client's tokens). Any other token
//! reads `{"active": false}`, exactly like an unknown, expired or revoked one, so a caller learns
//! nothing about other clients' tokens.
//!
//! `introspection.any_token: bearer` restores Gluu 4.2's rule: a caller presenting any valid
//! access token as Bearer (carrying `introspection.bearer_scope` when set; Gluu's
//! `introspectionAccessTokenMustHaveUmaProtectionScope` means `uma_protection`) may introspect
//! every token. `any_token: authenticated` lets every authenticated caller do so (the Gluu
//! Gateway tutorials' stacks, whose gateway client is registered dynamically).
//!
//! Errors follow Gluu: no caller authentication or no `token` → 400 `invalid_request`; bad
//! caller credentials (or a bearer token without `bearer_scope`) → 401 `access_denied`.
//! Fields: `active, scope, client_id, username, token_type, exp, iat, sub, aud, iss, jti,
//! acr_values`, then the client's extra access-token claims (`token_claims`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::bearer;
use crate::clients::{self, Client};
use crate::config::AnyTokenCallers;
use crate::error::OAuthError;
use crate::scopes::Spaced;
use crate::server::{parse_form, AppState};
use crate::tokens::Audience;

/// `GET /introspection?token=...`.
pub async fn get_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    respond(
        &state,
        &headers,
        parse_form(query.unwrap_or_default().as_bytes()),
    )
    .await
}

/// `POST /introspection` (form).
pub async fn post_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(&state, &headers, parse_form(&body)).await
}

async fn respond(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<HashMap<String, String>, OAuthError>,
) -> Response {
    let result = async {
        let form = form?;
        let caller = caller(state, headers, &form).await?;
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
        introspect(state, &caller, token)
    }
    .await;
    match result {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(err @ OAuthError::AccessDenied(_)) => (StatusCode::UNAUTHORIZED, err).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Who is asking, and whether Gluu's bearer rule lets it see every token.
struct Caller {
    client: Arc<Client>,
    sees_every_token: bool,
}

impl Caller {
    /// Whether the caller may learn about a token of `client_id` for `audience`.
    fn may_see(&self, client_id: &str, audience: &[String]) -> bool {
        let c = &self.client;
        self.sees_every_token
            || c.introspect_any_token
            || c.client_id == client_id
            || audience
                .iter()
                .any(|a| *a == c.client_id || c.resource_servers.contains(a))
    }
}

async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Caller, OAuthError> {
    let denied = |e: OAuthError| OAuthError::AccessDenied(e.description());
    let policy = &state.config.introspection;
    if let Some(token) = bearer::from_header(headers)? {
        let record = crate::tokens::lookup_access_token(state, &token).ok_or_else(|| {
            OAuthError::AccessDenied("the bearer token is unknown, expired or revoked".into())
        })?;
        if let Some(scope) = &policy.bearer_scope {
            if !record.scopes.contains(scope) {
                return Err(OAuthError::AccessDenied(format!(
                    "the bearer token lacks the `{scope}` scope"
                )));
            }
        }
        let client = clients::find_enabled(state, &record.client_id).map_err(denied)?;
        return Ok(Caller {
            client,
            sees_every_token: policy.any_token != AnyTokenCallers::None,
        });
    }
    match clients::presented_credentials(headers, form)? {
        None => Err(OAuthError::InvalidRequest(
            "introspection requires client credentials or a bearer token".into(),
        )),
        Some(presented) => Ok(Caller {
            client: clients::authenticate(state, Some(presented))
                .await
                .map_err(denied)?,
            sees_every_token: policy.any_token == AnyTokenCallers::Authenticated,
        }),
    }
}

/// What an inactive token reads like (RFC 7662 §2.2): unknown, expired, revoked or not the
/// caller's to see are all the same answer.
const INACTIVE: &[u8] = br#"{"active":false}"#;

/// The answer for `token`, serialized. The answers are structs written straight to bytes: no
/// intermediate `Value`, and the record's strings are borrowed, not copied.
fn introspect(state: &AppState, caller: &Caller, token: &str) -> Result<Vec<u8>, OAuthError> {
    let now = state.now();
    if let Some(t) = state.storage.access_tokens.get(token, now) {
        if !caller.may_see(&t.client_id, &t.audience) {
            return Ok(INACTIVE.to_vec());
        }
        // The caller is usually the token's own client: no second lookup then.
        let fetched;
        let owner: Option<&Client> = if caller.client.client_id == t.client_id {
            Some(&caller.client)
        } else {
            fetched = state.storage.clients.get(&t.client_id, now);
            fetched.as_deref()
        };
        let auth = t.auth.as_ref();
        let sub: Cow<'_, str> = match (auth, owner) {
            (None, _) => Cow::Borrowed(&t.client_id),
            (Some(a), Some(owner)) => {
                Cow::Owned(crate::subjects::subject_for(state, owner, &a.sub))
            }
            // As `subjects::subject_for_client_id`: a client that no longer exists sees
            // nothing linkable.
            (Some(_), None) => Cow::Owned(crate::util::random_token(16)),
        };
        // The token's client decides its fixed claims, as in its JWT form; a disabled client's
        // are not applied.
        let fixed = Fixed(
            owner
                .filter(|c| !c.disabled)
                .map(|c| &c.access_token_claims),
        );
        let answer = AccessTokenAnswer {
            active: fixed.pick("active", Some(true)),
            scope: fixed.pick("scope", Some(Spaced(&t.scopes))),
            client_id: fixed.pick("client_id", Some(t.client_id.as_str())),
            username: fixed.pick("username", auth.map(|a| a.username.as_str())),
            token_type: fixed.pick("token_type", Some("bearer")),
            exp: fixed.pick("exp", Some(t.exp)),
            iat: fixed.pick("iat", Some(t.iat)),
            sub: fixed.pick("sub", Some(&*sub)),
            aud: fixed.pick("aud", Some(Audience(&t.audience))),
            iss: fixed.pick("iss", Some(&*state.issuer)),
            acr_values: fixed.pick("acr_values", auth.map(|a| a.acr.as_str())),
            jti: fixed.pick("jti", t.jti.as_deref()),
            preferred_username: fixed.pick("preferred_username", auth.map(|a| a.username.as_str())),
            rest: Rest {
                fixed,
                taken: &ACCESS_TOKEN_FIELDS,
            },
        };
        return to_bytes(&answer);
    }
    if let Some(t) = state.storage.refresh_tokens.get(token, now) {
        if !caller.may_see(&t.client_id, std::slice::from_ref(&t.client_id)) {
            return Ok(INACTIVE.to_vec());
        }
        let auth = t.auth.as_ref();
        let sub = auth.map(|a| crate::subjects::subject_for_client_id(state, &t.client_id, &a.sub));
        return to_bytes(&RefreshTokenAnswer {
            active: true,
            scope: Spaced(&t.scopes),
            client_id: &t.client_id,
            username: auth.map(|a| a.username.as_str()),
            token_type: "refresh_token",
            exp: t.exp,
            sub: sub.as_deref(),
            aud: &t.client_id,
            iss: &state.issuer,
        });
    }
    Ok(INACTIVE.to_vec())
}

fn to_bytes(answer: &impl Serialize) -> Result<Vec<u8>, OAuthError> {
    // An access-token answer is some 300 bytes: one allocation, rarely grown.
    let mut out = Vec::with_capacity(384);
    serde_json::to_writer(&mut out, answer)
        .map_err(|e| OAuthError::server("introspection answer", e))?;
    Ok(out)
}

/// The fields of an access token's answer, in order; `rest` leaves these names out, so a
/// client claim of the same name takes the field's place instead of repeating the key
/// (RFC 8259 §4: names within an object should be unique).
const ACCESS_TOKEN_FIELDS: [&str; 13] = [
    "active",
    "scope",
    "client_id",
    "username",
    "token_type",
    "exp",
    "iat",
    "sub",
    "aud",
    "iss",
    "acr_values",
    "jti",
    "preferred_username",
];

/// An active access token's answer. A field is absent when the token has no value for it.
#[derive(Serialize)]
struct AccessTokenAnswer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    active: Option<Field<'a, bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<Field<'a, Spaced<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<Field<'a, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<Field<'a, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<Field<'a, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<Field<'a, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<Field<'a, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<Field<'a, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<Field<'a, Audience<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<Field<'a, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr_values: Option<Field<'a, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<Field<'a, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<Field<'a, &'a str>>,
    #[serde(flatten)]
    rest: Rest<'a>,
}

/// An active refresh token's answer (no client claims: those belong to access tokens).
#[derive(Serialize)]
struct RefreshTokenAnswer<'a> {
    active: bool,
    scope: Spaced<'a>,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    token_type: &'static str,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    aud: &'a str,
    iss: &'a str,
}

/// One field: the OP's value, or the value the token's client fixed for that name.
#[derive(Serialize)]
#[serde(untagged)]
enum Field<'a, T> {
    Op(T),
    Client(&'a Value),
}

/// The token client's `access_token_claims`, if it applies any.
#[derive(Clone, Copy)]
struct Fixed<'a>(Option<&'a Map<String, Value>>);

impl<'a> Fixed<'a> {
    /// The field `name`: the client's value wins over the OP's `own`; a client value of
    /// `null` removes the field (null fields are never written).
    fn pick<T>(self, name: &str, own: Option<T>) -> Option<Field<'a, T>> {
        match self.0.and_then(|claims| claims.get(name)) {
            Some(Value::Null) => None,
            Some(value) => Some(Field::Client(value)),
            None => own.map(Field::Op),
        }
    }
}

/// The client's claims that are not fields of the answer, in the client's order, nulls left
/// out.
struct Rest<'a> {
    fixed: Fixed<'a>,
    taken: &'static [&'static str],
}

impl Serialize for Rest<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.fixed.0.into_iter().flatten() {
            if !value.is_null() && !self.taken.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acr::AcrMethod;
    use crate::config::ClientConfig;
    use crate::model::{AccessTokenRecord, AuthContext, RefreshTokenRecord};
    use crate::protocol::SubjectType;
    use crate::scopes::ScopeSet;
    use serde_json::json;

    /// The answer as the OP built it before it was serialized from structs: a `Value` with
    /// nulls, the client's claims merged in, nulls stripped. The new answers must say the same.
    fn merged_value_answer(state: &AppState, caller: &Caller, token: &str) -> Value {
        let now = state.now();
        let strip_nulls = |mut value: Value| {
            if let Value::Object(map) = &mut value {
                map.retain(|_, v| !v.is_null());
            }
            value
        };
        let aud = |audience: &[String]| match audience {
            [one] => json!(one),
            many => json!(many),
        };
        if let Some(t) = state.storage.access_tokens.get(token, now) {
            if !caller.may_see(&t.client_id, &t.audience) {
                return json!({"active": false});
            }
            let mut body = json!({
                "active": true,
                "scope": t.scopes.to_string(),
                "client_id": t.client_id,
                "username": t.auth.as_ref().map(|a| a.username.clone()),
                "token_type": "bearer",
                "exp": t.exp,
                "iat": t.iat,
                "sub": t.auth.as_ref().map_or(t.client_id.clone(), |a| {
                    crate::subjects::subject_for_client_id(state, &t.client_id, &a.sub)
                }),
                "aud": aud(&t.audience),
                "iss": &*state.issuer,
                "acr_values": t.auth.as_ref().map(|a| a.acr.as_str()),
            });
            if let Some(jti) = &t.jti {
                body["jti"] = json!(jti);
            }
            if let Some(auth) = &t.auth {
                body["preferred_username"] = json!(auth.username);
            }
            if let Ok(owner) = clients::find_enabled(state, &t.client_id) {
                for (k, v) in &owner.access_token_claims {
                    body[k.as_str()] = v.clone();
                }
            }
            return strip_nulls(body);
        }
        if let Some(t) = state.storage.refresh_tokens.get(token, now) {
            if !caller.may_see(&t.client_id, std::slice::from_ref(&t.client_id)) {
                return json!({"active": false});
            }
            return strip_nulls(json!({
                "active": true,
                "scope": t.scopes.to_string(),
                "client_id": t.client_id,
                "username": t.auth.as_ref().map(|a| a.username.clone()),
                "token_type": "refresh_token",
                "exp": t.exp,
                "sub": t.auth.as_ref().map(|a| {
                    crate::subjects::subject_for_client_id(state, &t.client_id, &a.sub)
                }),
                "aud": t.client_id,
                "iss": &*state.issuer,
            }));
        }
        json!({"active": false})
    }

    /// The names of a JSON object's members as the text has them, repeats included.
    fn keys_in_text(raw: &[u8]) -> Vec<String> {
        struct Keys(Vec<String>);
        impl<'de> serde::Deserialize<'de> for Keys {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = Keys;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Keys, A::Error> {
                        let mut keys = Vec::new();
                        while let Some((k, _)) =
                            map.next_entry::<String, serde::de::IgnoredAny>()?
                        {
                            keys.push(k);
                        }
                        Ok(Keys(keys))
                    }
                }
                d.deserialize_map(V)
            }
        }
        serde_json::from_slice::<Keys>(raw)
            .expect("a JSON object")
            .0
    }

    const NOW: i64 = 1_000_000;

    fn state() -> AppState {
        let mut state = crate::server::test_state();
        state.clock = Arc::new(crate::clock::ManualClock::at(NOW));
        state
    }

    fn client(state: &AppState, id: &str, edit: impl FnOnce(&mut Client)) -> Arc<Client> {
        let config = ClientConfig {
            client_id: id.into(),
            client_secret: Some("s".into()),
            redirect_uris: vec![format!("https://{id}.example/cb")],
            ..Default::default()
        };
        let mut client = Client::from_config(&config).unwrap();
        edit(&mut client);
        let client = Arc::new(client);
        state
            .storage
            .clients
            .insert(id, client.clone(), crate::storage::NEVER);
        client
    }

    fn caller(client: &Arc<Client>) -> Caller {
        Caller {
            client: client.clone(),
            sees_every_token: false,
        }
    }

    fn user() -> AuthContext {
        AuthContext {
            sub: "user-sub-1".into(),
            username: "jdoe".into(),
            acr: AcrMethod::Otp,
            amr: vec!["otp".into()],
            auth_time: NOW - 10,
            sid: Some("sid-1".into()),
        }
    }

    fn access_token(
        state: &AppState,
        token: &str,
        client_id: &str,
        auth: Option<AuthContext>,
        jti: Option<&str>,
        audience: &[&str],
    ) {
        let record = AccessTokenRecord {
            grant_id: "grant-1".into(),
            client_id: client_id.into(),
            scopes: ScopeSet::parse("openid read write"),
            audience: audience.iter().map(|a| a.to_string()).collect(),
            auth,
            iat: NOW - 5,
            exp: NOW + 300,
            jti: jti.map(str::to_owned),
        };
        state
            .storage
            .access_tokens
            .insert(token, Arc::new(record), NOW + 300);
    }

    fn refresh_token(state: &AppState, token: &str, client_id: &str, auth: Option<AuthContext>) {
        let record = RefreshTokenRecord {
            grant_id: "grant-2".into(),
            client_id: client_id.into(),
            scopes: ScopeSet::parse("openid offline_access"),
            auth,
            nonce: None,
            exp: NOW + 3600,
        };
        state
            .storage
            .refresh_tokens
            .insert(token, record, NOW + 3600);
    }

    /// The answer's bytes, checked against the merged-`Value` answer: the same text (same
    /// members in the same order), no repeated name.
    fn answer(state: &AppState, caller: &Caller, token: &str) -> Value {
        let raw = introspect(state, caller, token).unwrap();
        let expected = merged_value_answer(state, caller, token);
        assert_eq!(
            String::from_utf8(raw.clone()).unwrap(),
            expected.to_string(),
            "the serialized answer says what the merged Value said"
        );
        let keys = keys_in_text(&raw);
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(keys.len(), unique.len(), "a repeated name in {keys:?}");
        serde_json::from_slice(&raw).unwrap()
    }

    #[test]
    fn a_client_credentials_token_names_its_client_as_subject() {
        let state = state();
        let api = client(&state, "api", |_| {});
        access_token(&state, "at-1", "api", None, None, &["api"]);
        let body = answer(&state, &caller(&api), "at-1");
        assert_eq!(
            body,
            json!({
                "active": true,
                "scope": "openid read write",
                "client_id": "api",
                "token_type": "bearer",
                "exp": NOW + 300,
                "iat": NOW - 5,
                "sub": "api",
                "aud": "api",
                "iss": "https://op.example",
            })
        );
    }

    #[test]
    fn a_user_token_with_a_jti_carries_the_user_and_the_jti() {
        let state = state();
        let api = client(&state, "api", |_| {});
        access_token(
            &state,
            "at-2",
            "api",
            Some(user()),
            Some("jti-9"),
            &["api", "rs-1", "rs-2"],
        );
        let body = answer(&state, &caller(&api), "at-2");
        assert_eq!(body["username"], "jdoe");
        assert_eq!(body["preferred_username"], "jdoe");
        assert_eq!(
            body["sub"], "user-sub-1",
            "a public client sees the user's sub"
        );
        assert_eq!(body["acr_values"], "otp");
        assert_eq!(body["jti"], "jti-9");
        assert_eq!(body["aud"], json!(["api", "rs-1", "rs-2"]));
    }

    #[test]
    fn a_pairwise_client_sees_its_pairwise_sub_also_when_another_caller_asks() {
        let state = state();
        let api = client(&state, "api", |c| c.subject_type = SubjectType::Pairwise);
        let gateway = client(&state, "gateway", |c| c.introspect_any_token = true);
        access_token(&state, "at-3", "api", Some(user()), None, &["api"]);
        let own = answer(&state, &caller(&api), "at-3");
        let other = answer(&state, &caller(&gateway), "at-3");
        assert_ne!(own["sub"], "user-sub-1");
        assert_eq!(own, other, "one answer whoever may ask");
    }

    #[test]
    fn client_claims_replace_fields_in_place_and_add_the_others_once() {
        let state = state();
        let api = client(&state, "api", |c| {
            let claims = json!({"dept": "finance", "acr_values": "pinned", "level": null, "n": 3});
            c.access_token_claims = claims.as_object().unwrap().clone();
        });
        access_token(&state, "at-4", "api", Some(user()), None, &["api"]);
        let raw = introspect(&state, &caller(&api), "at-4").unwrap();
        let text = String::from_utf8(raw).unwrap();
        assert_eq!(text.matches("\"acr_values\"").count(), 1, "{text}");
        assert!(
            !text.contains("\"level\""),
            "a null claim is not written: {text}"
        );
        let body = answer(&state, &caller(&api), "at-4");
        assert_eq!(body["acr_values"], "pinned");
        assert_eq!(
            (body["dept"].clone(), body["n"].clone()),
            (json!("finance"), json!(3))
        );
    }

    #[test]
    fn every_field_a_client_claim_names_is_written_once() {
        // Configuration keeps the reserved names out of `access_token_claims`; the answer does
        // not rely on it. Every field named by a client claim, and one null: no repeats.
        let state = state();
        let api = client(&state, "api", |c| {
            c.access_token_claims = ACCESS_TOKEN_FIELDS
                .iter()
                .map(|name| (name.to_string(), json!(format!("client-{name}"))))
                .collect();
            c.access_token_claims.insert("sub".into(), Value::Null);
        });
        access_token(&state, "at-5", "api", Some(user()), Some("j"), &["api"]);
        let raw = introspect(&state, &caller(&api), "at-5").unwrap();
        let keys = keys_in_text(&raw);
        let expected: Vec<&str> = ACCESS_TOKEN_FIELDS
            .into_iter()
            .filter(|k| *k != "sub")
            .collect();
        assert_eq!(
            keys, expected,
            "each once, in the answer's order, a null one removed"
        );
        let body: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(body["scope"], "client-scope");
        assert_eq!(body["active"], "client-active");
        let _ = answer(&state, &caller(&api), "at-5");
    }

    #[test]
    fn a_disabled_clients_claims_are_not_applied() {
        let state = state();
        let gateway = client(&state, "gateway", |c| c.introspect_any_token = true);
        client(&state, "api", |c| {
            c.disabled = true;
            c.access_token_claims = json!({"dept": "x"}).as_object().unwrap().clone();
        });
        access_token(&state, "at-6", "api", None, None, &["api"]);
        let body = answer(&state, &caller(&gateway), "at-6");
        assert_eq!(body["active"], true);
        assert!(body.get("dept").is_none(), "{body}");
    }

    #[test]
    fn refresh_tokens_answer_with_and_without_a_user() {
        let state = state();
        let api = client(&state, "api", |c| {
            c.access_token_claims = json!({"dept": "x"}).as_object().unwrap().clone();
        });
        refresh_token(&state, "rt-1", "api", Some(user()));
        refresh_token(&state, "rt-2", "api", None);
        let body = answer(&state, &caller(&api), "rt-1");
        assert_eq!(
            body,
            json!({
                "active": true,
                "scope": "openid offline_access",
                "client_id": "api",
                "username": "jdoe",
                "token_type": "refresh_token",
                "exp": NOW + 3600,
                "sub": "user-sub-1",
                "aud": "api",
                "iss": "https://op.example",
            }),
            "no access-token claims on a refresh token"
        );
        let body = answer(&state, &caller(&api), "rt-2");
        assert!(
            body.get("username").is_none() && body.get("sub").is_none(),
            "{body}"
        );
        assert_eq!(body["token_type"], "refresh_token");
    }

    #[test]
    fn unknown_expired_and_foreign_tokens_are_all_just_inactive() {
        let state = state();
        let api = client(&state, "api", |_| {});
        let other = client(&state, "other", |_| {});
        access_token(&state, "at-7", "api", None, None, &["api"]);
        refresh_token(&state, "rt-3", "api", None);
        let expired = AccessTokenRecord {
            grant_id: "g".into(),
            client_id: "api".into(),
            scopes: ScopeSet::default(),
            audience: vec!["api".into()],
            auth: None,
            iat: NOW - 100,
            exp: NOW,
            jti: None,
        };
        state
            .storage
            .access_tokens
            .insert("at-old", Arc::new(expired), NOW);
        for (who, token) in [
            (&api, "nope"),
            (&api, "at-old"),
            (&other, "at-7"),
            (&other, "rt-3"),
        ] {
            let raw = introspect(&state, &caller(who), token).unwrap();
            assert_eq!(raw, br#"{"active":false}"#, "{token}");
            let _ = answer(&state, &caller(who), token);
        }
    }
}
