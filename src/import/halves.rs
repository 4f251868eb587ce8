//! A load in two halves: records decoded on the reading thread and added to the graph on a
//! second one, in order.
//!
//! Decoding a large file (parsing, allocating what a node or edge keeps) is most of a load;
//! finding endpoints and growing the graph is the rest. On two cores they overlap. Batches
//! go through a bounded channel, so a fast reader holds only a few, and come back to be
//! filled again: a fresh batch every few thousand records was fresh pages to fault in.
//! Where no second thread can be started (a container's process limit), each batch is
//! added as it is sent, on the one thread: slower, never a failed load.

use std::cell::RefCell;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use super::Builder;

/// Batches in flight at most.
const IN_FLIGHT: usize = 4;

/// The reading half's end: a channel to the adding thread, or the adding itself.
pub(crate) trait Sink<B> {
    /// Sends the batch and leaves an empty one in its place: one the adding half is done
    /// with, else `fresh()`.
    fn send(&self, batch: &mut B, fresh: fn() -> B);
}

struct Channel<B> {
    tx: SyncSender<B>,
    spent: Receiver<B>,
}

impl<B> Sink<B> for Channel<B> {
    /// (A closed channel means the adding half panicked: its join says so.)
    fn send(&self, batch: &mut B, fresh: fn() -> B) {
        let next = self.spent.try_recv().unwrap_or_else(|_| fresh());
        let _ = self.tx.send(std::mem::replace(batch, next));
    }
}

/// Adding on the reading thread itself, each batch as it is sent (and so emptied).
struct Here<F>(RefCell<F>);

impl<B, F: FnMut(&mut B)> Sink<B> for Here<F> {
    fn send(&self, batch: &mut B, _: fn() -> B) {
        (self.0.borrow_mut())(batch);
    }
}

/// Runs `read` here and `add` on a second thread with the builder; `read` sends batches
/// through the sink it is given (its last one too), `add` takes each in turn and must leave
/// it empty. Returns what `read` returns, once every batch is added.
pub(crate) fn in_two_halves<B: Send, T>(
    builder: &mut Builder,
    read: impl FnOnce(&dyn Sink<B>) -> T,
    mut add: impl FnMut(&mut Builder, &mut B) + Send,
) -> T {
    let (tx, batches) = mpsc::sync_channel::<B>(IN_FLIGHT);
    let (back, spent) = mpsc::channel();
    // The reader comes back out of the scope when no thread could be started.
    let done = thread::scope(|s| {
        let adding = thread::Builder::new().spawn_scoped(s, || {
            for mut batch in batches {
                add(builder, &mut batch);
                let _ = back.send(batch); // the reader may be done
            }
        });
        let Ok(adding) = adding else {
            return Err(read);
        };
        let sink = Channel { tx, spent };
        let out = read(&sink);
        drop(sink); // the adding half stops after the last batch
        if let Err(panic) = adding.join() {
            std::panic::resume_unwind(panic);
        }
        Ok(out)
    });
    match done {
        Ok(out) => out,
        Err(read) => in_one(builder, read, add),
    }
}

/// [`in_two_halves`] on this thread alone: each batch added as it is sent.
fn in_one<B, T>(
    builder: &mut Builder,
    read: impl FnOnce(&dyn Sink<B>) -> T,
    mut add: impl FnMut(&mut Builder, &mut B),
) -> T {
    let sink = Here(RefCell::new(|batch: &mut B| add(builder, batch)));
    read(&sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches of numbers sent by the reader, added in order by either way.
    fn run(two: bool) -> (Vec<u32>, &'static str) {
        let mut builder = Builder::new(jiff::Timestamp::UNIX_EPOCH);
        let mut added = Vec::new();
        let read = |sink: &dyn Sink<Vec<u32>>| {
            let mut batch = Vec::new();
            for n in 0..1000 {
                batch.push(n);
                if batch.len() == 7 {
                    sink.send(&mut batch, Vec::new);
                }
            }
            sink.send(&mut batch, Vec::new);
            "read"
        };
        let add = |_: &mut Builder, batch: &mut Vec<u32>| added.append(batch);
        let out = if two {
            in_two_halves(&mut builder, read, add)
        } else {
            in_one(&mut builder, read, add)
        };
        (added, out)
    }

    #[test]
    fn both_ways_add_every_batch_in_order() {
        let expected: Vec<u32> = (0..1000).collect();
        assert_eq!(run(true), (expected.clone(), "read"));
        assert_eq!(run(false), (expected, "read"));
    }
}
