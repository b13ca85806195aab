//! `${name}` placeholders in scenario files, filled in by the harness with values that exist only
//! once the stack runs (bound ports, URLs, registered client ids).
//!
//! Every string anywhere in a section may contain placeholders; `$${` writes a literal `${`.
//! A placeholder the harness does not know, or one whose value does not exist yet at that stage
//! (e.g. `${sites.consumer.client_id}` inside the OP section, before any site is registered), is
//! an error naming the placeholder and where it was found.

use std::collections::BTreeMap;

use serde_json::Value;

/// Placeholder values known so far.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

/// A placeholder could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    /// `${` without a closing `}`.
    #[error("{at}: unterminated placeholder in {text:?}")]
    Unterminated {
        /// Where in the document.
        at: String,
        /// The string.
        text: String,
    },
    /// A placeholder with no value at this stage.
    #[error("{at}: unknown placeholder ${{{name}}}{hint} (known here: {known})")]
    Unknown {
        /// Where in the document.
        at: String,
        /// The placeholder name.
        name: String,
        /// Why it may be unknown.
        hint: String,
        /// The names available at this stage.
        known: String,
    },
}

impl Vars {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// A value by name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// All values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Fills the placeholders of one string.
    pub fn fill_str(&self, text: &str, at: &str) -> Result<String, SubstituteError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let end = after
                    .find('}')
                    .ok_or_else(|| SubstituteError::Unterminated {
                        at: at.to_owned(),
                        text: text.to_owned(),
                    })?;
                let name = after[..end].trim();
                let value = self.get(name).ok_or_else(|| self.unknown(name, at))?;
                out.push_str(value);
                rest = &after[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Fills every string of a JSON document; `at` names the document for error messages.
    pub fn fill(&self, value: &Value, at: &str) -> Result<Value, SubstituteError> {
        Ok(match value {
            Value::String(s) => Value::String(self.fill_str(s, at)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.fill(v, &format!("{at}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.fill(v, &format!("{at}.{k}"))?)))
                    .collect::<Result<_, SubstituteError>>()?,
            ),
            other => other.clone(),
        })
    }

    fn unknown(&self, name: &str, at: &str) -> SubstituteError {
        let hint = if name.starts_with("sites.") {
            " (site values exist only after the sites are registered: use them in the gateway and guide sections)"
        } else if name == "op.issuer" {
            " (the issuer exists only once the OP runs: not inside the op section)"
        } else {
            ""
        };
        SubstituteError::Unknown {
            at: at.to_owned(),
            name: name.to_owned(),
            hint: hint.to_owned(),
            known: self.values.keys().cloned().collect::<Vec<_>>().join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::new();
        v.set("gateway.proxy", "http://127.0.0.1:8000");
        v.set("sites.consumer.client_id", "abc");
        v
    }

    #[test]
    fn fills_every_string_in_a_document() {
        let doc = json!({"a": ["${gateway.proxy}/callback", 3, {"b": "id=${ sites.consumer.client_id }"}], "c": true});
        assert_eq!(
            vars().fill(&doc, "x").unwrap(),
            json!({"a": ["http://127.0.0.1:8000/callback", 3, {"b": "id=abc"}], "c": true})
        );
    }

    #[test]
    fn dollars_and_escapes_stay_literal() {
        let v = vars();
        assert_eq!(
            v.fill_str("^transactions:.+$", "x").unwrap(),
            "^transactions:.+$"
        );
        assert_eq!(
            v.fill_str("cost $5 $${gateway.proxy}", "x").unwrap(),
            "cost $5 ${gateway.proxy}"
        );
    }

    #[test]
    fn unknown_and_unterminated_placeholders_name_the_place() {
        let v = vars();
        let err = v
            .fill(&json!({"k": ["${sites.web.oxd_id}"]}), "op")
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("op.k[0]: unknown placeholder ${sites.web.oxd_id}"),
            "{text}"
        );
        assert!(text.contains("after the sites are registered"), "{text}");
        assert!(
            text.contains("known here: gateway.proxy, sites.consumer.client_id"),
            "{text}"
        );
        let err = v.fill_str("${gateway.proxy", "g").unwrap_err();
        assert!(matches!(err, SubstituteError::Unterminated { .. }));
    }
}
