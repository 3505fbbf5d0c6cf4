//! Executable memory for generated code, W^X: pages are read+write while the code is
//! copied in, then read+execute (never writable and executable at once). Dropped blocks go
//! back to a small process-wide pool instead of being unmapped, so the next compilation
//! reuses pages that are already mapped and populated: two `mprotect` calls instead of
//! `mmap`, a page fault per page, `mprotect` and `munmap` (the bulk of compiling a small
//! program).

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Blocks kept for reuse (each whole pages, read+execute), and the most the pool holds.
static POOL: Mutex<Vec<Block>> = Mutex::new(Vec::new());
const POOL_MAX_BLOCKS: usize = 64;
const POOL_MAX_BLOCK_LEN: usize = 64 * 1024;

/// A mapping: its address and length (whole pages), followed by one inaccessible guard
/// page. The guard keeps the block a mapping of its own (the kernel merges neighbouring
/// anonymous mappings of equal protection), so changing its protection neither splits
/// nor merges mappings, which costs more than the change itself.
struct Block {
    ptr: *mut u8,
    len: usize,
}

fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).unwrap_or(4096).max(4096)
}

/// Where the next block is tried: the code is placed below this crate's own text, within
/// `NEAR_SPAN` of it, where nothing else maps (the heap grows upward from above the text, other
/// mappings come down from the top of the address space).
static NEAR_CURSOR: AtomicUsize = AtomicUsize::new(0);
/// Blocks start this far below the text (room for the binary's own code below the anchor)...
const NEAR_START: usize = 64 << 20;
/// ...and end this far below it: every block is then within a rel32 reach (±2 GiB) of the
/// helpers and runtime functions the code calls.
const NEAR_SPAN: usize = 1 << 30;
/// How many occupied places are skipped before falling back to any address.
const NEAR_TRIES: usize = 16;

