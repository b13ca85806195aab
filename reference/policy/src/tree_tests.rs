//! Matching semantics (`docs/gluu-gateway.md#path-matching`), through the public API.

use serde_json::json;

use crate::Expression;

/// An expression registering `paths` for method `?` (or `GET` where a path starts with `GET `).
fn expression(paths: &[&str]) -> Expression {
    let items: Vec<_> = paths
        .iter()
        .map(|p| {
            let (method, path) = p.split_once(' ').unwrap_or(("?", p));
            json!({"path": path, "conditions": [{"httpMethods": [method]}]})
        })
        .collect();
    Expression::from_value(&json!(items)).unwrap()
}

fn found(e: &Expression, method: &str, path: &str) -> Option<(String, Vec<String>)> {
    e.find(method, path)
        .map(|m| (m.path.to_owned(), m.captures.to_vec()))
}

fn matched(e: &Expression, path: &str) -> Option<String> {
    found(e, "GET", path).map(|(p, _)| p)
}

#[track_caller]
fn assert_match(e: &Expression, path: &str, rule: &str, captures: &[&str]) {
    assert_eq!(
        found(e, "GET", path),
        Some((
            rule.to_owned(),
            captures.iter().map(|s| s.to_string()).collect()
        )),
        "request {path}"
    );
}

/// The example table of GG's "Dynamic Resource Protection" docs, all paths in one plugin.
#[test]
fn gg_documentation_examples() {
    let e = expression(&[
        "/??",
        "/folder/file.ext",
        "/folder/?/file",
        "/path/??",
        "/path/??/image.jpg",
        "/path/?/image.jpg",
        "/path/{abc|xyz}/image.jpg",
        "/users/?/{todos|photos}",
        "/users/?/{todos|photos}/?",
    ]);
    assert_match(&e, "/folder/file.ext", "/folder/file.ext", &[]);
    // Not /folder/file.ext; and /?? does not get it either: `folder` is taken by the literal
    // child and `file` by the `?` of /folder/?/file, which then has no rule (no backtracking).
    assert_eq!(matched(&e, "/folder/file"), None);
    assert_match(&e, "/other/file", "/??", &[]);
    assert_match(&e, "/folder/123/file", "/folder/?/file", &["123"]);
    assert_match(&e, "/folder/xxx/file", "/folder/?/file", &["xxx"]);
    // With every row registered together, `?` (from /path/?/image.jpg) takes any single
    // segment after /path/ and then has no rule of its own: no backtracking to `??`.
    assert_eq!(matched(&e, "/path/"), None);
    assert_eq!(matched(&e, "/path/xxx"), None);
    // `?` has priority over `??`, and there is no backtracking: /path/xxx/yyy/file enters the
    // `?` child (from /path/?/image.jpg) and then finds nothing.
    assert_eq!(matched(&e, "/path/xxx/yyy/file"), None);
    // Likewise /path/??/image.jpg is unreachable next to /path/?/image.jpg (lint reports it).
    assert_eq!(matched(&e, "/path/one/two/image.jpg"), None);
    assert_eq!(matched(&e, "/path/image.jpg"), None);
    assert_match(&e, "/path/xxx/image.jpg", "/path/?/image.jpg", &["xxx"]);
    assert_match(
        &e,
        "/path/abc/image.jpg",
        "/path/{abc|xyz}/image.jpg",
        &["abc"],
    );
    assert_match(
        &e,
        "/path/xyz/image.jpg",
        "/path/{abc|xyz}/image.jpg",
        &["xyz"],
    );
    assert_match(
        &e,
        "/users/123/todos",
        "/users/?/{todos|photos}",
        &["123", "todos"],
    );
    assert_match(
        &e,
        "/users/xxx/photos",
        "/users/?/{todos|photos}",
        &["xxx", "photos"],
    );
    assert_match(
        &e,
        "/users/123/todos/",
        "/users/?/{todos|photos}/?",
        &["123", "todos", ""],
    );
    assert_match(
        &e,
        "/users/123/todos/321",
        "/users/?/{todos|photos}/?",
        &["123", "todos", "321"],
    );
    assert_match(
        &e,
        "/users/123/photos/321",
        "/users/?/{todos|photos}/?",
        &["123", "photos", "321"],
    );
    // `/path` (no slash): issue #423, `/x/??` also matches `/x`.
    assert_match(&e, "/path", "/path/??", &[]);
}

