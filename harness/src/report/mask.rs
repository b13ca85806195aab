//! Secrets out of the report: passwords, client secrets, tokens, codes, cookies and
//! credentials are replaced by [`MASK`] unless the run reveals them, and JWTs are decoded
//! (header and claims) so a reader sees what a token says without its value.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use base64::Engine as _;
use regex::Regex;
use serde_json::Value;

use crate::browser::record::Exchange;

/// What a masked value is shown as.
pub const MASK: &str = "[masked]";

/// Form, query and JSON keys whose values are secrets.
const SECRET_KEYS: &[&str] = &[
    "password",
    "client_secret",
    "consumer_client_secret",
    "secret",
    "access_token",
    "id_token",
    "refresh_token",
    "id_token_hint",
    "token",
    "code",
    "otp_code",
    "csrf_token",
    "authorization",
    "cookie",
    "protection_access_token",
    "session",
];

/// Headers whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Values shorter than this are masked only where a key names them (a six-letter password
/// replaced everywhere would mangle ordinary words).
const MIN_VALUE_LEN: usize = 12;

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&k.as_str()) || k.ends_with("_token") || k.ends_with("_secret")
}

fn jwt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
            .expect("a valid regex")
    })
}

/// A JWT found in an exchange, decoded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DecodedJwt {
    /// Where it was found: `url`, `request header NAME`, `request body`, `response header NAME`
    /// or `response body`.
    pub found_in: String,
    /// The raw value (masked unless revealed).
    pub raw: String,
    /// Its header, pretty-printed.
    pub header: String,
    /// Its claims, pretty-printed.
    pub claims: String,
}