/// A fresh inaccessible anonymous mapping of `len` bytes, placed near this crate's code when
/// possible. Calls from generated code to helpers (in the binary's text) run at the speed
/// of calls within the text only when caller and callee are close: on the AMD EPYC here a
/// call and its return cost ~0.9 ns more between a mapping at 0x7f.. and a binary at 0x55..
/// (a `movabs`+`call` loop: 2.47 against 1.54 ns per iteration). The kernel places its JIT's
/// code within 2 GiB of its text for the same reason.
fn map_near_text(len: usize) -> io::Result<*mut u8> {
    let anchor = map_near_text as *const () as usize;
    let floor = anchor.saturating_sub(NEAR_START + NEAR_SPAN);
    for _ in 0..NEAR_TRIES {
        let top = match NEAR_CURSOR.load(Ordering::Relaxed) {
            0 => anchor.saturating_sub(NEAR_START) & !0xFFFFF,
            cursor => cursor,
        };
        let Some(hint) = top.checked_sub(len).filter(|&h| h > floor && h >= 1 << 20) else {
            // The span is used up (blocks unmapped since leave holes): start again at the
            // top, where the holes are found by trying.
            NEAR_CURSOR.store(0, Ordering::Relaxed);
            break;
        };
        NEAR_CURSOR.store(hint, Ordering::Relaxed);
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping: the kernel maps
        // `len` new inaccessible bytes at `hint` or fails (a kernel older than 4.17 takes
        // it as a hint and may map elsewhere, which is fine: calls are absolute).
        let ptr = unsafe {
            libc::mmap(
                hint as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        if ptr != libc::MAP_FAILED {
            return Ok(ptr.cast());
        }
    }
    // SAFETY: an anonymous private mapping at an address the kernel chooses, inaccessible;
    // no existing memory is affected.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(ptr.cast())
}

// SAFETY: a pooled block is owned by the pool alone (no code in it runs: its `ExecMem` was
// dropped), so moving its address between threads is sound.
unsafe impl Send for Block {}

impl Block {
    /// A pooled block of exactly `len` bytes, or a fresh read+write mapping.
    fn take(len: usize) -> io::Result<(Block, bool)> {
        let pooled = POOL.lock().ok().and_then(|mut pool| {
            let i = pool.iter().position(|b| b.len == len)?;
            Some(pool.swap_remove(i))
        });
        if let Some(block) = pooled {
            return Ok((block, true));
        }
        let block = Block {
            ptr: map_near_text(len + page_size())?,
            len,
        };
        if let Err(e) = block.protect(libc::PROT_READ | libc::PROT_WRITE) {
            block.unmap();
            return Err(e);
        }
        Ok((block, false))
    }

    fn unmap(self) {
        // SAFETY: `ptr` and `len` plus the guard page are a mapping this block owns;
        // nothing uses it afterwards.
        unsafe { libc::munmap(self.ptr.cast(), self.len + page_size()) };
    }

    fn protect(&self, prot: libc::c_int) -> io::Result<()> {
        // SAFETY: `ptr`/`len` describe exactly a mapping this block owns.
        let rc = unsafe { libc::mprotect(self.ptr.cast(), self.len, prot) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Back to the pool (read+execute, as pooled blocks are), or unmapped when it is full.
    fn release(self) {
        if self.len <= POOL_MAX_BLOCK_LEN
            && let Ok(mut pool) = POOL.lock()
            && pool.len() < POOL_MAX_BLOCKS
        {
            pool.push(self);
            return;
        }
        self.unmap();
    }
}

/// A block of read+execute pages holding one program's code.
pub struct ExecMem {
    ptr: *mut u8,
    len: usize,
    /// Bytes of code at the start of the mapping.
    code_len: usize,
}

// SAFETY: the mapping is immutable (read+execute) once built and owned by this value alone;
// sharing or sending the pointer across threads cannot cause data races.
unsafe impl Send for ExecMem {}
// SAFETY: as above: nothing writes through the pointer after construction.
unsafe impl Sync for ExecMem {}

impl ExecMem {
    /// Takes pages (pooled or fresh), copies `code` into them while they are read+write and
    /// makes them read+execute.
    pub fn new(code: &[u8]) -> io::Result<ExecMem> {
        let page = page_size();
        let len = code.len().max(1).div_ceil(page) * page;
        let (block, pooled) = Block::take(len)?;
        if pooled && let Err(e) = block.protect(libc::PROT_READ | libc::PROT_WRITE) {
            block.release();
            return Err(e);
        }
        // SAFETY: `block` is a writable mapping of `len >= code.len()` bytes, not running
        // and not overlapping `code`.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), block.ptr, code.len()) };
        let mem = ExecMem {
            ptr: block.ptr,
            len,
            code_len: code.len(),
        };
        block.protect(libc::PROT_READ | libc::PROT_EXEC)?;
        Ok(mem)
    }

    /// The address of byte `offset` of the code.
    pub fn addr(&self, offset: usize) -> u64 {
        self.ptr as u64 + offset as u64
    }

    /// The code (for disassembling it).
    pub fn code(&self) -> &[u8] {
        // SAFETY: the first `code_len` bytes of the mapping were written before it became
        // read+execute, and it stays mapped (and readable) while `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.code_len) }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for ExecMem {
    fn drop(&mut self) {
        // Generated code only runs while its `ExecMem` is borrowed: nothing runs it now.
        Block {
            ptr: self.ptr,
            len: self.len,
        }
        .release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_copied_code() {
        // mov eax, 42; ret
        let mem = ExecMem::new(&[0xb8, 42, 0, 0, 0, 0xc3]).unwrap();
        // SAFETY: the mapping holds a complete function with the C ABI that takes nothing
        // and returns in eax.
        let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(mem.addr(0) as usize) };
        assert_eq!(f(), 42);
    }

    #[test]
    fn reused_pages_hold_the_new_code() {
        for value in 0..8u8 {
            // mov eax, value; ret
            let mem = ExecMem::new(&[0xb8, value, 0, 0, 0, 0xc3]).unwrap();
            // SAFETY: as above.
            let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(mem.addr(0) as usize) };
            assert_eq!(f(), value as u32);
            assert_eq!(mem.code(), &[0xb8, value, 0, 0, 0, 0xc3]);
        }
    }

    #[test]
    fn blocks_lie_within_call_reach_of_the_text() {
        let text = blocks_lie_within_call_reach_of_the_text as *const () as u64;
        let mems: Vec<ExecMem> = (0..4).map(|_| ExecMem::new(&[0xc3]).unwrap()).collect();
        for mem in &mems {
            assert!(
                mem.addr(0).abs_diff(text) < 1 << 31,
                "{:#x} far from {text:#x}",
                mem.addr(0)
            );
        }
    }
}
