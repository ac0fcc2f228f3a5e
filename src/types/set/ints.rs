//! [`Ints`]: Redis's intset — a set of integers as one sorted array, each element
//! as wide as the widest member needs (16, 32 or 64 bits), found by binary search.
//!
//! A set of small integers (ids, flags) costs two bytes a member. The array only
//! ever widens (as Redis's `intsetUpgradeAndAdd`), when a member needs more bits
//! than the current width holds.

/// The members, sorted, in the narrowest width that holds all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ints {
    /// Every member fits 16 bits.
    I16(Vec<i16>),
    /// Every member fits 32 bits.
    I32(Vec<i32>),
    /// Some member needs 64 bits.
    I64(Vec<i64>),
}

impl Default for Ints {
    fn default() -> Self {
        Ints::I16(Vec::new())
    }
}

/// Runs `$body` with `$v` bound to the array, whatever its width.
macro_rules! each_width {
    ($ints:expr, $v:ident => $body:expr) => {
        match $ints {
            Ints::I16($v) => $body,
            Ints::I32($v) => $body,
            Ints::I64($v) => $body,
        }
    };
}

/// The width class (0: 16 bits, 1: 32, 2: 64) that `value` needs.
fn width_of(value: i64) -> u8 {
    if i16::try_from(value).is_ok() {
        0
    } else if i32::try_from(value).is_ok() {
        1
    } else {
        2
    }
}

impl Ints {
    /// An empty set (no allocation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Members held.
    pub fn len(&self) -> usize {
        each_width!(self, v => v.len())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn width(&self) -> u8 {
        match self {
            Ints::I16(_) => 0,
            Ints::I32(_) => 1,
            Ints::I64(_) => 2,
        }
    }

    /// Where `value` is (`Ok`) or would go (`Err`); `Err(len or 0)` when it is out of
    /// the current width's range (it cannot be a member then).
    fn search(&self, value: i64) -> Result<usize, usize> {
        match self {
            Ints::I16(v) => match i16::try_from(value) {
                Ok(x) => v.binary_search(&x),
                Err(_) => Err(if value < 0 { 0 } else { v.len() }),
            },
            Ints::I32(v) => match i32::try_from(value) {
                Ok(x) => v.binary_search(&x),
                Err(_) => Err(if value < 0 { 0 } else { v.len() }),
            },
            Ints::I64(v) => v.binary_search(&value),
        }
    }

    /// Whether `value` is a member.
    pub fn contains(&self, value: i64) -> bool {
        self.search(value).is_ok()
    }

    /// Widens the array to width class `width` (never narrows).
    fn widen(&mut self, width: u8) {
        if width <= self.width() {
            return;
        }
        let all: Vec<i64> = self.iter().collect();
        *self = match width {
            1 => Ints::I32(all.into_iter().map(|x| x as i32).collect()),
            _ => Ints::I64(all),
        };
    }

    /// Adds `value`; false if it was a member already.
    pub fn insert(&mut self, value: i64) -> bool {
        self.widen(width_of(value));
        let Err(at) = self.search(value) else { return false };
        match self {
            Ints::I16(v) => v.insert(at, value as i16),
            Ints::I32(v) => v.insert(at, value as i32),
            Ints::I64(v) => v.insert(at, value),
        }
        true
    }

    /// Removes `value`; false if it was not a member.
    pub fn remove(&mut self, value: i64) -> bool {
        let Ok(at) = self.search(value) else { return false };
        each_width!(self, v => {
            v.remove(at);
        });
        true
    }

    /// The member at `index` (ascending order); panics past the end.
    pub fn at(&self, index: usize) -> i64 {
        match self {
            Ints::I16(v) => i64::from(v[index]),
            Ints::I32(v) => i64::from(v[index]),
            Ints::I64(v) => v[index],
        }
    }

    /// Removes and returns the member at `index`; panics past the end.
    pub fn remove_at(&mut self, index: usize) -> i64 {
        match self {
            Ints::I16(v) => i64::from(v.remove(index)),
            Ints::I32(v) => i64::from(v.remove(index)),
            Ints::I64(v) => v.remove(index),
        }
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + Clone + '_ {
        (0..self.len()).map(move |i| self.at(i))
    }

    /// The length of the longest member's decimal text (Redis's
    /// `intsetMaxEntryWidth`: the smallest or the largest member is the longest).
    pub fn max_text_len(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        let text_len = |x: i64| itoa::Buffer::new().format(x).len();
        text_len(self.at(0)).max(text_len(self.at(self.len() - 1)))
    }

    /// Heap bytes the array takes, jemalloc's size class included.
    pub fn heap_bytes(&self) -> usize {
        let bytes = match self {
            Ints::I16(v) => v.capacity() * 2,
            Ints::I32(v) => v.capacity() * 4,
            Ints::I64(v) => v.capacity() * 8,
        };
        super::super::allocation_size(bytes)
    }

    /// Gives back spare capacity (after a conversion or a bulk removal).
    pub fn shrink_to_fit(&mut self) {
        each_width!(self, v => v.shrink_to_fit());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_stay_sorted_and_the_array_widens_only_when_needed() {
        let mut ints = Ints::new();
        assert!(ints.insert(5) && ints.insert(-3) && !ints.insert(5));
        assert!(matches!(ints, Ints::I16(_)));
        assert!(ints.insert(70_000));
        assert!(matches!(ints, Ints::I32(_)));
        assert!(ints.insert(i64::MIN));
        assert!(matches!(ints, Ints::I64(_)));
        assert_eq!(ints.iter().collect::<Vec<_>>(), [i64::MIN, -3, 5, 70_000]);
        assert!(ints.remove(i64::MIN) && !ints.remove(i64::MIN));
        assert!(matches!(ints, Ints::I64(_)), "never narrows, as Redis's intset");
        assert!(!ints.contains(1) && ints.contains(70_000));
        assert_eq!(ints.max_text_len(), 5);
    }

    #[test]
    fn values_beyond_the_width_are_not_members() {
        let mut ints = Ints::new();
        ints.insert(1);
        assert!(!ints.contains(1 << 40) && !ints.contains(-(1 << 40)));
        assert!(!ints.remove(1 << 20));
        assert_eq!(ints.len(), 1);
    }
}
