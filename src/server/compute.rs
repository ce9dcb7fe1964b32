//! The threads that run public-key operations ([`Weight::Compute`](crate::api::Weight)): one
//! per core, taking jobs from one queue. A job's caller awaits its result, so the thread that
//! serves connections goes on serving them meanwhile.
//!
//! Why not tokio's blocking pool: it starts a thread for every job that finds none idle (64
//! connections signing at once make 64 threads taking turns on two cores), and bounding it
//! with a semaphore makes the connection thread hand out each permit. Here a thread that
//! finishes a job takes the next one itself. Measured on the 2-core machine under 64
//! connections of Sign with P-256, in ratios to the ceiling's Encrypt throughput: 0.41 with
//! the unbounded blocking pool, 0.57 with it bounded to two threads (the whole runtime's
//! blocking pool, which would also hold up key generation), 0.46 to four; this pool, one
//! thread per core, 0.46–0.55 in the compare runs (see BENCHMARKS.md, issue 20).

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The pool. Dropping it lets its threads finish the queued jobs and exit.
#[derive(Debug)]
pub(super) struct ComputePool {
    queue: Arc<Queue>,
}

#[derive(Default)]
struct Queue {
    jobs: Mutex<Jobs>,
    /// Signalled when a job is queued or the pool closes.
    ready: Condvar,
}

#[derive(Default)]
struct Jobs {
    waiting: VecDeque<Job>,
    closed: bool,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").finish_non_exhaustive()
    }
}

impl ComputePool {
    /// A pool of `threads` threads (at least one), named `kmsd-compute`.
    pub(super) fn new(threads: usize) -> ComputePool {
        let queue = Arc::new(Queue::default());
        for _ in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name("kmsd-compute".into())
                .spawn(move || queue.work());
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a compute thread");
            }
        }
        ComputePool { queue }
    }

    /// One thread per core.
    pub(super) fn per_core() -> ComputePool {
        ComputePool::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `job` on a pool thread and returns what it returns; `None` if it panicked (or no
    /// pool thread could be started).
    pub(super) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = oneshot::channel();
        {
            let mut jobs = self.queue.lock();
            jobs.waiting.push_back(Box::new(move || {
                let _ = done.send(job());
            }));
        }
        self.queue.ready.notify_one();
        result.await.ok()
    }
}

impl Drop for ComputePool {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.ready.notify_all();
    }
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pool thread: runs jobs until the pool is closed and the queue is empty.
    fn work(&self) {
        loop {
            let job = {
                let mut jobs = self.lock();
                loop {
                    if let Some(job) = jobs.waiting.pop_front() {
                        break job;
                    }
                    if jobs.closed {
                        return;
                    }
                    jobs = self
                        .ready
                        .wait(jobs)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            // A job that panics drops its sender: its caller gets `None`, the thread goes on.
            if catch_unwind(AssertUnwindSafe(job)).is_err() {
                tracing::error!("a compute job panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_the_pool_threads_and_return_their_results() {
        let pool = ComputePool::new(2);
        let caller = std::thread::current().id();
        for n in 0..8_u32 {
            let (value, thread, name) = pool
                .run(move || {
                    let me = std::thread::current();
                    (n * 2, me.id(), me.name().map(str::to_owned))
                })
                .await
                .expect("the job ran");
            assert_eq!(value, n * 2);
            assert_ne!(thread, caller);
            assert_eq!(name.as_deref(), Some("kmsd-compute"));
        }
    }

    #[tokio::test]
    async fn a_panicking_job_answers_none_and_the_pool_goes_on() {
        let pool = ComputePool::new(1);
        let panicked = pool.run(|| -> u32 { panic!("on purpose") }).await;
        assert_eq!(panicked, None);
        assert_eq!(pool.run(|| 7).await, Some(7));
    }

    #[test]
    fn dropping_the_pool_stops_its_threads() {
        let pool = ComputePool::new(3);
        let queue = Arc::downgrade(&pool.queue);
        drop(pool);
        // Each thread holds the queue until it returns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while queue.strong_count() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "threads still running"
            );
            std::thread::yield_now();
        }
    }
}
