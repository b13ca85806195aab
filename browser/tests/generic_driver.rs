//! The generic OP driver on saved / synthesised pages of Keycloak, Gluu Server (oxAuth) and node
//! oidc-provider: what each page asks, and exactly what the user's browser submits.

use gatecheck_browser::generic::{self, Ask};
use gatecheck_browser::Page;

fn page(name: &str, url: &str) -> Page {
    let path = format!("{}/tests/pages/{name}", env!("CARGO_MANIFEST_DIR"));
    Page {
        url: url.parse().unwrap(),
        status: 200,
        headers: Default::default(),
        body: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        hops: Vec::new(),
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn keycloak_login_otp_and_consent() {
    let login = page(
        "keycloak-login.html",
        "http://127.0.0.1:8080/realms/kong/protocol/openid-connect/auth?client_id=kong",
    );
    assert!(matches!(generic::ask(&login).unwrap(), Ask::Login { .. }));
    let plan = generic::plan_login(&login, "alex", "doe").unwrap();
    assert_eq!(
        plan.fields().unwrap(),
        pairs(&[
            ("username", "alex"),
            ("password", "doe"),
            ("credentialId", ""),
            ("login", "")
        ])
    );
    assert_eq!(
        plan.form.action.as_str(),
        "http://127.0.0.1:8080/realms/kong/login-actions/authenticate?session_code=s1&execution=e1&client_id=kong&tab_id=t1"
    );
    assert_eq!(
        generic::error_text(&login).unwrap().as_deref(),
        Some("Invalid username or password.")
    );

    let otp = page("keycloak-otp.html", "http://127.0.0.1:8080/realms/kong/x");
    let plan = generic::plan_code(&otp, "123456").unwrap();
    assert_eq!(
        plan.fields().unwrap(),
        pairs(&[("otp", "123456"), ("login", "Sign In")])
    );

    let consent = page(
        "keycloak-consent.html",
        "http://127.0.0.1:8080/realms/kong/x",
    );
    let allow = generic::plan_consent(&consent, true).unwrap().unwrap();
    assert_eq!(
        allow.fields().unwrap(),
        pairs(&[("code", "c0de"), ("accept", "Yes")])
    );
    let deny = generic::plan_consent(&consent, false).unwrap().unwrap();
    assert_eq!(
        deny.fields().unwrap(),
        pairs(&[("code", "c0de"), ("cancel", "No")])
    );
}

#[test]
fn gluu_server_login_and_consent() {
    let login = page(
        "gluu-login.html",
        "https://gluu.example.org/oxauth/login.htm",
    );
    let plan = generic::plan_login(&login, "admin", "secret").unwrap();
    let fields = plan.fields().unwrap();
    assert!(fields.contains(&("loginForm:username".into(), "admin".into())));
    assert!(fields.contains(&("loginForm:password".into(), "secret".into())));
    assert!(fields.contains(&("loginForm:loginButton".into(), "Login".into())));
    assert!(
        fields.iter().any(|(k, _)| k == "javax.faces.ViewState"),
        "the JSF view state is carried: {fields:?}"
    );

    let consent = page(
        "gluu-consent.html",
        "https://gluu.example.org/oxauth/authorize.htm",
    );
    let allow = generic::plan_consent(&consent, true)
        .unwrap()
        .unwrap()
        .fields()
        .unwrap();
    assert!(allow.contains(&("authorizeForm:allowButton".into(), "Allow".into())));
    assert!(!allow
        .iter()
        .any(|(k, _)| k == "authorizeForm:doNotAllowButton"));
    let deny = generic::plan_consent(&consent, false)
        .unwrap()
        .unwrap()
        .fields()
        .unwrap();
    assert!(deny.contains(&(
        "authorizeForm:doNotAllowButton".into(),
        "Don't Allow".into()
    )));
    assert!(!deny.iter().any(|(k, _)| k == "authorizeForm:allowButton"));
}

#[test]
fn node_oidc_provider_login_and_consent() {
    let login = page(
        "oidc-provider-login.html",
        "http://127.0.0.1:3000/interaction/Sd9fK2",
    );
    let plan = generic::plan_login(&login, "alex", "doe").unwrap();
    assert_eq!(
        plan.fields().unwrap(),
        pairs(&[("prompt", "login"), ("login", "alex"), ("password", "doe")])
    );
    assert_eq!(
        plan.form.action.as_str(),
        "http://127.0.0.1:3000/interaction/Sd9fK2/login"
    );
    let consent = page(
        "oidc-provider-consent.html",
        "http://127.0.0.1:3000/interaction/Sd9fK2",
    );
    let allow = generic::plan_consent(&consent, true).unwrap().unwrap();
    assert_eq!(allow.fields().unwrap(), pairs(&[("prompt", "consent")]));
    // Refusing is the Cancel link beside the form.
    assert_eq!(
        generic::plan_consent(&consent, false).unwrap().unwrap_err(),
        "/interaction/Sd9fK2/abort"
    );
}

#[test]
fn a_page_without_an_op_form_asks_nothing_and_the_error_says_what_was_missing() {
    let p = Page {
        url: "http://site/".parse().unwrap(),
        status: 200,
        headers: Default::default(),
        body: "<html><body><h1>Flights Available</h1><form action=/search><input name=q><button>Search</button></form></body></html>".into(),
        hops: Vec::new(),
    };
    assert_eq!(generic::ask(&p).unwrap(), Ask::Nothing);
    let err = generic::plan_login(&p, "a", "b").unwrap_err().to_string();
    assert!(
        err.contains("no login form (a form with a password input) on http://site/"),
        "{err}"
    );
    assert!(generic::plan_consent(&p, true).is_err());
    assert!(generic::is_deny("Don't Allow") && !generic::is_allow("Don't Allow"));
    assert!(generic::is_allow("Allow") && generic::is_allow("Continue"));
}
