//! The browser against two tiny local apps on different ports: a "site" that sends the browser
//! to an "idp" for a CSRF-protected login and back, the way gateway and OP do.

use std::time::Duration;

use axum::extract::{Form as AxForm, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

use crate::*;

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

#[derive(Clone)]
struct Urls {
    site: String,
    idp: String,
}

async fn site_home(State(u): State<Urls>, headers: HeaderMap) -> Response {
    if cookie(&headers, "site_session").as_deref() == Some("alice") {
        return Html("<h1>Welcome alice</h1><a href=\"/deeper\">Deeper</a>").into_response();
    }
    (
        StatusCode::FOUND,
        [
            (
                header::SET_COOKIE,
                "site_state=s1; HttpOnly; Path=/".to_owned(),
            ),
            (
                header::LOCATION,
                format!("{}/login?redirect_uri={}/callback&state=s1", u.idp, u.site),
            ),
        ],
    )
        .into_response()
}

async fn site_callback(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if cookie(&headers, "site_state") != q.get("state").cloned() {
        return (StatusCode::BAD_REQUEST, "state mismatch").into_response();
    }
    (
        StatusCode::FOUND,
        [
            (header::SET_COOKIE, "site_session=alice; HttpOnly; Path=/"),
            (header::LOCATION, "/"),
        ],
    )
        .into_response()
}

fn login_page(error: &str, redirect_uri: &str, state: &str) -> String {
    format!(
        "<html><body><h1>Sign in</h1>{error}<form id=\"loginForm\" method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"tok123\">\
         <input type=\"hidden\" name=\"redirect_uri\" value=\"{redirect_uri}\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <input type=\"text\" name=\"username\"><input type=\"password\" name=\"password\">\
         <input type=\"checkbox\" name=\"remember\" value=\"yes\">\
         <button type=\"submit\" name=\"decision\" value=\"go\">Login</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\" id=\"cancel\">Cancel</button>\
         </form></body></html>"
    )
}

async fn idp_login_page(Query(q): Query<HashMap<String, String>>) -> Response {
    (
        [(header::SET_COOKIE, "idp_csrf=tok123; HttpOnly; Path=/")],
        Html(login_page(
            "",
            q.get("redirect_uri").map(String::as_str).unwrap_or(""),
            q.get("state").map(String::as_str).unwrap_or(""),
        )),
    )
        .into_response()
}

async fn idp_login(headers: HeaderMap, AxForm(f): AxForm<HashMap<String, String>>) -> Response {
    if cookie(&headers, "idp_csrf").as_deref() != f.get("csrf_token").map(String::as_str) {
        return (StatusCode::FORBIDDEN, "csrf").into_response();
    }
    if f.contains_key("remember") {
        return (StatusCode::BAD_REQUEST, "unchecked box submitted").into_response();
    }
    if f.get("decision").map(String::as_str) == Some("cancel") {
        return Html("<h1>Cancelled</h1>").into_response();
    }
    if f.get("username").map(String::as_str) != Some("alice")
        || f.get("password").map(String::as_str) != Some("pw")
    {
        let page = login_page(
            "<p id=\"error\">Wrong username or password</p>",
            &f["redirect_uri"],
            &f["state"],
        );
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    }
    Redirect::to(&format!(
        "{}?code=c1&state={}",
        f["redirect_uri"], f["state"]
    ))
    .into_response()
}

async fn idp_form_post(State(u): State<Urls>) -> Html<String> {
    Html(format!(
        "<html><body onload=\"javascript:document.forms[0].submit()\">\
         <form method=\"post\" action=\"{}/posted\"><input type=\"hidden\" name=\"code\" value=\"fp1\">\
         <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        u.site
    ))
}

async fn idp_form_post_script(State(u): State<Urls>) -> Html<String> {
    Html(format!(
        "<html><body><form method=\"post\" action=\"{}/posted\">\
         <input type=\"hidden\" name=\"code\" value=\"fp2\"></form>\
         <script>window.onload = function () {{ document.forms[0].submit(); }};</script></body></html>",
        u.site
    ))
}

async fn site_posted(AxForm(f): AxForm<HashMap<String, String>>) -> String {
    format!("posted code={}", f.get("code").cloned().unwrap_or_default())
}

async fn site_keep() -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, "/echo")],
    )
        .into_response()
}

