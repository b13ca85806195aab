//! `custom_headers` (`docs/gluu-gateway.md#custom-headers`,
//! `docs/differences.md#custom-header-expressions`): headers computed from the token data and sent
//! upstream. Values are the documented expression forms only — field paths
//! (`introspect_data.client_id`, `consumer.id`, `userinfo.email`, `x.y[1]`, `x["a-b"]`), whole
//! objects (`userinfo`) and string/number literals — parsed when the plugin is configured; no
//! general-purpose interpreter.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use http::{HeaderName, HeaderValue};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use super::schema::{ConfigError, FieldError};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    /// Lua index (1-based for arrays).
    Index(u64),
}

/// A parsed value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    /// A literal string or number.
    Literal(Value),
    /// `root.step[...]...`
    Path {
        /// The environment variable it starts from.
        root: String,
        /// Field/index steps.
        steps: Vec<StepRef>,
    },
}

/// A public view of a path step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRef(Step);

/// Output format (`docs/gluu-gateway.md#custom-header-formats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalars as text, tables as JSON.
    String,
    /// Standard base64 (padded) of the string form.
    Base64,
    /// Percent-encoded string form.
    Urlencoded,
    /// Array joined with a separator.
    List,
    /// Unsigned JWT of a table.
    Jwt,
}

/// One configured header.
#[derive(Debug, Clone)]
pub struct CustomHeader {
    name: String,
    expr: ValueExpr,
    format: Option<Format>,
    sep: String,
    iterate: bool,
    /// What a client might send under this name, worked out once at configuration.
    strip: Strip,
}

/// The client-supplied headers a configured name covers.
#[derive(Debug, Clone)]
enum Strip {
    /// One header (none when the name is not a valid header name: no client can send it).
    Exact(Option<HeaderName>),
    /// Every header between this prefix and suffix (an `iterate` name around `{*}`).
    Around { prefix: String, suffix: String },
}

impl Strip {
    fn of(name: &str, iterate: bool) -> Strip {
        let name = header_name(name).to_ascii_lowercase();
        match name.split_once("{*}") {
            Some((prefix, suffix)) if iterate => Strip::Around {
                prefix: prefix.to_owned(),
                suffix: suffix.to_owned(),
            },
            _ => Strip::Exact(HeaderName::from_bytes(name.as_bytes()).ok()),
        }
    }
}

/// The configured headers of one plugin instance.
#[derive(Debug, Clone, Default)]
pub struct CustomHeaders {
    headers: Vec<CustomHeader>,
}

/// Parses a value expression; `roots` are the environment's variable names.
pub fn parse_expr(text: &str, roots: &[&str]) -> Result<ValueExpr, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty expression".into());
    }
    if let Some(s) = parse_string_literal(t) {
        return s.map(|s| ValueExpr::Literal(Value::String(s)));
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return match serde_json::from_str::<serde_json::Number>(t) {
            Ok(n) => Ok(ValueExpr::Literal(Value::Number(n))),
            Err(_) => Err(format!("'{t}' is not a number")),
        };
    }
    let bytes = t.as_bytes();
    let mut i = 0;
    let ident = |i: &mut usize| -> Option<String> {
        let start = *i;
        while *i < bytes.len() && (bytes[*i].is_ascii_alphanumeric() || bytes[*i] == b'_') {
            *i += 1;
        }
        (start < *i && !bytes[start].is_ascii_digit()).then(|| t[start..*i].to_owned())
    };
    let root = ident(&mut i).ok_or_else(|| format!("'{t}' is not a field path or literal"))?;
    if !roots.contains(&root.as_str()) {
        return Err(format!(
            "unknown variable '{root}' (available: {})",
            roots.join(", ")
        ));
    }
    let mut steps = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                i += 1;
                let key = ident(&mut i)
                    .ok_or_else(|| format!("expected a field name after '.' in '{t}'"))?;
                steps.push(StepRef(Step::Key(key)));
            }
            b'[' => {
                let close = t[i..]
                    .find(']')
                    .map(|c| i + c)
                    .ok_or_else(|| format!("missing ']' in '{t}'"))?;
                let inner = t[i + 1..close].trim();
                if let Some(s) = parse_string_literal(inner) {
                    steps.push(StepRef(Step::Key(s?)));
                } else {
                    let n: u64 = inner.parse().map_err(|_| {
                        format!("index '{inner}' must be a positive integer or a quoted string")
                    })?;
                    if n == 0 {
                        return Err("indexes start at 1".into());
                    }
                    steps.push(StepRef(Step::Index(n)));
                }
                i = close + 1;
            }
            _ => {
                return Err(format!(
                    "unsupported syntax at '{}' (only field paths and literals are supported)",
                    &t[i..]
                ))
            }
        }
    }
    Ok(ValueExpr::Path { root, steps })
}

