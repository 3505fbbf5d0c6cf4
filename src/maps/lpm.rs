//! `BPF_MAP_TYPE_LPM_TRIE`: longest-prefix match over keys `{ u32 prefixlen; u8 data[] }`,
//! built as the kernel's `lpm_trie.c` builds it — a binary trie of real and intermediate nodes —
//! so that lookups, exact updates/deletes and the post-order `get_next_key` walk (more specific
//! prefixes before less specific ones) agree with the kernel. As there, key bits past the
//! prefix length are stored as given and do not take part in matching. Values live in arena
//! slots (`max_entries` plus one spare so that replacing a prefix of a full trie can take a new
//! slot before freeing the old one, as the kernel allocates a new node).

use super::arena::{Arena, ValueRegion};
use super::errno::Errno;
use super::flags::{BPF_EXIST, BPF_NOEXIST};
use super::pool::SlotPool;
use super::value::round8;

#[derive(Clone, Debug)]
struct Node {
    prefixlen: u32,
    data: Vec<u8>,
    /// Intermediate node (no value; always two children).
    im: bool,
    child: [Option<usize>; 2],
    /// Value slot of a real node.
    slot: Option<usize>,
}

/// Where a node hangs: the root pointer or a child pointer of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Root,
    Child(usize, usize),
}

#[derive(Debug)]
pub(crate) struct LpmTrie {
    key_size: usize,
    value_size: usize,
    elem: usize,
    max_entries: usize,
    max_prefixlen: u32,
    arena: Arena,
    free_slots: SlotPool,
    nodes: Vec<Option<Node>>,
    free_nodes: Vec<usize>,
    root: Option<usize>,
    n_entries: usize,
}

fn extract_bit(data: &[u8], index: u32) -> usize {
    let byte = data.get(index as usize / 8).copied().unwrap_or(0);
    usize::from((byte >> (7 - (index % 8))) & 1)
}

