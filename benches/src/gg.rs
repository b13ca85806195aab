//! A workload shaped like real Gluu Gateway `gluu-oauth-pep` configurations.
//!
//! Rules are grouped under services (`/api/<service>/<resource>...`), as an API gateway's
//! routes are: collection endpoints with plain scopes, item endpoints protected by spontaneous
//! scopes (`^orders:(?<PC1>[^:]+)$`, the pattern of GG's spontaneous-scope tutorial), nested
//! items with a `{regex}` segment and two captures, report endpoints whose first segment is a
//! regex alternative, and per-service `??` admin catch-alls. Every rule lists the methods it
//! allows, as GG's UI writes them.
//!
//! Two thirds of the requests are ordinary hits (granted or denied by their scopes); one third
//! are near misses: they walk deep into the tree before they fail (an unknown last segment,
//! a method the rule does not list, a regex segment that does not match) or they match a rule
//! whose spontaneous scope carries the wrong capture (`orders:124` for `/orders/123`), which
//! makes the scope check run the regex and reject on the capture comparison.

use serde_json::{json, Value};

use crate::{Request, Rng, Workload};

/// Rule shapes, cycled through by rule index.
const KINDS: usize = 5;

/// Resource names, combined with the rule index so every rule's path is distinct.
const RESOURCES: [&str; 8] = [
    "orders",
    "customers",
    "invoices",
    "payments",
    "accounts",
    "shipments",
    "products",
    "tickets",
];

fn service(i: usize, services: usize) -> String {
    format!("svc{}", i % services)
}

fn resource(i: usize) -> String {
    format!("{}{i}", RESOURCES[i % RESOURCES.len()])
}

