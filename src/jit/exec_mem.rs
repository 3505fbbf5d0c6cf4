//! Executable memory for generated code, W^X: a page is never writable and executable at
//! once. Code is written into pages that stay read+execute through `/proc/self/mem` (one
//! `pwrite`: the kernel writes through its own mapping of the page, as a debugger's
//! breakpoint does, and this process's page tables never make the page writable); where
//! that file cannot be written (a kernel built or booted to refuse forced writes, a
//! sandbox without `/proc`), the pages are made read+write while the code is copied in and
//! read+execute again (two `mprotect`s). Dropped blocks go back to a small process-wide
//! pool instead of being unmapped, so the next compilation reuses pages that are already
//! mapped and populated: compiling a small program costs one system call (a page fault
//! per page, `mmap`, `mprotect` and `munmap` were the bulk of it before the pool, the two
//! `mprotect`s with their TLB flushes after it).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

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

// SAFETY: a pooled block is owned by the pool alone (no code in it runs: its `ExecMem` was
// dropped), so moving its address between threads is sound.
unsafe impl Send for Block {}

impl Block {
    /// A pooled block of exactly `len` bytes, or a fresh mapping; read+execute either way.
    fn take(len: usize) -> io::Result<Block> {
        let pooled = POOL.lock().ok().and_then(|mut pool| {
            let i = pool.iter().position(|b| b.len == len)?;
            Some(pool.swap_remove(i))
        });
        if let Some(block) = pooled {
            return Ok(block);
        }
        // SAFETY: an anonymous private mapping of `len` bytes and the guard page at an
        // address the kernel chooses, inaccessible; no existing memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len + page_size(),
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let block = Block {
            ptr: ptr.cast(),
            len,
        };
        if let Err(e) = block.protect(libc::PROT_READ | libc::PROT_EXEC) {
            block.unmap();
            return Err(e);
        }
        Ok(block)
    }

    /// Copies `code` to the start of the block, which is read+execute before and after
    /// and runs nothing meanwhile.
    fn write(&self, code: &[u8]) -> io::Result<()> {
        if self.len < code.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "code larger than block",
            ));
        }
        if proc_mem_write(self.ptr, code) {
            return Ok(());
        }
        self.write_toggling(code)
    }

    /// [`Block::write`] without `/proc/self/mem`: read+write while copying.
    fn write_toggling(&self, code: &[u8]) -> io::Result<()> {
        if self.len < code.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "code larger than block",
            ));
        }
        self.protect(libc::PROT_READ | libc::PROT_WRITE)?;
        // SAFETY: the block is a writable mapping of `len >= code.len()` bytes, not running
        // and not overlapping `code`.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.ptr, code.len()) };
        self.protect(libc::PROT_READ | libc::PROT_EXEC)
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

/// `/proc/self/mem`, opened for writing once (`None` inside when it cannot be). An open
/// `/proc/self/mem` keeps naming the address space of the process that opened it, so a
/// child of `fork` (told by [`FORKED`]) opens its own.
static PROC_MEM: Mutex<Option<Option<File>>> = Mutex::new(None);
static FORKED: AtomicBool = AtomicBool::new(false);
static AT_FORK: Once = Once::new();
/// The fork handler is registered.
static FORK_WATCHED: AtomicBool = AtomicBool::new(false);

extern "C" fn after_fork_in_child() {
    FORKED.store(true, Ordering::SeqCst);
}

/// Writes `code` at `ptr` through `/proc/self/mem`; false when that is not possible (then
/// nothing or part of it was written).
fn proc_mem_write(ptr: *mut u8, code: &[u8]) -> bool {
    AT_FORK.call_once(|| {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe as a
        // fork child handler must be.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        FORK_WATCHED.store(rc == 0, Ordering::SeqCst);
    });
    // Without the handler a child could write into its parent: never use the file then.
    if !FORK_WATCHED.load(Ordering::SeqCst) {
        return false;
    }
    let Ok(mut file) = PROC_MEM.lock() else {
        return false;
    };
    if FORKED.swap(false, Ordering::SeqCst) {
        *file = None;
    }
    let file = file.get_or_insert_with(|| {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/proc/self/mem")
            .ok()
    });
    let Some(f) = file.as_ref() else {
        return false;
    };
    // The kernel writes the bytes through its own mapping of the pages (FOLL_FORCE, as for
    // a debugger), so they stay read+execute in this process.
    if f.write_all_at(code, ptr as u64).is_ok() {
        return true;
    }
    // Forced writes are refused here (`proc_mem.force_override`, a security module): the
    // file is not tried again.
    *file = None;
    false
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
    /// Takes read+execute pages (pooled or fresh) and writes `code` into them (see the
    /// module documentation).
    pub fn new(code: &[u8]) -> io::Result<ExecMem> {
        let page = page_size();
        let len = code.len().max(1).div_ceil(page) * page;
        let block = Block::take(len)?;
        if let Err(e) = block.write(code) {
            // Its protection is unknown now: unmapped, not pooled.
            block.unmap();
            return Err(e);
        }
        Ok(ExecMem {
            ptr: block.ptr,
            len,
            code_len: code.len(),
        })
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
    fn a_forked_child_writes_its_own_pages() {
        // An open /proc/self/mem names the address space that opened it: after a fork the
        // child must not write into its parent's copy of the pages.
        let block = Block::take(page_size()).unwrap();
        block.write(&[0xb8, 1, 0, 0, 0, 0xc3]).unwrap();
        // SAFETY: the block holds a complete function with the C ABI that takes nothing and
        // returns in eax, and stays mapped until `unmap` below (in both processes).
        let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(block.ptr) };
        // Held across the fork so that no other test thread holds it then: the child's
        // copy is released by the child's only thread.
        let guard = PROC_MEM.lock().unwrap();
        // SAFETY: the child only writes and runs the block, then leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            drop(guard);
            let ok = block.write(&[0xb8, 2, 0, 0, 0, 0xc3]).is_ok() && f() == 2;
            // SAFETY: ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        drop(guard);
        assert!(pid > 0, "fork failed");
        let mut status = 0;
        // SAFETY: waits for the child this test forked.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        assert_eq!(f(), 1, "the child wrote into the parent's pages");
        block.unmap();
    }

    /// The permissions `/proc/self/maps` gives the mapping holding `addr`.
    fn protection(addr: usize) -> Option<String> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        maps.lines().find_map(|l| {
            let (range, rest) = l.split_once(' ')?;
            let (lo, hi) = range.split_once('-')?;
            let (lo, hi) = (
                usize::from_str_radix(lo, 16).ok()?,
                usize::from_str_radix(hi, 16).ok()?,
            );
            (lo <= addr && addr < hi).then(|| rest.split(' ').next().unwrap_or("").to_string())
        })
    }

    #[test]
    fn both_ways_of_writing_leave_runnable_code() {
        let page = page_size();
        for (value, through_proc_mem) in [(7u8, true), (9, false)] {
            let block = Block::take(page).unwrap();
            let code = [0xb8, value, 0, 0, 0, 0xc3];
            if through_proc_mem {
                block.write(&code).unwrap();
            } else {
                block.write_toggling(&code).unwrap();
            }
            // SAFETY: the block holds a complete function with the C ABI that takes
            // nothing and returns in eax, and stays mapped until `unmap` below.
            let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(block.ptr) };
            assert_eq!(f(), value as u32);
            assert_eq!(protection(block.ptr as usize).as_deref(), Some("r-xp"));
            block.unmap();
        }
    }
}
