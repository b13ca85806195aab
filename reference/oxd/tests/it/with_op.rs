//! oxd against the reference OP: the commands as GG's plugins and the tutorials use them.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn spontaneous_scope_token_of_the_tutorial_is_issued_and_introspected() {
    let op = op().await;
    let oxd = oxd().await;
    // The gateway's site introspects the consumer's token: the OP lets its client see it.
    let site = gateway_site(&oxd, &op.issuer()).await;

    // Seed 002, step 1: the tutorial's own request, without Authorization.
    let token = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "api-consumer", "client_secret": "api-consumer-secret",
               "op_host": op.issuer(), "scope": ["transactions:123"]}),
    )
    .await
    .ok();
    assert_eq!(token["scope"], json!(["transactions:123"]));
    assert!(token["expires_in"].as_u64().unwrap() > 0);
    // No refresh token for client credentials: left out, never `null` (Lua reads null as set).
    assert!(token.get("refresh_token").is_none(), "{token}");
    let access_token = token["access_token"].as_str().unwrap();

    // The plugin's introspection through the site.
    let intro = call(
        &oxd,
        "introspect-access-token",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "access_token": access_token}),
    )
    .await
    .ok();
    assert_eq!(intro["active"], true);
    assert_eq!(intro["client_id"], "api-consumer");
    assert_eq!(intro["scope"], json!(["transactions:123"]));
    assert!(intro["exp"].as_i64().is_some());
    assert_eq!(intro["iss"], op.issuer());

    // A token that is not the OP's is inactive, not an error.
    let intro = call(
        &oxd,
        "introspect-access-token",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "access_token": "not-a-token"}),
    )
    .await
    .ok();
    assert_eq!(intro["active"], false);
}

#[tokio::test]
async fn scope_outside_the_spontaneous_pattern_is_not_granted() {
    let op = op().await;
    let oxd = oxd().await;
    let reply = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "api-consumer", "client_secret": "api-consumer-secret",
               "op_host": op.issuer(), "scope": ["accounts:1"]}),
    )
    .await;
    // The OP drops the scope; nothing is left → invalid_scope, the caller's mistake.
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.error(), "invalid_scope");
}

#[tokio::test]
async fn wrong_client_secret_is_the_ops_invalid_client() {
    let op = op().await;
    let oxd = oxd().await;
    let reply = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "api-consumer", "client_secret": "wrong",
               "op_host": op.issuer(), "scope": ["oxd"]}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error(), "invalid_client");
}

#[tokio::test]
async fn jwks_are_the_ops_keys() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let jwks = call(
        &oxd,
        "get-jwks",
        Some(&site.protection),
        json!({"op_host": op.issuer()}),
    )
    .await
    .ok();
    let published: serde_json::Value = reqwest::get(format!("{}/oxauth/restv1/jwks", op.issuer()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, published);
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kty"] == "RSA"));
}

