//! A private `redis-server` for one test: on a free loopback port (redis cannot be told to
//! pick one, so a port the OS just handed out is reused), in a temporary directory, with no
//! persistence, killed when dropped. Tests call [`RedisServer::start`] and return early when
//! it gives `None` (redis-server is not installed; `.ci/run` installs it).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    _dir: tempfile::TempDir,
}

fn redis_server() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("redis-server"))
            .find(|p| p.is_file())
    })
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`; `None` (after printing why) when
    /// `redis-server` is not on the PATH.
    pub async fn start() -> Option<RedisServer> {
        let Some(bin) = redis_server() else {
            println!("SKIPPED: redis-server not installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().unwrap().port()
        };
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts");
        let mut server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        server.wait_until_ready().await;
        Some(server)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A connection for the test's own checks.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// Waits (at most 10 s) for the log line redis-server prints once it accepts connections,
    /// then checks it answers `PING`.
    async fn wait_until_ready(&mut self) {
        let stdout = self.child.stdout.take().expect("piped stdout");
        let ready = tokio::time::timeout(Duration::from_secs(10), async {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Ready to accept connections") {
                    // Keep draining the log so the server never blocks on a full pipe.
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            ready,
            Ok(true),
            "redis-server on port {} did not start",
            self.port
        );
        let mut c = self.connection().await;
        let pong: String = redis::cmd("PING").query_async(&mut c).await.unwrap();
        assert_eq!(pong, "PONG");
    }

    /// Stops the server (a Redis that is down).
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}
