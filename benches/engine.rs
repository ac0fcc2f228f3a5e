//! Criterion benches for the engine: `get`, `set` and `incr` on one thread and on two
//! threads sharing one database (100,000 keys of 16 bytes with 16-byte values). Keys
//! are built before measuring, so no allocation or formatting is timed.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrum_kv::engine::Keyspace;

const KEYS: usize = 100_000;
/// Distinct counters for `incr`.
const COUNTERS: usize = 1000;

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

fn counters() -> Vec<Vec<u8>> {
    (0..COUNTERS).map(|i| format!("counter:{i:04}").into_bytes()).collect()
}

fn filled() -> Keyspace {
    let db = Keyspace::new();
    for i in 0..KEYS {
        db.write(&key(i), 0, |slot| slot.set(b"0123456789abcdef", None));
    }
    db
}

fn single_thread(c: &mut Criterion) {
    let db = filled();
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let counters = counters();
    let mut group = c.benchmark_group("engine 1 thread");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("get", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            db.read(&keys[i], 0, |e| e.map(|e| e.string().map_or(0, <[u8]>::len)))
        })
    });
    group.bench_function("set", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            db.write(&keys[i], 0, |slot| slot.set(b"fedcba9876543210", None))
        })
    });
    group.bench_function("incr", |b| {
        b.iter(|| {
            i = (i + 7919) % COUNTERS;
            db.incr_by(&counters[i], 1, 0, &[]).ok()
        })
    });
    group.finish();
}

/// Ops per thread per iteration: enough that spawning and joining the two threads
/// (measured on its own as "engine 2 threads overhead") is a small share of the time.
const PER_THREAD: usize = 50_000;

/// Runs `op` on two scoped threads, `PER_THREAD` times each, thread `t` visiting
/// `keys` in its own stride.
fn two_threads(db: &Keyspace, keys: &[Vec<u8>], op: fn(&Keyspace, &[u8])) {
    std::thread::scope(|scope| {
        for t in 0..2 {
            scope.spawn(move || {
                for n in 0..PER_THREAD {
                    op(db, &keys[(n * 7919 + t * 104_729) % keys.len()]);
                }
            });
        }
    });
}

fn two_thread(c: &mut Criterion) {
    let db = filled();
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let counters = counters();
    let hot = vec![b"hot".to_vec()];
    let mut group = c.benchmark_group("engine 2 threads");
    group.throughput(Throughput::Elements(2 * PER_THREAD as u64));
    group.bench_function("get", |b| {
        b.iter(|| {
            two_threads(&db, &keys, |db, key| {
                std::hint::black_box(db.read(key, 0, |e| e.map(|e| e.string().map_or(0, <[u8]>::len))));
            })
        })
    });
    group.bench_function("set", |b| {
        b.iter(|| two_threads(&db, &keys, |db, key| db.write(key, 0, |s| s.set(b"fedcba9876543210", None))))
    });
    group.bench_function("incr (1000 counters)", |b| {
        b.iter(|| {
            two_threads(&db, &counters, |db, key| {
                let _ = std::hint::black_box(db.incr_by(key, 1, 0, &[]));
            })
        })
    });
    group.bench_function("incr (one hot key)", |b| {
        b.iter(|| {
            two_threads(&db, &hot, |db, key| {
                let _ = std::hint::black_box(db.incr_by(key, 1, 0, &[]));
            })
        })
    });
    group.finish();
    // What every two-thread iteration pays besides its ops.
    let mut group = c.benchmark_group("engine 2 threads overhead");
    group.bench_function("spawn and join only", |b| b.iter(|| two_threads(&db, &hot, |_, _| {})));
    group.finish();
}

criterion_group!(benches, single_thread, two_thread);
criterion_main!(benches);
