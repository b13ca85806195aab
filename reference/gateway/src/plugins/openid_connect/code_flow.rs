//! The authorization code flow as the plugin runs it: when no other method found a credential,
//! a browser is redirected to the OP ([`super::authorization`]); when it comes back with the
//! authorization cookie, the callback ([`super::callback`]) is verified, the code exchanged
//! through the relying-party core and the ID token validated; then `login_action` decides what
//! the browser gets (`docs/kong.md#login-behaviour`).

use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, SET_COOKIE};
use http::{HeaderValue, Method, StatusCode};
use serde_json::{Map, Value};

use super::authenticate::{cookie_value, tokens_from, Authenticated};
use super::authorization::{self, Pending};
use super::browser_config::{LoginAction, ResponseMode};
use super::callback::{self, CallbackArgs, Expected};
use super::credentials::Args;
use super::reply::Failure;
use super::OpenIdConnect;
use crate::plugins::{AccessRequest, PluginResponse};
use crate::rp::jwt::{self, JwtError, Rules};

/// What the code flow made of a request.
#[derive(Debug)]
pub enum CodeFlow {
    /// A callback that succeeded: the tokens, and the login it finished.
    LoggedIn(Box<Authenticated>, Box<Pending>),
    /// Answer this (the redirect to the OP).
    Respond(PluginResponse),
    /// Refused (401 or 500 through the plugin's failure responses).
    Failed(Failure),
}

fn login_failed(reason: impl Into<String>) -> Failure {
    Failure::Unauthorized {
        reason: reason.into(),
        code: None,
    }
}

/// The request URL without its query, as the client addressed the gateway.
fn request_url(req: &AccessRequest) -> String {
    let path = req.path_and_query().split('?').next().unwrap_or("/");
    format!("{}{path}", req.origin())
}

fn append_cookie(headers: &mut http::HeaderMap, value: Option<HeaderValue>) {
    if let Some(v) = value {
        headers.append(SET_COOKIE, v);
    }
}

impl OpenIdConnect {
    /// The code flow for a request no other method authenticated.
    pub(super) async fn code_flow(&self, req: &mut AccessRequest) -> CodeFlow {
        let sealed = cookie_value(req, self.authorizations.name());
        if let Some(sealed) = sealed {
            if let Some(args) = CallbackArgs::read(req).await {
                let now = self.now();
                match self.authorizations.open(&sealed, now) {
                    Ok(pending) if pending.redirect_uri == request_url(req) => {
                        let destroy = self.authorizations.destroy(req.secure());
                        append_cookie(req.response_headers_mut(), destroy);
                        return match self.exchange(args, &pending).await {
                            Ok(a) => CodeFlow::LoggedIn(Box::new(a), Box::new(pending)),
                            Err(f) => CodeFlow::Failed(f),
                        };
                    }
                    // A login started elsewhere: this request starts its own.
                    Ok(_) => {}
                    Err(unusable) => {
                        let destroy = self.authorizations.destroy(req.secure());
                        append_cookie(req.response_headers_mut(), destroy);
                        return CodeFlow::Failed(login_failed(match unusable {
                            authorization::Unusable::Expired => {
                                "the login took longer than authorization_rolling_timeout"
                            }
                            authorization::Unusable::Unsealable => {
                                "the authorization cookie is not one this gateway sealed"
                            }
                        }));
                    }
                }
            }
        }
        self.start(req).await
    }

