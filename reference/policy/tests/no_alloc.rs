//! A decision (find + is_allowed) allocates nothing on the common path: counted with a global
//! allocator, after a warm-up (the regex engine fills its per-thread search caches on first use).
//! This binary holds a single test so no other test allocates concurrently.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use gatecheck_policy::Expression;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn decisions_do_not_allocate() {
    let expression =
        Expression::parse(include_str!("../../../fixtures/policy/transactions.json")).unwrap();
    let requests: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "GET",
            "/transactions/123",
            vec!["openid", "transactions:123"],
        ),
        ("GET", "/transactions/123", vec!["openid"]),
        (
            "GET",
            "/accounts/42/statements/2024",
            vec!["accounts:42:read"],
        ),
        (
            "GET",
            "/accounts/42/statements/2024",
            vec!["accounts:7:read", "admin"],
        ),
        (
            "PUT",
            "/accounts/42/limits",
            vec!["accounts:42:write", "suspended"],
        ),
        ("GET", "/reports/daily/2024-05-01", vec!["reports:daily"]),
        ("GET", "/reports/weekly/1", vec!["reports:weekly"]),
        ("GET", "/status", vec![]),
        ("DELETE", "/nowhere", vec![]),
    ];
    let decide = |(method, path, scopes): &(&str, &str, Vec<&str>)| {
        expression.find(method, path).map(|m| {
            m.condition
                .scope_expression()
                .map(|s| s.is_allowed(scopes, &m.captures))
        })
    };
    let warm: Vec<_> = requests.iter().map(decide).collect();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut decisions = [None; 9];
    for _ in 0..100 {
        for (slot, request) in decisions.iter_mut().zip(&requests) {
            *slot = decide(request);
        }
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0, "allocations during 900 decisions");
    assert_eq!(decisions.to_vec(), warm);
    // The decisions are the real ones, not trivially empty.
    assert_eq!(warm[0], Some(Some(true)));
    assert_eq!(warm[1], Some(Some(false)));
    assert_eq!(warm[3], Some(Some(true)));
    assert_eq!(warm[4], Some(Some(false)));
    assert_eq!(warm[7], Some(None));
    assert_eq!(warm[8], None);
}
