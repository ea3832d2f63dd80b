//! The allocator SQLite uses inside Cairn: it overwrites every block with zeros before freeing
//! it, so the plaintext SQLite held (decrypted pages, rows, query results, statements) does not
//! stay in freed heap memory.
//!
//! SQLCipher's own `cipher_memory_security` keeps the same promise, but overwrites with
//! pseudo-random bytes, eight at a time through volatile stores: measured side by side, a fifth
//! of a typing save and more than half of an attachment's import (BENCHMARKS.md, issue 14).
//! Zeros written eight bytes at a time keep the promise at a fraction of that cost.
//!
//! [`install`] must run before SQLite is initialised in the process (before the first
//! connection opens); `cairn-store` calls it before opening any vault and falls back to
//! SQLCipher's wipe when it is too late. This is the one crate with unsafe code: handing SQLite
//! an allocator is C FFI. Each unsafe block states what it relies on.

use std::alloc::Layout;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering, compiler_fence};

use rusqlite::ffi;

/// Bytes before each block SQLite is given: the block's size, which `xSize` and `xFree` need.
/// Eight, so the block keeps the 8-byte alignment SQLite requires.
const HEADER: usize = 8;
/// SQLite's required alignment; every block's size is a multiple of it, so a wipe is whole words.
const ALIGN: usize = 8;

/// Bytes overwritten with zeros so far, in this process: lets a test see that SQLite's frees
/// go through this allocator.
static WIPED_BYTES: AtomicU64 = AtomicU64::new(0);

/// Makes SQLite allocate through this crate, if SQLite has not been initialised yet in this
/// process. Returns whether this allocator is SQLite's (the first call decides; later calls
/// return the same answer). Call it before any SQLite connection is opened, from one place that
/// every connection opening passes through: SQLite's configuration is not thread-safe.
pub fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(block_malloc),
            xFree: Some(block_free),
            xRealloc: Some(block_realloc),
            xSize: Some(block_size),
            xRoundup: Some(block_roundup),
            xInit: Some(block_init),
            xShutdown: Some(block_shutdown),
            pAppData: ptr::null_mut(),
        };
        // SAFETY: SQLITE_CONFIG_MALLOC takes one `sqlite3_mem_methods*` and copies the struct.
        // SQLite refuses it (SQLITE_MISUSE) once initialised, so a late call changes nothing.
        #[allow(unsafe_code)]
        let code = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods) };
        code == ffi::SQLITE_OK
    })
}

/// Bytes this allocator has overwritten with zeros so far, in this process.
pub fn wiped_bytes() -> u64 {
    WIPED_BYTES.load(Ordering::Relaxed)
}

/// `n` rounded up to a whole number of words, or `None` if it is negative or too large.
fn rounded(n: c_int) -> Option<usize> {
    let n = usize::try_from(n).ok()?;
    n.checked_add(ALIGN - 1).map(|n| n & !(ALIGN - 1))
}

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, ALIGN).ok()
}

/// Overwrites `words` 8-byte words at `block` with zeros. Volatile stores, so the compiler
/// cannot drop them as dead before the memory is freed.
///
/// # Safety
/// `block` is valid for writes of `words * 8` bytes and 8-byte aligned.
#[allow(unsafe_code)]
unsafe fn wipe(block: *mut u64, words: usize) {
    for index in 0..words {
        // SAFETY: in bounds and aligned, by the caller's contract.
        unsafe { ptr::write_volatile(block.add(index), 0) };
    }
    compiler_fence(Ordering::SeqCst);
}

/// The size recorded in front of `block`.
///
/// # Safety
/// `block` came from [`block_malloc`] and was not freed.
#[allow(unsafe_code)]
unsafe fn recorded_size(block: *mut c_void) -> usize {
    // SAFETY: the header sits `HEADER` bytes before every block this allocator hands out.
    unsafe { (block.cast::<u8>().sub(HEADER).cast::<u64>()).read() as usize }
}