    /// The 302 to the authorization endpoint, with the authorization cookie (also the step-up's
    /// re-authentication: with `required_acr_values` every login asks for them).
    pub(super) async fn start(&self, req: &mut AccessRequest) -> CodeFlow {
        if !authorization::follows_redirects(req.headers()) {
            return CodeFlow::Failed(Failure::no_credentials());
        }
        let b = &self.config.browser;
        let provider = match self.provider().await {
            Ok(p) => p,
            Err(f) => return CodeFlow::Failed(f),
        };
        let endpoint = match &b.authorization_endpoint {
            Some(u) => u.clone(),
            None => match provider
                .document
                .get("authorization_endpoint")
                .and_then(Value::as_str)
                .and_then(|s| url::Url::parse(s).ok())
            {
                Some(u) => u,
                None => {
                    return CodeFlow::Failed(Failure::unexpected(
                        "the provider has no authorization_endpoint",
                    ))
                }
            },
        };
        let args = Args::read(req, false).await;
        let client = self.client_index(req, &args);
        let Some(client_id) = self.config.client_id.get(client) else {
            return CodeFlow::Failed(Failure::unexpected("no client_id configured"));
        };
        let redirect_uri = b
            .redirect_uri
            .get(client)
            .or(b.redirect_uri.first())
            .map(|u| u.to_string())
            .unwrap_or_else(|| request_url(req));
        let pkce = b.pkce.unwrap_or_else(|| {
            provider
                .document
                .get("code_challenge_methods_supported")
                .and_then(Value::as_array)
                .is_some_and(|m| m.iter().any(|m| m == "S256"))
        });
        let query_pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let mut extra = b.query_args.clone();
        if !b.required_acr_values.is_empty() {
            // Asked on the first login too, so a user is not sent back a second time.
            extra.push((
                "acr_values".into(),
                super::step_up::acr_values(&b.required_acr_values),
            ));
        }
        for name in &b.query_args_client {
            if let Some((_, v)) = query_pairs.iter().find(|(k, _)| k == name) {
                extra.push((name.clone(), v.clone()));
            }
        }
        let pending = Pending {
            state: authorization::random_token(),
            nonce: authorization::random_token(),
            verifier: pkce.then(authorization::random_token),
            client,
            redirect_uri,
            path: req
                .path_and_query()
                .split('?')
                .next()
                .unwrap_or("/")
                .to_owned(),
            query: authorization::without_callback_args(req.query()),
            method: req.method().as_str().to_owned(),
            created_at: self.now(),
        };
        let url = authorization::authorization_url(
            &authorization::Request {
                endpoint: &endpoint,
                client_id,
                scopes: &self.config.scopes,
                response_mode: b.response_mode,
                pkce,
                audience: &b.audience,
                max_age: b.max_age,
                extra,
            },
            &pending,
        );
        let Some(mut response) = PluginResponse::redirect(url.as_str()) else {
            return CodeFlow::Failed(Failure::unexpected("unusable authorization url"));
        };
        append_cookie(
            &mut response.headers,
            self.authorizations.seal(&pending, req.secure()),
        );
        CodeFlow::Respond(response)
    }

