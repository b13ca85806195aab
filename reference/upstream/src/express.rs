//! Express's default answers, so the demo apps fail the way the tutorials' Node.js apps do.

use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// Express's default 404 page: `Cannot <METHOD> <path>`.
pub fn not_found(method: &Method, uri: &Uri) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot {} {}</pre>\n</body>\n</html>\n",
        method,
        escape(uri.path())
    );
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_the_path() {
        assert_eq!(escape("/<script>&\"'"), "/&lt;script&gt;&amp;&quot;&#39;");
    }
}
