//! The responder's work: the compromised set, the steps marked done and the notes. Every
//! change can be undone (`u`) and is saved at once, atomically, to the data directory, so
//! quitting, a crash or a recompute never loses it. Copies of commands go to the
//! terminal's clipboard and to a file beside the incident.

use std::path::PathBuf;

use super::app::{App, Mode, Prompt, Snapshot, Tab};
use super::incident::{self, Incident, Note};
use crate::report::clean;

/// Changes `u` can undo, newest last.
const UNDO_DEPTH: usize = 100;

/// The most text put on the clipboard with OSC 52: terminals cap the sequence (xterm,
/// tmux and others at a few hundred KiB), and a larger one would hang the screen while it
/// is written. The file in exports/ has the whole text whatever its size.
const CLIPBOARD_MAX: usize = 256 * 1024;

impl App<'_> {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            compromised: self.compromised.clone(),
            done: self.done_ids.clone(),
        }
    }

    fn remember(&mut self) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        let now = self.snapshot();
        self.undo.push(now);
    }

    pub(super) fn toggle_step(&mut self) {
        if self.tab != Tab::Plan || self.done.is_empty() {
            self.status = "space marks a step done in the Plan tab".into();
            return;
        }
        let Some(plan) = &self.plan else {
            return;
        };
        let i = self.step.min(self.done.len() - 1);
        let id = plan.steps[i].id.clone();
        self.remember();
        if !self.done_ids.remove(&id) {
            self.done_ids.insert(id);
        }
        self.apply_marks();
        self.changed();
    }

    /// Marks or unmarks the selection as compromised and recomputes everything; the
    /// steps marked done stay marked wherever the new plan has them.
    pub(super) fn toggle_compromised(&mut self) {
        let Some(node) = self.selection() else {
            return;
        };
        let key = clean(self.graph.key(node)).into_owned();
        let mut next = self.compromised.clone();
        if let Some(i) = next.iter().position(|&c| c == node) {
            if next.len() == 1 {
                self.status = "the compromised set cannot be empty: mark another node first".into();
                return;
            }
            next.remove(i);
            self.status = format!("{key} is no longer marked compromised");
        } else {
            next.push(node);
            self.status = format!("{key} marked compromised");
        }
        self.remember();
        self.compromised = next;
        self.step = 0;
        self.step_open = false;
        self.analyze();
        self.changed();
    }

    /// Undoes the last change to the steps done or the compromised set.
    pub(super) fn undo(&mut self) {
        let Some(before) = self.undo.pop() else {
            self.status = "nothing to undo".into();
            return;
        };
        let recompute = before.compromised != self.compromised;
        self.compromised = before.compromised;
        self.done_ids = before.done;
        if recompute {
            self.analyze();
            self.status = "undone: the compromised set is back as it was".into();
        } else {
            self.apply_marks();
            self.status = "undone: the steps marked done are back as they were".into();
        }
        self.changed();
    }

    /// Saves the incident after a change, under its name, or a name derived from the
    /// compromised set until the responder gives one.
    pub(super) fn changed(&mut self) {
        if self.data_dir.is_none() {
            return;
        }
        // Unnamed, the incident follows its set: marking another node compromised saves
        // under the new set's name, and the old set's file keeps the old set's work.
        let name = match &self.incident {
            Some(name) if self.named => name.clone(),
            _ => self.derived_name(),
        };
        if let Err(e) = self.write_incident(&name) {
            self.status = format!("NOT SAVED: {e}");
        }
    }

    fn derived_name(&self) -> String {
        incident::derived_name(&self.compromised_keys())
    }

    fn write_incident(&mut self, name: &str) -> std::io::Result<PathBuf> {
        let Some(dir) = self.data_dir.clone() else {
            return Err(std::io::Error::other("no data directory"));
        };
        let saved = Incident {
            schema: incident::SCHEMA.into(),
            name: name.to_string(),
            compromised: self
                .compromised_keys()
                .into_iter()
                .map(str::to_string)
                .collect(),
            done: self.done_ids.iter().cloned().collect(),
            notes: self.notes.clone(),
        };
        let path = incident::save(&dir, &saved)?;
        self.incident = Some(name.to_string());
        Ok(path)
    }

    /// Picks up the incident last saved for this compromised set, if there is one:
    /// starting `trustpath -c KEY` again resumes the work (steps done, notes).
    pub fn resume(&mut self) {
        let Some(dir) = &self.data_dir else {
            return;
        };
        if self.incident.is_some() || self.compromised.is_empty() {
            return;
        }
        if let Some(name) = incident::find_by_set(dir, &self.compromised_keys()) {
            self.open(&name);
            if self.incident.as_deref() == Some(&name) {
                self.status = format!(
                    "resumed incident {name}: {} steps done, {} notes (o opens another)",
                    self.done_ids.len(),
                    self.notes.len()
                );
            }
        }
    }

    pub(super) fn prompt(&mut self, p: Prompt) {
        if p != Prompt::Note && self.data_dir.is_none() {
            self.status = "no data directory: incidents cannot be saved or opened".into();
            return;
        }
        self.input.clear();
        if p == Prompt::Save
            && let Some(name) = &self.incident
        {
            self.status = format!(
                "saved as {name} after every change; a name here saves it under that name instead"
            );
        }
        if p == Prompt::Open
            && let Some(dir) = &self.data_dir
        {
            let names = incident::list(dir);
            self.status = if names.is_empty() {
                "no saved incidents yet".into()
            } else {
                format!("saved: {}", names.join(", "))
            };
        }
        self.mode = Mode::Prompt(p);
    }

    pub(super) fn submit(&mut self, p: Prompt, input: &str) {
        match p {
            Prompt::Note if !input.is_empty() => {
                self.notes.push(Note {
                    at: Some(wall_clock()),
                    text: input.to_string(),
                });
                self.changed();
                if self.status.is_empty() {
                    self.status = match &self.incident {
                        Some(name) => format!("note {} saved in incident {name}", self.notes.len()),
                        None => format!(
                            "note {} kept for this session (no data directory to save it in)",
                            self.notes.len()
                        ),
                    };
                }
            }
            Prompt::Note => {}
            Prompt::Save => self.save(input),
            Prompt::Open => self.open(input),
        }
    }

    /// Saves the incident (compromised set, steps done, notes) under `name`; later
    /// changes are saved under it too.
    pub fn save(&mut self, name: &str) {
        if !incident::valid_name(name) {
            self.status = format!(
                "`{}` is not a name: use letters, digits, `.`, `_` and `-`",
                clean(name)
            );
            return;
        }
        self.status = match self.write_incident(name) {
            Ok(path) => {
                self.named = true;
                format!("saved {}", path.display())
            }
            Err(e) => format!("cannot save: {e}"),
        };
    }

    /// Opens a saved incident: its compromised set, steps done and notes.
    pub fn open(&mut self, name: &str) {
        let Some(dir) = self.data_dir.clone() else {
            return;
        };
        let saved = match incident::load(&dir, name) {
            Ok(i) => i,
            Err(e) => {
                self.status = e;
                return;
            }
        };
        let mut compromised = Vec::new();
        for key in &saved.compromised {
            match self.graph.find(key) {
                Some(n) => compromised.push(n),
                None => {
                    self.status = format!(
                        "incident {name} names {}, which these inputs do not hold",
                        clean(key)
                    );
                    return;
                }
            }
        }
        if compromised.is_empty() {
            self.status = format!("incident {name} has no compromised node");
            return;
        }
        self.compromised = compromised;
        self.done_ids = saved.done.into_iter().collect();
        self.notes = saved.notes;
        self.incident = Some(name.to_string());
        // A file under its derived name is still unnamed: it follows its set.
        self.named = name != self.derived_name();
        self.undo.clear();
        self.picked.clear();
        if self.mode == Mode::Picker {
            self.mode = Mode::Normal;
            self.query.clear();
            self.filter();
        }
        self.status = format!("opened incident {name}");
        self.analyze();
    }

    /// `y`: the selected step's commands, to the clipboard and to a file.
    pub(super) fn copy_step(&mut self) {
        let Some(plan) = &self.plan else {
            self.status = "no plan yet".into();
            return;
        };
        let Some(step) = plan.steps.get(self.step) else {
            self.status = "the plan has no steps".into();
            return;
        };
        let text: String = step
            .playbook
            .commands
            .iter()
            .map(|c| format!("{}\n", clean(c)))
            .collect();
        let (rank, id) = (step.rank, clean(&step.id).into_owned());
        let file = self.write_export(&format!("step-{rank}.txt"), &text);
        self.status = match self.put_on_clipboard(text) {
            Ok(()) => format!("copied step {rank} ({id}){file}"),
            Err(why) => format!("step {rank}: {why}{file}"),
        };
    }

    /// `Y`: the whole plan as the Markdown checklist, to the clipboard and to a file.
    pub(super) fn copy_plan(&mut self) {
        let Some(plan) = &self.plan else {
            self.status = "no plan yet".into();
            return;
        };
        let mut md = Vec::new();
        let doc = crate::report::plan::PlanOut::new(self.graph, plan);
        if let Err(e) = crate::report::plan::write_markdown(&mut md, &doc) {
            self.status = format!("cannot write the plan: {e}");
            return;
        }
        let text = String::from_utf8_lossy(&md).into_owned();
        let file = self.write_export("plan.md", &text);
        self.status = match self.put_on_clipboard(text) {
            Ok(()) => format!("copied the plan as Markdown{file}"),
            Err(why) => format!("the plan: {why}{file}"),
        };
    }

    /// Hands `text` to the runner for the clipboard, unless it is too large for
    /// terminals to take in one escape sequence.
    fn put_on_clipboard(&mut self, text: String) -> Result<(), String> {
        if text.len() > CLIPBOARD_MAX {
            return Err(format!(
                "{} KiB is too large for the terminal's clipboard",
                text.len() / 1024
            ));
        }
        self.clipboard = Some(text);
        Ok(())
    }

    /// Writes `text` to `exports/INCIDENT-SUFFIX`, and says where for the status line.
    fn write_export(&mut self, suffix: &str, text: &str) -> String {
        let Some(dir) = &self.data_dir else {
            return String::new();
        };
        let stem = self.incident.clone().unwrap_or_else(|| self.derived_name());
        let path = dir.join("exports").join(format!("{stem}-{suffix}"));
        match incident::write_atomic(&path, text.as_bytes()) {
            Ok(()) => format!(" · also in {}", path.display()),
            Err(e) => format!(" · NOT written to {}: {e}", path.display()),
        }
    }

    /// Writes the current view as DOT: the blast radius with the plan's cuts marked.
    pub(super) fn export(&mut self) {
        let (Some(dir), Some(blast), Some(plan)) = (&self.data_dir, &self.blast, &self.plan) else {
            self.status = "nothing to export yet (or no data directory)".into();
            return;
        };
        let stem = self.incident.clone().unwrap_or_else(|| "view".into());
        let exports = dir.join("exports");
        let path = (1..)
            .map(|i| exports.join(format!("{stem}-{i}.dot")))
            .find(|p| !p.exists())
            .unwrap_or_else(|| exports.join(format!("{stem}.dot")));
        let mut dot = Vec::new();
        let marks = crate::report::dot::Marks::of_plan(plan);
        let opts = crate::report::dot::DotOptions {
            blast: Some(blast),
            blast_only: true,
            marks: Some(&marks),
        };
        let written = crate::report::dot::write_dot(&mut dot, self.graph, &opts)
            .and_then(|()| incident::write_atomic(&path, &dot));
        self.status = match written {
            Ok(()) => format!(
                "wrote {} (render: dot -Tsvg FILE > view.svg)",
                path.display()
            ),
            Err(e) => format!("cannot write {}: {e}", path.display()),
        };
    }
}

impl<'g> App<'g> {
    /// The stable keys of the compromised set, as incidents store them.
    fn compromised_keys(&self) -> Vec<&'g str> {
        let graph = self.graph;
        self.compromised.iter().map(|&c| graph.key(c)).collect()
    }
}

/// Now, to the second: notes are stamped with when they were written.
fn wall_clock() -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    now.round(jiff::Unit::Second).unwrap_or(now)
}