fn parse_string_literal(t: &str) -> Option<Result<String, String>> {
    let quote = t.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    if t.len() < 2 || !t.ends_with(quote) {
        return Some(Err(format!("unterminated string {t}")));
    }
    let inner = &t[1..t.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(c @ ('\\' | '"' | '\'')) => out.push(c),
                _ => return Some(Err(format!("unsupported escape in {t}"))),
            },
            c if c == quote => return Some(Err(format!("unexpected quote in {t}"))),
            c => out.push(c),
        }
    }
    Some(Ok(out))
}

impl ValueExpr {
    /// Evaluates against the environment (`None`: the value is absent).
    pub fn eval<'v>(&'v self, env: &[(&str, &'v Value)]) -> Option<std::borrow::Cow<'v, Value>> {
        match self {
            ValueExpr::Literal(v) => Some(std::borrow::Cow::Borrowed(v)),
            ValueExpr::Path { root, steps } => {
                let mut v: &Value = env.iter().find(|(n, _)| *n == root)?.1;
                for StepRef(step) in steps {
                    v = match (step, v) {
                        (Step::Key(k), Value::Object(m)) => m.get(k)?,
                        (Step::Index(n), Value::Array(a)) => {
                            a.get(usize::try_from(*n).ok()? - 1)?
                        }
                        (Step::Index(n), Value::Object(m)) => m.get(&n.to_string())?,
                        _ => return None,
                    };
                }
                (!v.is_null()).then_some(std::borrow::Cow::Borrowed(v))
            }
        }
    }
}

/// ngx.escape_uri: everything but unreserved characters is escaped.
const URI_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_form(v: &Value) -> String {
    scalar_text(v).unwrap_or_else(|| v.to_string())
}

/// `base64url-less` unsigned JWT of GG (`docs/gluu-gateway.md#unsigned-jwt`): standard alphabet, no
/// padding, empty signature.
pub fn unsigned_jwt(payload: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "none"});
    format!(
        "{}.{}.",
        STANDARD_NO_PAD.encode(header.to_string()),
        STANDARD_NO_PAD.encode(payload.to_string())
    )
}

fn format_value(v: &Value, format: Option<Format>, sep: &str) -> Option<String> {
    let table = v.is_object() || v.is_array();
    let format = format.unwrap_or(if v.is_string() || v.is_number() {
        Format::String
    } else {
        Format::Base64
    });
    match format {
        Format::String => Some(string_form(v)),
        Format::Base64 => Some(STANDARD.encode(string_form(v))),
        Format::Urlencoded => Some(utf8_percent_encode(&string_form(v), URI_ESCAPE).to_string()),
        Format::List => match v {
            Value::Array(items) if !items.is_empty() => Some(
                items
                    .iter()
                    .map(|item| list_item(string_form(item), sep))
                    .collect::<Vec<_>>()
                    .join(sep),
            ),
            _ => None,
        },
        Format::Jwt => table.then(|| unsigned_jwt(v)),
    }
}