async fn site_echo(method: axum::http::Method, body: String) -> String {
    format!("{method} {body}")
}

async fn idp_qr() -> Html<String> {
    let uri = "otpauth://totp/Test:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Test";
    let b64 = totp_rs::TOTP::from_url(uri)
        .unwrap()
        .get_qr_base64()
        .unwrap();
    Html(format!(
        "<h1>Enroll</h1><img id=\"otp_qr\" src=\"data:image/png;base64,{b64}\">\
         <p id=\"otp_secret\">NOT-THE-SECRET</p>"
    ))
}

async fn loop_forever() -> Redirect {
    Redirect::to("/loop")
}

async fn start() -> (Urls, Vec<tokio::task::JoinHandle<()>>) {
    let site_l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp_l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let urls = Urls {
        site: format!("http://{}", site_l.local_addr().unwrap()),
        idp: format!("http://{}", idp_l.local_addr().unwrap()),
    };
    let site = Router::new()
        .route("/", get(site_home))
        .route("/callback", get(site_callback))
        .route("/posted", post(site_posted))
        .route("/keep", post(site_keep))
        .route("/echo", post(site_echo))
        .route("/loop", get(loop_forever))
        .with_state(urls.clone());
    let idp = Router::new()
        .route("/login", get(idp_login_page).post(idp_login))
        .route("/form_post", get(idp_form_post))
        .route("/form_post_script", get(idp_form_post_script))
        .route("/qr", get(idp_qr))
        .with_state(urls.clone());
    let a = tokio::spawn(async move { axum::serve(site_l, site).await.unwrap() });
    let b = tokio::spawn(async move { axum::serve(idp_l, idp).await.unwrap() });
    (urls, vec![a, b])
}

fn browser() -> Browser {
    Browser::new(Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn logs_in_across_two_hosts_carrying_hidden_fields_and_cookies() {
    let (u, _tasks) = start().await;
    let b = browser();
    let page = b.open(&format!("{}/", u.site)).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.heading().as_deref(), Some("Sign in"));
    let hops = b.last_navigation();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0].status, 302);
    let target = hops[0].location.as_ref().unwrap();
    assert!(target.as_str().starts_with(&format!("{}/login", u.idp)));
    assert!(target.query_pairs().any(|(k, v)| k == "state" && v == "s1"));

    let page = b
        .submit(
            Some("loginForm"),
            &[("username", "alice"), ("password", "pw")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.heading().as_deref(), Some("Welcome alice"));
    // POST /login -> 303 callback -> 302 / -> 200
    let statuses: Vec<u16> = b.last_navigation().iter().map(|h| h.status).collect();
    assert_eq!(statuses, vec![303, 302, 200]);
    assert_eq!(b.last_navigation()[1].method, "GET");
    // Cookie of the site is sent back; the history keeps every hop.
    assert!(b.history().len() >= 5);
    let deeper = b.click_link("Deeper").await.unwrap();
    assert_eq!(deeper.status, 404);
}

#[tokio::test]
async fn a_wrong_password_shows_the_error_and_buttons_are_chosen_by_id() {
    let (u, _tasks) = start().await;
    let b = browser();
    b.open(&format!("{}/", u.site)).await.unwrap();
    let page = b
        .submit(None, &[("username", "alice"), ("password", "nope")], None)
        .await
        .unwrap();
    assert_eq!(page.status, 401);
    assert_eq!(
        page.text_of("#error").unwrap().as_deref(),
        Some("Wrong username or password")
    );
    let page = b.submit(None, &[], Some("cancel")).await.unwrap();
    assert_eq!(page.heading().as_deref(), Some("Cancelled"));
}

#[tokio::test]
async fn unknown_fields_forms_and_buttons_are_errors() {
    let (u, _tasks) = start().await;
    let b = browser();
    assert!(matches!(b.page(), Err(BrowserError::NoPage)));
    b.open(&format!("{}/", u.site)).await.unwrap();
    let err = b.submit(None, &[("usr", "x")], None).await.unwrap_err();
    assert!(err.to_string().contains("no field \"usr\""), "{err}");
    let err = b.submit(Some("other"), &[], None).await.unwrap_err();
    assert!(err.to_string().contains("no form#other"), "{err}");
    let err = b.submit(None, &[], Some("explode")).await.unwrap_err();
    assert!(err.to_string().contains("no button"), "{err}");
    let err = b.click_link("Nowhere").await.unwrap_err();
    assert!(err.to_string().contains("no link"), "{err}");
}