/// Each row of the docs table registered on its own: its "allow" paths match.
#[test]
fn gg_documentation_rows_each_alone() {
    for (rule, allowed) in [
        ("/??", &["/folder/file.ext", "/folder/file2", "/"][..]),
        ("/folder/file.ext", &["/folder/file.ext"][..]),
        (
            "/folder/?/file",
            &["/folder/123/file", "/folder/xxx/file"][..],
        ),
        (
            "/path/??",
            &["/path/", "/path/xxx", "/path/xxx/yyy/file", "/path"][..],
        ),
        (
            "/path/??/image.jpg",
            &["/path/one/two/image.jpg", "/path/image.jpg"][..],
        ),
        ("/path/?/image.jpg", &["/path/xxx/image.jpg"][..]),
        (
            "/path/{abc|xyz}/image.jpg",
            &["/path/abc/image.jpg", "/path/xyz/image.jpg"][..],
        ),
        (
            "/users/?/{todos|photos}",
            &["/users/123/todos", "/users/xxx/photos"][..],
        ),
        (
            "/users/?/{todos|photos}/?",
            &[
                "/users/123/todos/",
                "/users/123/todos/321",
                "/users/123/photos/321",
            ][..],
        ),
    ] {
        let e = expression(&[rule]);
        for path in allowed {
            assert_eq!(
                matched(&e, path).as_deref(),
                Some(rule),
                "{rule} should match {path}"
            );
        }
    }
    let e = expression(&["/folder/file.ext"]);
    assert_eq!(matched(&e, "/folder/file"), None);
}

#[test]
fn the_docs_path_table_alone() {
    let e = expression(&["/path/??"]);
    assert_match(&e, "/path/xxx/yyy/file", "/path/??", &[]);
    assert_eq!(matched(&e, "/pathx"), None);
    assert_eq!(matched(&e, "/other"), None);
}

#[test]
fn literal_beats_regex_beats_one_beats_multi() {
    let e = expression(&["/a/b", "/a/{^b.*}", "/a/{^c}", "/a/?", "/a/??"]);
    assert_match(&e, "/a/b", "/a/b", &[]);
    assert_match(&e, "/a/bc", "/a/{^b.*}", &["bc"]);
    assert_match(&e, "/a/cd", "/a/{^c}", &["c"]);
    assert_match(&e, "/a/d", "/a/?", &["d"]);
    // `d` is taken by `?`, which has no continuation: `??` is never consulted.
    assert_eq!(matched(&e, "/a/d/e"), None);
    let e = expression(&["/a/b", "/a/??"]);
    assert_match(&e, "/a/d/e", "/a/??", &[]);
    assert_eq!(matched(&e, "/a/b/e"), None);
    // Regex children are tried in registration order.
    let e = expression(&["/a/{\\d+}", "/a/{^1}"]);
    assert_match(&e, "/a/123", "/a/{\\d+}", &["123"]);
}

#[test]
fn no_backtracking_after_a_literal_or_regex_choice() {
    let e = expression(&["/a/b/c", "/a/?/d"]);
    // `b` goes to the literal child; /a/b/d then fails, `?` is not tried.
    assert_eq!(matched(&e, "/a/b/d"), None);
    assert_match(&e, "/a/x/d", "/a/?/d", &["x"]);
    let e = expression(&["/a/{b}/c", "/a/?/d"]);
    assert_eq!(matched(&e, "/a/b/d"), None);
}

#[test]
fn regex_segments_are_searched_unless_anchored() {
    let e = expression(&["/x/{abc|xyz}"]);
    assert_match(&e, "/x/xabcx", "/x/{abc|xyz}", &["abc"]);
    let e = expression(&["/x/{^(abc|xyz)$}"]);
    assert_eq!(matched(&e, "/x/xabcx"), None);
    assert_match(&e, "/x/abc", "/x/{^(abc|xyz)$}", &["abc"]);
    let e = expression(&["/n/{\\d\\d\\d}"]);
    assert_match(&e, "/n/12345", "/n/{\\d\\d\\d}", &["123"]);
}