/// One item of a `list` header. An item containing a character of the separator (a spontaneous
/// scope `transactions:1,admin` allowed by `^transactions:.+$`) would read as two items
/// upstream, one of them `admin`; such an item has those characters and `%` percent-encoded
/// (`transactions:1%2Cadmin`), so it stays one item and decodes back to itself. Other items are
/// sent as Gluu Gateway sends them.
fn list_item(text: String, sep: &str) -> String {
    if sep.is_empty() || !text.chars().any(|c| sep.contains(c)) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 6);
    for c in text.chars() {
        if c == '%' || sep.contains(c) {
            let mut utf8 = [0u8; 4];
            for b in c.encode_utf8(&mut utf8).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn header_name(name: &str) -> String {
    name.replace('_', "-")
}

impl CustomHeaders {
    /// Reads the `custom_headers` config value (`null` → none). Field errors are named
    /// `custom_headers.<i>.<field>` (1-based like Kong's arrays).
    pub fn parse(value: Option<&Value>, roots: &[&str]) -> Result<CustomHeaders, ConfigError> {
        let items = match value {
            None | Some(Value::Null) => return Ok(CustomHeaders::default()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(ConfigError::field("custom_headers", "expected an array")),
        };
        let mut errors = Vec::new();
        let mut headers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = |f: &str| format!("custom_headers.{}.{f}", i + 1);
            let mut err =
                |field: String, message: String| errors.push(FieldError { field, message });
            let Some(obj) = item.as_object() else {
                err(
                    format!("custom_headers.{}", i + 1),
                    "expected a record".into(),
                );
                continue;
            };
            if let Some(k) = obj.keys().find(|k| {
                !["header_name", "value_lua_exp", "format", "sep", "iterate"].contains(&k.as_str())
            }) {
                err(at(k), "unknown field".into());
            }
            let Some(name) = obj
                .get("header_name")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            else {
                err(at("header_name"), "required field missing".into());
                continue;
            };
            let probe = header_name(&name.replace("{*}", "x"));
            if HeaderName::from_bytes(probe.as_bytes()).is_err() {
                err(
                    at("header_name"),
                    format!("'{name}' is not a valid header name"),
                );
                continue;
            }
            let Some(exp) = obj.get("value_lua_exp").and_then(Value::as_str) else {
                err(at("value_lua_exp"), "required field missing".into());
                continue;
            };
            let expr = match parse_expr(exp, roots) {
                Ok(e) => e,
                Err(why) => {
                    err(
                        at("value_lua_exp"),
                        format!(
                            "{name} has not a valid value expression: {why}; supported are field paths such as {}.x, {}.x.y[1] and string or number literals",
                            roots[0], roots[0]
                        ),
                    );
                    continue;
                }
            };
            let format = match obj.get("format") {
                None | Some(Value::Null) => None,
                Some(Value::String(f)) => match f.as_str() {
                    "string" => Some(Format::String),
                    "base64" => Some(Format::Base64),
                    "urlencoded" => Some(Format::Urlencoded),
                    "list" => Some(Format::List),
                    "jwt" => Some(Format::Jwt),
                    _ => {
                        err(
                            at("format"),
                            "expected one of: string, jwt, base64, urlencoded, list".into(),
                        );
                        continue;
                    }
                },
                Some(_) => {
                    err(at("format"), "expected a string".into());
                    continue;
                }
            };
            let sep = match obj.get("sep") {
                None | Some(Value::Null) => ",".to_owned(),
                Some(Value::String(s)) => s.clone(),
                Some(_) => {
                    err(at("sep"), "expected a string".into());
                    continue;
                }
            };
            let iterate = match obj.get("iterate") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
                Some(_) => {
                    err(at("iterate"), "expected a boolean".into());
                    continue;
                }
            };
            headers.push(CustomHeader {
                strip: Strip::of(name, iterate),
                name: name.to_owned(),
                expr,
                format,
                sep,
                iterate,
            });
        }
        if errors.is_empty() {
            Ok(CustomHeaders { headers })
        } else {
            Err(ConfigError::Invalid(errors))
        }
    }

    /// [`CustomHeaders::parse`] under the name the OIDC plugin uses.
    pub fn compile(value: Option<&Value>, roots: &[&str]) -> Result<CustomHeaders, ConfigError> {
        Self::parse(value, roots)
    }

    /// Removes every header a configured name could produce (for `iterate` names, every header
    /// matching the text around `{*}`), so a client cannot supply a value the gateway would
    /// have vouched for when the expression yields nothing.
    pub fn strip_client_supplied(&self, headers: &mut http::HeaderMap) {
        for h in &self.headers {
            match &h.strip {
                Strip::Exact(Some(name)) => {
                    headers.remove(name);
                }
                Strip::Exact(None) => {}
                Strip::Around { prefix, suffix } => {
                    let doomed: Vec<HeaderName> = headers
                        .keys()
                        .filter(|k| {
                            let k = k.as_str();
                            k.len() >= prefix.len() + suffix.len()
                                && k.starts_with(prefix.as_str())
                                && k.ends_with(suffix.as_str())
                        })
                        .cloned()
                        .collect();
                    for k in doomed {
                        headers.remove(k);
                    }
                }
            }
        }
    }

    /// Removes client-supplied copies ([`Self::strip_client_supplied`]), then evaluates and
    /// sets the headers on `headers`.
    pub fn apply(&self, env: &[(&str, &Value)], headers: &mut http::HeaderMap) {
        self.strip_client_supplied(headers);
        for (name, value) in self.evaluate(env) {
            headers.insert(name, value);
        }
    }

    /// Whether no header is configured.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// Computes the headers for an environment; absent values and values a format cannot
    /// render are skipped (as GG skips them).
    pub fn evaluate(&self, env: &[(&str, &Value)]) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::new();
        for h in &self.headers {
            let Some(value) = h.expr.eval(env) else {
                continue;
            };
            let mut push = |name: String, v: &Value| {
                let Some(text) = format_value(v, h.format, &h.sep) else {
                    return;
                };
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(header_name(&name).as_bytes()),
                    HeaderValue::from_str(&text),
                ) {
                    out.push((n, v));
                }
            };
            if h.iterate {
                match value.as_ref() {
                    Value::Object(map) => {
                        for (k, v) in map {
                            push(h.name.replace("{*}", k), v);
                        }
                    }
                    Value::Array(items) => {
                        for (i, v) in items.iter().enumerate() {
                            push(h.name.replace("{*}", &(i + 1).to_string()), v);
                        }
                    }
                    _ => {}
                }
            } else {
                push(h.name.clone(), value.as_ref());
            }
        }
        out
    }
}