#[tokio::test]
async fn form_post_pages_are_submitted_automatically() {
    let (u, _tasks) = start().await;
    let b = browser();
    let page = b.open(&format!("{}/form_post", u.idp)).await.unwrap();
    assert_eq!(page.body, "posted code=fp1");
    let hops = b.last_navigation();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[1].method, "POST");

    let page = b
        .open(&format!("{}/form_post_script", u.idp))
        .await
        .unwrap();
    assert_eq!(page.body, "posted code=fp2");

    b.set_auto_submit(false);
    let page = b.open(&format!("{}/form_post", u.idp)).await.unwrap();
    assert!(page.auto_submit_form().unwrap().is_some());
}

#[tokio::test]
async fn temporary_redirects_keep_method_and_body() {
    let (u, _tasks) = start().await;
    let b = browser();
    let page = b
        .request(
            "POST",
            &format!("{}/keep", u.site),
            &[],
            Some(Body::Form(vec![("a".into(), "1".into())])),
        )
        .await
        .unwrap();
    assert_eq!(page.body, "POST a=1");
}

#[tokio::test]
async fn redirect_loops_stop_with_the_last_hops() {
    let (u, _tasks) = start().await;
    let b = browser();
    let err = b.open(&format!("{}/loop", u.site)).await.unwrap_err();
    assert!(matches!(err, BrowserError::TooManyRedirects(_)));
    assert!(err.to_string().contains("/loop -> 303"), "{err}");
}

#[tokio::test]
async fn enrolls_from_the_qr_image_not_the_page_text() {
    let (u, _tasks) = start().await;
    let b = browser();
    b.open(&format!("{}/qr", u.idp)).await.unwrap();
    let auth = b.scan_qr_code("img#otp_qr").await.unwrap();
    assert_eq!(auth.account(), "alice");
    let reference = totp_rs::TOTP::from_url(
        "otpauth://totp/Test:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Test",
    )
    .unwrap();
    assert_eq!(auth.code_at(1_000_000), reference.generate(1_000_000));
    let err = b.scan_qr_code("img#missing").await.unwrap_err();
    assert!(err.to_string().contains("QR code image"), "{err}");
}

#[test]
fn page_text_skips_scripts_and_reads_non_html_bodies() {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, "text/html".parse().unwrap());
    let page = Page {
        url: Url::parse("http://x/").unwrap(),
        status: 200,
        headers,
        body: "<html><head><title>T</title><script>var a=1;</script></head><body><h1>Hi</h1>\n<p>there   you</p></body></html>".into(),
        hops: Vec::new(),
    };
    assert_eq!(page.text(), "Hi there you");
    let json = Page {
        url: Url::parse("http://x/").unwrap(),
        status: 200,
        headers: HeaderMap::new(),
        body: "{\"a\":1}".into(),
        hops: Vec::new(),
    };
    assert_eq!(json.text(), "{\"a\":1}");
}

#[tokio::test]
async fn a_page_knows_the_redirects_that_led_to_it() {
    let (u, _tasks) = start().await;
    let b = browser();
    let page = b.open(&format!("{}/", u.site)).await.unwrap();
    assert_eq!(page.hops.len(), 1);
    assert_eq!(page.hops[0].status, 302);
    assert_eq!(page.hops_to(&u.idp).len(), 1);
    assert!(page.hops_to(&u.site).is_empty());
    let direct = b.open(&format!("{}/qr", u.idp)).await.unwrap();
    assert!(direct.hops.is_empty());
}

