//! WebFinger issuer discovery (OpenID Connect Discovery §2, RFC 7033):
//! `GET /.well-known/webfinger?resource=acct:joe@example.org&rel=http://openid.net/specs/connect/1.0/issuer`
//! answers a JRD naming this OP as the issuer. Every well-formed resource gets the same answer,
//! so WebFinger reveals nothing about which accounts exist. Without `resource` the answer is 400
//! (RFC 7033 §4.2; Gluu 4.2 answers an empty 200); a `rel` filter other than the issuer relation
//! leaves the link list empty (§4.3).

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::server::AppState;

/// The link relation of an OpenID Connect issuer.
pub const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";

/// `GET /.well-known/webfinger`.
pub async fn handler(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let mut resource = None;
    let mut rels = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "resource" if resource.is_none() => resource = Some(value.into_owned()),
            "resource" => return bad_request("resource must be given once"),
            "rel" => rels.push(value.into_owned()),
            _ => {}
        }
    }
    let Some(resource) = resource.filter(|r| !r.is_empty()) else {
        return bad_request("the resource parameter is required");
    };
    if url::Url::parse(&resource).is_err() {
        return bad_request("resource must be a URI (acct:user@host or a URL)");
    }
    let links = if rels.is_empty() || rels.iter().any(|r| r == ISSUER_REL) {
        json!([{"rel": ISSUER_REL, "href": &*state.issuer}])
    } else {
        json!([])
    };
    jrd(
        StatusCode::OK,
        json!({"subject": resource, "links": links}).to_string(),
    )
}

fn bad_request(message: &str) -> Response {
    jrd(
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_request", "error_description": message}).to_string(),
    )
}

fn jrd(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json"),
    );
    // RFC 7033 §5: WebFinger is meant to be read by scripts of any origin.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