#[allow(unsafe_code)]
unsafe extern "C" fn block_malloc(n: c_int) -> *mut c_void {
    let Some(size) = rounded(n) else { return ptr::null_mut() };
    let Some(layout) = layout(size) else { return ptr::null_mut() };
    // SAFETY: the layout is never zero-sized (it holds the header).
    let base = unsafe { std::alloc::alloc(layout) };
    if base.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `base` is valid for `HEADER + size` bytes and 8-byte aligned.
    unsafe {
        base.cast::<u64>().write(size as u64);
        base.add(HEADER).cast()
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn block_free(block: *mut c_void) {
    if block.is_null() {
        return;
    }
    // SAFETY: SQLite frees only blocks this allocator gave it, once each.
    unsafe {
        let size = recorded_size(block);
        wipe(block.cast(), size / ALIGN);
        WIPED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
        let base = block.cast::<u8>().sub(HEADER);
        // The layout was valid when the block was allocated with it.
        std::alloc::dealloc(base, Layout::from_size_align_unchecked(size + HEADER, ALIGN));
    }
}

/// Never resizes in place: a block that must grow is copied into a new one and the old one is
/// wiped and freed (a system `realloc` could move it and free the old bytes unwiped). A block
/// big enough already is returned as it is.
#[allow(unsafe_code)]
unsafe extern "C" fn block_realloc(block: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: SQLite passes a live block of this allocator (it handles NULL and 0 itself).
    unsafe {
        let size = recorded_size(block);
        if rounded(n).is_some_and(|wanted| wanted <= size) {
            return block;
        }
        let grown = block_malloc(n);
        if grown.is_null() {
            // SQLite keeps using the old block when a reallocation fails.
            return ptr::null_mut();
        }
        ptr::copy_nonoverlapping(block.cast::<u8>(), grown.cast::<u8>(), size);
        block_free(block);
        grown
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn block_size(block: *mut c_void) -> c_int {
    if block.is_null() {
        return 0;
    }
    // SAFETY: a live block of this allocator; sizes fit in c_int because they came from one.
    unsafe { recorded_size(block) as c_int }
}

#[allow(unsafe_code)]
unsafe extern "C" fn block_roundup(n: c_int) -> c_int {
    rounded(n).and_then(|size| c_int::try_from(size).ok()).unwrap_or(n)
}

#[allow(unsafe_code)]
unsafe extern "C" fn block_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

#[allow(unsafe_code)]
unsafe extern "C" fn block_shutdown(_: *mut c_void) {}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_sized_in_words_and_keep_their_bytes_when_grown() {
        // SAFETY: the allocator's functions, called as SQLite calls them.
        unsafe {
            let block = block_malloc(13);
            assert!(!block.is_null());
            assert_eq!(block as usize % ALIGN, 0);
            assert_eq!(block_size(block), 16);
            ptr::copy_nonoverlapping(b"case narrative".as_ptr(), block.cast::<u8>(), 14);
            assert_eq!(block_realloc(block, 16), block, "a block big enough is kept");
            let before = wiped_bytes();
            let grown = block_realloc(block, 100);
            assert_ne!(grown, block);
            assert_eq!(block_size(grown), 104);
            assert_eq!(std::slice::from_raw_parts(grown.cast::<u8>(), 14), b"case narrative");
            assert!(wiped_bytes() >= before + 16, "the old block was wiped");
            let before = wiped_bytes();
            block_free(grown);
            assert!(wiped_bytes() >= before + 104);
        }
        assert_eq!(unsafe { block_roundup(1) }, 8);
        assert!(unsafe { block_malloc(-1) }.is_null());
    }

    #[test]
    fn a_wipe_leaves_only_zeros() {
        let mut words = vec![u64::from_le_bytes(*b"testimon"); 1000];
        // SAFETY: the vector holds 1000 aligned words.
        unsafe { wipe(words.as_mut_ptr(), words.len()) };
        assert!(words.iter().all(|&word| word == 0));
    }

    #[test]
    fn sqlite_frees_through_this_allocator_once_installed() {
        assert!(install(), "nothing in this test binary initialises SQLite first");
        assert!(install(), "the answer does not change");
        let before = wiped_bytes();
        let connection = rusqlite::Connection::open_in_memory().expect("open");
        connection
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (zeroblob(100000)); DELETE FROM t;")
            .expect("use");
        drop(connection);
        assert!(wiped_bytes() >= before + 100_000, "SQLite's frees were wiped");
    }
}
