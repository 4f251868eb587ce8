//! A load in two halves: records decoded on the reading thread and added to the graph on a
//! second one, in order.
//!
//! Decoding a large file (parsing, allocating what a node or edge keeps) is most of a load;
//! finding endpoints and growing the graph is the rest. On two cores they overlap. Batches
//! go through a bounded channel, so a fast reader holds only a few, and come back to be
//! filled again: a fresh batch every few thousand records was fresh pages to fault in.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use super::Builder;

/// Batches in flight at most.
const IN_FLIGHT: usize = 4;

/// The reading half's end of the channel.
pub(crate) struct Sink<B> {
    tx: SyncSender<B>,
    spent: Receiver<B>,
}

impl<B> Sink<B> {
    /// Sends a batch and returns an empty one to fill: one the adding half is done with,
    /// else `fresh()`. (A closed channel means the adding half panicked: its join says so.)
    pub(crate) fn send(&self, batch: B, fresh: impl FnOnce() -> B) -> B {
        let next = self.spent.try_recv().unwrap_or_else(|_| fresh());
        let _ = self.tx.send(batch);
        next
    }
}

/// Runs `read` here and `add` on a second thread with the builder; `read` sends batches
/// through the sink it is given (its last one too), `add` takes each in turn and must leave
/// it empty. Returns what `read` returns, once every batch is added.
pub(crate) fn in_two_halves<B: Send, T>(
    builder: &mut Builder,
    read: impl FnOnce(&Sink<B>) -> T,
    mut add: impl FnMut(&mut Builder, &mut B) + Send,
) -> T {
    let (tx, batches) = mpsc::sync_channel(IN_FLIGHT);
    let (back, spent) = mpsc::channel();
    thread::scope(|s| {
        let adding = s.spawn(move || {
            for mut batch in batches {
                add(builder, &mut batch);
                let _ = back.send(batch); // the reader may be done
            }
        });
        let sink = Sink { tx, spent };
        let read = read(&sink);
        drop(sink); // the adding half stops after the last batch
        if let Err(panic) = adding.join() {
            std::panic::resume_unwind(panic);
        }
        read
    })
}
