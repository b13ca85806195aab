//! An httpbin-compatible `/anything`: the echo Kong's guides read (`httpbin.konghq.com/anything`),
//! with httpbin's JSON shape so a guide's `jq '.headers.Authorization'` works unchanged:
//!
//! ```json
//! {"args": {"a": "1"}, "data": "", "files": {}, "form": {}, "headers": {"Host": "..."},
//!  "json": null, "method": "GET", "origin": "127.0.0.1", "url": "http://host/anything?a=1"}
//! ```
//!
//! Header names are title-cased per dash-separated word (`x-consumer-id` → `X-Consumer-Id`) and
//! repeated headers joined with `,`, as httpbin shows them; an argument given more than once
//! becomes an array. Every other path is 404.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// The router: `/anything` and everything under it, any method.
pub fn router() -> axum::Router {
    axum::Router::new().fallback(anything)
}

async fn anything(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if path != "/anything" && !path.starts_with("/anything/") {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    Json(describe(&method, &uri, &headers, &body, peer)).into_response()
}

/// httpbin's casing of a header name.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut c = word.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn multi(pairs: impl Iterator<Item = (String, String)>) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in pairs {
        match out.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

/// The httpbin description of a request from `peer`.
pub fn describe(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    peer: SocketAddr,
) -> Value {
    let mut shown: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let key = title_case(name.as_str());
        match shown.get_mut(&key) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                shown.insert(key, Value::String(value));
            }
        }
    }
    let query = uri.query().unwrap_or("");
    let args = multi(url::form_urlencoded::parse(query.as_bytes()).into_owned());
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (data, form) = if content_type.starts_with("application/x-www-form-urlencoded") {
        (
            String::new(),
            multi(url::form_urlencoded::parse(body).into_owned()),
        )
    } else {
        (String::from_utf8_lossy(body).into_owned(), Map::new())
    };
    let json_body = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    let origin = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|xff| format!("{xff}, {}", peer.ip()))
        .unwrap_or_else(|| peer.ip().to_string());
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    json!({
        "args": args,
        "data": data,
        "files": {},
        "form": form,
        "headers": shown,
        "json": json_body,
        "method": method.as_str(),
        "origin": origin,
        "url": format!("{scheme}://{host}{target}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_in_httpbin_casing() {
        assert_eq!(title_case("x-consumer-id"), "X-Consumer-Id");
        assert_eq!(title_case("authorization"), "Authorization");
        assert_eq!(title_case("refresh-token"), "Refresh-Token");
        assert_eq!(title_case("WWW-AUTHENTICATE"), "Www-Authenticate");
    }

    #[tokio::test]
    async fn anything_answers_httpbins_shape() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handle = crate::start(crate::App::Httpbin, listener).await.unwrap();
        let client = reqwest::Client::new();
        let resp: Value = client
            .post(format!("{}/anything/x?a=1&a=2&b=3", handle.url()))
            .header("X-Consumer-Id", "c1")
            .header("X-Forwarded-For", "10.0.0.1")
            .form(&[("user", "alex")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resp["method"], "POST");
        assert_eq!(resp["args"], json!({"a": ["1", "2"], "b": "3"}));
        assert_eq!(resp["form"], json!({"user": "alex"}));
        assert_eq!(resp["data"], "");
        assert_eq!(resp["files"], json!({}));
        assert_eq!(resp["json"], Value::Null);
        assert_eq!(resp["headers"]["X-Consumer-Id"], "c1");
        assert_eq!(resp["origin"], "10.0.0.1, 127.0.0.1");
        assert!(resp["url"]
            .as_str()
            .unwrap()
            .ends_with("/anything/x?a=1&a=2&b=3"));
        let json_body: Value = client
            .put(format!("{}/anything", handle.url()))
            .json(&json!({"k": [1]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json_body["json"], json!({"k": [1]}));
        assert_eq!(json_body["data"], r#"{"k":[1]}"#);
        let missing = client
            .get(format!("{}/status/200", handle.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
    }
}