/// A document of `rules` rules and `requests` requests (deterministic for a seed).
pub fn gg_workload(rules: usize, requests: usize, seed: u64) -> Workload {
    let services = (rules / 10).max(1);
    let mut items = Vec::with_capacity(rules + services);
    for i in 0..rules {
        let (svc, res) = (service(i, services), resource(i));
        let item = match i % KINDS {
            0 => json!({"path": format!("/api/{svc}/{res}"), "conditions": [
                {"httpMethods": ["GET"], "scope_expression": {
                    "rule": {"or": [{"var": 0}, {"var": 1}]},
                    "data": [format!("{res}:read"), format!("{svc}:admin")]}},
                {"httpMethods": ["POST"], "scope_expression": {
                    "rule": {"and": [{"var": 0}]}, "data": [format!("{res}:write")]}}]}),
            1 => json!({"path": format!("/api/{svc}/{res}/?"), "conditions": [
                {"httpMethods": ["GET", "PUT", "DELETE"], "scope_expression": {
                    "rule": {"or": [{"var": 0}, {"var": 1}]},
                    "data": [format!("^{res}:(?<PC1>[^:]+)$"), format!("{svc}:admin")]}}]}),
            2 => json!({"path": format!("/api/{svc}/{res}/?/lines/{{^[0-9]+$}}"), "conditions": [
                {"httpMethods": ["GET", "PUT"], "scope_expression": {
                    "rule": {"and": [{"var": 0}, {"!": {"var": 1}}]},
                    "data": [format!("^{res}:(?<PC1>[^:]+):(?<PC2>[0-9]+)$"), "suspended"]}}]}),
            3 => json!({"path": format!("/api/{svc}/{res}/reports/{{^(daily|weekly|monthly)$}}/?"),
                "conditions": [{"httpMethods": ["GET"], "scope_expression": {
                    "rule": {"and": [{"var": 0}, {"var": 1}]},
                    "data": ["^reports:(?<PC1>daily|weekly|monthly)$", format!("{res}:read")]}}]}),
            _ => json!({"path": format!("/api/{svc}/{res}/?/history"), "conditions": [
                {"httpMethods": ["GET"], "scope_expression": {
                    "rule": {"and": [{"var": 0}]},
                    "data": [format!("^{res}:(?<PC1>[0-9]+)$")]}}]}),
        };
        items.push(item);
    }
    // The per-service admin catch-all comes last: more specific rules win by priority anyway.
    for s in 0..services {
        items.push(
            json!({"path": format!("/api/svc{s}/admin/??"), "conditions": [
            {"httpMethods": ["GET", "POST", "PUT", "DELETE"], "scope_expression": {
                "rule": {"and": [{"var": 0}]}, "data": [format!("svc{s}:admin")]}}]}),
        );
    }

    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(requests);
    for _ in 0..requests {
        let i = rng.below(rules);
        let (svc, res) = (service(i, services), resource(i));
        let id = 1000 + rng.below(9000);
        let line = 1 + rng.below(50);
        let granted = rng.below(3) != 0;
        let near_miss = rng.below(3) == 0;
        let pick = rng.below(4);
        let base = vec!["openid".to_string(), "profile".to_string()];
        let (method, path, scopes): (&'static str, String, Vec<String>) =
            match (i % KINDS, near_miss) {
                (0, false) => {
                    let read = rng.below(2) == 0;
                    let scope = match (read, granted) {
                        (true, true) => format!("{res}:read"),
                        (false, true) => format!("{res}:write"),
                        (_, false) => format!("{res}:list"),
                    };
                    let method = if read { "GET" } else { "POST" };
                    (method, format!("/api/{svc}/{res}"), vec![scope])
                }
                (0, true) => match pick {
                    0 => (
                        "PATCH",
                        format!("/api/{svc}/{res}"),
                        vec![format!("{res}:read")],
                    ),
                    1 => (
                        "GET",
                        format!("/api/{svc}/{res}s"),
                        vec![format!("{res}:read")],
                    ),
                    _ => (
                        "GET",
                        format!("/api/{svc}/{res}/x/y/z"),
                        vec![format!("{res}:read")],
                    ),
                },
                (1, false) => {
                    let scope = if granted {
                        format!("{res}:{id}")
                    } else {
                        format!("{res}:other")
                    };
                    ("GET", format!("/api/{svc}/{res}/{id}"), vec![scope])
                }
                (1, true) => match pick {
                    // The spontaneous scope of another item: the regex matches, the capture does not.
                    0 | 1 => (
                        "PUT",
                        format!("/api/{svc}/{res}/{id}"),
                        vec![format!("{res}:{}", id + 1)],
                    ),
                    2 => (
                        "POST",
                        format!("/api/{svc}/{res}/{id}"),
                        vec![format!("{res}:{id}")],
                    ),
                    _ => (
                        "GET",
                        format!("/api/{svc}/{res}/{id}/notes"),
                        vec![format!("{res}:{id}")],
                    ),
                },
                (2, false) => {
                    let scopes = if granted {
                        vec![format!("{res}:{id}:{line}")]
                    } else {
                        vec![format!("{res}:{id}:{line}"), "suspended".into()]
                    };
                    ("GET", format!("/api/{svc}/{res}/{id}/lines/{line}"), scopes)
                }
                (2, true) => match pick {
                    0 => (
                        "GET",
                        format!("/api/{svc}/{res}/{id}/lines/L{line}"),
                        vec![format!("{res}:{id}:{line}")],
                    ),
                    1 => (
                        "PUT",
                        format!("/api/{svc}/{res}/{id}/lines/{line}"),
                        vec![format!("{res}:{id}:{}", line + 1)],
                    ),
                    _ => (
                        "GET",
                        format!("/api/{svc}/{res}/{id}/line/{line}"),
                        vec![format!("{res}:{id}:{line}")],
                    ),
                },
                (3, false) => {
                    let period = ["daily", "weekly", "monthly"][rng.below(3)];
                    let scope = if granted {
                        format!("{res}:read")
                    } else {
                        format!("{res}:write")
                    };
                    (
                        "GET",
                        format!("/api/{svc}/{res}/reports/{period}/{id}"),
                        vec![format!("reports:{period}"), scope],
                    )
                }
                (3, true) => match pick {
                    0 | 1 => (
                        "GET",
                        format!("/api/{svc}/{res}/reports/yearly/{id}"),
                        vec!["reports:yearly".into(), format!("{res}:read")],
                    ),
                    _ => (
                        "GET",
                        format!("/api/{svc}/{res}/reports/daily/{id}"),
                        vec!["reports:weekly".into(), format!("{res}:read")],
                    ),
                },
                (_, false) => {
                    let scope = if granted {
                        format!("{res}:{id}")
                    } else {
                        format!("{res}:{}", id + 7)
                    };
                    ("GET", format!("/api/{svc}/{res}/{id}/history"), vec![scope])
                }
                (_, true) => match pick {
                    0 | 1 => (
                        "GET",
                        format!("/api/{svc}/admin/{res}/{id}"),
                        vec![format!("{svc}:admin")],
                    ),
                    2 => (
                        "GET",
                        format!("/api/{svc}/admin"),
                        vec![format!("svc{}:admin", i + 1)],
                    ),
                    _ => (
                        "GET",
                        format!("/api/{svc}/{res}/{id}/histories"),
                        vec![format!("{res}:{id}")],
                    ),
                },
            };
        let mut all = base;
        all.extend(scopes);
        out.push(Request {
            method,
            path,
            scopes: all,
        });
    }
    Workload {
        document: Value::Array(items),
        requests: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decide, LinearScan};
    use gatecheck_policy::Expression;

    #[test]
    fn gg_workloads_are_valid_and_mix_grants_denials_and_near_misses() {
        for rules in [10, 100, 1000] {
            let w = gg_workload(rules, 10_000, 7);
            let compiled = Expression::from_value(&w.document).expect("valid document");
            assert!(compiled.lint().is_empty(), "{rules}: {:?}", compiled.lint());
            let naive = LinearScan::new(&w.document);
            let (mut none, mut allowed, mut denied) = (0, 0, 0);
            for r in &w.requests {
                let d = decide(&compiled, r);
                assert_eq!(d, naive.decide(r), "{} {} {:?}", r.method, r.path, r.scopes);
                match d {
                    None => none += 1,
                    Some(Some(true)) => allowed += 1,
                    Some(Some(false)) => denied += 1,
                    Some(None) => panic!("every rule has a scope expression"),
                }
            }
            assert!(
                none > 1_000 && allowed > 4_000 && denied > 2_000,
                "{rules}: {none} unmatched, {allowed} allowed, {denied} denied"
            );
        }
    }
}
