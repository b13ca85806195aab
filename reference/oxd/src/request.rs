//! Request bodies: JSON parsed with the offending field named, and helpers for required fields.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::OxdError;

/// The largest command body read (2 MiB; the biggest real command, `register-site` with its
/// URI lists, is a few KiB). A larger one is 413 before any of it is parsed.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A JSON command body. An empty body counts as `{}` so the missing field gets named. JSON
/// nested deeper than serde_json's limit (128) is an `invalid_request`, so no body can exhaust
/// the stack.
pub struct Command<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Command<T> {
    type Rejection = OxdError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OxdError::BodyTooLarge
            } else {
                OxdError::MalformedBody(e.to_string())
            }
        })?;
        parse(&bytes).map(Command)
    }
}

/// Parses a command body.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, OxdError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| OxdError::MalformedBody(e.to_string()))?;
    if !value.is_object() {
        return Err(OxdError::MalformedBody("expected a JSON object".into()));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        OxdError::invalid(field, e.into_inner().to_string())
    })
}

/// A required string field: absent, null or blank → [`OxdError::MissingField`].
pub fn required(value: Option<String>, field: &'static str) -> Result<String, OxdError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(OxdError::MissingField(field)),
    }
}

/// A list given as a JSON array or a space-separated string (oxd accepts both for scopes).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringList {
    /// `"openid oxd"`.
    Spaced(String),
    /// `["openid","oxd"]`.
    List(Vec<String>),
}

impl StringList {
    /// The non-empty items.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::Spaced(s) => s.split_whitespace().map(str::to_owned).collect(),
            Self::List(v) => v
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// Drops `null` members of a response object: oxd leaves absent values out, and Lua callers
/// (GG's plugins) would take a JSON `null` for a present value.
pub fn without_nulls(mut value: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

/// Checks that every item is an absolute URL without fragment (redirect URIs).
pub fn absolute_urls(field: &'static str, urls: &[String]) -> Result<(), OxdError> {
    for (i, u) in urls.iter().enumerate() {
        let parsed = url::Url::parse(u)
            .map_err(|e| OxdError::invalid(format!("{field}[{i}]"), format!("{u:?}: {e}")))?;
        if parsed.fragment().is_some() {
            return Err(OxdError::invalid(
                format!("{field}[{i}]"),
                format!("{u:?} must not contain a fragment"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[allow(dead_code)]
        scope: Option<Vec<String>>,
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err = parse::<Sample>(br#"{"scope":"openid"}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        assert!(err.to_string().starts_with("scope:"), "{err}");
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        assert!(parse::<Sample>(b"").is_ok());
    }

    #[test]
    fn non_object_and_bad_json_are_rejected() {
        assert!(matches!(
            parse::<Sample>(b"[1]"),
            Err(OxdError::MalformedBody(_))
        ));
        assert!(matches!(
            parse::<Sample>(b"{"),
            Err(OxdError::MalformedBody(_))
        ));
    }

    #[test]
    fn blank_required_field_is_missing() {
        assert!(matches!(
            required(Some("  ".into()), "oxd_id"),
            Err(OxdError::MissingField("oxd_id"))
        ));
    }

    #[test]
    fn nulls_are_dropped() {
        let v = without_nulls(serde_json::json!({"a": 1, "b": null}));
        assert_eq!(v, serde_json::json!({"a": 1}));
    }

    #[test]
    fn string_list_accepts_both_forms() {
        let a: StringList = serde_json::from_str(r#""openid  oxd""#).unwrap();
        let b: StringList = serde_json::from_str(r#"["openid","oxd"]"#).unwrap();
        assert_eq!(a.into_vec(), b.into_vec());
    }
}
