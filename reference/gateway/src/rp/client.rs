//! Calls to the provider's token, introspection, userinfo and revocation endpoints, with client
//! authentication (RFC 6749 §2.3, OpenID Connect Core §9) and the plugin's timeout on each call.

use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use url::Url;

use super::RpError;

/// How the gateway authenticates itself (or the caller's client) to an endpoint.
#[derive(Clone)]
pub enum ClientAuth {
    /// HTTP Basic with the URL-encoded id and secret (RFC 6749 §2.3.1).
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
    /// A client assertion (RFC 7523 §2.2) MACed with the secret: `alg` is HS256, HS384 or
    /// HS512 (Kong's `client_alg`; HS256 by default, OpenID Connect Core §9).
    SecretJwt {
        /// The HMAC algorithm.
        alg: Algorithm,
    },
    /// A client assertion signed with the client's private key (see [`super::keys`]).
    PrivateKeyJwt {
        /// The signing key.
        key: EncodingKey,
        /// Its algorithm (RS256, ES256, ...).
        alg: Algorithm,
        /// Its `kid`, if any.
        kid: Option<String>,
    },
    /// `client_id` only (public clients).
    None,
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClientAuth::Basic => "client_secret_basic",
            ClientAuth::Post => "client_secret_post",
            ClientAuth::SecretJwt { .. } => "client_secret_jwt",
            ClientAuth::PrivateKeyJwt { .. } => "private_key_jwt",
            ClientAuth::None => "none",
        })
    }
}

/// A client identity and how it authenticates.
#[derive(Clone, Debug)]
pub struct Client {
    /// `client_id`.
    pub id: String,
    /// `client_secret` (Basic, Post, SecretJwt).
    pub secret: Option<String>,
    /// The method.
    pub auth: ClientAuth,
    /// The `aud` of a client assertion: the token endpoint (OpenID Connect Core §9, RFC 7523
    /// §3), whichever endpoint is called. `None`: the endpoint called.
    pub audience: Option<Url>,
}

/// How long a client assertion is valid: long enough for one request, short enough that a
/// captured one is soon useless (the provider also refuses a replayed `jti`).
pub const ASSERTION_LIFETIME: i64 = 60;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

impl Client {
    /// Adds this client's authentication to a form request to `endpoint` at time `now`.
    pub fn authenticate(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Vec<(String, String)>,
        endpoint: &Url,
        now: i64,
    ) -> Result<reqwest::RequestBuilder, RpError> {
        let secret = || self.secret.clone().unwrap_or_default();
        let audience = self.audience.as_ref().unwrap_or(endpoint);
        let assertion = |key: &EncodingKey, header: Header| {
            // `jti`: a random v4 UUID, never reused (RFC 7523 §3 lets the provider refuse
            // replays).
            let claims = json!({
                "iss": self.id, "sub": self.id, "aud": audience.as_str(),
                "jti": uuid::Uuid::new_v4().to_string(), "iat": now,
                "exp": now + ASSERTION_LIFETIME,
            });
            jsonwebtoken::encode(&header, &claims, key).map_err(|e| RpError::Malformed {
                endpoint: endpoint.to_string(),
                reason: format!("cannot sign the client assertion: {e}"),
            })
        };
        Ok(match &self.auth {
            ClientAuth::Basic => {
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let pair = format!("{}:{}", enc(&self.id), enc(&secret()));
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                );
                request.header(http::header::AUTHORIZATION, value)
            }
            ClientAuth::Post => {
                form.push(("client_id".into(), self.id.clone()));
                form.push(("client_secret".into(), secret()));
                request
            }
            ClientAuth::SecretJwt { alg } => {
                let jwt = assertion(
                    &EncodingKey::from_secret(secret().as_bytes()),
                    Header::new(*alg),
                )?;
                form.push(("client_id".into(), self.id.clone()));
                form.push(("client_assertion_type".into(), ASSERTION_TYPE.into()));
                form.push(("client_assertion".into(), jwt));
                request
            }
            ClientAuth::PrivateKeyJwt { key, alg, kid } => {
                let mut header = Header::new(*alg);
                header.kid = kid.clone();
                let jwt = assertion(key, header)?;
                form.push(("client_id".into(), self.id.clone()));
                form.push(("client_assertion_type".into(), ASSERTION_TYPE.into()));
                form.push(("client_assertion".into(), jwt));
                request
            }
            ClientAuth::None => {
                form.push(("client_id".into(), self.id.clone()));
                request
            }
        })
    }
}

