//! Transparent huge pages off for the servers, as Redis does at start-up (its `disable-thp`
//! setting, on by default; why: "Latency induced by transparent huge pages" in
//! <https://redis.io/topics/latency>).
//!
//! mimalloc (the binary's allocator) asks the kernel for huge pages on its arenas
//! (`madvise(MADV_HUGEPAGE)`), so a heap that grows, like the OP's access tokens under load,
//! takes a 2 MiB page fault at a time: the kernel zeroes the whole page, and in a virtual
//! machine the host may first have to back it. Measured here (a 2-core KVM guest, THP in
//! `madvise` mode, `benches/load/run.sh --only op`): every such fault stalled the OP for
//! 5–6 ms, about 25 times a second at 78k tokens/s, and the token endpoint's p99 was 5.5 ms;
//! with huge pages off it is 0.7–1.4 ms, at 5–8 % more tokens/s. Requests are latency-bound and
//! the heaps small, so the TLB reach huge pages buy is not worth those stalls.
//!
//! `GATECHECK_ALLOW_THP=1` keeps the system's policy (for measuring the difference).

/// The environment variable that keeps transparent huge pages on.
pub const ALLOW_THP: &str = "GATECHECK_ALLOW_THP";

/// Turns transparent huge pages off for this process, unless [`ALLOW_THP`] is set to `1`.
/// The kernel checks the flag at each fault, so memory mapped before the call (mimalloc's
/// first arena is mapped before `main`) is covered too. Failure (a kernel without the flag)
/// is logged and otherwise ignored: the servers work either way.
pub fn disable_unless_allowed() {
    if std::env::var(ALLOW_THP).is_ok_and(|v| v == "1") {
        tracing::debug!("transparent huge pages left to the system ({ALLOW_THP}=1)");
        return;
    }
    disable();
}

#[cfg(target_os = "linux")]
fn disable() {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of ours.
    let result = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if result != 0 {
        tracing::debug!(
            "could not turn transparent huge pages off: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn disable() {}