#[tokio::test]
async fn stay_on_ends_the_navigation_at_a_redirect_elsewhere() {
    let (u, _tasks) = start().await;
    let b = Browser::builder().stay_on(&u.idp).unwrap().build().unwrap();
    let page = b
        .open(&format!(
            "{}/login?redirect_uri={}/callback&state=s",
            u.idp, u.site
        ))
        .await
        .unwrap();
    let page = b
        .submit_on(
            &page,
            None,
            &[("username", "alice"), ("password", "pw")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.status, 303);
    let back = page.location().unwrap();
    assert_eq!(
        back.as_str(),
        format!("{}/callback?code=c1&state=s", u.site)
    );
    assert!(Browser::builder().stay_on("not a url").is_err());
}

#[tokio::test]
async fn a_value_for_a_named_button_presses_that_button() {
    let (u, _tasks) = start().await;
    let b = browser();
    b.open(&format!("{}/", u.site)).await.unwrap();
    let page = b
        .submit(None, &[("decision", "cancel")], None)
        .await
        .unwrap();
    assert_eq!(page.heading().as_deref(), Some("Cancelled"));
    b.open(&format!("{}/", u.site)).await.unwrap();
    let err = b
        .submit(None, &[("decision", "explode")], None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no button decision=\"explode\""),
        "{err}"
    );
}

#[tokio::test]
async fn clones_and_shared_jars_are_one_user() {
    let (u, _tasks) = start().await;
    let b = browser();
    let tab = b.clone();
    tab.open(&format!("{}/", u.site)).await.unwrap();
    tab.submit(None, &[("username", "alice"), ("password", "pw")], None)
        .await
        .unwrap();
    assert_eq!(
        b.page().unwrap().heading().as_deref(),
        Some("Welcome alice")
    );
    let other = Browser::builder()
        .jar(b.jar().clone())
        .fresh_connections()
        .build()
        .unwrap();
    let page = other.open(&format!("{}/", u.site)).await.unwrap();
    assert_eq!(page.heading().as_deref(), Some("Welcome alice"));
    let site = Url::parse(&u.site).unwrap();
    assert!(b.cookies_for(&site).unwrap().contains("site_session=alice"));
}

