//! Running the `gatecheck` binary from integration tests.

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// The `gatecheck` binary built for these tests.
pub fn gatecheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gatecheck"))
}

/// Sends SIGTERM, as a supervisor or `kill` would.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// Waits for `child` to exit; kills it and panics after `limit`.
pub fn wait(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for gatecheck") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("gatecheck did not exit within {limit:?}");
        }
        // Polling a child process: std has no wait-with-timeout.
        std::thread::sleep(Duration::from_millis(20));
    }
}
