//! The demo API of the spontaneous-scope tutorial (seed 002, Gluu's `gg-demo/node-api-2`, port
//! 3000): `GET`, `POST` and `DELETE` on any path answer the same JSON object; any other method
//! gets Express's 404 page (`Cannot PUT /path`).

use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// The object every allowed request receives (`docs/gluu-gateway.md#demo-api`).
pub fn transaction() -> Value {
    json!({
        "id": 1,
        "title": "sunt aut facere repellat provident occaecati excepturi optio reprehenderit",
        "body": "quia et suscipit suscipit recusandae consequuntur expedita et cum reprehenderit molestiae ut ut quas totam nostrum rerum est autem sunt rem eveniet architecto"
    })
}

/// The demo API router.
pub fn router() -> axum::Router {
    axum::Router::new().fallback(handle)
}

async fn handle(method: Method, uri: Uri) -> Response {
    if method == Method::GET || method == Method::POST || method == Method::DELETE {
        Json(transaction()).into_response()
    } else {
        crate::express::not_found(&method, &uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    async fn call(method: reqwest::Method, path: &str) -> (u16, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handle = crate::start(crate::App::DemoApi, listener).await.unwrap();
        let resp = reqwest::Client::new()
            .request(method, format!("{}{}", handle.url(), path))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    #[tokio::test]
    async fn get_post_delete_return_the_transaction() {
        for m in [
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::DELETE,
        ] {
            let (status, body) = call(m, "/transactions/123").await;
            assert_eq!(status, 200);
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v, transaction());
        }
    }

    #[tokio::test]
    async fn other_methods_get_express_404() {
        let (status, body) = call(reqwest::Method::PUT, "/transactions/123").await;
        assert_eq!(status, 404);
        assert!(body.contains("Cannot PUT /transactions/123"), "{body}");
    }

    #[test]
    fn not_found_is_a_404() {
        let resp = crate::express::not_found(&Method::PATCH, &"/x".parse().unwrap());
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
}
