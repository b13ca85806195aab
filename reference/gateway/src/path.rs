//! Request path normalisation (nginx's `$uri`,
//! `docs/gluu-gateway.md#request-path-used-for-matching`): what routes and plugins match on, and
//! the re-encoded form forwarded upstream so the upstream serves exactly what was judged.

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

/// Re-encodes a normalised path for the upstream request line.
pub fn encode(path: &str) -> String {
    utf8_percent_encode(path, PATH_ENCODE).to_string()
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
}
