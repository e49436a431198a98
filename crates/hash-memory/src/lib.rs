//! Working memory for argon2id, on transparent huge pages where the kernel offers them.
//!
//! A hash with the service's parameters fills 19 MiB and reads it back in a data-dependent
//! order. On 4 KiB pages that is about 4,900 pages, so nearly every block it reads misses the
//! TLB, and the page walks' entries compete for cache with whatever else runs on the core. On
//! 2 MiB pages the whole buffer takes ten TLB entries. Measured with log-ins while PostgreSQL,
//! Redis and the load generator share the two cores: 0.90-0.91 of raw argon2id on 4 KiB pages,
//! 0.97-0.98 on huge pages (the raw ceiling on the same memory as the service).
//!
//! The buffer is asked for (`madvise(MADV_HUGEPAGE)`), not reserved: where transparent huge
//! pages are off, or none is free, the kernel backs it with small pages and hashing works the
//! same, only slower.

use argon2::Block;

/// A buffer's capacity, in blocks (1 KiB each): above glibc's largest dynamic mmap threshold
/// (32 MiB), so the buffer always gets a mapping of its own that `free` unmaps. A 19 MiB buffer
/// would, once freed, raise that threshold and come back from a per-thread arena that never
/// shrinks (hundreds of MB after a few bursts). Only the blocks a hash uses are ever touched,
/// so the resident cost stays the hash's own size, rounded up to a huge page.
const CAPACITY_BLOCKS: usize = 33 * 1024;

/// The small page size `madvise` wants its range aligned to (x86-64 and most arm64 kernels;
/// elsewhere the call fails harmlessly and the buffer stays on small pages).
const PAGE: usize = 4096;

/// One hashing thread's memory, reused from hash to hash.
#[derive(Debug, Default)]
pub struct HashMemory {
    blocks: Vec<Block>,
}

impl HashMemory {
    /// The first `count` blocks, allocated (and advised onto huge pages) on first use and grown
    /// only for parameters larger than any seen so far.
    pub fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.len() < count {
            if self.blocks.capacity() < CAPACITY_BLOCKS.max(count) {
                self.blocks = Vec::with_capacity(CAPACITY_BLOCKS.max(count));
                // Before the first touch: pages faulted in afterwards come as huge pages.
                advise_huge_pages(&mut self.blocks);
            }
            self.blocks.resize(count, Block::new());
        }
        &mut self.blocks[..count]
    }

    /// Gives the memory back to the operating system.
    pub fn release(&mut self) {
        self.blocks = Vec::new();
    }

    /// Whether memory is held.
    pub fn is_held(&self) -> bool {
        self.blocks.capacity() > 0
    }
}

/// Asks the kernel to back `buffer`'s whole allocation with transparent huge pages. Failure
/// (no THP in the kernel, an unaligned page size) leaves the buffer on small pages: the advice
/// is an optimisation, never a condition.
fn advise_huge_pages(buffer: &mut Vec<Block>) {
    let start = buffer.as_mut_ptr() as usize;
    let end = start + buffer.capacity() * std::mem::size_of::<Block>();
    // Whole pages inside the allocation only: the allocator's header before `start` stays
    // untouched.
    let (first, last) = (start.next_multiple_of(PAGE), end / PAGE * PAGE);
    if last <= first {
        return;
    }
    // SAFETY: [first, last) lies inside `buffer`'s own allocation, which is alive and
    // exclusively borrowed for the call. MADV_HUGEPAGE changes only how the kernel backs the
    // range with physical pages, never its contents, its protection or whether it is mapped.
    #[allow(unsafe_code)]
    let _ = unsafe {
        libc::madvise(
            first as *mut libc::c_void,
            last - first,
            libc::MADV_HUGEPAGE,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_the_blocks_asked_for_and_keeps_them() {
        let mut memory = HashMemory::default();
        assert!(!memory.is_held());
        let first = memory.blocks(19 * 1024).as_ptr();
        assert_eq!(memory.blocks(19 * 1024).len(), 19 * 1024);
        assert_eq!(memory.blocks(8).len(), 8);
        assert_eq!(
            memory.blocks(19 * 1024).as_ptr(),
            first,
            "reused, not reallocated"
        );
        // Larger parameters than the capacity get a new buffer.
        assert_eq!(memory.blocks(40 * 1024).len(), 40 * 1024);
        memory.release();
        assert!(!memory.is_held());
    }

    #[test]
    fn hashes_on_this_memory_match_the_crates_own() {
        use argon2::{Argon2, Params};
        let mut memory = HashMemory::default();
        let argon2 = Argon2::default();
        let (mut ours, mut theirs) = ([0u8; 32], [0u8; 32]);
        argon2
            .hash_password_into_with_memory(
                b"password",
                b"0123456789abcdef",
                &mut ours,
                memory.blocks(Params::default().block_count()),
            )
            .expect("hash");
        argon2
            .hash_password_into(b"password", b"0123456789abcdef", &mut theirs)
            .expect("hash");
        assert_eq!(ours, theirs);
    }

    /// Where the kernel has transparent huge pages, the buffer's mapping carries the advice
    /// (`hg` in its VmFlags).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_buffer_is_advised_onto_huge_pages() {
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        if !thp.is_ok_and(|mode| !mode.contains("[never]")) {
            return;
        }
        let mut memory = HashMemory::default();
        let address = memory.blocks(19 * 1024)[1024].as_ref().as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let flags = vm_flags_of(&smaps, address).expect("the buffer's mapping");
        assert!(
            flags.split_whitespace().any(|f| f == "hg"),
            "VmFlags: {flags}"
        );
    }

    /// The VmFlags line of the mapping that holds `address`.
    fn vm_flags_of(smaps: &str, address: usize) -> Option<&str> {
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((from, to)) = range.split_once('-') {
                    if let (Ok(from), Ok(to)) = (
                        usize::from_str_radix(from, 16),
                        usize::from_str_radix(to, 16),
                    ) {
                        inside = (from..to).contains(&address);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return Some(flags);
                }
            }
        }
        None
    }
}
