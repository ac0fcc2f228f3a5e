//! Unit tests of the eviction policies, the ghosts, the sketch and AHE's rules.

use super::*;

#[test]
fn policy_names_round_trip() {
    for policy in POLICIES {
        assert_eq!(policy.name().parse::<Policy>(), Ok(policy));
    }
    assert!("allkeys-mru".parse::<Policy>().is_err());
}

#[test]
fn ghosts_remember_the_signal_once() {
    let ghosts = Ghosts::new();
    ghosts.remember(0xABCD_0000, Signal::Frequency);
    ghosts.remember(0x1234_0000, Signal::Recency);
    assert_eq!(ghosts.take(0x9999_0000), None);
    assert_eq!(ghosts.take(0xABCD_0000), Some(Signal::Frequency));
    assert_eq!(ghosts.take(0xABCD_0000), None);
    assert_eq!(ghosts.take(0x1234_0000), Some(Signal::Recency));
    ghosts.remember(0, Signal::Recency);
    assert_eq!(ghosts.take(0), Some(Signal::Recency));
}

#[test]
fn a_ghost_hit_counts_for_more_when_its_signal_left_fewer_ghosts() {
    let evictor = Evictor::default();
    evictor.set_policy(Policy::AllKeysAhe);
    // Frequency condemned 900 keys, recency 100 (counted, then two real ghosts:
    // many real ones would collide in the direct-mapped table now and then).
    evictor.condemned[0].store(99, Ordering::Relaxed);
    evictor.condemned[1].store(899, Ordering::Relaxed);
    evictor.remember(0, &0u32.to_be_bytes(), Signal::Frequency);
    evictor.remember(0, &950u32.to_be_bytes(), Signal::Recency);
    let before = evictor.alpha();
    evictor.on_miss(0, &0u32.to_be_bytes()); // a frequency ghost: towards recency, one step
    let after_frequency_hit = evictor.alpha();
    assert!((after_frequency_hit - before - ALPHA_STEP).abs() < 1e-9, "{before} -> {after_frequency_hit}");
    evictor.on_miss(0, &950u32.to_be_bytes()); // a recency ghost: towards frequency, ~9 steps
    let moved = after_frequency_hit - evictor.alpha();
    assert!((moved - ALPHA_STEP * 901.0 / 101.0).abs() < 1e-6, "moved {moved}");
    // A key that is not a ghost moves nothing.
    let settled = evictor.alpha();
    evictor.on_miss(0, b"never evicted");
    assert_eq!(evictor.alpha(), settled);
}

const AHE: Settings = Settings { maxmemory: 1, policy: Policy::AllKeysAhe, samples: 5 };

/// An engine holding `old` keys written before AHE was chosen (so none is on
/// probation), with alpha at pure recency: by score alone, the newest key would be
/// the last to go.
fn recency_ahe_with_old_keys(old: u32) -> KvEngine {
    let engine = KvEngine::new();
    for i in 0..old {
        engine.db(0).write(format!("old:{i}").as_bytes(), 0, |slot| slot.set(b"v", None));
    }
    engine.evictor.set_policy(Policy::AllKeysAhe);
    engine.evictor.alpha.store(0.98f64.to_bits(), Ordering::Relaxed);
    engine
}

#[test]
fn a_new_key_requested_once_is_evicted_first_and_leaves_no_ghost() {
    let engine = recency_ahe_with_old_keys(50);
    let db = engine.db(0);
    for i in 0..50u32 {
        for _ in 0..5 {
            db.read(format!("old:{i}").as_bytes(), 1_000, |_| ());
        }
    }
    // A cache-aside newcomer: a missed GET, then the SET, much later.
    db.read(b"once", 100_000, |_| ());
    db.write(b"once", 100_000, |slot| slot.set(b"v", None));
    let (victim, signal) = engine.evictor.choose(&engine, AHE, 100_500).unwrap();
    assert_eq!((&victim.key[..], victim.on_probation, signal), (&b"once"[..], true, None));
}

#[test]
fn a_new_key_requested_again_is_not_turned_away() {
    // Enough keys that every shard has some to sample.
    let engine = recency_ahe_with_old_keys(5_000);
    let db = engine.db(0);
    db.read(b"twice", 100_000, |_| ());
    db.write(b"twice", 100_000, |slot| slot.set(b"v", None));
    db.read(b"twice", 100_001, |_| ());
    let (victim, _) = engine.evictor.choose(&engine, AHE, 100_500).unwrap();
    assert_ne!(&victim.key[..], b"twice", "the most recent key, requested twice, went first");
}

#[test]
fn sketch_counts_and_halves() {
    let sketch = FrequencySketch::new();
    for _ in 0..10 {
        sketch.add(42);
    }
    assert!(sketch.estimate(42) >= 10);
    assert!(sketch.estimate(43) <= 1);
}