#[tokio::test]
async fn raw_bodies_keep_their_content_type_through_temporary_redirects() {
    let (u, _tasks) = start().await;
    let b = browser();
    let page = b
        .request(
            "POST",
            &format!("{}/keep", u.site),
            &[("x-test", "1")],
            Some(Body::Raw {
                content_type: "text/plain".into(),
                bytes: b"hello".to_vec(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(page.body, "POST hello");
    let err = b
        .request("BAD METHOD", &u.site, &[], None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bad method"), "{err}");
    let err = b
        .request("GET", &u.site, &[("bad header", "x")], None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bad header name"), "{err}");
}

const OP_URI: &str =
    "otpauth://totp/Gluu%20Inc:admin?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gluu%20Inc";
/// The fake OP's clock for one-time passwords.
const OP_NOW: u64 = 1_000_000;

fn form(id: &str, action: &str, inner: &str) -> String {
    format!("<form id=\"{id}\" method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"csrf_token\" value=\"t\">{inner}</form>")
}

/// The reference OP's page shapes: login, enrolment (QR), code, consent.
fn fake_op() -> Router {
    let login = || {
        Html(form("loginForm", "/op/login", "<input name=\"username\"><input type=\"password\" name=\"password\"><button>Login</button>"))
    };
    Router::new()
        .route("/op/login", get(move || async move { login() }).post(|AxForm(f): AxForm<HashMap<String, String>>| async move {
            if f.get("password").map(String::as_str) != Some("secret") || f.get("csrf_token").map(String::as_str) != Some("t") {
                return Html(format!("<p id=\"error\">Wrong username or password.</p>{}", form("loginForm", "/op/login", "<input name=\"username\"><input type=\"password\" name=\"password\">"))).into_response();
            }
            let next = if f.get("username").map(String::as_str) == Some("enrolled") { "/op/otp" } else { "/op/enroll" };
            Redirect::to(next).into_response()
        }))
        .route("/op/enroll", get(|| async {
            let b64 = totp_rs::TOTP::from_url(OP_URI).unwrap().get_qr_base64().unwrap();
            Html(format!("<img id=\"otp_qr\" src=\"data:image/png;base64,{b64}\">{}", form("enrollForm", "/op/enroll", "<button>Finish</button>")))
        }).post(|| async { Redirect::to("/op/otp") }))
        .route("/op/otp", get(|| async { Html(form("otpForm", "/op/otp", "<input name=\"otp_code\">")) }).post(|AxForm(f): AxForm<HashMap<String, String>>| async move {
            let expected = totp_rs::TOTP::from_url(OP_URI).unwrap().generate(OP_NOW);
            if f.get("otp_code") != Some(&expected) {
                return Html(format!("<p id=\"error\">Wrong or already used one-time password.</p>{}", form("otpForm", "/op/otp", "<input name=\"otp_code\">"))).into_response();
            }
            Redirect::to("/op/consent").into_response()
        }))
        .route("/op/consent", get(|| async { Html(form("consentForm", "/op/consent", "<button name=\"decision\" value=\"allow\">Allow</button><button name=\"decision\" value=\"deny\">Deny</button>")) })
            .post(|AxForm(f): AxForm<HashMap<String, String>>| async move { Html(format!("<h1>Done: {}</h1>", f["decision"])) }))
}

async fn op_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, fake_op()).await.unwrap() });
    url
}

#[tokio::test]
async fn the_driver_walks_login_enrolment_code_and_consent() {
    let op = op_url().await;
    let b = browser();
    b.open(&format!("{op}/op/login")).await.unwrap();
    assert_eq!(
        driver::Prompt::of(&b.page().unwrap()).unwrap(),
        driver::Prompt::Login
    );
    let mut app = None;
    let now = || OP_NOW;
    let page = driver::complete_login(&b, "admin", "secret", &mut app, driver::Code::At(&now))
        .await
        .unwrap();
    assert_eq!(page.heading().as_deref(), Some("Done: allow"));
    assert_eq!(app.unwrap().account(), "admin");
}

#[tokio::test]
async fn a_typed_code_stops_on_the_answer_and_a_missing_authenticator_is_an_error() {
    let op = op_url().await;
    let b = browser();
    b.open(&format!("{op}/op/login")).await.unwrap();
    let mut app = None;
    let page = driver::complete_login(
        &b,
        "admin",
        "secret",
        &mut app,
        driver::Code::Typed("000000"),
    )
    .await
    .unwrap();
    assert_eq!(driver::Prompt::of(&page).unwrap(), driver::Prompt::Otp);
    assert!(page
        .text_of(driver::ERROR)
        .unwrap()
        .unwrap()
        .contains("Wrong"));
    assert!(app.is_some(), "enrolled on the way");

    b.open(&format!("{op}/op/login")).await.unwrap();
    let err = driver::complete_login(&b, "enrolled", "secret", &mut None, driver::Code::Now)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no authenticator is enrolled"),
        "{err}"
    );
    let page = driver::consent(&b, false).await;
    assert!(page.is_err(), "the code page has no consent form");
}

#[tokio::test]
async fn a_wrong_password_repeats_the_login_page_until_the_walk_gives_up() {
    let op = op_url().await;
    let b = browser();
    b.open(&format!("{op}/op/login")).await.unwrap();
    let err = driver::complete_login(&b, "admin", "nope", &mut None, driver::Code::Now)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("the login did not finish"),
        "{err}"
    );
}