/// A transport error as [`RpError::Unreachable`] (the reason says whether it was the timeout).
pub fn unreachable(endpoint: &str, e: &reqwest::Error) -> RpError {
    let reason = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        e.to_string()
    };
    RpError::Unreachable {
        endpoint: endpoint.to_owned(),
        reason,
    }
}

/// A GET of a JSON document (discovery, JWKS): the parsed body of a 2xx answer.
pub async fn get_json(http: &reqwest::Client, url: &Url) -> Result<Value, RpError> {
    let endpoint = url.as_str();
    let resp = http
        .get(url.clone())
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| unreachable(endpoint, &e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(RpError::Refused {
            endpoint: endpoint.to_owned(),
            status: status.as_u16(),
            error: format!("http_{}", status.as_u16()),
            description: None,
        });
    }
    resp.json().await.map_err(|e| RpError::Malformed {
        endpoint: endpoint.to_owned(),
        reason: e.to_string(),
    })
}

/// An HTTP client for the provider, every call bounded by `timeout`.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// The endpoint calls.
#[derive(Debug, Clone)]
pub struct OpClient {
    http: reqwest::Client,
}

impl OpClient {
    /// Calls made with `http` (see [`http_client`]).
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn post_form(
        &self,
        endpoint: &Url,
        client: Option<&Client>,
        mut form: Vec<(String, String)>,
        accept: &str,
        now: i64,
    ) -> Result<(reqwest::StatusCode, String, bytes::Bytes), RpError> {
        let mut request = self
            .http
            .post(endpoint.clone())
            .header(http::header::ACCEPT, accept);
        if let Some(client) = client {
            request = client.authenticate(request, &mut form, endpoint, now)?;
        }
        let resp = request
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable(endpoint.as_str(), &e))?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = resp
            .bytes()
            .await
            .map_err(|e| unreachable(endpoint.as_str(), &e))?;
        Ok((status, content_type, body))
    }

    /// A token request (`grant_type` and the rest in `params`), answered by the token JSON.
    pub async fn token(
        &self,
        endpoint: &Url,
        client: &Client,
        params: &[(&str, &str)],
        now: i64,
    ) -> Result<Value, RpError> {
        let form = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (status, _, body) = self
            .post_form(endpoint, Some(client), form, "application/json", now)
            .await?;
        let value = json_answer(endpoint, status, &body)?;
        if value.get("access_token").and_then(Value::as_str).is_none() {
            return Err(RpError::Malformed {
                endpoint: endpoint.to_string(),
                reason: "no access_token".into(),
            });
        }
        Ok(value)
    }

    /// RFC 7662 introspection of `token`; the answer JSON (`active` required).
    pub async fn introspect(
        &self,
        endpoint: &Url,
        client: &Client,
        token: &str,
        hint: Option<&str>,
        extra: &[(String, String)],
        now: i64,
    ) -> Result<Value, RpError> {
        let mut form = vec![("token".to_owned(), token.to_owned())];
        if let Some(hint) = hint {
            form.push(("token_type_hint".into(), hint.to_owned()));
        }
        form.extend(extra.iter().cloned());
        let (status, content_type, body) = self
            .post_form(endpoint, Some(client), form, "application/json", now)
            .await?;
        let value = if content_type.starts_with("application/jwt")
            || content_type.starts_with("application/token-introspection+jwt")
        {
            // RFC 9701: the answer is a signed JWT whose `token_introspection` claim holds it.
            let text = String::from_utf8_lossy(&body);
            let claims =
                super::jwt::unverified_claims(text.trim()).map_err(|e| RpError::Malformed {
                    endpoint: endpoint.to_string(),
                    reason: e.to_string(),
                })?;
            claims
                .get("token_introspection")
                .cloned()
                .unwrap_or(Value::Object(claims))
        } else {
            json_answer(endpoint, status, &body)?
        };
        if !value.get("active").is_some_and(Value::is_boolean) {
            return Err(RpError::Malformed {
                endpoint: endpoint.to_string(),
                reason: "no boolean active".into(),
            });
        }
        Ok(value)
    }

    /// The userinfo of `token` (OpenID Connect Core §5.3), JSON.
    pub async fn userinfo(&self, endpoint: &Url, token: &str) -> Result<Value, RpError> {
        let resp = self
            .http
            .get(endpoint.clone())
            .bearer_auth(token)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable(endpoint.as_str(), &e))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| unreachable(endpoint.as_str(), &e))?;
        let value = json_answer(endpoint, status, &body)?;
        if !value.is_object() {
            return Err(RpError::Malformed {
                endpoint: endpoint.to_string(),
                reason: "not a JSON object".into(),
            });
        }
        Ok(value)
    }

    /// RFC 7009 revocation.
    pub async fn revoke(
        &self,
        endpoint: &Url,
        client: &Client,
        token: &str,
        hint: Option<&str>,
        now: i64,
    ) -> Result<(), RpError> {
        let mut form = vec![("token".to_owned(), token.to_owned())];
        if let Some(hint) = hint {
            form.push(("token_type_hint".into(), hint.to_owned()));
        }
        let (status, _, body) = self
            .post_form(endpoint, Some(client), form, "application/json", now)
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            json_answer(endpoint, status, &body).map(|_| ())
        }
    }
}