/// Builds an environment object for phantom tokens and similar uses.
pub fn object(pairs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert((*k).to_owned(), v.clone());
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOTS: &[&str] = &["introspect_data", "consumer"];

    fn headers(config: Value) -> CustomHeaders {
        CustomHeaders::parse(Some(&config), ROOTS).unwrap()
    }

    fn eval(h: &CustomHeaders, data: &Value, consumer: &Value) -> Vec<(String, String)> {
        h.evaluate(&[("introspect_data", data), ("consumer", consumer)])
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn documented_forms_and_formats() {
        let h = headers(json!([
            {"header_name": "x-consumer-id", "value_lua_exp": "consumer.id"},
            {"header_name": "x_oauth_client_id", "value_lua_exp": "introspect_data.client_id"},
            {"header_name": "x-oauth-expiration", "value_lua_exp": "introspect_data.exp", "format": "string"},
            {"header_name": "x-authenticated-scope", "value_lua_exp": "introspect_data.scope", "format": "list", "sep": ","},
            {"header_name": "x-b64", "value_lua_exp": "123", "format": "base64"},
            {"header_name": "x-url", "value_lua_exp": "'version 1.0'", "format": "urlencoded"},
            {"header_name": "x-first-scope", "value_lua_exp": "introspect_data.scope[1]"},
            {"header_name": "x-data", "value_lua_exp": "introspect_data"},
            {"header_name": "x-jwt", "value_lua_exp": "consumer", "format": "jwt"},
            {"header_name": "x-missing", "value_lua_exp": "introspect_data.stub[2]"},
            {"header_name": "x-int-{*}", "value_lua_exp": "introspect_data.nested", "iterate": true},
        ]));
        let data = json!({"client_id": "c1", "exp": 1590003600, "scope": ["a", "b"], "nested": {"k_1": "v", "n": 2}});
        let consumer = json!({"id": "u1"});
        let got = eval(&h, &data, &consumer);
        let get = |n: &str| got.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(get("x-consumer-id").as_deref(), Some("u1"));
        assert_eq!(get("x-oauth-client-id").as_deref(), Some("c1"));
        assert_eq!(get("x-oauth-expiration").as_deref(), Some("1590003600"));
        assert_eq!(get("x-authenticated-scope").as_deref(), Some("a,b"));
        assert_eq!(get("x-b64").as_deref(), Some("MTIz"));
        assert_eq!(get("x-url").as_deref(), Some("version%201.0"));
        assert_eq!(get("x-first-scope").as_deref(), Some("a"));
        assert_eq!(get("x-data"), Some(STANDARD.encode(data.to_string())));
        assert_eq!(get("x-jwt"), Some(unsigned_jwt(&consumer)));
        assert_eq!(get("x-missing"), None);
        assert_eq!(get("x-int-k-1").as_deref(), Some("v"));
        assert_eq!(get("x-int-n").as_deref(), Some("2"));
    }

    #[test]
    fn a_list_item_never_becomes_two() {
        let h = headers(json!([
            {"header_name": "x-scope", "value_lua_exp": "introspect_data.scope", "format": "list"},
            {"header_name": "x-spaced", "value_lua_exp": "introspect_data.scope", "format": "list", "sep": " "},
            {"header_name": "x-multi", "value_lua_exp": "introspect_data.scope", "format": "list", "sep": ", "},
        ]));
        let data = json!({"scope": ["transactions:1,admin", "read", "50%", "a b", "x%2Cy,z"]});
        let got = eval(&h, &data, &Value::Null);
        let get = |n: &str| got.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(
            get("x-scope").as_deref(),
            Some("transactions:1%2Cadmin,read,50%,a b,x%252Cy%2Cz")
        );
        assert_eq!(
            get("x-spaced").as_deref(),
            Some("transactions:1,admin read 50% a%20b x%2Cy,z")
        );
        // Every character of a multi-character separator counts.
        assert_eq!(
            get("x-multi").as_deref(),
            Some("transactions:1%2Cadmin, read, 50%, a%20b, x%252Cy%2Cz")
        );
        for (name, sep) in [("x-scope", ','), ("x-spaced", ' ')] {
            let value = get(name).unwrap();
            assert_eq!(value.split(sep).count(), 5, "{name}: one item per scope");
        }
    }

    #[test]
    fn client_supplied_copies_are_removed() {
        let h = headers(json!([
            {"header_name": "x_consumer_id", "value_lua_exp": "consumer.id"},
            {"header_name": "x-intro-{*}", "value_lua_exp": "introspect_data", "iterate": true},
        ]));
        let mut map = http::HeaderMap::new();
        for n in ["x-consumer-id", "x-intro-client-id", "x-intro-", "x-other"] {
            map.insert(
                HeaderName::from_static(n),
                HeaderValue::from_static("spoof"),
            );
        }
        h.apply(
            &[("introspect_data", &json!({})), ("consumer", &Value::Null)],
            &mut map,
        );
        let left: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["x-other"]);
    }

    #[test]
    fn unsigned_jwt_is_gg_shaped() {
        let jwt = unsigned_jwt(&json!({"a": 1}));
        assert_eq!(
            jwt,
            format!(
                "{}.{}.",
                STANDARD_NO_PAD.encode(r#"{"typ":"JWT","alg":"none"}"#),
                STANDARD_NO_PAD.encode(r#"{"a":1}"#)
            )
        );
    }

    #[test]
    fn anything_else_is_rejected_at_config_time() {
        for bad in [
            "os.exit()",
            "introspect_data.x + 1",
            "string.upper(consumer.id)",
            "foo.bar",
            "introspect_data[0]",
            "'open",
            "",
        ] {
            let err = CustomHeaders::parse(
                Some(&json!([{"header_name": "x-h", "value_lua_exp": bad}])),
                ROOTS,
            )
            .unwrap_err();
            let ConfigError::Invalid(fields) = err else {
                panic!()
            };
            assert_eq!(fields[0].field, "custom_headers.1.value_lua_exp", "{bad}");
            assert!(
                fields[0]
                    .message
                    .starts_with("x-h has not a valid value expression"),
                "{bad}: {}",
                fields[0].message
            );
        }
        let err = CustomHeaders::parse(
            Some(&json!([{"header_name": "x-h", "value_lua_exp": "consumer.id", "format": "xml"}])),
            ROOTS,
        )
        .unwrap_err();
        assert!(err.to_string().contains("custom_headers.1.format"));
        let err = CustomHeaders::parse(Some(&json!([{"value_lua_exp": "consumer.id"}])), ROOTS)
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("header_name: required field missing"));
    }
}
