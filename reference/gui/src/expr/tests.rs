use proptest::prelude::*;
use serde_json::{json, Value};

use super::form::{fields, parse, MAX_DEPTH};
use super::*;
use crate::forms::FormData;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../fixtures/policy/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// JSON → builder → form fields → builder → JSON is the identity.
fn round_trip(kind: Kind, doc: &Value) {
    let b = Builder::from_json(kind, doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
    assert_eq!(b.to_json().as_ref(), Some(doc));
    let prefix = if kind == Kind::Scope { "scope" } else { "acr" };
    let back = parse(&FormData::new(fields(&b, prefix)), prefix, kind);
    assert_eq!(back, b);
    assert_eq!(back.to_json().as_ref(), Some(doc));
}

#[test]
fn the_tutorials_and_gg_documentation_examples_load_back_unchanged() {
    round_trip(Kind::Scope, &fixture("transactions.json"));
    round_trip(Kind::Acr, &fixture("steppedup-acrs.json"));
    // GG's gluu-oauth-pep documentation example (nested OR appended last).
    round_trip(
        Kind::Scope,
        &json!([{"path": "/images", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"and": [{"var": 0}, {"or": [{"var": 1}, {"var": 2}]}]},
                                 "data": ["openid", "email", "clientinfo"]}}]}]),
    );
    // GG's gluu-openid-connect documentation example, with a no_auth path.
    round_trip(
        Kind::Acr,
        &json!([
            {"path": "/users/??", "conditions": [{"httpMethods": ["?"], "no_auth": false, "required_acrs": ["otp"]}]},
            {"path": "/??", "conditions": [{"httpMethods": ["?"], "no_auth": false, "required_acrs": ["auth_ldap_server"]}]},
            {"path": "/home/??", "conditions": [{"httpMethods": ["?"], "no_auth": true}]}
        ]),
    );
    // The UI's NOT of several values, and methods in a non-alphabetical order.
    round_trip(
        Kind::Scope,
        &json!([{"path": "/posts/??", "conditions": [{"httpMethods": ["GET", "DELETE", "POST"],
            "scope_expression": {"rule": {"!": {"or": [{"var": 0}, {"var": 1}]}}, "data": ["a", "b"]}}]}]),
    );
}

#[test]
fn documents_the_builder_would_rewrite_are_refused_with_the_reason() {
    let cases = [
        (
            json!([{"path": "/x", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"or": [{"var": 1}, {"var": 0}]}, "data": ["a", "b"]}}]}]),
            "out of order",
        ),
        (
            json!([{"path": "/x", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"if": [{"var": 0}, true, false]}, "data": ["a"]}}]}]),
            "\"if\"",
        ),
        (
            json!([{"path": "/x", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["a", "unused"]}}]}]),
            "no rule uses",
        ),
        (
            json!([{"path": "/x", "conditions": [{"httpMethods": ["GET"], "ticketScopes": ["a"]}]}]),
            "ticketScopes",
        ),
        (
            json!([{"path": "/x", "conditions": [{"httpMethods": ["BREW"]}]}]),
            "BREW",
        ),
        (json!({"path": "/x"}), "non-empty array"),
    ];
    for (doc, why) in cases {
        let err = Builder::from_json(Kind::Scope, &doc).unwrap_err();
        assert!(err.0.contains(why), "{doc}: {err}");
    }
    let mut deep = json!({"var": 0});
    for _ in 0..MAX_DEPTH + 1 {
        deep = json!({"and": [deep]});
    }
    let doc = json!([{"path": "/x", "conditions": [{"httpMethods": ["GET"],
        "scope_expression": {"rule": deep, "data": ["a"]}}]}]);
    assert!(Builder::from_json(Kind::Scope, &doc)
        .unwrap_err()
        .0
        .contains("deeper"));
}

#[test]
fn buttons_add_and_remove_by_the_rendered_address() {
    let form = |pairs: &[(&str, &str)]| {
        FormData::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    };
    let b = parse(&form(&[("op", "add-path:scope")]), "scope", Kind::Scope);
    assert_eq!(b.paths.len(), 1);
    assert_eq!(b.paths[0].conditions.len(), 1);
    // A value removed by the script leaves a gap; removing group 2 still removes that group.
    let b = parse(
        &form(&[
            ("scope.0.path", "/x"),
            ("scope.0.0.c", "1"),
            ("scope.0.0.methods", "GET"),
            ("scope.0.0.g.op", "and"),
            ("scope.0.0.g.1.s", "b"),
            ("scope.0.0.g.2.op", "or"),
            ("scope.0.0.g.2.0.s", "c"),
            ("scope.0.0.g.3.op", "not"),
            ("scope.0.0.g.3.0.s", "d"),
            ("scope.0.0.g.new", "e"),
            ("op", "remove-group:scope.0.0.g.2"),
        ]),
        "scope",
        Kind::Scope,
    );
    let g = &b.paths[0].conditions[0].scope;
    assert_eq!(
        g.items,
        vec![
            Item::Scope("b".into()),
            Item::Group(Group {
                op: Op::Not,
                items: vec![Item::Scope("d".into())]
            }),
            Item::Scope("e".into()),
        ]
    );
    let b = parse(
        &form(&[
            ("scope.0.path", "/x"),
            ("scope.0.0.c", "1"),
            ("scope.1.path", "/y"),
            ("scope.1.0.c", "1"),
            ("op", "remove-path:scope.0"),
        ]),
        "scope",
        Kind::Scope,
    );
    assert_eq!(b.paths.len(), 1);
    assert_eq!(b.paths[0].path, "/y");
    let b = parse(
        &form(&[
            ("acr.0.path", "/x"),
            ("acr.0.0.c", "1"),
            ("op", "add-condition:acr.0"),
        ]),
        "acr",
        Kind::Acr,
    );
    assert_eq!(b.paths[0].conditions.len(), 2);
}