#[tokio::test]
async fn code_flow_userinfo_refresh_and_logout() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let auth = call(
        &oxd,
        "get-authorization-url",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "scope": ["openid", "profile", "email"],
               "acr_values": ["auth_ldap_server"], "params": {"max_age": 3600},
               "custom_parameters": {"ui_locales": "en"}}),
    )
    .await
    .ok();
    let url = url::Url::parse(auth["authorization_url"].as_str().unwrap()).unwrap();
    assert_eq!(query_param(&url, "client_id").unwrap(), site.client_id);
    assert_eq!(query_param(&url, "redirect_uri").unwrap(), CALLBACK);
    assert_eq!(query_param(&url, "code_challenge_method").unwrap(), "S256");
    assert_eq!(query_param(&url, "max_age").unwrap(), "3600");
    assert_eq!(query_param(&url, "acr_values").unwrap(), "auth_ldap_server");
    assert_eq!(query_param(&url, "ui_locales").unwrap(), "en");
    assert!(query_param(&url, "nonce").is_some());
    let scope = query_param(&url, "scope").unwrap();
    assert_eq!(
        scope.split(' ').filter(|s| *s == "openid").count(),
        1,
        "{scope}"
    );

    let agent = Agent::new(&op.issuer());
    let back = agent
        .login_and_consent(url.as_str(), "admin", "secret")
        .await;
    assert!(back.as_str().starts_with(CALLBACK));
    let code = query_param(&back, "code").unwrap();
    let state = query_param(&back, "state").unwrap();

    let tokens = call(
        &oxd,
        "get-tokens-by-code",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "code": code, "state": state}),
    )
    .await
    .ok();
    let claims = &tokens["id_token_claims"];
    assert_eq!(claims["sub"], "admin");
    assert_eq!(claims["iss"], op.issuer());
    assert_eq!(claims["acr"], "auth_ldap_server");
    assert!(claims["auth_time"].as_i64().is_some());
    assert!(claims["nonce"].as_str().is_some());
    assert!(tokens["id_token"].as_str().unwrap().split('.').count() == 3);
    let access_token = tokens["access_token"].as_str().unwrap();

    // The state is single use.
    let replay = call(
        &oxd,
        "get-tokens-by-code",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "code": "x", "state": state}),
    )
    .await;
    assert_eq!(replay.status, 400);
    assert_eq!(replay.error(), "bad_state");

    let info = call(
        &oxd,
        "get-user-info",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "access_token": access_token}),
    )
    .await
    .ok();
    assert_eq!(info["sub"], "admin");
    assert!(info["email"].as_str().is_some(), "{info}");

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refreshed = call(
        &oxd,
        "get-access-token-by-refresh-token",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "refresh_token": refresh}),
    )
    .await
    .ok();
    assert_ne!(refreshed["access_token"], tokens["access_token"]);

    let logout = call(
        &oxd,
        "get-logout-uri",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "id_token_hint": tokens["id_token"],
               "post_logout_redirect_uri": LOGGED_OUT, "state": "bye"}),
    )
    .await
    .ok();
    let uri = url::Url::parse(logout["uri"].as_str().unwrap()).unwrap();
    assert!(uri
        .as_str()
        .starts_with(&format!("{}/oxauth/restv1/end_session", op.issuer())));
    assert_eq!(
        query_param(&uri, "post_logout_redirect_uri").unwrap(),
        LOGGED_OUT
    );
    assert_eq!(query_param(&uri, "state").unwrap(), "bye");
    assert_eq!(
        query_param(&uri, "id_token_hint").unwrap(),
        tokens["id_token"].as_str().unwrap()
    );
    // The OP accepts it: it redirects to the registered post-logout URI.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(uri.as_str())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with(LOGGED_OUT));
}

#[tokio::test]
async fn state_of_another_site_is_refused() {
    let op = op().await;
    let oxd = oxd().await;
    let a = site(&oxd, &op.issuer()).await;
    let b = site(&oxd, &op.issuer()).await;
    let auth = call(
        &oxd,
        "get-authorization-url",
        Some(&a.protection),
        json!({"oxd_id": a.oxd_id}),
    )
    .await
    .ok();
    let url = url::Url::parse(auth["authorization_url"].as_str().unwrap()).unwrap();
    let state = query_param(&url, "state").unwrap();
    let reply = call(
        &oxd,
        "get-tokens-by-code",
        Some(&b.protection),
        json!({"oxd_id": b.oxd_id, "code": "c", "state": state}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error(), "bad_state");
}

#[tokio::test]
async fn remove_site_forgets_the_site() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let removed = call(
        &oxd,
        "remove-site",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id}),
    )
    .await
    .ok();
    assert_eq!(removed["oxd_id"], site.oxd_id.as_str());
    let again = call(
        &oxd,
        "remove-site",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id}),
    )
    .await;
    assert_eq!(again.status, 400, "{:?}", again.body);
    assert_eq!(again.error(), "invalid_oxd_id");
}

