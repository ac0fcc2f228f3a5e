//! Redis's partial quicksort (`pqsort.c`, after NetBSD's `qsort`): sorts only as
//! much of a slice as it takes for the elements of ranks `lrange..=rrange` to be
//! in place. `SORT … LIMIT` with a `BY` pattern and `GEOSEARCH … COUNT` use it;
//! ported step for step because the order it leaves equal elements in is part of
//! those replies.

use std::cmp::Ordering;

/// The median of three by `cmp`, as `med3` picks it.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with those from `b` (`vecswap`; they do not
/// overlap).
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Sorts `v` enough that ranks `lrange..=rrange` hold what a full sort puts there,
/// exactly as Redis's `pqsort` leaves them.
pub fn pqsort<T>(v: &mut [T], lrange: usize, rrange: usize, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let len = v.len();
    sort_part(v, 0, len, lrange, rrange, &mut cmp);
}

/// The `n` elements from `base` (indexes stay absolute, as the C's pointers).
fn sort_part<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    lrange: usize,
    rrange: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    let outside =
        |start: usize, end: usize| (lrange < start && rrange < start) || (lrange >= end && rrange >= end);
    loop {
        let a = base;
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        // `pc`, `pd` may step below `a + 1` (to `a`), never below `a`.
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let order = cmp(&v[pb], &v[a]);
                if order == Ordering::Greater {
                    break;
                }
                if order == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let order = cmp(&v[pc], &v[a]);
                if order == Ordering::Less {
                    break;
                }
                if order == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && !outside(a, a + r) {
            sort_part(v, a, r, lrange, rrange, cmp);
        }
        let r = pd - pc;
        if r > 1 {
            base = pn - r;
            n = r;
            if !outside(base, base + n) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::pqsort;

    #[test]
    fn the_asked_ranks_come_out_sorted() {
        let mut seed = 7u64;
        for len in [0usize, 1, 5, 7, 8, 41, 200] {
            for (l, r) in [
                (0, 0),
                (0, len.saturating_sub(1)),
                (len / 3, len / 2),
                (len.saturating_sub(1), len.saturating_sub(1)),
            ] {
                let mut v: Vec<u64> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        (seed >> 33) % 50
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort();
                pqsort(&mut v, l, r, |a, b| a.cmp(b));
                if len > 0 {
                    assert_eq!(v[l..=r], sorted[l..=r], "len {len} range {l}..={r}");
                }
            }
        }
    }
}
