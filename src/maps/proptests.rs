//! Property tests: random operation sequences on hash, array, LRU hash and LPM trie maps,
//! compared step by step with simple models of the documented semantics.

use std::collections::HashMap;

use proptest::prelude::*;

use super::arena::program;
use super::flags::*;
use super::tests::{def, k};
use super::*;

#[derive(Clone, Debug)]
enum Op {
    Update {
        key: u32,
        val: u8,
        flags: u64,
        user: bool,
    },
    Delete {
        key: u32,
    },
    Lookup {
        key: u32,
        user: bool,
    },
    NextKey {
        key: Option<u32>,
    },
}

fn ops(keys: u32, max_flags: u64) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => (0..keys, any::<u8>(), 0..max_flags, any::<bool>())
            .prop_map(|(key, val, flags, user)| Op::Update { key, val, flags, user }),
        2 => (0..keys).prop_map(|key| Op::Delete { key }),
        3 => (0..keys, any::<bool>()).prop_map(|(key, user)| Op::Lookup { key, user }),
        1 => proptest::option::of(0..keys).prop_map(|key| Op::NextKey { key }),
    ];
    proptest::collection::vec(op, 0..80)
}

/// Reads a value the way a program would, through its address.
fn program_value(m: &mut Map, key: u32) -> Option<Vec<u8>> {
    let addr = m.lookup(&k(key), 0)?;
    Some(program::read(&m.value_regions(), addr, 8))
}

/// The hash model: insertion-ordered keys and a capacity.
#[derive(Default)]
struct HashModel {
    order: Vec<u32>,
    vals: HashMap<u32, u8>,
}

impl HashModel {
    fn update(&mut self, key: u32, val: u8, flags: u64, cap: usize) -> Result<(), Errno> {
        if flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        let present = self.vals.contains_key(&key);
        if present && flags == BPF_NOEXIST {
            return Err(Errno::EEXIST);
        }
        if !present && flags == BPF_EXIST {
            return Err(Errno::ENOENT);
        }
        if !present && self.vals.len() == cap {
            return Err(Errno::E2BIG);
        }
        if !present {
            self.order.push(key);
        }
        self.vals.insert(key, val);
        Ok(())
    }

    fn delete(&mut self, key: u32) -> Result<(), Errno> {
        self.vals.remove(&key).ok_or(Errno::ENOENT)?;
        self.order.retain(|&k| k != key);
        Ok(())
    }

    fn next_key(&self, key: Option<u32>) -> Result<u32, Errno> {
        let pos = key.and_then(|k| self.order.iter().position(|&o| o == k));
        let next = match pos {
            Some(p) => self.order.get(p + 1),
            None => self.order.first(),
        };
        next.copied().ok_or(Errno::ENOENT)
    }
}

/// The LRU model: keys from least to most recently used.
#[derive(Default)]
struct LruModel {
    recency: Vec<(u32, u8)>,
}

impl LruModel {
    fn pos(&self, key: u32) -> Option<usize> {
        self.recency.iter().position(|(k, _)| *k == key)
    }

    fn update(&mut self, key: u32, val: u8, flags: u64, cap: usize) -> Result<(), Errno> {
        if flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        // A node is taken first: when none is free the least recently used element goes.
        if self.recency.len() == cap {
            self.recency.remove(0);
        }
        let present = self.pos(key);
        if present.is_some() && flags == BPF_NOEXIST {
            return Err(Errno::EEXIST);
        }
        if present.is_none() && flags == BPF_EXIST {
            return Err(Errno::ENOENT);
        }
        if let Some(p) = present {
            self.recency.remove(p);
        }
        self.recency.push((key, val));
        Ok(())
    }

    fn touch(&mut self, key: u32) -> Option<u8> {
        let p = self.pos(key)?;
        let e = self.recency.remove(p);
        self.recency.push(e);
        Some(e.1)
    }
}

