//! Fuzz target: the HyperLogLog decoder. Arbitrary bytes (behind a valid `HYLL`
//! header half the time, so the opcodes get exercised) through every reader and
//! writer of `ferrum_kv::types::hyperloglog` — the check, the count, the merge,
//! the conversion to dense, and adds (which may edit or promote a sparse value).
//! A corrupt value must be an error; any panic, or a sparse value left longer than
//! its limit allows, is a bug.
#![no_main]

use ferrum_kv::types::hyperloglog as hll;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut value = if mode & 1 == 1 {
        let mut v = b"HYLL".to_vec();
        v.push(mode >> 7);
        v.extend_from_slice(&[0; 11]);
        v.extend_from_slice(rest);
        v
    } else {
        rest.to_vec()
    };
    if hll::check(&value).is_err() {
        return;
    }
    let _ = hll::cached(&value);
    let _ = hll::count(&value);
    let mut max = Box::new([0u8; hll::REGISTERS]);
    let _ = hll::merge_into(&mut max, &value);
    let _ = hll::count_registers(&max);
    let sparse_max = 3000;
    for element in rest.chunks(7).take(64) {
        let before = value.len();
        if hll::add(&mut value, element, sparse_max).is_err() {
            break;
        }
        let dense = hll::encoding(&value) == hll::Encoding::Dense;
        assert!(dense || value.len() <= before.max(sparse_max), "a sparse value past its limit");
        assert!(hll::check(&value).is_ok(), "an edit broke the header");
    }
    let _ = hll::to_dense(&mut value);
    let _ = hll::count(&value);
});