    /// The callback: state, code exchange, ID token.
    async fn exchange(
        &self,
        args: CallbackArgs,
        pending: &Pending,
    ) -> Result<Authenticated, Failure> {
        if let Some(error) = &args.error {
            return Err(login_failed(format!(
                "the identity provider answered {error}{}",
                args.error_description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )));
        }
        match &args.state {
            Some(state) if callback::same_secret(state, &pending.state) => {}
            Some(_) => return Err(login_failed("state mismatch")),
            None => return Err(login_failed("no state in the callback")),
        }
        let provider = self.provider().await?;
        if let Some(iss) = &args.iss {
            // RFC 9207: the response names its issuer; a mix-up sends another's code here.
            if *iss != provider.issuer {
                return Err(login_failed("the callback's iss is not the issuer"));
            }
        }
        let Some(code) = args.code.filter(|c| !c.is_empty()) else {
            return Err(login_failed("no code in the callback"));
        };
        let endpoint = self
            .endpoint(
                &self.config.token_endpoint,
                |p| p.token_endpoint.clone(),
                "token_endpoint",
            )
            .await?;
        let client = self.client(
            pending.client,
            self.config.token_endpoint_auth_method.as_deref(),
        )?;
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &pending.redirect_uri),
        ];
        if let Some(v) = &pending.verifier {
            form.push(("code_verifier", v));
        }
        let now = self.now();
        let answer = self
            .provider
            .op
            .token(&endpoint, &client, &form, now)
            .await
            .map_err(|e| {
                if e.is_rejection() {
                    login_failed(format!("the code was refused: {e}"))
                } else {
                    Failure::unexpected(format!("authorization_code grant failed: {e}"))
                }
            })?;
        // Judged at the answer's arrival, not when the request left: an OP that stamps `iat`
        // a second later than the request's `now` is not issuing tokens from the future
        // (with leeway 0 that refused logins whose token call crossed a second).
        let now = self.now();
        let tokens = tokens_from(&answer, now);
        let Some(id_token) = tokens.id_token.clone() else {
            return Err(Failure::unexpected("the token response has no id_token"));
        };
        let rules = Rules {
            access_token: false,
            audiences: vec![client.id.clone()],
            ..self.rules(&provider.issuer, "authorization_code")
        };
        let id_claims = jwt::verify(&id_token, &self.provider.keys, &rules, now)
            .await
            .map_err(|e| match e {
                JwtError::Keys(_) => Failure::unexpected(e.to_string()),
                e => Failure::invalid_token(format!("id token: {e}")),
            })?;
        let alg = jsonwebtoken::decode_header(&id_token)
            .map(|h| h.alg)
            .map_err(|e| Failure::invalid_token(format!("id token: {e}")))?;
        let b = &self.config.browser;
        callback::check_id_token(
            &id_claims,
            alg,
            &Expected {
                client_id: &client.id,
                nonce: b.verify_nonce.then_some(pending.nonce.as_str()),
                access_token: &tokens.access_token,
                code: &code,
                max_age: b.max_age,
                leeway: self.config.leeway,
                now,
            },
        )
        .map_err(Failure::invalid_token)?;
        // The access token's claims (verified JWT or introspection) decide; the ID token's
        // fill in what they lack (an opaque token without introspection has none).
        let mut claims = id_claims;
        let token_claims = self
            .claims_of(&tokens, "authorization_code", pending.client)
            .await?;
        claims.extend(token_claims);
        Ok(Authenticated::new("authorization_code", tokens, claims))
    }

    /// After a successful login: `login_action` for a method in `login_methods`, or, for a
    /// callback proxied upstream, the request put back as the browser first sent it.
    /// `Some(response)` ends the request.
    pub(super) fn after_login(
        &self,
        req: &mut AccessRequest,
        auth: &Authenticated,
        pending: Option<&Pending>,
    ) -> Option<PluginResponse> {
        let b = &self.config.browser;
        if b.logs_in_with(auth.method) {
            return Some(match b.login_action {
                LoginAction::Response => self.tokens_response(auth),
                _ => self.login_redirect(req, auth, pending)?,
            });
        }
        if let Some(p) = pending {
            // Upstream: the callback's parameters and cookie are not the application's (Gluu
            // and gatecheck's OP also echo the granted `scope` in the callback).
            req.remove_cookie(self.authorizations.name());
            let query = if b.preserve_query_args {
                p.query.clone()
            } else {
                let mut names = authorization::CALLBACK_ARGS.to_vec();
                names.push("scope");
                authorization::without_args(req.query(), &names)
            };
            req.set_query(query);
            if b.response_mode == ResponseMode::FormPost && req.method() == Method::POST {
                if let Ok(m) = Method::from_bytes(p.method.as_bytes()) {
                    req.set_method(m);
                }
                req.headers_mut().remove(CONTENT_TYPE);
                req.headers_mut().remove(CONTENT_LENGTH);
                req.set_body(Bytes::new());
            }
        }
        None
    }

    fn login_tokens(&self, auth: &Authenticated) -> Map<String, Value> {
        let t = &auth.tokens;
        let mut out = Map::new();
        for name in &self.config.browser.login_tokens {
            let value = match name.as_str() {
                "id_token" => t.id_token.clone().map(Value::String),
                "access_token" => Some(Value::String(t.access_token.clone())),
                "refresh_token" => t.refresh_token.clone().map(Value::String),
                "introspection" => auth.introspection.as_deref().cloned(),
                "tokens" => {
                    let mut m = Map::new();
                    m.insert("access_token".into(), t.access_token.clone().into());
                    m.insert("token_type".into(), "Bearer".into());
                    if let Some(exp) = t.expires_at {
                        m.insert(
                            "expires_in".into(),
                            exp.saturating_sub(self.now()).max(0).into(),
                        );
                    }
                    for (k, v) in [
                        ("id_token", &t.id_token),
                        ("refresh_token", &t.refresh_token),
                        ("scope", &t.scope),
                    ] {
                        if let Some(v) = v {
                            m.insert(k.into(), v.clone().into());
                        }
                    }
                    Some(Value::Object(m))
                }
                _ => None,
            };
            if let Some(v) = value {
                out.insert(name.clone(), v);
            }
        }
        out
    }

    fn tokens_response(&self, auth: &Authenticated) -> PluginResponse {
        let tokens = self.login_tokens(auth);
        if tokens.is_empty() {
            return PluginResponse::empty(StatusCode::NO_CONTENT);
        }
        let mut response = PluginResponse::empty(StatusCode::OK);
        response.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response.body = Bytes::from(Value::Object(tokens).to_string());
        response
    }

    fn login_redirect(
        &self,
        req: &AccessRequest,
        auth: &Authenticated,
        pending: Option<&Pending>,
    ) -> Option<PluginResponse> {
        let b = &self.config.browser;
        let client = pending.map_or(0, |p| p.client);
        let mut target = match b
            .login_redirect_uri
            .get(client)
            .or(b.login_redirect_uri.first())
        {
            Some(u) => u.clone(),
            None => {
                // Back where the login started (its query only with preserve_query_args).
                let (path, query) = match pending {
                    Some(p) => (p.path.clone(), p.query.clone()),
                    None => (
                        req.path_and_query()
                            .split('?')
                            .next()
                            .unwrap_or("/")
                            .to_owned(),
                        req.query().map(str::to_owned),
                    ),
                };
                let mut u = url::Url::parse(&format!("{}{path}", req.origin())).ok()?;
                if b.preserve_query_args {
                    u.set_query(query.as_deref());
                }
                u
            }
        };
        let tokens = self.login_tokens(auth);
        if !tokens.is_empty() {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(tokens.iter().map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        // Objects travel as base64url JSON, as no URL can carry them raw.
                        other => base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(other.to_string()),
                    };
                    (k.clone(), v)
                }))
                .finish();
            if b.login_redirect_query {
                let mut q = target.query().map(str::to_owned).unwrap_or_default();
                if !q.is_empty() {
                    q.push('&');
                }
                q.push_str(&encoded);
                target.set_query(Some(&q));
            } else {
                target.set_fragment(Some(&encoded));
            }
        }
        PluginResponse::redirect(target.as_str())
    }
}
