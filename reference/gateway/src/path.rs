//! Request path normalisation (nginx's `$uri`,
//! `docs/gluu-gateway.md#request-path-used-for-matching`): what routes and plugins match on, and
//! the re-encoded form forwarded upstream so the upstream serves exactly what was judged.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// Why a request path cannot be normalised (the client gets 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path does not start with `/`.
    #[error("the request path must start with '/'")]
    NotAbsolute,
    /// `..` climbs above the root.
    #[error("the request path climbs above the root")]
    AboveRoot,
    /// Percent-decoding produced invalid UTF-8 or a NUL byte.
    #[error("the request path is not valid UTF-8 once percent-decoded")]
    BadEncoding,
}

/// Percent-decodes `raw` (the path part of the request target, without query), resolves `.` and
/// `..` segments and merges duplicate slashes. A trailing slash is kept.
pub fn normalize(raw: &str) -> Result<String, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if is_normal(raw) {
        return Ok(raw.to_owned());
    }
    decode_and_resolve(raw)
}

/// The whole of [`normalize`] for an absolute path.
fn decode_and_resolve(raw: &str) -> Result<String, PathError> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| PathError::BadEncoding)?;
    if decoded.contains('\0') {
        return Err(PathError::BadEncoding);
    }
    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in decoded.split('/').skip(1) {
        trailing_slash = false;
        match segment {
            "" => trailing_slash = true,
            "." => trailing_slash = true,
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
                trailing_slash = true;
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Whether `raw` (absolute) is already what [`normalize`] makes of it: nothing percent-encoded,
/// no `.` or `..` segment, no empty segment but a trailing one. Most requests are; they skip
/// the decoding and the segment list.
fn is_normal(raw: &str) -> bool {
    if raw.bytes().any(|b| b == b'%' || b == 0) {
        return false;
    }
    let mut segments = raw[1..].split('/').peekable();
    while let Some(segment) = segments.next() {
        match segment {
            "." | ".." => return false,
            "" if segments.peek().is_some() => return false,
            _ => {}
        }
    }
    true
}

/// Characters that cannot appear literally in a path sent upstream.
const PATH_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// Re-encodes a normalised path for the upstream request line (borrowed when nothing needs
/// encoding, the common case).
pub fn encode(path: &str) -> Cow<'_, str> {
    utf8_percent_encode(path, PATH_ENCODE).into()
}

/// [`encode`] for a path the caller owns: returned as it is when nothing needs encoding.
pub fn encode_owned(path: String) -> String {
    match encode(&path) {
        Cow::Borrowed(_) => None,
        Cow::Owned(encoded) => Some(encoded),
    }
    .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_nginx() {
        let cases = [
            ("/", "/"),
            ("/a/b", "/a/b"),
            ("//a///b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/b/../c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/a/b/", "/a/b/"),
            ("/transactions/%31%32%33", "/transactions/123"),
            ("/a%2Fb", "/a/b"),
            ("/a/%2e%2e/b", "/b"),
            ("/posts%20bla", "/posts bla"),
            ("/caf%C3%A9", "/café"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn rejects_what_nginx_rejects() {
        assert_eq!(normalize("/.."), Err(PathError::AboveRoot));
        assert_eq!(normalize("/a/../../b"), Err(PathError::AboveRoot));
        assert_eq!(normalize("/%2e%2e/x"), Err(PathError::AboveRoot));
        assert_eq!(normalize("/%ff"), Err(PathError::BadEncoding));
        assert_eq!(normalize("/a%00"), Err(PathError::BadEncoding));
        assert_eq!(normalize("a"), Err(PathError::NotAbsolute));
    }

    #[test]
    fn encoding_round_trips_through_normalisation() {
        for raw in ["/posts%20bla", "/a%3Fb", "/caf%C3%A9", "/x%25y", "/a#b"] {
            let n = normalize(raw).unwrap();
            assert_eq!(normalize(&encode(&n)).unwrap(), n, "{raw}");
        }
        assert_eq!(encode("/a b?c"), "/a%20b%3Fc");
    }

    #[test]
    fn encoding_borrows_what_needs_none() {
        assert!(matches!(encode("/items/42"), Cow::Borrowed(_)));
        assert_eq!(encode_owned("/items/42".into()), "/items/42");
        assert_eq!(encode_owned("/a b".into()), "/a%20b");
    }

    proptest::proptest! {
        /// The shortcut for already-normal paths gives exactly what the full decoding and
        /// segment resolution would.
        #[test]
        fn the_normal_path_shortcut_agrees_with_the_full_algorithm(
            raw in "/[a./%0-9\\x00]{0,12}"
        ) {
            if is_normal(&raw) {
                proptest::prop_assert_eq!(decode_and_resolve(&raw), Ok(raw.clone()));
            }
            proptest::prop_assert_eq!(normalize(&raw), decode_and_resolve(&raw));
        }
    }
}