fn decode_segment(segment: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Every JWT in `text`, decoded (a match whose parts are not JSON is not a JWT).
pub fn jwts(text: &str, found_in: &str) -> Vec<DecodedJwt> {
    jwt_re()
        .find_iter(text)
        .filter_map(|m| {
            let mut parts = m.as_str().split('.');
            let header = decode_segment(parts.next()?)?;
            let claims = decode_segment(parts.next()?)?;
            header.get("alg")?;
            Some(DecodedJwt {
                found_in: found_in.to_owned(),
                raw: m.as_str().to_owned(),
                header: serde_json::to_string_pretty(&header).unwrap_or_default(),
                claims: serde_json::to_string_pretty(&claims).unwrap_or_default(),
            })
        })
        .collect()
}

/// Masks secrets in exchanges. Values found under secret keys are remembered and masked
/// wherever else they appear (a token echoed in an HTML page, a code in a later URL).
#[derive(Debug, Default)]
pub struct Masker {
    values: BTreeSet<String>,
}

impl Masker {
    /// Learns the secret values of every exchange first, so the order of exchanges does not
    /// decide what is masked.
    pub fn learn(&mut self, exchanges: &[&Exchange]) {
        for e in exchanges {
            if let Ok(url) = url::Url::parse(&e.url) {
                self.learn_pairs(
                    url.query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned())),
                );
            }
            for (name, value) in e.request_headers.iter().chain(&e.response_headers) {
                if SECRET_HEADERS.contains(&name.as_str()) {
                    self.learn_header(value);
                }
            }
            for body in [&e.request_body, &e.response_body].into_iter().flatten() {
                self.learn_body(body);
            }
            if let Some(location) = e
                .response_headers
                .iter()
                .find(|(n, _)| n == "location")
                .and_then(|(_, v)| url::Url::parse(v).ok())
            {
                self.learn_pairs(
                    location
                        .query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned())),
                );
            }
        }
    }

    fn remember(&mut self, value: &str) {
        if value.len() >= MIN_VALUE_LEN {
            self.values.insert(value.to_owned());
        }
    }

    fn learn_pairs(&mut self, pairs: impl Iterator<Item = (String, String)>) {
        for (k, v) in pairs {
            if is_secret_key(&k) {
                self.remember(&v);
            }
        }
    }

    fn learn_header(&mut self, value: &str) {
        // "Bearer x", "Basic x", "a=x; b=y", "a=x; Path=/".
        for part in value.split(';') {
            let part = part.trim();
            let v = part
                .split_once('=')
                .map(|(_, v)| v)
                .or_else(|| part.split_once(' ').map(|(_, v)| v))
                .unwrap_or(part);
            self.remember(v.trim());
        }
    }

    fn learn_body(&mut self, body: &str) {
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            self.learn_json(&json, false);
        } else if !body.trim_start().starts_with('<') {
            self.learn_pairs(
                url::form_urlencoded::parse(body.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        for jwt in jwt_re().find_iter(body) {
            self.remember(jwt.as_str());
        }
    }

    fn learn_json(&mut self, v: &Value, secret: bool) {
        match v {
            Value::String(s) if secret => {
                self.remember(s);
                if let Some((_, cred)) = s.split_once(' ') {
                    self.remember(cred);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    self.learn_json(v, secret || is_secret_key(k));
                }
            }
            Value::Array(a) => a.iter().for_each(|v| self.learn_json(v, secret)),
            _ => {}
        }
    }

    /// `text` with every remembered value masked.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // Longest first, so a value containing another is masked whole.
        let mut values: Vec<&String> = self.values.iter().collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for v in values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
            let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            if encoded != *v && out.contains(&encoded) {
                out = out.replace(&encoded, MASK);
            }
        }
        out
    }

    /// A header value: credentials masked, their scheme and cookie names and attributes kept.
    pub fn header(&self, name: &str, value: &str) -> String {
        match name {
            "authorization" | "proxy-authorization" => match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} {MASK}"),
                None => MASK.to_owned(),
            },
            "cookie" => value
                .split(';')
                .map(|c| match c.trim().split_once('=') {
                    Some((n, _)) => format!("{n}={MASK}"),
                    None => c.trim().to_owned(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            "set-cookie" => {
                let mut parts = value.splitn(2, ';');
                let first = parts.next().unwrap_or_default();
                let rest = parts.next().map(|r| format!(";{r}")).unwrap_or_default();
                match first.split_once('=') {
                    Some((n, _)) => format!("{n}={MASK}{rest}"),
                    None => value.to_owned(),
                }
            }
            _ => self.text(value),
        }
    }

    /// A body: secret keys of JSON and form bodies masked, then every remembered value.
    pub fn body(&self, body: &str) -> String {
        if let Ok(mut json) = serde_json::from_str::<Value>(body) {
            mask_json(&mut json, false);
            return self.text(&serde_json::to_string(&json).unwrap_or_default());
        }
        let trimmed = body.trim();
        let looks_like_form = !trimmed.is_empty()
            && !trimmed.contains(char::is_whitespace)
            && trimmed.contains('=')
            && !trimmed.starts_with('<');
        if looks_like_form {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| {
                    let v = if is_secret_key(&k) {
                        MASK.to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            let mut out = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                out.append_pair(k, v);
            }
            return self.text(&out.finish().replace("%5Bmasked%5D", MASK));
        }
        self.text(body)
    }

    /// A URL: secret query parameters masked.
    pub fn url(&self, url: &str) -> String {
        let Ok(mut parsed) = url::Url::parse(url) else {
            return self.text(url);
        };
        if parsed.query().is_some() {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if is_secret_key(&k) {
                        MASK.to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            parsed.query_pairs_mut().clear().extend_pairs(&pairs);
        }
        self.text(&parsed.to_string().replace("%5Bmasked%5D", MASK))
    }
}

fn mask_json(v: &mut Value, secret: bool) {
    match v {
        Value::String(s) if secret => {
            *s = match s.split_once(' ') {
                Some((scheme, _)) if scheme.len() < 10 => format!("{scheme} {MASK}"),
                _ => MASK.to_owned(),
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let secret = secret || is_secret_key(k);
                mask_json(v, secret);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| mask_json(v, secret)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(url: &str, req_body: &str, resp_body: &str) -> Exchange {
        Exchange {
            source: "http".into(),
            navigation: None,
            started_ms: 0.0,
            duration_ms: 1.0,
            method: "POST".into(),
            url: url.into(),
            request_headers: vec![
                ("authorization".into(), "Bearer abcdefghijklmnop".into()),
                ("cookie".into(), "sess=opaquevalue123456; theme=dark".into()),
            ],
            request_body: Some(req_body.into()),
            status: Some(200),
            response_headers: vec![(
                "set-cookie".into(),
                "sess=newvalue12345678; Path=/; HttpOnly".into(),
            )],
            response_body: Some(resp_body.into()),
            error: None,
        }
    }

    #[test]
    fn credentials_in_headers_bodies_and_urls_are_masked_wherever_they_appear() {
        let e = exchange(
            "http://op/token?code=the-authorization-code&state=s1",
            "grant_type=client_credentials&client_secret=s3cr3t-s3cr3t-s3cr3t&password=secret",
            r#"{"access_token":"tok-0123456789abcdef","scope":"openid"}"#,
        );
        let later = exchange(
            "http://gw/",
            "",
            "<p>your token is tok-0123456789abcdef</p>",
        );
        let mut m = Masker::default();
        m.learn(&[&e, &later]);
        assert_eq!(
            m.header("authorization", "Bearer abcdefghijklmnop"),
            "Bearer [masked]"
        );
        assert_eq!(
            m.header("cookie", "sess=opaquevalue123456; theme=dark"),
            "sess=[masked]; theme=[masked]"
        );
        assert_eq!(
            m.header("set-cookie", "sess=newvalue12345678; Path=/; HttpOnly"),
            "sess=[masked]; Path=/; HttpOnly"
        );
        let body = m.body(e.request_body.as_deref().unwrap());
        assert_eq!(
            body,
            "grant_type=client_credentials&client_secret=[masked]&password=[masked]"
        );
        assert_eq!(
            m.body(e.response_body.as_deref().unwrap()),
            r#"{"access_token":"[masked]","scope":"openid"}"#
        );
        assert_eq!(m.url(&e.url), "http://op/token?code=[masked]&state=s1");
        assert_eq!(
            m.body("<p>your token is tok-0123456789abcdef</p>"),
            "<p>your token is [masked]</p>"
        );
        // Ordinary words survive: the short password is masked by key only.
        assert_eq!(m.text("a secret of the trade"), "a secret of the trade");
    }

    #[test]
    fn jwts_are_decoded_and_other_dotted_text_is_not() {
        let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let jwt = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(r#"{"sub":"admin","acr":"otp"}"#)
        );
        let found = jwts(&format!("id_token={jwt}&x=1"), "request");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].claims.contains("\"acr\": \"otp\""),
            "{}",
            found[0].claims
        );
        assert!(found[0].header.contains("RS256"));
        assert!(
            jwts("eyJhbGciOi.eyJzdWIi.x", "request").is_empty(),
            "not JSON"
        );
        let mut m = Masker::default();
        m.learn(&[&exchange("http://x/", &format!("id_token_hint={jwt}"), "")]);
        assert_eq!(m.text(&format!("see {jwt}")), "see [masked]");
    }
}