#[test]
fn regex_groups_are_captured_in_order_named_or_not() {
    let e = expression(&["/t/{^(?<PC1>[a-z]+)-(\\d+)(-x)?$}/?"]);
    assert_match(
        &e,
        "/t/ab-12/z",
        "/t/{^(?<PC1>[a-z]+)-(\\d+)(-x)?$}/?",
        &["ab", "12", "", "z"],
    );
}

#[test]
fn one_matches_exactly_one_possibly_empty_segment() {
    let e = expression(&["/a/?"]);
    assert_match(&e, "/a/x", "/a/?", &["x"]);
    assert_match(&e, "/a/", "/a/?", &[""]);
    assert_eq!(matched(&e, "/a"), None);
    assert_eq!(matched(&e, "/a/x/"), None);
    assert_eq!(matched(&e, "/a/x/y"), None);
}

#[test]
fn multi_with_continuation_consumes_fewest_segments() {
    let e = expression(&["/p/??/images/?"]);
    assert_match(&e, "/p/images/a", "/p/??/images/?", &[]);
    assert_match(&e, "/p/x/y/images/a", "/p/??/images/?", &[]);
    // Fewest first: skip 0 fails (images/images/a doesn't end at ?), skip 1 succeeds.
    assert_match(&e, "/p/images/images/a", "/p/??/images/?", &[]);
    assert_eq!(matched(&e, "/p/x/images"), None);
    assert_eq!(matched(&e, "/p/x"), None);
}

#[test]
fn multi_rule_covers_the_rest_when_no_continuation_matches() {
    let e = expression(&["/p/??", "/p/??/images/?"]);
    assert_match(&e, "/p/x/images/a", "/p/??/images/?", &[]);
    assert_match(&e, "/p/x/images", "/p/??", &[]);
    assert_match(&e, "/p/x/y/z", "/p/??", &[]);
}

#[test]
fn captures_before_a_multi_are_kept_none_after() {
    let e = expression(&["/u/?/??", "/v/?/??/{\\d+}/?"]);
    assert_match(&e, "/u/me/a/b", "/u/?/??", &["me"]);
    assert_match(&e, "/u/me", "/u/?/??", &["me"]);
    assert_match(&e, "/v/me/x/42/y", "/v/?/??/{\\d+}/?", &["me"]);
}

#[test]
fn multi_at_the_end_wins_over_the_node_rule() {
    let e = expression(&["/x", "/x/??"]);
    assert_match(&e, "/x", "/x/??", &[]);
    assert_match(&e, "/x/", "/x/??", &[]);
    let e = expression(&["/x"]);
    assert_match(&e, "/x", "/x", &[]);
    assert_eq!(matched(&e, "/x/"), None);
}

#[test]
fn root_paths_and_trailing_slashes() {
    let e = expression(&["/"]);
    assert_match(&e, "/", "/", &[]);
    assert_eq!(matched(&e, "/a"), None);
    let e = expression(&["/??"]);
    assert_match(&e, "/", "/??", &[]);
    assert_match(&e, "/a/b/", "/??", &[]);
    // A path without a leading slash is matched as if it had one.
    assert_match(&e, "a", "/??", &[]);
    let e = expression(&["/a//b"]);
    assert_match(&e, "/a//b", "/a//b", &[]);
}

#[test]
fn literal_question_marks_in_requests_reach_the_wildcard_nodes_uncaptured() {
    let e = expression(&["/a/?/c", "/b/??/?"]);
    assert_match(&e, "/a/?/c", "/a/?/c", &[]);
    assert_match(&e, "/b/??/z", "/b/??/?", &["z"]);
    let e = expression(&["/b/??"]);
    assert_match(&e, "/b/??", "/b/??", &[]);
}

#[test]
fn methods_exact_hides_any() {
    let e = expression(&["GET /a/?", "/a/??", "/b"]);
    assert_eq!(found(&e, "POST", "/a/x"), Some(("/a/??".into(), vec![])));
    assert_eq!(
        found(&e, "GET", "/a/x"),
        Some(("/a/?".into(), vec!["x".into()]))
    );
    // GET has its own subtree, so `?`-method rules are never consulted for GET.
    assert_eq!(found(&e, "GET", "/a/x/y"), None);
    assert_eq!(found(&e, "GET", "/b"), None);
    assert_eq!(found(&e, "PUT", "/b"), Some(("/b".into(), vec![])));
    // Methods are case-sensitive and never captured.
    assert_eq!(found(&e, "get", "/a/x"), Some(("/a/??".into(), vec![])));
}