/// The JSON of a 2xx answer, or the OAuth error of any other.
fn json_answer(endpoint: &Url, status: reqwest::StatusCode, body: &[u8]) -> Result<Value, RpError> {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    if status.is_success() {
        return parsed.map_err(|e| RpError::Malformed {
            endpoint: endpoint.to_string(),
            reason: format!("not JSON: {e}"),
        });
    }
    let value = parsed.unwrap_or(Value::Null);
    Err(RpError::Refused {
        endpoint: endpoint.to_string(),
        status: status.as_u16(),
        error: value
            .get("error")
            .and_then(Value::as_str)
            .map_or_else(|| format!("http_{}", status.as_u16()), str::to_owned),
        description: value
            .get("error_description")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn client(auth: ClientAuth) -> Client {
        Client {
            id: "kong".into(),
            secret: Some("s:e cret".into()),
            auth,
            audience: None,
        }
    }

    async fn token_with(
        auth: ClientAuth,
        matcher: impl wiremock::Match + 'static,
    ) -> Result<Value, RpError> {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(matcher)
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "at", "expires_in": 60})),
            )
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})),
            )
            .mount(&server)
            .await;
        let endpoint = Url::parse(&format!("{}/token", server.uri())).unwrap();
        OpClient::new(http_client(Duration::from_secs(2)))
            .token(
                &endpoint,
                &client(auth),
                &[("grant_type", "client_credentials")],
                1_000,
            )
            .await
    }

    #[tokio::test]
    async fn each_client_auth_method_sends_what_the_rfcs_say() {
        // Basic: form-urlencoded id and secret, base64 (RFC 6749 §2.3.1).
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("kong:s%3Ae+cret")
        );
        assert!(
            token_with(ClientAuth::Basic, header("authorization", basic.as_str()))
                .await
                .is_ok()
        );
        assert!(token_with(
            ClientAuth::Post,
            body_string_contains("client_secret=s%3Ae+cret")
        )
        .await
        .is_ok());
        assert!(token_with(
            ClientAuth::SecretJwt {
                alg: Algorithm::HS256
            },
            body_string_contains("client_assertion_type=urn")
        )
        .await
        .is_ok());
        assert!(
            token_with(ClientAuth::None, body_string_contains("client_id=kong"))
                .await
                .is_ok()
        );
        let rejected = token_with(ClientAuth::None, body_string_contains("client_secret=")).await;
        assert!(
            matches!(rejected, Err(RpError::Refused { ref error, .. }) if error == "invalid_client")
        );
        assert!(rejected.unwrap_err().is_rejection());
    }

    /// The form the mock provider received in its `n`th request.
    async fn received_form(server: &MockServer, n: usize) -> Vec<(String, String)> {
        let requests = server.received_requests().await.unwrap();
        url::form_urlencoded::parse(&requests[n].body)
            .into_owned()
            .collect()
    }

    fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Verifies the assertion's signature with `key` and returns its header and claims.
    fn open_assertion(
        jwt: &str,
        key: &jsonwebtoken::DecodingKey,
        alg: Algorithm,
    ) -> (jsonwebtoken::Header, Value) {
        let mut v = jsonwebtoken::Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Value>(jwt, key, &v).expect("a valid signature");
        (data.header, data.claims)
    }

    #[tokio::test]
    async fn client_assertions_carry_rfc_7523_claims_signed_with_the_clients_key() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "at", "active": true})),
            )
            .mount(&server)
            .await;
        let token_endpoint = Url::parse(&format!("{}/token", server.uri())).unwrap();
        let introspection = Url::parse(&format!("{}/introspect", server.uri())).unwrap();
        let key = crate::rp::keys::PrivateKey::generate().unwrap();
        let public: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.public.clone()).unwrap();
        let public = jsonwebtoken::DecodingKey::from_jwk(&public).unwrap();
        let mut c = client(ClientAuth::PrivateKeyJwt {
            key: key.encoding.clone(),
            alg: Algorithm::RS256,
            kid: Some(key.kid.clone()),
        });
        c.audience = Some(token_endpoint.clone());
        let op = OpClient::new(http_client(Duration::from_secs(2)));
        op.token(
            &token_endpoint,
            &c,
            &[("grant_type", "client_credentials")],
            1_000,
        )
        .await
        .unwrap();
        // Introspection: the audience is still the token endpoint.
        op.introspect(&introspection, &c, "t", None, &[], 1_000)
            .await
            .unwrap();
        let mut jtis = Vec::new();
        for n in 0..2 {
            let form = received_form(&server, n).await;
            assert_eq!(field(&form, "client_id"), Some("kong"));
            assert_eq!(
                field(&form, "client_secret"),
                None,
                "the secret never travels"
            );
            assert_eq!(
                field(&form, "client_assertion_type"),
                Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            );
            let jwt = field(&form, "client_assertion").expect("an assertion");
            let (header, claims) = open_assertion(jwt, &public, Algorithm::RS256);
            assert_eq!(header.alg, Algorithm::RS256);
            assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
            assert_eq!(claims["iss"], "kong");
            assert_eq!(claims["sub"], "kong");
            assert_eq!(claims["aud"], token_endpoint.as_str());
            assert_eq!(claims["iat"], 1_000);
            assert_eq!(claims["exp"], 1_000 + ASSERTION_LIFETIME);
            let jti = claims["jti"].as_str().unwrap().to_owned();
            assert!(uuid::Uuid::parse_str(&jti).is_ok(), "{jti}");
            jtis.push(jti);
        }
        assert_ne!(jtis[0], jtis[1], "a jti is never reused");
        let headers = &server.received_requests().await.unwrap()[0].headers;
        assert!(headers.get("authorization").is_none());

        // client_secret_jwt: MACed with the secret, with the configured HMAC algorithm; without
        // an audience, the endpoint called.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "at"})))
            .mount(&server)
            .await;
        let endpoint = Url::parse(&format!("{}/token", server.uri())).unwrap();
        let c = client(ClientAuth::SecretJwt {
            alg: Algorithm::HS384,
        });
        op.token(&endpoint, &c, &[("grant_type", "client_credentials")], 5)
            .await
            .unwrap();
        let form = received_form(&server, 0).await;
        let (header, claims) = open_assertion(
            field(&form, "client_assertion").unwrap(),
            &jsonwebtoken::DecodingKey::from_secret(b"s:e cret"),
            Algorithm::HS384,
        );
        assert_eq!(header.alg, Algorithm::HS384);
        assert_eq!(claims["aud"], endpoint.as_str());
        assert_eq!(
            (&claims["iss"], &claims["exp"]),
            (&json!("kong"), &json!(65))
        );
    }

    #[tokio::test]
    async fn faults_are_typed_and_bounded_by_the_timeout() {
        let server = MockServer::start().await;
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        Mock::given(path("/bad"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
            .mount(&server)
            .await;
        Mock::given(path("/down"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        let op = OpClient::new(http_client(Duration::from_millis(200)));
        let url = |p: &str| Url::parse(&format!("{}{p}", server.uri())).unwrap();
        let c = client(ClientAuth::Basic);
        let started = std::time::Instant::now();
        let slow = op.introspect(&url("/slow"), &c, "t", None, &[], 0).await;
        assert!(
            matches!(slow, Err(RpError::Unreachable { ref reason, .. }) if reason == "timed out"),
            "{slow:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(matches!(
            op.userinfo(&url("/bad"), "t").await,
            Err(RpError::Malformed { .. })
        ));
        let down = op
            .introspect(&url("/down"), &c, "t", None, &[], 0)
            .await
            .unwrap_err();
        assert!(matches!(down, RpError::Refused { status: 503, .. }));
        assert!(!down.is_rejection());
    }
}