#[test]
fn validation_pointers_map_to_builder_fields() {
    assert_eq!(address_of("scope", Some("/0/path")), "scope.0.path");
    assert_eq!(
        address_of("scope", Some("/1/conditions/2/httpMethods/0")),
        "scope.1.2.methods"
    );
    assert_eq!(
        address_of("acr", Some("/0/conditions/0/required_acrs")),
        "acr.0.0.acrs"
    );
    assert_eq!(
        address_of("scope", Some("/0/conditions")),
        "scope.0.conditions"
    );
    assert_eq!(address_of("scope", Some("")), "scope");
}

fn arb_scope() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}(:[a-z0-9]{1,4})?",
        Just("^transactions:.+$".to_owned()),
        "\\^[a-z]{1,5}:\\(\\?<PC1>\\[\\^:\\]\\+\\)\\$",
    ]
}

fn arb_group() -> impl Strategy<Value = Group> {
    let leaf = prop::collection::vec(arb_scope().prop_map(Item::Scope), 1..4);
    let op = prop_oneof![Just(Op::And), Just(Op::Or), Just(Op::Not)];
    (op.clone(), leaf)
        .prop_map(|(op, items)| Group { op, items })
        .prop_recursive(3, 24, 4, move |inner| {
            (
                op.clone(),
                prop::collection::vec(
                    prop_oneof![
                        arb_scope().prop_map(Item::Scope),
                        inner.prop_map(Item::Group)
                    ],
                    1..4,
                ),
            )
                .prop_map(|(op, items)| Group { op, items })
        })
        .prop_filter(
            "a NOT of one OR of several is written as a NOT of several",
            canonical,
        )
}

/// The builder writes NOT[OR[a, b]] and NOT[a, b] the same way; generated forms use the
/// latter.
fn canonical(g: &Group) -> bool {
    let ambiguous = g.op == Op::Not
        && matches!(g.items.as_slice(), [Item::Group(Group { op: Op::Or, items })] if items.len() >= 2);
    !ambiguous
        && g.items.iter().all(|i| match i {
            Item::Group(inner) => canonical(inner),
            Item::Scope(_) => true,
        })
}

fn arb_methods() -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(METHODS.to_vec(), 1..4)
        .prop_shuffle()
        .prop_map(|m| m.into_iter().map(str::to_owned).collect())
}

fn arb_builder(kind: Kind) -> impl Strategy<Value = Builder> {
    let condition = (
        arb_methods(),
        prop::option::of(arb_group()),
        prop::collection::vec("[a-z_]{1,10}", 0..3),
        any::<bool>(),
    )
        .prop_map(move |(methods, group, acrs, no_auth)| {
            let mut c = Condition::new();
            c.methods = methods;
            match kind {
                Kind::Scope => c.scope = group.unwrap_or_else(|| Group::new(Op::And)),
                Kind::Acr => {
                    let mut acrs = acrs;
                    acrs.dedup();
                    let mut seen = Vec::new();
                    acrs.retain(|a| {
                        let fresh = !seen.contains(a);
                        seen.push(a.clone());
                        fresh
                    });
                    c.acrs = acrs;
                    c.no_auth = no_auth;
                }
            }
            c
        });
    let path = (
        "/[a-z]{1,6}(/(\\?|\\?\\?|[a-z]{1,4}))?",
        prop::collection::vec(condition, 1..3),
    )
        .prop_map(|(path, conditions)| PathRule { path, conditions });
    prop::collection::vec(path, 1..4).prop_map(move |paths| Builder { kind, paths })
}

proptest! {
    #[test]
    fn builder_form_to_json_to_builder_form_is_the_identity(
        b in prop_oneof![arb_builder(Kind::Scope), arb_builder(Kind::Acr)]
    ) {
        let prefix = if b.kind == Kind::Scope { "scope" } else { "acr" };
        let doc = b.to_json().unwrap();
        let back = Builder::from_json(b.kind, &doc).unwrap();
        prop_assert_eq!(&back, &b);
        let form = FormData::new(fields(&back, prefix));
        prop_assert_eq!(parse(&form, prefix, b.kind), b);
    }

    #[test]
    fn any_form_parses_without_panicking(
        pairs in prop::collection::vec(
            ("(scope|acr)(\\.[0-9g]{1,2}){0,8}\\.(path|c|methods|op|s|new|acrs|no_auth)", ".{0,8}"),
            0..40,
        ),
        op in "(add-path|remove-path|add-group|remove-group|add-condition):(scope|acr)(\\.[0-9g]){0,6}",
    ) {
        let mut pairs = pairs;
        pairs.push(("op".into(), op));
        let form = FormData::new(pairs);
        for (prefix, kind) in [("scope", Kind::Scope), ("acr", Kind::Acr)] {
            let b = parse(&form, prefix, kind);
            let _ = b.to_json();
            let _ = builder_errors(&b, prefix);
        }
    }
}