#[test]
fn conditions_per_method() {
    let e = Expression::from_value(&json!([
        {"path": "/posts/??", "conditions": [
            {"httpMethods": ["GET", "DELETE"], "required_acrs": ["otp"]},
            {"httpMethods": ["PUT"], "no_auth": true}
        ]}
    ]))
    .unwrap();
    let get = e.find("GET", "/posts/1").unwrap();
    assert_eq!(
        get.condition.required_acrs(),
        Some(&["otp".to_string()][..])
    );
    assert!(!get.condition.no_auth());
    let put = e.find("PUT", "/posts/1").unwrap();
    assert_eq!(put.condition.required_acrs(), None);
    assert!(put.condition.no_auth());
    assert!(e.find("POST", "/posts/1").is_none());
}

#[test]
fn steppedup_acr_expression() {
    let e = Expression::from_value(&json!([
        {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"], "no_auth": false}]},
        {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"], "no_auth": false}]}
    ]))
    .unwrap();
    let acrs = |path: &str| {
        e.find("GET", path)
            .and_then(|m| m.condition.required_acrs().map(<[String]>::to_vec))
    };
    assert_eq!(acrs("/payments/"), Some(vec!["otp".to_string()]));
    assert_eq!(acrs("/payments"), Some(vec!["otp".to_string()]));
    assert_eq!(
        acrs("/flights/"),
        Some(vec!["auth_ldap_server".to_string()])
    );
    assert_eq!(acrs("/"), Some(vec!["auth_ldap_server".to_string()]));
}

#[test]
fn many_literal_children_use_the_hashed_lookup() {
    let paths: Vec<String> = (0..50).map(|i| format!("/p{i}/?")).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let e = expression(&refs);
    for i in 0..50 {
        assert_match(&e, &format!("/p{i}/v"), &format!("/p{i}/?"), &["v"]);
    }
    assert_eq!(matched(&e, "/p50/v"), None);
}

#[test]
fn explain_lists_candidates_and_the_end_choice() {
    let e = expression(&["/path/??", "/path/?/image.jpg"]);
    let (m, why) = e.explain::<&str>("GET", "/path/a/b", &[]);
    assert!(m.is_none());
    let text = serde_json::to_string(&why.steps).unwrap();
    assert!(text.contains(r#""node":"?","matched":true"#), "{text}");
    assert!(
        text.contains(r#""segment":"b","node":"literal \"b\"","matched":false"#),
        "{text}"
    );
    let (m, why) = e.explain::<&str>("GET", "/path", &[]);
    assert_eq!(m.unwrap().path, "/path/??");
    assert!(matches!(
        why.steps.last(),
        Some(crate::TraceEvent::End { .. })
    ));
}

#[test]
fn explain_reports_multi_skips_and_fallback() {
    use crate::TraceEvent;
    let e = expression(&["/p/??", "/p/??/images/?"]);
    let (m, why) = e.explain::<&str>("GET", "/p/x/images/a", &[]);
    assert_eq!(m.unwrap().path, "/p/??/images/?");
    let skips: Vec<(usize, bool)> = why
        .steps
        .iter()
        .filter_map(|s| match s {
            TraceEvent::MultiSkip { skip, matched } => Some((*skip, *matched)),
            _ => None,
        })
        .collect();
    assert_eq!(skips, vec![(0, false), (1, true)]);
    let (m, why) = e.explain::<&str>("GET", "/p/x/y", &[]);
    assert_eq!(m.unwrap().path, "/p/??");
    assert!(why.steps.contains(&TraceEvent::MultiRule { matched: true }));
    // Candidates tried inside the continuation are marked as such.
    assert!(why.steps.iter().any(|s| matches!(
        s,
        TraceEvent::Candidate {
            inside_multi: true,
            ..
        }
    )));
}

#[test]
fn explain_agrees_with_find_and_scopes() {
    let e = Expression::from_value(&json!([
        {"path": "/t/?", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"or": [{"var": 0}, {"var": 1}]}, "data": ["admin", "^t:(?<PC1>\\d+)$"]}}]}
    ]))
    .unwrap();
    let (m, why) = e.explain("GET", "/t/5", &["t:5"]);
    assert_eq!(m.unwrap().captures.to_vec(), vec!["5"]);
    assert_eq!(why.captures, vec!["5"]);
    let scope = why.scope.unwrap();
    assert_eq!(
        scope.data.iter().map(|d| d.value).collect::<Vec<_>>(),
        vec![false, true]
    );
    assert_eq!(scope.value, json!(true));
    let (m, why) = e.explain::<&str>("POST", "/t/5", &[]);
    assert!(m.is_none() && why.scope.is_none() && why.matched_path.is_none());
}

#[test]
fn rule_listing_and_condition_accessors() {
    let doc = json!([
        {"path": "/a", "conditions": [{"httpMethods": ["GET", "GET", "POST"], "ticketScopes": ["x"]}]},
        {"path": "/b/??", "conditions": [{"httpMethods": ["?"]}]}
    ]);
    let e = Expression::from_value(&doc).unwrap();
    let rules: Vec<(&str, usize)> = e.rules().map(|(p, c)| (p, c.len())).collect();
    assert_eq!(rules, vec![("/a", 1), ("/b/??", 1)]);
    let (_, conditions) = e.rules().next().unwrap();
    assert_eq!(
        conditions[0].http_methods(),
        &["GET".to_string(), "POST".to_string()]
    );
    assert_eq!(conditions[0].field("ticketScopes"), Some(&json!(["x"])));
    assert_eq!(e.document(), &doc);
    assert!(!e.is_empty());
}

#[test]
fn each_path_and_condition_pair_has_its_own_rule_index() {
    let e = Expression::from_value(&json!([
        {"path": "/a/?", "conditions": [{"httpMethods": ["GET"]}, {"httpMethods": ["POST", "PUT"]}]},
        {"path": "/b/?", "conditions": [{"httpMethods": ["GET"]}]},
    ]))
    .unwrap();
    let rule = |method: &str, path: &str| e.find(method, path).map(|m| m.rule);
    let a_get = rule("GET", "/a/1").unwrap();
    let a_post = rule("POST", "/a/1").unwrap();
    let b_get = rule("GET", "/b/1").unwrap();
    assert_ne!(a_get, a_post);
    assert_ne!(a_get, b_get);
    assert_ne!(a_post, b_get);
    // Stable: the same pair, whatever the captures or method spelling of one condition.
    assert_eq!(rule("GET", "/a/2"), Some(a_get));
    assert_eq!(rule("PUT", "/a/1"), Some(a_post));
}

#[test]
fn literal_free_marks_follow_the_built_tree() {
    // `/a/?` and `/a/?/b/{^x$}`: `a` has only a `?` child, which has the literal child `b`,
    // which has only a regex child.
    let e = expression(&["/a/?", "/a/?/b/{^x$}", "/c/?"]);
    let tree = &e.tree;
    assert!(tree.marked);
    let a = tree.literal(tree.node(0).one().unwrap(), "a").unwrap();
    let (_, a_free) = tree
        .edges
        .get_marked(tree.node(0).one().unwrap(), "a")
        .unwrap();
    assert!(a_free, "a has only a ? child");
    let one = tree.node(a).one().unwrap();
    assert!(
        !tree.node(a).one_literal_free(),
        "a's ? child has the literal b"
    );
    let (b, b_free) = tree.edges.get_marked(one, "b").unwrap();
    assert!(b_free, "b has only a regex child");
    assert!(tree.literal_children[b as usize] == 0);
    // Skipping the lookup under marked nodes changes no decision, `?` spellings included.
    assert_match(&e, "/a/1/b/x", "/a/?/b/{^x$}", &["1", "x"]);
    assert_eq!(matched(&e, "/a/1/b/y"), None);
    assert_match(&e, "/a/?/b/x", "/a/?/b/{^x$}", &["x"]);
    assert_match(&e, "/c/?", "/c/?", &[]);
    assert_match(&e, "/c/d", "/c/?", &["d"]);
}

#[test]
fn stale_literal_free_marks_are_not_used() {
    use crate::tree::{Segment, Tree};
    let mut tree = Tree::default();
    tree.insert("GET", &[Segment::Literal("a".into()), Segment::One], 0);
    tree.finish();
    // `a` is now marked literal-free; a later literal under it must still be found.
    tree.insert(
        "GET",
        &[Segment::Literal("a".into()), Segment::Literal("b".into())],
        1,
    );
    assert!(!tree.marked);
    let mut captures = crate::Captures::new();
    let rule = tree.find("GET", "/a/b", &mut captures, &mut crate::explain::NoTrace);
    assert_eq!(rule, Some(1));
    tree.finish();
    let mut captures = crate::Captures::new();
    let rule = tree.find("GET", "/a/b", &mut captures, &mut crate::explain::NoTrace);
    assert_eq!(rule, Some(1));
    let rule = tree.find("GET", "/a/c", &mut captures, &mut crate::explain::NoTrace);
    assert_eq!((rule, captures.to_vec()), (Some(0), vec!["c".to_owned()]));
}

#[test]
fn split_first_finds_the_first_slash_at_every_offset() {
    use crate::tree::split_first;
    for len in 0..40 {
        for slash_at in (0..len).map(Some).chain([None]) {
            let mut path: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            if let Some(at) = slash_at {
                path[at] = b'/';
                // A later slash and a byte one below `/` (`.`) must not confuse the word trick.
                if at + 3 < len {
                    path[at + 3] = b'/';
                }
                if at > 0 {
                    path[at - 1] = b'.';
                }
            }
            let path = String::from_utf8(path).unwrap();
            let want = match path.find('/') {
                Some(i) => (&path[..i], Some(&path[i + 1..])),
                None => (path.as_str(), None),
            };
            assert_eq!(split_first(&path), want, "{path:?}");
        }
    }
    assert_eq!(split_first("é/€"), ("é", Some("€")));
}

#[test]
fn conditions_are_one_vector_in_rule_order_and_items_see_their_own() {
    let e = Expression::from_value(&json!([
        {"path": "/a", "conditions": [{"httpMethods": ["GET"]}, {"httpMethods": ["POST", "PUT"]}]},
        {"path": "/b/?", "conditions": [{"httpMethods": ["?"], "no_auth": true}]},
        {"path": "/c", "conditions": [{"httpMethods": ["DELETE"]}]}
    ]))
    .unwrap();
    let rules: Vec<(&str, Vec<Vec<String>>)> = e
        .rules()
        .map(|(p, cs)| (p, cs.iter().map(|c| c.http_methods().to_vec()).collect()))
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "/a",
                vec![vec!["GET".to_owned()], vec!["POST".into(), "PUT".into()]]
            ),
            ("/b/?", vec![vec!["?".to_owned()]]),
            ("/c", vec![vec!["DELETE".to_owned()]]),
        ]
    );
    for (method, path, want_path, rule) in [
        ("GET", "/a", "/a", 0),
        ("PUT", "/a", "/a", 1),
        ("PATCH", "/b/x", "/b/?", 2),
        ("DELETE", "/c", "/c", 3),
    ] {
        let m = e.find(method, path).unwrap();
        assert_eq!((m.path, m.rule), (want_path, rule), "{method} {path}");
        // The match's condition is the one `rules()` lists for its item.
        let (_, listed) = e.rules().find(|(p, _)| *p == want_path).unwrap();
        assert!(listed.iter().any(|c| std::ptr::eq(c, m.condition)));
    }
    // (GET has rules of its own, which hide the any-method ones.)
    assert!(e.find("GET", "/b/x").is_none());
    assert!(e.find("PATCH", "/b/x").unwrap().condition.no_auth());
}

#[test]
fn nodes_stay_four_to_a_cache_line() {
    // At a thousand rules the nodes a decision visits are L1 misses; a larger node is more of
    // them (measured: 56-byte nodes cost 6 % more per decision than these).
    assert_eq!(std::mem::size_of::<crate::tree::Node>(), 16);
}

#[test]
fn regex_children_keep_registration_order_beside_other_children() {
    let e = expression(&["/a/{^x}", "/a/{^xy}", "/a/lit", "/a/?", "/b/{^y}"]);
    assert_match(&e, "/a/xy", "/a/{^x}", &["x"]);
    assert_match(&e, "/a/lit", "/a/lit", &[]);
    assert_match(&e, "/a/z", "/a/?", &["z"]);
    assert_match(&e, "/b/y", "/b/{^y}", &["y"]);
    assert_eq!(matched(&e, "/b/z"), None);
}