fn exchanges(rec: &record::Recorder) -> Vec<record::Exchange> {
    rec.drain()
        .into_iter()
        .filter_map(|r| match r {
            record::Record::Exchange(e) => Some(e),
            record::Record::Screenshot(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn the_browser_records_every_hop_of_a_navigation_as_one_chain() {
    let (u, _tasks) = start().await;
    let rec = record::Recorder::default();
    let b = Browser::builder().recorder(rec.clone()).build().unwrap();
    b.open(&format!("{}/", u.site)).await.unwrap();
    b.submit(None, &[("username", "alice"), ("password", "pw")], None)
        .await
        .unwrap();
    let all = exchanges(&rec);
    // GET / -> 302, GET /login -> 200; POST /login -> 303, GET /callback -> 302, GET / -> 200
    let statuses: Vec<_> = all.iter().map(|e| e.status.unwrap()).collect();
    assert_eq!(statuses, vec![302, 200, 303, 302, 200]);
    assert_eq!(all[0].navigation, all[1].navigation);
    assert_ne!(all[1].navigation, all[2].navigation);
    assert!(all
        .iter()
        .all(|e| e.source == "browser" && e.duration_ms >= 0.0));
    let post = &all[2];
    assert_eq!(post.method, "POST");
    assert!(post
        .request_body
        .as_deref()
        .unwrap()
        .contains("password=pw"));
    assert!(post
        .request_headers
        .iter()
        .any(|(n, v)| n == "cookie" && v.contains("idp_csrf=tok123")));
    assert!(all[1].response_body.as_deref().unwrap().contains("Sign in"));
    assert!(all[0]
        .response_headers
        .iter()
        .any(|(n, v)| n == "location" && v.contains("/login")));
    assert!(rec.drain().is_empty(), "drained");
}

#[tokio::test]
async fn the_step_client_records_and_still_hands_back_the_response() {
    let (u, _tasks) = start().await;
    let rec = record::Recorder::default();
    let client = record::Client::new(reqwest::Client::new(), rec.clone());
    let resp = client
        .post(format!("{}/echo", u.site))
        .header("x-test", "1")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().as_str(), format!("{}/echo", u.site));
    assert_eq!(resp.text().await.unwrap(), "POST payload");
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = gone.local_addr().unwrap();
    drop(gone);
    assert!(client.get(format!("http://{addr}/")).send().await.is_err());
    let all = exchanges(&rec);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].source, "http");
    assert_eq!(all[0].request_body.as_deref(), Some("payload"));
    assert!(all[0]
        .request_headers
        .contains(&("x-test".into(), "1".into())));
    assert_eq!(all[0].response_body.as_deref(), Some("POST payload"));
    assert!(all[1].status.is_none() && all[1].error.is_some());
}

#[test]
fn long_bodies_are_cut_with_a_marker_and_records_serialize() {
    let long = vec![b'a'; record::MAX_RECORDED_BODY + 10];
    let text = record::body_text(&long);
    assert!(
        text.ends_with("(10 more bytes not recorded)"),
        "{}",
        &text[text.len() - 40..]
    );
    let rec = record::Recorder::default();
    rec.screenshot("http://x/", b"\x89PNG");
    let json = serde_json::to_string(&rec.drain()).unwrap();
    assert!(json.contains("\"kind\":\"screenshot\""), "{json}");
    let back: Vec<record::Record> = serde_json::from_str(&json).unwrap();
    assert!(back[0].at_ms() > 0.0);
}

#[tokio::test]
async fn frames_load_with_cookies_and_the_browser_stays_on_the_page() {
    use std::sync::{Arc, Mutex};
    let hits: Arc<Mutex<Vec<String>>> = Arc::default();
    // A port nothing listens on once the listener is dropped: the connection is refused.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let page = format!(
        "<h1>Out</h1><iframe src=\"/frame?x=1\"></iframe><iframe src=\"{gone}/f\"></iframe><iframe src=\"/moved\"></iframe>"
    );
    let record = |hits: Arc<Mutex<Vec<String>>>| {
        move |headers: HeaderMap, uri: axum::http::Uri| async move {
            let who = cookie(&headers, "c").unwrap_or_default();
            hits.lock().unwrap().push(format!("{uri} {who}"));
            "frame"
        }
    };
    let app = Router::new()
        .route(
            "/",
            get(move || async move { ([(header::SET_COOKIE, "c=v; Path=/")], Html(page.clone())) }),
        )
        .route("/frame", get(record(hits.clone())))
        .route("/moved", get(|| async { Redirect::to("/frame?y=2") }));
    let task = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let browser = Browser::new(Duration::from_secs(5)).unwrap();
    browser.open(&format!("{base}/")).await.unwrap();
    let frames = browser.load_frames().await.unwrap();
    assert_eq!(frames.len(), 2, "the unreachable frame is skipped");
    assert_eq!(
        *hits.lock().unwrap(),
        ["/frame?x=1 v", "/frame?y=2 v"],
        "in order, with the cookie, redirects followed"
    );
    let still = browser.page().unwrap();
    assert_eq!(still.url.as_str(), format!("{base}/"));
    assert_eq!(still.heading().as_deref(), Some("Out"));
    task.abort();
}
