//! The echo upstream: every request is answered 200 with a JSON description of the request as it
//! arrived, so tests can see exactly what the gateway forwarded (method, path, query, headers, body).
//!
//! Response shape (httpbin's `/anything` style):
//! ```json
//! {"method": "GET", "path": "/anything/x", "query": "a=1", "args": {"a": "1"},
//!  "headers": {"host": "...", "x-forwarded-for": "..."}, "header_list": [["host", "..."]],
//!  "body": "...", "body_base64": null}
//! ```
//! `headers` maps each lower-case name to its values joined with `, `; `header_list` keeps every
//! value separately and in order. A body that is not UTF-8 is returned in `body_base64`.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine;
use serde_json::{json, Map, Value};

/// The echo router: answers every method on every path.
pub fn router() -> axum::Router {
    axum::Router::new().fallback(echo)
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    Json(describe(&method, &uri, &headers, &body))
}

/// The JSON description of a request, as the echo upstream returns it.
pub fn describe(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Value {
    let mut joined: Map<String, Value> = Map::new();
    let mut list = Vec::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        list.push(json!([name.as_str(), value]));
        match joined.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                joined.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let query = uri.query().unwrap_or("");
    let mut args: Map<String, Value> = Map::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        args.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    let (text, b64) = match std::str::from_utf8(body) {
        Ok(text) => (Value::String(text.to_owned()), Value::Null),
        Err(_) => (
            Value::Null,
            Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
        ),
    };
    json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": query,
        "args": args,
        "headers": joined,
        "header_list": list,
        "body": text,
        "body_base64": b64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn echoes_method_path_query_headers_and_body() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handle = crate::start(crate::App::Echo, listener).await.unwrap();
        let resp = reqwest::Client::new()
            .post(format!("{}/anything/x%20y?a=1&b=two", handle.url()))
            .header("X-Custom", "one")
            .header("Content-Type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["method"], "POST");
        assert_eq!(v["path"], "/anything/x%20y");
        assert_eq!(v["query"], "a=1&b=two");
        assert_eq!(v["args"]["b"], "two");
        assert_eq!(v["headers"]["x-custom"], "one");
        assert_eq!(v["headers"]["content-type"], "text/plain");
        assert_eq!(v["body"], "hello");
        assert_eq!(v["body_base64"], Value::Null);
        handle.shutdown().await;
    }

    #[test]
    fn repeated_headers_are_joined_and_listed() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", "1".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        let v = describe(
            &Method::GET,
            &"/p".parse().unwrap(),
            &headers,
            &[0xff, 0xfe],
        );
        assert_eq!(v["headers"]["x-a"], "1, 2");
        assert_eq!(v["header_list"].as_array().unwrap().len(), 2);
        assert_eq!(v["body"], Value::Null);
        assert_eq!(v["body_base64"], "//4=");
    }
}
