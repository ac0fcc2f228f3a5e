//! Criterion benches for the engine: `get`, `set` and `incr` on one thread and on two
//! threads sharing one database.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrum_kv::engine::Keyspace;

const KEYS: usize = 100_000;

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
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
    let mut group = c.benchmark_group("engine 1 thread");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("get", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            db.read(&keys[i], 0, |e| e.map(|e| e.value().len()))
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
            i = (i + 7919) % 1000;
            db.incr_by(format!("counter:{i}").as_bytes(), 1, 0, &[]).ok()
        })
    });
    group.finish();
}

/// Runs `op` on two threads, `per_thread` times each.
fn two_threads(db: &Arc<Keyspace>, per_thread: u64, op: fn(&Keyspace, usize)) {
    std::thread::scope(|scope| {
        for t in 0..2 {
            let db = db.clone();
            scope.spawn(move || {
                for n in 0..per_thread as usize {
                    op(&db, (n * 7919 + t * 104_729) % KEYS);
                }
            });
        }
    });
}

fn two_thread(c: &mut Criterion) {
    let db = Arc::new(filled());
    let mut group = c.benchmark_group("engine 2 threads");
    const PER_THREAD: u64 = 10_000;
    group.throughput(Throughput::Elements(2 * PER_THREAD));
    group.bench_function("get", |b| {
        b.iter(|| {
            two_threads(&db, PER_THREAD, |db, i| {
                std::hint::black_box(db.read(&key(i), 0, |e| e.is_some()));
            })
        })
    });
    group.bench_function("set", |b| {
        b.iter(|| {
            two_threads(&db, PER_THREAD, |db, i| {
                db.write(&key(i), 0, |s| s.set(b"x", None));
            })
        })
    });
    group.bench_function("incr (one hot key)", |b| {
        b.iter(|| {
            two_threads(&db, PER_THREAD, |db, _| {
                let _ = std::hint::black_box(db.incr_by(b"hot", 1, 0, &[]));
            })
        })
    });
    group.finish();
}

criterion_group!(benches, single_thread, two_thread);
criterion_main!(benches);
