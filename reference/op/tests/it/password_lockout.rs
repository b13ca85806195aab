//! Password guessing (issue 10, point 10): wrong passwords for one user are counted across login
//! attempts and the password grant together; at the limit the user is locked for a while (403
//! page, `invalid_grant`), a right password resets the count, and unknown usernames behave
//! exactly like known ones.

use crate::common::*;

/// Fresh login attempts, one wrong password each (the per-attempt lock never triggers).
async fn wrong_logins(op: &TestOp, username: &str, times: usize) {
    for _ in 0..times {
        let agent = Agent::new(op);
        let page = agent
            .open(&authorize_url(op, &demo_params(&[])))
            .await
            .page();
        let page = agent.login(&page, username, "wrong").await.page();
        assert!(
            [401, 403].contains(&page.status),
            "{} {}",
            page.status,
            page.html
        );
    }
}

async fn password_grant(op: &TestOp, username: &str, password: &str) -> (u16, serde_json::Value) {
    let (status, body, _) = token_request(
        op,
        API,
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", "openid"),
        ],
    )
    .await;
    (status, body)
}

/// Whether the right password still opens a fresh login attempt.
async fn can_log_in(op: &TestOp, username: &str, password: &str) -> bool {
    let agent = Agent::new(op);
    let page = agent
        .open(&authorize_url(op, &demo_params(&[])))
        .await
        .page();
    match agent.login(&page, username, password).await {
        Nav::Page(page) if page.has("form#consentForm") => true,
        Nav::Left(_) => true,
        Nav::Page(page) => {
            assert_eq!(page.status, 403, "{}", page.html);
            assert!(page.html.contains("locked"), "{}", page.html);
            false
        }
    }
}

#[tokio::test]
async fn wrong_passwords_across_login_attempts_lock_the_user() {
    let op = TestOp::start().await;
    wrong_logins(&op, "admin", 10).await;
    assert!(
        !can_log_in(&op, "admin", "secret").await,
        "ten wrong passwords in ten attempts lock admin"
    );
    let (status, body) = password_grant(&op, "admin", "secret").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("locked"),
        "{body}"
    );
    // Other users are not affected; the lock ends with its window.
    assert!(can_log_in(&op, "jdoe", "jdoe-secret").await);
    op.clock.advance(900);
    assert!(can_log_in(&op, "admin", "secret").await);
}

#[tokio::test]
async fn the_password_grant_and_the_login_page_share_the_count() {
    let op = TestOp::start().await;
    for _ in 0..5 {
        let (status, body) = password_grant(&op, "admin", "wrong").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    wrong_logins(&op, "admin", 5).await;
    let (status, body) = password_grant(&op, "admin", "secret").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("locked"));
    assert!(!can_log_in(&op, "admin", "secret").await);
}

#[tokio::test]
async fn a_right_password_resets_the_count() {
    let op = TestOp::start().await;
    for _ in 0..3 {
        wrong_logins(&op, "admin", 9).await;
        let (status, body) = password_grant(&op, "admin", "secret").await;
        assert_eq!(status, 200, "{body}");
    }
    assert!(can_log_in(&op, "admin", "secret").await);
}

#[tokio::test]
async fn unknown_users_lock_like_known_ones() {
    let op = TestOp::start().await;
    for username in ["admin", "nobody"] {
        let mut answers = Vec::new();
        for _ in 0..11 {
            let (status, body) = password_grant(&op, username, "wrong").await;
            answers.push((
                status,
                body["error_description"].as_str().unwrap().to_owned(),
            ));
        }
        assert!(
            answers[..9]
                .iter()
                .all(|(s, d)| *s == 400 && d.contains("wrong username or password")),
            "{username}: {answers:?}"
        );
        assert!(
            answers[9..]
                .iter()
                .all(|(s, d)| *s == 400 && d.contains("locked")),
            "{username}: {answers:?}"
        );
    }
}

#[tokio::test]
async fn concurrent_guesses_get_no_more_than_the_limit_of_checks() {
    let op = TestOp::start().await;
    let guesses = (0..16).map(|_| password_grant(&op, "admin", "wrong"));
    let answers = futures::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|(_, b)| {
            b["error_description"]
                .as_str()
                .unwrap()
                .contains("wrong username")
        })
        .count();
    assert!(checked <= 9, "{answers:?}");
    let (_, body) = password_grant(&op, "admin", "secret").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("locked"),
        "{body}"
    );
}
