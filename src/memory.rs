//! Giving freed memory back to the system in a long-running process.
//!
//! glibc's allocator keeps the pages of freed allocations mapped (per thread
//! arena), so a process that answers in bursts from many threads keeps the
//! high-water mark of its bursts as its resident size, and fragmentation
//! makes it creep upward. `malloc_trim(0)` returns the free pages of every
//! arena (since glibc 2.8 also those in the middle of a heap). It takes a
//! few milliseconds with a heap of this size, so it is called every so often
//! (the Telegram channel every 1,000 updates; `Engine::open` after the steps
//! of loading that leave garbage), never per message.

/// Returns the allocator's free pages to the system; does nothing where the
/// allocator is not glibc's.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks and only releases
    // pages no allocation uses; it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