proptest! {
    #[test]
    fn hash_matches_model(ops in ops(10, 4)) {
        const CAP: usize = 6;
        let mut m = Map::new(&def("h", MapType::Hash, 4, 8, CAP as u32, 0), 2).expect("create");
        let mut model = HashModel::default();
        for op in ops {
            match op {
                Op::Update { key, val, flags, user } => {
                    let got = if user {
                        m.update_user(&k(key), &[val; 8], flags)
                    } else {
                        m.update(&k(key), &[val; 8], flags, 1)
                    };
                    prop_assert_eq!(got, model.update(key, val, flags, CAP));
                }
                Op::Delete { key } => {
                    prop_assert_eq!(m.delete_user(&k(key)), model.delete(key));
                }
                Op::Lookup { key, user } => {
                    let want = model.vals.get(&key).map(|v| vec![*v; 8]);
                    if user {
                        prop_assert_eq!(m.lookup_user(&k(key)).ok(), want);
                    } else {
                        prop_assert_eq!(program_value(&mut m, key), want);
                    }
                }
                Op::NextKey { key } => {
                    let key = key.map(k);
                    let want = model.next_key(key.as_deref().and_then(super::value::key_index));
                    prop_assert_eq!(m.get_next_key(key.as_deref()), want.map(k));
                }
            }
            prop_assert_eq!(m.len(), model.vals.len());
        }
        let keys: Vec<Vec<u8>> = model.order.iter().map(|&x| k(x)).collect();
        prop_assert_eq!(m.keys(), keys);
    }

    #[test]
    fn array_matches_model(ops in ops(7, 9)) {
        const N: u32 = 5;
        let mut m = Map::new(&def("a", MapType::Array, 4, 8, N, 0), 2).expect("create");
        let mut model = [0u8; N as usize];
        for op in ops {
            match op {
                Op::Update { key, val, flags, user } => {
                    // The syscall refuses BPF_F_LOCK without a spin lock before the map does.
                    let want = if (flags & !BPF_F_LOCK) > BPF_EXIST || user && flags & BPF_F_LOCK != 0 {
                        Err(Errno::EINVAL)
                    } else if key >= N {
                        Err(Errno::E2BIG)
                    } else if flags & BPF_NOEXIST != 0 {
                        Err(Errno::EEXIST)
                    } else if flags & BPF_F_LOCK != 0 {
                        Err(Errno::EINVAL)
                    } else {
                        model[key as usize] = val;
                        Ok(())
                    };
                    let got = if user {
                        m.update_user(&k(key), &[val; 8], flags)
                    } else {
                        m.update(&k(key), &[val; 8], flags, 0)
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Delete { key } => {
                    prop_assert_eq!(m.delete_user(&k(key)), Err(Errno::EINVAL));
                }
                Op::Lookup { key, user } => {
                    let want = model.get(key as usize).map(|v| vec![*v; 8]);
                    if user {
                        prop_assert_eq!(m.lookup_user(&k(key)).ok(), want);
                    } else {
                        prop_assert_eq!(program_value(&mut m, key), want);
                    }
                }
                Op::NextKey { key } => {
                    let want = match key {
                        Some(x) if x + 1 == N => Err(Errno::ENOENT),
                        Some(x) if x < N => Ok(k(x + 1)),
                        _ => Ok(k(0)),
                    };
                    prop_assert_eq!(m.get_next_key(key.map(k).as_deref()), want);
                }
            }
        }
    }

    #[test]
    fn lru_matches_model(ops in ops(8, 4)) {
        const CAP: usize = 4;
        let mut m = Map::new(&def("l", MapType::LruHash, 4, 8, CAP as u32, 0), 2).expect("create");
        let mut model = LruModel::default();
        for op in ops {
            match op {
                Op::Update { key, val, flags, user } => {
                    let got = if user {
                        m.update_user(&k(key), &[val; 8], flags)
                    } else {
                        m.update(&k(key), &[val; 8], flags, 0)
                    };
                    prop_assert_eq!(got, model.update(key, val, flags, CAP));
                }
                Op::Delete { key } => {
                    let want = match model.pos(key) {
                        Some(p) => {
                            model.recency.remove(p);
                            Ok(())
                        }
                        None => Err(Errno::ENOENT),
                    };
                    prop_assert_eq!(m.delete_user(&k(key)), want);
                }
                Op::Lookup { key, user } => {
                    if user {
                        let want = model.pos(key).map(|p| vec![model.recency[p].1; 8]);
                        prop_assert_eq!(m.lookup_user(&k(key)).ok(), want);
                    } else {
                        let want = model.touch(key).map(|v| vec![v; 8]);
                        prop_assert_eq!(program_value(&mut m, key), want);
                    }
                }
                Op::NextKey { .. } => {}
            }
            prop_assert_eq!(m.len(), model.recency.len());
        }
    }
}

/// The LPM model: exact prefixes with their stored key bytes, longest match by scanning.
#[derive(Default)]
struct LpmModel {
    entries: Vec<(u32, [u8; 2], u8)>,
}

fn prefix_eq(plen: u32, a: [u8; 2], b: [u8; 2]) -> bool {
    let mask = if plen == 0 {
        0
    } else {
        u16::MAX << (16 - plen)
    };
    (u16::from_be_bytes(a) & mask) == (u16::from_be_bytes(b) & mask)
}

impl LpmModel {
    fn exact(&self, plen: u32, data: [u8; 2]) -> Option<usize> {
        self.entries
            .iter()
            .position(|(p, d, _)| *p == plen && prefix_eq(plen, *d, data))
    }

    fn lookup(&self, plen: u32, data: [u8; 2]) -> Option<u8> {
        if plen > 16 {
            return None;
        }
        self.entries
            .iter()
            .filter(|(p, d, _)| *p <= plen && prefix_eq(*p, *d, data))
            .max_by_key(|(p, _, _)| *p)
            .map(|(_, _, v)| *v)
    }
}

fn lpm_key(plen: u32, data: [u8; 2]) -> Vec<u8> {
    [plen.to_ne_bytes().to_vec(), data.to_vec()].concat()
}

#[derive(Clone, Debug)]
enum LpmOp {
    Update(u32, [u8; 2], u8, u64),
    Delete(u32, [u8; 2]),
    Lookup(u32, [u8; 2]),
}

fn lpm_ops() -> impl Strategy<Value = Vec<LpmOp>> {
    // Few distinct data values so that prefixes nest and collide.
    let data = prop_oneof![
        Just([0u8, 0]),
        Just([0x80, 0]),
        Just([0xc0, 0xa8]),
        Just([0xc0, 0xff]),
        any::<[u8; 2]>()
    ];
    let plen = prop_oneof![0..=16u32, Just(17u32)];
    let op = prop_oneof![
        4 => (plen.clone(), data.clone(), any::<u8>(), 0..4u64)
            .prop_map(|(p, d, v, f)| LpmOp::Update(p, d, v, f)),
        2 => (plen.clone(), data.clone()).prop_map(|(p, d)| LpmOp::Delete(p, d)),
        3 => (plen, data).prop_map(|(p, d)| LpmOp::Lookup(p, d)),
    ];
    proptest::collection::vec(op, 0..80)
}

proptest! {
    #[test]
    fn lpm_trie_matches_model(ops in lpm_ops()) {
        const CAP: usize = 8;
        let d = def("t", MapType::LpmTrie, 6, 1, CAP as u32, BPF_F_NO_PREALLOC);
        let mut m = Map::new(&d, 2).expect("create");
        let mut model = LpmModel::default();
        for op in ops {
            match op {
                LpmOp::Update(plen, data, val, flags) => {
                    let want = if flags > BPF_EXIST || plen > 16 {
                        Err(Errno::EINVAL)
                    } else {
                        match model.exact(plen, data) {
                            Some(_) if flags == BPF_NOEXIST => Err(Errno::EEXIST),
                            Some(i) => {
                                model.entries[i] = (plen, data, val);
                                Ok(())
                            }
                            None if flags == BPF_EXIST => Err(Errno::ENOENT),
                            None if model.entries.len() == CAP => Err(Errno::ENOSPC),
                            None => {
                                model.entries.push((plen, data, val));
                                Ok(())
                            }
                        }
                    };
                    prop_assert_eq!(m.update(&lpm_key(plen, data), &[val], flags, 0), want);
                }
                LpmOp::Delete(plen, data) => {
                    let want = if plen > 16 {
                        Err(Errno::EINVAL)
                    } else if let Some(i) = model.exact(plen, data) {
                        model.entries.remove(i);
                        Ok(())
                    } else {
                        Err(Errno::ENOENT)
                    };
                    prop_assert_eq!(m.delete_user(&lpm_key(plen, data)), want);
                }
                LpmOp::Lookup(plen, data) => {
                    let want = model.lookup(plen, data).map(|v| vec![v]);
                    prop_assert_eq!(m.lookup_user(&lpm_key(plen, data)).ok(), want.clone());
                    let got = m
                        .lookup(&lpm_key(plen, data), 0)
                        .map(|a| program::read(&m.value_regions(), a, 1));
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(m.len(), model.entries.len());
        }
        // The walk visits every prefix once, more specific ones before their ancestors.
        let walk = m.keys();
        let mut want: Vec<Vec<u8>> =
            model.entries.iter().map(|(p, d, _)| lpm_key(*p, *d)).collect();
        let mut got = walk.clone();
        want.sort();
        got.sort();
        prop_assert_eq!(got, want);
        let parse = |key: &Vec<u8>| {
            let plen = u32::from_ne_bytes([key[0], key[1], key[2], key[3]]);
            (plen, [key[4], key[5]])
        };
        for (i, a) in walk.iter().enumerate() {
            for b in &walk[i + 1..] {
                let ((pa, da), (pb, db)) = (parse(a), parse(b));
                prop_assert!(!(pa < pb && prefix_eq(pa, da, db)), "ancestor {a:?} before {b:?}");
            }
        }
    }
}