impl LpmTrie {
    pub(crate) fn new(key_size: u32, value_size: u32, max_entries: u32) -> Result<Self, Errno> {
        let max_entries = max_entries as usize;
        let elem = round8(value_size as usize);
        let nslots = max_entries.checked_add(1).ok_or(Errno::ENOMEM)?;
        let bytes = nslots.checked_mul(elem).ok_or(Errno::ENOMEM)?;
        Ok(LpmTrie {
            key_size: key_size as usize,
            value_size: value_size as usize,
            elem,
            max_entries,
            max_prefixlen: (key_size - 4) * 8,
            arena: Arena::new(bytes)?,
            free_slots: SlotPool::new(0, nslots),
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            root: None,
            n_entries: 0,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.n_entries
    }

    /// Splits a key into its prefix length and data.
    fn parse<'k>(&self, key: &'k [u8]) -> Result<(u32, &'k [u8]), Errno> {
        if key.len() != self.key_size {
            return Err(Errno::EINVAL);
        }
        let (p, data) = key.split_at(4);
        let plen = u32::from_ne_bytes(p.try_into().map_err(|_| Errno::EINVAL)?);
        Ok((plen, data))
    }

    fn node(&self, i: usize) -> &Node {
        match self.nodes.get(i) {
            Some(Some(n)) => n,
            _ => panic!("lpm: dangling node {i}"),
        }
    }

    fn node_mut(&mut self, i: usize) -> &mut Node {
        match self.nodes.get_mut(i) {
            Some(Some(n)) => n,
            _ => panic!("lpm: dangling node {i}"),
        }
    }

    fn get(&self, link: Link) -> Option<usize> {
        match link {
            Link::Root => self.root,
            Link::Child(n, b) => self.node(n).child[b],
        }
    }

    fn set(&mut self, link: Link, to: Option<usize>) {
        match link {
            Link::Root => self.root = to,
            Link::Child(n, b) => self.node_mut(n).child[b] = to,
        }
    }

    fn alloc_node(&mut self, node: Node) -> usize {
        match self.free_nodes.pop() {
            Some(i) => {
                self.nodes[i] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        }
    }

    fn free_node(&mut self, i: usize) {
        if let Some(n) = self.nodes.get_mut(i).and_then(Option::take) {
            if let Some(s) = n.slot {
                self.free_slots.push(s);
            }
            self.free_nodes.push(i);
        }
    }

    /// The number of leading bits `node` and the key share, up to the shorter prefix.
    fn longest_prefix_match(&self, node: usize, plen: u32, data: &[u8]) -> u32 {
        let n = self.node(node);
        let limit = n.prefixlen.min(plen);
        let mut matched = 0;
        for (a, b) in n.data.iter().zip(data) {
            if matched >= limit {
                break;
            }
            let diff = a ^ b;
            if diff != 0 {
                matched += diff.leading_zeros();
                break;
            }
            matched += 8;
        }
        matched.min(limit)
    }

    /// The value address of the longest prefix matching the key.
    pub(crate) fn lookup(&self, key: &[u8]) -> Option<u64> {
        let slot = self.lookup_node(key)?.slot?;
        Some(self.arena.addr() + (slot * self.elem) as u64)
    }

    fn lookup_node(&self, key: &[u8]) -> Option<&Node> {
        let (plen, data) = self.parse(key).ok()?;
        if plen > self.max_prefixlen {
            return None;
        }
        let mut found = None;
        let mut cur = self.root;
        while let Some(i) = cur {
            let matchlen = self.longest_prefix_match(i, plen, data);
            let n = self.node(i);
            if matchlen == self.max_prefixlen {
                found = Some(n);
                break;
            }
            if matchlen < n.prefixlen {
                break;
            }
            if !n.im {
                found = Some(n);
            }
            cur = n.child[extract_bit(data, n.prefixlen)];
        }
        found
    }

    /// `BPF_MAP_LOOKUP_ELEM`: the value of the longest matching prefix.
    pub(crate) fn lookup_user(&self, key: &[u8]) -> Result<Vec<u8>, Errno> {
        let slot = self
            .lookup_node(key)
            .and_then(|n| n.slot)
            .ok_or(Errno::ENOENT)?;
        Ok(self.arena.to_vec(slot * self.elem, self.value_size))
    }

    /// `trie_check_add_elem()`.
    fn check_add(&mut self, flags: u64) -> Result<(), Errno> {
        if flags == BPF_EXIST {
            return Err(Errno::ENOENT);
        }
        if self.n_entries == self.max_entries {
            return Err(Errno::ENOSPC);
        }
        self.n_entries += 1;
        Ok(())
    }

    fn new_leaf(&mut self, plen: u32, data: &[u8], value: &[u8]) -> Result<usize, Errno> {
        let slot = self.free_slots.pop().ok_or(Errno::ENOMEM)?;
        self.arena.fill(slot * self.elem, self.elem, 0);
        self.arena.write(slot * self.elem, value);
        Ok(self.alloc_node(Node {
            prefixlen: plen,
            data: data.to_vec(),
            im: false,
            child: [None, None],
            slot: Some(slot),
        }))
    }

    /// `trie_update_elem()`: inserts or replaces the exact prefix.
    pub(crate) fn update(&mut self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        let (plen, data) = self.parse(key)?;
        if plen > self.max_prefixlen || value.len() != self.value_size {
            return Err(Errno::EINVAL);
        }
        let mut link = Link::Root;
        let mut matchlen = 0;
        while let Some(i) = self.get(link) {
            matchlen = self.longest_prefix_match(i, plen, data);
            let n = self.node(i);
            if n.prefixlen != matchlen || n.prefixlen == plen || n.prefixlen == self.max_prefixlen {
                break;
            }
            link = Link::Child(i, extract_bit(data, n.prefixlen));
        }
        let Some(node) = self.get(link) else {
            self.check_add(flags)?;
            let new = self.new_leaf(plen, data, value)?;
            self.set(link, Some(new));
            return Ok(());
        };
        let (node_plen, node_im, node_child) = {
            let n = self.node(node);
            (n.prefixlen, n.im, n.child)
        };
        if node_plen == matchlen {
            if !node_im {
                if flags == BPF_NOEXIST {
                    return Err(Errno::EEXIST);
                }
            } else {
                self.check_add(flags)?;
            }
            let new = self.new_leaf(plen, data, value)?;
            self.node_mut(new).child = node_child;
            self.set(link, Some(new));
            self.free_node(node);
            return Ok(());
        }
        self.check_add(flags)?;
        let new = self.new_leaf(plen, data, value)?;
        if matchlen == plen {
            let bit = extract_bit(&self.node(node).data, matchlen);
            self.node_mut(new).child[bit] = Some(node);
            self.set(link, Some(new));
            return Ok(());
        }
        let child = if extract_bit(data, matchlen) == 1 {
            [Some(node), Some(new)]
        } else {
            [Some(new), Some(node)]
        };
        let im = self.alloc_node(Node {
            prefixlen: matchlen,
            data: self.node(node).data.clone(),
            im: true,
            child,
            slot: None,
        });
        self.set(link, Some(im));
        Ok(())
    }

    /// `trie_delete_elem()`: removes the exact prefix.
    pub(crate) fn delete(&mut self, key: &[u8]) -> Result<(), Errno> {
        let (plen, data) = self.parse(key)?;
        if plen > self.max_prefixlen {
            return Err(Errno::EINVAL);
        }
        let mut trim = Link::Root;
        let mut trim2 = Link::Root;
        let mut parent = None;
        let mut matchlen = 0;
        while let Some(i) = self.get(trim) {
            matchlen = self.longest_prefix_match(i, plen, data);
            let n = self.node(i);
            if n.prefixlen != matchlen || n.prefixlen == plen {
                break;
            }
            parent = Some(i);
            trim2 = trim;
            trim = Link::Child(i, extract_bit(data, n.prefixlen));
        }
        let node = match self.get(trim) {
            Some(i) => {
                let n = self.node(i);
                if n.prefixlen != plen || n.prefixlen != matchlen || n.im {
                    return Err(Errno::ENOENT);
                }
                i
            }
            None => return Err(Errno::ENOENT),
        };
        self.n_entries -= 1;
        let child = self.node(node).child;
        if child[0].is_some() && child[1].is_some() {
            let n = self.node_mut(node);
            n.im = true;
            if let Some(s) = n.slot.take() {
                self.free_slots.push(s);
            }
            return Ok(());
        }
        if let Some(p) = parent
            && self.node(p).im
            && child == [None, None]
        {
            let pc = self.node(p).child;
            let other = if pc[0] == Some(node) { pc[1] } else { pc[0] };
            self.set(trim2, other);
            self.free_node(p);
            self.free_node(node);
            return Ok(());
        }
        self.set(trim, child[0].or(child[1]));
        self.free_node(node);
        Ok(())
    }

    /// The first node in post-order under `root`, skipping intermediate nodes.
    fn leftmost(&self, root: usize) -> Option<usize> {
        let mut next = None;
        let mut cur = Some(root);
        while let Some(i) = cur {
            let n = self.node(i);
            if n.im {
                cur = n.child[0];
            } else {
                next = Some(i);
                cur = n.child[0].or(n.child[1]);
            }
        }
        next
    }

    fn key_of(&self, i: usize) -> Vec<u8> {
        let n = self.node(i);
        let mut k = n.prefixlen.to_ne_bytes().to_vec();
        k.extend_from_slice(&n.data);
        k
    }

    /// `trie_get_next_key()`: post-order; a missing or invalid key restarts at the first.
    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, Errno> {
        let root = self.root.ok_or(Errno::ENOENT)?;
        let parsed = match key {
            Some(k) => Some(self.parse(k)?),
            None => None,
        };
        let first = || {
            self.leftmost(root)
                .map(|i| self.key_of(i))
                .ok_or(Errno::ENOENT)
        };
        let Some((plen, data)) = parsed.filter(|(p, _)| *p <= self.max_prefixlen) else {
            return first();
        };
        let mut stack = Vec::new();
        let mut cur = Some(root);
        let mut matchlen = 0;
        while let Some(i) = cur {
            stack.push(i);
            matchlen = self.longest_prefix_match(i, plen, data);
            let n = self.node(i);
            if n.prefixlen != matchlen || n.prefixlen == plen {
                break;
            }
            cur = n.child[extract_bit(data, n.prefixlen)];
        }
        let exact = cur.is_some_and(|i| {
            let n = self.node(i);
            n.prefixlen == matchlen && n.prefixlen == plen && !n.im
        });
        if !exact {
            return first();
        }
        let mut node = stack.pop().ok_or(Errno::ENOENT)?;
        while let Some(&parent) = stack.last() {
            let p = self.node(parent);
            if p.child[0] == Some(node)
                && let Some(right) = p.child[1]
            {
                return self
                    .leftmost(right)
                    .map(|i| self.key_of(i))
                    .ok_or(Errno::ENOENT);
            }
            if !p.im {
                return Ok(self.key_of(parent));
            }
            node = parent;
            stack.pop();
        }
        Err(Errno::ENOENT)
    }

    pub(crate) fn regions(&self, writable: bool) -> Vec<ValueRegion> {
        vec![ValueRegion {
            start: self.arena.addr(),
            len: self.arena.len() as u64,
            stride: self.elem as u64,
            elem_size: self.value_size as u64,
            writable,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::flags::BPF_ANY;

    fn k4(plen: u32, ip: [u8; 4]) -> Vec<u8> {
        let mut k = plen.to_ne_bytes().to_vec();
        k.extend_from_slice(&ip);
        k
    }

    fn v(n: u32) -> [u8; 4] {
        n.to_ne_bytes()
    }

    fn get(t: &LpmTrie, key: &[u8]) -> Option<u32> {
        let b = t.lookup_user(key).ok()?;
        Some(u32::from_ne_bytes(b.try_into().ok()?))
    }

    fn walk(t: &LpmTrie) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut key = None;
        while let Ok(next) = t.get_next_key(key.as_deref()) {
            out.push(next.clone());
            key = Some(next);
        }
        out
    }

    #[test]
    fn ipv4_longest_prefix() {
        let mut t = LpmTrie::new(8, 4, 16).expect("trie");
        t.update(&k4(0, [0; 4]), &v(0), BPF_ANY).expect("default");
        t.update(&k4(8, [10, 0, 0, 0]), &v(8), BPF_ANY).expect("/8");
        t.update(&k4(16, [10, 1, 0, 0]), &v(16), BPF_ANY)
            .expect("/16");
        t.update(&k4(24, [10, 1, 2, 0]), &v(24), BPF_ANY)
            .expect("/24");
        t.update(&k4(32, [10, 1, 2, 3]), &v(32), BPF_ANY)
            .expect("/32");
        assert_eq!(get(&t, &k4(32, [10, 1, 2, 3])), Some(32));
        assert_eq!(get(&t, &k4(32, [10, 1, 2, 4])), Some(24));
        assert_eq!(get(&t, &k4(32, [10, 1, 9, 9])), Some(16));
        assert_eq!(get(&t, &k4(32, [10, 9, 9, 9])), Some(8));
        assert_eq!(get(&t, &k4(32, [192, 168, 0, 1])), Some(0));
        // The key's own prefix length limits the match.
        assert_eq!(get(&t, &k4(16, [10, 1, 2, 3])), Some(16));
        assert_eq!(t.lookup(&k4(33, [10, 1, 2, 3])), None);
        assert_eq!(t.len(), 5);
        // Deleting exact prefixes only.
        assert_eq!(t.delete(&k4(17, [10, 1, 0, 0])), Err(Errno::ENOENT));
        assert_eq!(t.delete(&k4(40, [10, 1, 0, 0])), Err(Errno::EINVAL));
        t.delete(&k4(24, [10, 1, 2, 0])).expect("delete /24");
        assert_eq!(get(&t, &k4(32, [10, 1, 2, 4])), Some(16));
        t.delete(&k4(0, [0; 4])).expect("delete default");
        assert_eq!(get(&t, &k4(32, [192, 168, 0, 1])), None);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn ipv6_keys() {
        let key = |plen: u32, words: [u16; 8]| {
            let mut k = plen.to_ne_bytes().to_vec();
            for w in words {
                k.extend_from_slice(&w.to_be_bytes());
            }
            k
        };
        let mut t = LpmTrie::new(20, 4, 8).expect("trie");
        t.update(&key(32, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), &v(32), BPF_ANY)
            .expect("/32");
        t.update(&key(64, [0x2001, 0xdb8, 1, 2, 0, 0, 0, 0]), &v(64), BPF_ANY)
            .expect("/64");
        t.update(
            &key(128, [0x2001, 0xdb8, 1, 2, 0, 0, 0, 1]),
            &v(128),
            BPF_ANY,
        )
        .expect("/128");
        assert_eq!(
            get(&t, &key(128, [0x2001, 0xdb8, 1, 2, 0, 0, 0, 1])),
            Some(128)
        );
        assert_eq!(
            get(&t, &key(128, [0x2001, 0xdb8, 1, 2, 9, 0, 0, 1])),
            Some(64)
        );
        assert_eq!(
            get(&t, &key(128, [0x2001, 0xdb8, 7, 2, 9, 0, 0, 1])),
            Some(32)
        );
        assert_eq!(get(&t, &key(128, [0x2001, 0xdb9, 0, 0, 0, 0, 0, 0])), None);
    }

    /// Confirmed on the 6.18 kernel with a 3-entry trie: ENOSPC when full, replacing an exact
    /// prefix still works (storing the new key bytes), EXIST/NOEXIST as below, prefixlen 33 and
    /// flag 4 are EINVAL, and the walk is post-order.
    #[test]
    fn flags_full_and_walk_match_the_kernel() {
        let mut t = LpmTrie::new(8, 4, 3).expect("trie");
        t.update(&k4(16, [192, 168, 0, 0]), &v(16), BPF_ANY)
            .expect("ok");
        t.update(&k4(24, [192, 168, 1, 0]), &v(24), BPF_ANY)
            .expect("ok");
        t.update(&k4(0, [0; 4]), &v(0), BPF_ANY).expect("ok");
        assert_eq!(
            t.update(&k4(8, [10, 0, 0, 0]), &v(8), BPF_ANY),
            Err(Errno::ENOSPC)
        );
        t.update(&k4(16, [192, 168, 9, 9]), &v(99), BPF_ANY)
            .expect("replace when full");
        assert_eq!(
            t.update(&k4(8, [10, 0, 0, 0]), &v(8), BPF_EXIST),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            t.update(&k4(16, [192, 168, 0, 0]), &v(1), BPF_NOEXIST),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            t.update(&k4(33, [1; 4]), &v(1), BPF_ANY),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            t.update(&k4(16, [192, 168, 0, 0]), &v(1), 4),
            Err(Errno::EINVAL)
        );
        assert_eq!(get(&t, &k4(16, [192, 168, 1, 7])), Some(99));
        assert_eq!(
            walk(&t),
            vec![
                k4(24, [192, 168, 1, 0]),
                k4(16, [192, 168, 9, 9]),
                k4(0, [0; 4])
            ]
        );
        // Deleting with other bits past the prefix still finds the prefix (as the kernel).
        t.delete(&k4(16, [192, 168, 77, 77])).expect("delete");
        assert_eq!(
            t.get_next_key(Some(&k4(8, [1, 0, 0, 0]))),
            Ok(k4(24, [192, 168, 1, 0]))
        );
        assert_eq!(t.get_next_key(Some(&k4(0, [0; 4]))), Err(Errno::ENOENT));
    }

    #[test]
    fn post_order_with_intermediate_nodes() {
        // The example of the kernel's lpm_trie.c comment.
        let mut t = LpmTrie::new(8, 4, 8).expect("trie");
        for (p, ip) in [
            (16, [192, 168, 0, 0]),
            (24, [192, 168, 0, 0]),
            (24, [192, 168, 1, 0]),
            (24, [192, 168, 128, 0]),
        ] {
            t.update(&k4(p, ip), &v(p), BPF_ANY).expect("insert");
        }
        assert_eq!(
            walk(&t),
            vec![
                k4(24, [192, 168, 0, 0]),
                k4(24, [192, 168, 1, 0]),
                k4(24, [192, 168, 128, 0]),
                k4(16, [192, 168, 0, 0]),
            ]
        );
        // Deleting a node with two children leaves an intermediate node behind.
        t.delete(&k4(16, [192, 168, 0, 0])).expect("delete");
        assert_eq!(get(&t, &k4(32, [192, 168, 1, 1])), Some(24));
        assert_eq!(get(&t, &k4(32, [192, 168, 64, 1])), None);
        assert_eq!(walk(&t).len(), 3);
        for (p, ip) in [
            (24, [192, 168, 0, 0]),
            (24, [192, 168, 1, 0]),
            (24, [192, 168, 128, 0]),
        ] {
            t.delete(&k4(p, ip)).expect("delete");
        }
        assert_eq!(t.len(), 0);
        assert_eq!(t.get_next_key(None), Err(Errno::ENOENT));
        assert_eq!(t.root, None);
    }
}
