//! Unit tests of the Pub/Sub registry.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::*;

fn client(id: u64, resp: u8) -> Arc<ClientInfo> {
    let addr = SocketAddr::from(([127, 0, 0, 1], 1000 + id as u16));
    let info = Arc::new(ClientInfo::new(id, addr, addr));
    info.resp.store(resp, Ordering::Relaxed);
    info
}

fn drained(client: &ClientInfo) -> Vec<u8> {
    let mut out = Vec::new();
    client.push.take_into(&mut out, usize::MAX);
    out
}

#[test]
fn a_channel_and_a_matching_pattern_both_deliver() {
    let pubsub = PubSub::default();
    let (a, b) = (client(1, 2), client(2, 3));
    pubsub.channels.subscribe(Bytes::from_static(b"news"), &a);
    pubsub.patterns.subscribe(Bytes::from_static(b"n*"), &a);
    pubsub.channels.subscribe(Bytes::from_static(b"news"), &b);
    assert_eq!(pubsub.publish(b"news", b"hi"), 3);
    assert_eq!(
        drained(&a),
        b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
    );
    assert_eq!(drained(&b), b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n", "RESP3 gets a push");
    assert_eq!(pubsub.publish(b"other", b"x"), 0);
    pubsub.channels.unsubscribe(b"news", 1);
    pubsub.channels.unsubscribe(b"news", 2);
    pubsub.patterns.unsubscribe(b"n*", 1);
    assert!(pubsub.channels.is_empty() && pubsub.patterns.is_empty());
    assert_eq!(pubsub.publish(b"news", b"hi"), 0);
}

#[test]
fn shard_channels_are_apart_from_channels() {
    let pubsub = PubSub::default();
    let a = client(1, 2);
    pubsub.shard_channels.subscribe(Bytes::from_static(b"s"), &a);
    pubsub.patterns.subscribe(Bytes::from_static(b"*"), &a);
    assert_eq!(pubsub.spublish(b"s", b"m"), 1);
    assert_eq!(drained(&a), b"*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n");
    assert_eq!(pubsub.shard_channels.names(None), vec![Bytes::from_static(b"s")]);
    assert!(pubsub.channels.names(None).is_empty());
}

#[test]
fn a_subscriber_over_its_hard_limit_is_dropped_and_publishers_go_on() {
    let pubsub = PubSub::default();
    let config = Config { client_output_buffer_limit_pubsub: (1024, 0, 0), ..Default::default() };
    pubsub.configure(&config);
    let slow = client(1, 2);
    pubsub.channels.subscribe(Bytes::from_static(b"c"), &slow);
    let message = vec![b'x'; 100];
    for _ in 0..20 {
        pubsub.publish(b"c", &message);
    }
    assert!(slow.push.overflowed());
    assert_eq!(slow.push.queued(), 0, "its queue is freed at once");
}

#[test]
fn thousands_of_stars_match_in_bounded_time() {
    let pubsub = PubSub::default();
    let a = client(1, 2);
    let mut pattern = vec![b'*'; 5000];
    pattern.push(b'z');
    pubsub.patterns.subscribe(Bytes::from(pattern), &a);
    let mut channel = vec![b'a'; 5000];
    // The glob is iterative (pattern × channel steps at most), so this finishes at
    // once; an exponential matcher would not finish at all.
    for _ in 0..10 {
        assert_eq!(pubsub.publish(&channel, b"m"), 0);
    }
    channel.push(b'z');
    assert_eq!(pubsub.publish(&channel, b"m"), 1);
}

#[test]
fn a_batch_wakes_each_receiver_once_when_it_ends() {
    use std::future::Future;
    let client = client(7, 2);
    let limit = OutputLimit::default();
    let woken = || {
        // A permit is kept for a receiver that is not waiting: poll once.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut ready = std::pin::pin!(client.push.ready());
        ready.as_mut().poll(&mut cx).is_ready()
    };
    let owed_inside = super::coalesce_wakes(|| {
        assert!(deliver(&client, Bytes::from_static(b"a"), limit));
        assert!(deliver(&client, Bytes::from_static(b"b"), limit));
        woken()
    });
    assert!(!owed_inside, "no wake-up before the batch ends");
    assert!(woken(), "one wake-up when it ends");
    assert!(!woken(), "and only one");
    // Outside a batch the first frame wakes at once.
    assert_eq!(drained(&client), b"ab");
    assert!(deliver(&client, Bytes::from_static(b"c"), limit));
    assert!(woken());
}