#[tokio::test]
async fn update_site_changes_the_client_at_the_op() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let other = "http://localhost:4400/other-callback";
    call(
        &oxd,
        "update-site",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "redirect_uris": [CALLBACK, other]}),
    )
    .await
    .ok();
    let auth = call(
        &oxd,
        "get-authorization-url",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "redirect_uri": other}),
    )
    .await
    .ok();
    let agent = Agent::new(&op.issuer());
    let back = agent
        .login_and_consent(
            auth["authorization_url"].as_str().unwrap(),
            "jdoe",
            "jdoe-secret",
        )
        .await;
    assert!(back.as_str().starts_with(other), "{back}");

    // A redirect URI the OP rejects leaves the site as it was.
    let reply = call(
        &oxd,
        "update-site",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "redirect_uris": ["relative/path"]}),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.description().contains("redirect_uris[0]"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn register_site_adopts_an_existing_client() {
    let op = op().await;
    let oxd = oxd().await;
    let reg = call(
        &oxd,
        "register-site",
        None,
        json!({"op_host": op.issuer(), "client_id": "api-consumer",
               "client_secret": "api-consumer-secret", "redirect_uris": [CALLBACK]}),
    )
    .await
    .ok();
    assert_eq!(reg["client_id"], "api-consumer");
    assert!(reg["oxd_id"].as_str().is_some());
    let token = call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "api-consumer", "client_secret": "api-consumer-secret",
               "op_host": op.issuer(), "scope": ["openid", "oxd"]}),
    )
    .await
    .ok();
    // The protection token works on the adopted site.
    let intro = call(
        &oxd,
        "introspect-access-token",
        token["access_token"].as_str(),
        json!({"oxd_id": reg["oxd_id"], "access_token": token["access_token"]}),
    )
    .await
    .ok();
    assert_eq!(intro["active"], true);
    assert!(
        intro["scope"].as_array().unwrap().contains(&json!("oxd")),
        "{intro}"
    );
}

/// A client-credentials token straight from the OP's token endpoint.
async fn op_token(op: &gatecheck_op::Handle, client: (&str, &str), scope: &str) -> String {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oxauth/restv1/token", op.issuer()))
        .basic_auth(client.0, Some(client.1))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn protection_token_from_the_op_directly_is_verified_by_introspection() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let body = |t: &str| json!({"oxd_id": site.oxd_id, "access_token": t});

    // The site's own client, scope oxd, obtained without oxd: accepted (and then remembered).
    let direct = op_token(&op, (&site.client_id, &site.client_secret), "oxd").await;
    for _ in 0..2 {
        let intro = call(
            &oxd,
            "introspect-access-token",
            Some(&direct),
            body(&direct),
        )
        .await
        .ok();
        assert_eq!(intro["active"], true);
    }

    // Same client without the oxd scope: refused.
    let no_scope = op_token(&op, (&site.client_id, &site.client_secret), "openid").await;
    let reply = call(&oxd, "introspect-access-token", Some(&no_scope), body("x")).await;
    assert_eq!(reply.status, 403);
    assert!(
        reply.description().contains("oxd scope"),
        "{:?}",
        reply.body
    );

    // Another client's oxd token: the OP does not even show it to this site's client...
    let foreign = op_token(&op, ("api-consumer", "api-consumer-secret"), "oxd").await;
    let reply = call(&oxd, "introspect-access-token", Some(&foreign), body("x")).await;
    assert_eq!(reply.status, 403);
    assert!(
        reply.description().contains("not active"),
        "{:?}",
        reply.body
    );
    // ...and a site whose client sees every token refuses it as another client's.
    let gateway = gateway_site(&oxd, &op.issuer()).await;
    let reply = call(
        &oxd,
        "introspect-access-token",
        Some(&foreign),
        json!({"oxd_id": gateway.oxd_id, "access_token": "x"}),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert!(
        reply.description().contains("api-consumer"),
        "{:?}",
        reply.body
    );

    // get-jwks names no site, so there is nobody to introspect for: only oxd's own tokens.
    let reply = call(
        &oxd,
        "get-jwks",
        Some(&direct),
        json!({"op_host": op.issuer()}),
    )
    .await;
    assert_eq!(
        reply.status, 200,
        "remembered after introspection: {:?}",
        reply.body
    );
    let reply = call(
        &oxd,
        "get-jwks",
        Some(&no_scope),
        json!({"op_host": op.issuer()}),
    )
    .await;
    assert_eq!(reply.status, 403);
}

#[tokio::test]
async fn code_the_op_does_not_know_is_its_invalid_grant() {
    let op = op().await;
    let oxd = oxd().await;
    let site = site(&oxd, &op.issuer()).await;
    let auth = call(
        &oxd,
        "get-authorization-url",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id}),
    )
    .await
    .ok();
    let url = url::Url::parse(auth["authorization_url"].as_str().unwrap()).unwrap();
    let state = query_param(&url, "state").unwrap();
    let reply = call(
        &oxd,
        "get-tokens-by-code",
        Some(&site.protection),
        json!({"oxd_id": site.oxd_id, "code": "made-up", "state": state}),
    )
    .await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.error(), "invalid_grant");
}
