//! Where connections run: tokio's work-stealing runtime, or one single-threaded
//! runtime per I/O thread with connections dealt out round-robin.
//!
//! Why both: a work-stealing pool moves tasks between threads and wakes idle
//! workers to steal, which on a small machine shows up as context switches and
//! cross-core cache traffic on every request. With one current-thread runtime per
//! thread, a connection lives on one thread from accept to close; nothing is
//! stolen and nobody is woken but the thread that owns the socket. The price is no
//! rebalancing: a thread with busier clients stays busier. `benches/redis-benchmark.md`
//! has the measurements behind the default.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::net::TcpStream;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

use crate::config::IoRuntime;

/// The threads that run connections.
pub enum Workers {
    /// Connections are spawned on the current (multi-thread) runtime.
    Shared,
    /// Connections are handed to these single-threaded runtimes in turn.
    PerThread(PerThreadWorkers),
}

/// A set of current-thread runtimes, each driven by its own thread until dropped.
pub struct PerThreadWorkers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `threads` I/O threads of the given kind (none for work stealing: the
    /// caller's runtime is the pool).
    pub fn start(kind: IoRuntime, threads: usize) -> std::io::Result<Workers> {
        if kind == IoRuntime::WorkStealing {
            return Ok(Workers::Shared);
        }
        let mut workers = PerThreadWorkers {
            handles: Vec::new(),
            next: AtomicUsize::new(0),
            stops: Vec::new(),
            threads: Vec::new(),
        };
        for index in 0..threads.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let (stop, stopped) = oneshot::channel::<()>();
            workers.handles.push(runtime.handle().clone());
            workers.stops.push(stop);
            let thread = std::thread::Builder::new().name(format!("ferrum-io-{index}")).spawn(move || {
                // The runtime runs its spawned connections while this waits.
                let _ = runtime.block_on(stopped);
            })?;
            workers.threads.push(thread);
        }
        Ok(Workers::PerThread(workers))
    }

    /// Runs `serve` for a freshly accepted `stream` on the next thread, or on the
    /// shared pool. On a thread of its own the socket is moved to that thread's
    /// reactor first, so its readiness events never pass through the acceptor;
    /// `serve` gets the error if that move fails.
    pub fn spawn_connection<F, Fut>(&self, stream: TcpStream, serve: F)
    where
        F: FnOnce(std::io::Result<TcpStream>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        match self {
            Workers::Shared => {
                tokio::spawn(serve(Ok(stream)));
            }
            Workers::PerThread(workers) => {
                let turn = workers.next.fetch_add(1, Ordering::Relaxed) % workers.handles.len();
                let moved = stream.into_std();
                workers.handles[turn].spawn(async move {
                    serve(moved.and_then(TcpStream::from_std)).await;
                });
            }
        }
    }
}

impl Drop for PerThreadWorkers {
    /// Stops every I/O thread and waits for it (their connections are already gone:
    /// the listener drains them before the workers are dropped).
    fn drop(&mut self) {
        self.stops.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
