//! The client's request body as it streams upstream, remembering whether reading it failed.
//!
//! A malformed chunked body (a chunk size that overflows, a bad chunk line) breaks the client's
//! stream in the middle of forwarding. hyper's client then fails the upstream request, which
//! would read as an upstream error (502); the flag lets the proxy answer what it is, the
//! client's framing error (400).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};

/// `inner`, raising `broken` when a read fails.
#[derive(Debug)]
struct Watched {
    inner: Body,
    broken: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Err(_))) = &frame {
            this.broken.store(true, Ordering::Relaxed);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether forwarding the client's body failed in the client's stream (not upstream).
#[derive(Debug, Clone, Default)]
pub struct Broken(Option<Arc<AtomicBool>>);

impl Broken {
    /// Whether a read of the client's body failed.
    pub fn is_raised(&self) -> bool {
        self.0.as_ref().is_some_and(|b| b.load(Ordering::Relaxed))
    }
}

/// The body to forward and the flag its failure raises. A body already known to be empty (a
/// GET, most requests) cannot fail and is forwarded as it is, without the wrapper and its flag.
pub fn watch(body: Body) -> (Body, Broken) {
    if body.is_end_stream() {
        return (body, Broken(None));
    }
    let broken = Arc::new(AtomicBool::new(false));
    let watched = Watched {
        inner: body,
        broken: broken.clone(),
    };
    (Body::new(watched), Broken(Some(broken)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_failed_read_raises_the_flag() {
        let (body, broken) = watch(Body::from("fine"));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "fine");
        assert!(!broken.is_raised());
        let failing = futures::stream::iter([
            Ok::<_, std::io::Error>(Bytes::from_static(b"a")),
            Err(std::io::Error::other("bad chunk size")),
        ]);
        let (body, broken) = watch(Body::from_stream(failing));
        assert!(body.collect().await.is_err());
        assert!(broken.is_raised());
    }

    #[tokio::test]
    async fn an_empty_body_is_forwarded_unwrapped() {
        let (body, broken) = watch(Body::empty());
        assert!(body.is_end_stream());
        assert!(broken.0.is_none(), "nothing to watch");
        assert!(!broken.is_raised());
    }
}
