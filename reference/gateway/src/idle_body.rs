//! A response body that fails when the upstream sends nothing for `read_timeout` (Kong's
//! read timeout is between two successive reads), so a stalled upstream never hangs a client.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `inner` with an idle timeout between frames.
///
/// The timer is armed only when a read has to wait: a response whose body is already buffered
/// (the common small answer) never touches the runtime's timer wheel, where arming and resetting
/// a timer on every frame would cost each request two timer-wheel updates.
#[derive(Debug)]
pub struct IdleTimeout<B> {
    inner: B,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Whether `sleep` counts down the current wait (false once a frame arrived since).
    armed: bool,
}

impl<B> IdleTimeout<B> {
    /// Wraps `inner`; the clock runs from the first read that has to wait.
    pub fn new(inner: B, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            sleep: None,
            armed: false,
        }
    }
}

impl<B> Body for IdleTimeout<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                if !this.armed {
                    sleep.as_mut().reset(Instant::now() + timeout);
                    this.armed = true;
                }
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err("upstream read timeout".into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tokio::sync::mpsc;

    /// A body fed frame by frame from a channel; it ends when the sender is dropped.
    struct Fed(mpsc::Receiver<Bytes>);

    impl Body for Fed {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
        }
    }

    const IDLE: Duration = Duration::from_millis(200);

    #[tokio::test(start_paused = true)]
    async fn an_upstream_silent_for_the_timeout_fails_the_body() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(Bytes::from_static(b"first")).await.unwrap();
        let mut body = IdleTimeout::new(Fed(rx), IDLE);
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "first");
        // Nothing more arrives: the paused clock runs to the deadline.
        let err = body.frame().await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "upstream read timeout");
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn the_timeout_is_between_reads_not_over_the_whole_body() {
        let (tx, rx) = mpsc::channel(4);
        let feeder = tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(IDLE * 3 / 4).await;
                tx.send(Bytes::from_static(b"x")).await.unwrap();
            }
        });
        let collected = IdleTimeout::new(Fed(rx), IDLE).collect().await.unwrap();
        assert_eq!(
            collected.to_bytes(),
            "xxxxx",
            "five frames, each within the timeout"
        );
        feeder.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_waits_arms_no_timer() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(Bytes::from_static(b"all")).await.unwrap();
        drop(tx);
        let mut body = IdleTimeout::new(Fed(rx), IDLE);
        assert!(body.frame().await.unwrap().is_ok());
        assert!(body.frame().await.is_none());
        assert!(body.sleep.is_none(), "no read had to wait");
    }
}
