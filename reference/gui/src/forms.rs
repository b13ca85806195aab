//! Submitted form fields, field errors, and tag inputs.
//!
//! A tag input (hosts, paths, scopes, ...) is a list of `<input name="F">` (one per accepted
//! value; the script shows them as chips) plus an entry box `<input name="F.new">`. Without
//! JavaScript, pressing Enter in the entry box submits the form with its first button, the
//! hidden "accept value" button, and the page comes back with the value accepted, which is GG's
//! "press Enter to accept value". A value left in the entry box when the form is submitted is
//! accepted too.

use std::collections::BTreeMap;

use serde::Serialize;

/// The fields of a submitted form, in submission order.
#[derive(Debug, Clone, Default)]
pub struct FormData {
    fields: Vec<(String, String)>,
}

impl FormData {
    /// From decoded pairs.
    pub fn new(fields: Vec<(String, String)>) -> Self {
        Self { fields }
    }

    /// Every pair.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The first value of `name`, trimmed; `""` when absent.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).map(str::trim).unwrap_or("")
    }

    /// The first value of `name` as sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a field of that name was sent (a ticked checkbox).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A tag input's values: every `name` then `name.new`, trimmed, empty ones and repeats
    /// dropped, order kept.
    pub fn tags(&self, name: &str) -> Vec<String> {
        let entry = format!("{name}.new");
        let mut out: Vec<String> = Vec::new();
        for (k, v) in &self.fields {
            if k == name || *k == entry {
                let v = v.trim();
                if !v.is_empty() && !out.iter().any(|x| x == v) {
                    out.push(v.to_owned());
                }
            }
        }
        out
    }

    /// The pressed button's `op` value (`refresh` when the form was submitted by Enter in an
    /// entry box).
    pub fn op(&self) -> &str {
        self.text("op")
    }
}

/// Field name → message, shown next to the field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Errors(pub BTreeMap<String, String>);

impl Errors {
    /// Records a message for a field (the first one per field wins).
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    /// Whether any field has an error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds Kong's `fields` object (nested for `config`), mapping Kong's names to the form's.
    pub fn add_kong_fields(&mut self, fields: &serde_json::Value, map: &dyn Fn(&str) -> String) {
        fn walk(
            errors: &mut Errors,
            prefix: &str,
            v: &serde_json::Value,
            map: &dyn Fn(&str) -> String,
        ) {
            match v {
                serde_json::Value::Object(o) => {
                    for (k, v) in o {
                        let name = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(errors, &name, v, map);
                    }
                }
                // Kong nests an array element's error at its index, `null` for the good ones
                // (`[null, "expected a string"]`): the list's field shows the bad elements'
                // messages, numbered from 1 when the list has more than one element. An
                // `@entity` list is a list of messages, not of elements.
                serde_json::Value::Array(a) => {
                    let numbered = a.len() > 1 && !prefix.ends_with("@entity");
                    let text: Vec<String> = a
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| !x.is_null())
                        .map(|(i, x)| {
                            let m = match x {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            if numbered {
                                format!("item {}: {m}", i + 1)
                            } else {
                                m
                            }
                        })
                        .collect();
                    if !text.is_empty() {
                        errors.add(map(prefix), text.join("; "));
                    }
                }
                serde_json::Value::String(s) => errors.add(map(prefix), s.clone()),
                serde_json::Value::Null => {}
                other => errors.add(map(prefix), other.to_string()),
            }
        }
        walk(self, "", fields, map);
    }
}

/// Whether `name` is a name Kong accepts for services, routes and consumers' usernames
/// (letters, digits, `-`, `.`, `_`, `~`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
}

/// An absolute http(s) URL with a host, or the reason it is not.
pub fn http_url(text: &str) -> Result<url::Url, String> {
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        Ok(u) => Err(format!(
            "expected an http or https URL with a host, got a {} URL",
            u.scheme()
        )),
        Err(e) => Err(format!("not a URL ({e}); e.g. http://localhost:4400")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kongs_nested_errors_land_on_their_fields_with_the_bad_elements_named() {
        let mut errors = Errors::default();
        errors.add_kong_fields(
            &json!({
                "config": {
                    "scopes_required": [null, "expected a string"],
                    "auth_methods": ["expected one of: session, bearer"],
                    "timeout": "value should be between 1 and 3600000",
                    "client_id": [null, null]
                },
                "@entity": ["first check", "second check"]
            }),
            &|k: &str| k.to_owned(),
        );
        let e = &errors.0;
        assert_eq!(e["config.scopes_required"], "item 2: expected a string");
        assert_eq!(e["config.auth_methods"], "expected one of: session, bearer");
        assert_eq!(e["config.timeout"], "value should be between 1 and 3600000");
        assert!(
            !e.contains_key("config.client_id"),
            "no bad element, no error"
        );
        assert_eq!(e["@entity"], "first check; second check");
    }
}
