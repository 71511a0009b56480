//! Merkle roots over a period of events, with inclusion proofs.
//!
//! The tree is built as in RFC 6962 (Certificate Transparency): leaves and
//! inner nodes are hashed with different prefixes, and a tree of `n` leaves
//! splits at the largest power of two below `n`. A root published for a
//! period lets anyone check that a given event was part of it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::event::{Event, Hash};

fn leaf(data: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data.0);
    Hash(h.finalize().into())
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The Merkle root of the given leaves (the hash of nothing for none).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash(Sha256::digest([]).into()),
        1 => leaf(&leaves[0]),
        n => {
            let k = split(n);
            node(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Proof that one leaf is in a tree: the sibling hashes from the leaf up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub index: usize,
    pub tree_size: usize,
    pub path: Vec<Hash>,
}

/// The inclusion proof for leaf `index`, or `None` if there is no such leaf.
pub fn prove(leaves: &[Hash], index: usize) -> Option<InclusionProof> {
    if index >= leaves.len() {
        return None;
    }
    fn walk(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
        if leaves.len() <= 1 {
            return;
        }
        let k = split(leaves.len());
        if index < k {
            walk(&leaves[..k], index, path);
            path.push(root(&leaves[k..]));
        } else {
            walk(&leaves[k..], index - k, path);
            path.push(root(&leaves[..k]));
        }
    }
    let mut path = Vec::new();
    walk(leaves, index, &mut path);
    Some(InclusionProof {
        index,
        tree_size: leaves.len(),
        path,
    })
}

/// Checks that `data` is leaf `proof.index` of the tree with root `root`.
pub fn verify_inclusion(root_hash: &Hash, data: &Hash, proof: &InclusionProof) -> bool {
    // Recompute the split points top-down, then fold the path bottom-up.
    let (mut index, mut size) = (proof.index, proof.tree_size);
    if index >= size {
        return false;
    }
    let mut sides = Vec::new(); // true: the sibling is on the right
    while size > 1 {
        let k = split(size);
        if index < k {
            sides.push(true);
            size = k;
        } else {
            sides.push(false);
            index -= k;
            size -= k;
        }
    }
    if sides.len() != proof.path.len() {
        return false;
    }
    let mut acc = leaf(data);
    for (sibling, right) in proof.path.iter().zip(sides.iter().rev()) {
        acc = if *right {
            node(&acc, sibling)
        } else {
            node(sibling, &acc)
        };
    }
    acc == *root_hash
}

/// The leaves for the period `[from_ms, to_ms)`: the hashes of the events in
/// it, ordered by event id (UUIDv7, so by time), whatever order they arrived in.
pub fn period_leaves(events: &[Event], from_ms: i64, to_ms: i64) -> Vec<Hash> {
    let mut picked: Vec<&Event> = events
        .iter()
        .filter(|e| e.at_ms >= from_ms && e.at_ms < to_ms)
        .collect();
    picked.sort_by_key(|e| e.id);
    picked.dedup_by_key(|e| e.id);
    picked.iter().map(|e| e.hash).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| Hash(Sha256::digest(i.to_le_bytes()).into()))
            .collect()
    }

    #[test]
    fn root_matches_hand_computed_tree() {
        let l = leaves(3);
        let expected = node(&node(&leaf(&l[0]), &leaf(&l[1])), &leaf(&l[2]));
        assert_eq!(root(&l), expected);
    }

    #[test]
    fn proofs_fail_for_wrong_leaf_index_or_root() {
        let l = leaves(7);
        let r = root(&l);
        let p = prove(&l, 3).expect("proof");
        assert!(verify_inclusion(&r, &l[3], &p));
        assert!(!verify_inclusion(&r, &l[4], &p));
        let mut moved = p.clone();
        moved.index = 2;
        assert!(!verify_inclusion(&r, &l[3], &moved));
        assert!(!verify_inclusion(&root(&l[..6]), &l[3], &p));
        assert!(prove(&l, 7).is_none());
    }

    proptest! {
        #[test]
        fn every_leaf_has_a_valid_proof(n in 1usize..70) {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = prove(&l, i).expect("proof");
                prop_assert!(verify_inclusion(&r, &l[i], &p));
            }
        }

        #[test]
        fn changing_any_leaf_changes_the_root(n in 1usize..40, i in any::<prop::sample::Index>()) {
            let mut l = leaves(n);
            let before = root(&l);
            l[i.index(n)].0[31] ^= 0x80;
            prop_assert_ne!(root(&l), before);
        }
    }
}
