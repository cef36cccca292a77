//! The gate's state machine: what to do next, given what was seen.
//!
//! Explicit states (linkerd2-proxy style) keep the rules in one place:
//! promotions never overlap, an edit made during a promotion is judged after
//! it, only the leader writes, and audit mode never writes to live.

use super::quiescence::Quiescence;
use std::time::{Duration, Instant};

/// Whether the gate promotes or only reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Validate staging and promote accepted revisions to live.
    Promote,
    /// Validate live as it is and report; never write to live.
    Audit,
}

/// Where the machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Nothing to do until a source changes.
    Idle,
    /// Edits seen; waiting for quiescence.
    Settling,
    /// A judgement/promotion is running in the driver.
    Busy,
}

/// Something that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The watched prefix (staging, or live in audit mode) changed.
    SourceChanged,
    /// Another provider changed (a verdict may change with it).
    ViewChanged,
    /// The live prefix changed behind the gate (not by its own write).
    LiveChanged,
    /// Leadership gained (`true`) or lost (`false`).
    Leader(bool),
    /// The driver finished the judgement it was asked for.
    Done,
    /// Time passed.
    Tick,
}

/// What the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Judge the current revision; promote it if accepted and `promote`
    /// is true; write the status key if `write_status` is true.
    Run {
        /// Whether an accepted revision is written to live.
        promote: bool,
        /// Whether the status document is written to Consul (leader only).
        write_status: bool,
    },
}

/// The gate's control state.
#[derive(Debug, Clone)]
pub struct Machine {
    mode: Mode,
    state: State,
    leader: bool,
    pending: bool,
    quiet: Quiescence,
}

impl Machine {
    /// A machine that has not seen anything yet. The first sync of the
    /// watched prefix is judged at once (no quiescence at start-up, as
    /// consul-template does).
    pub fn new(mode: Mode, min: Duration, max: Duration) -> Self {
        Self {
            mode,
            state: State::Idle,
            leader: false,
            pending: false,
            quiet: Quiescence::new(min, max),
        }
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether this replica holds leadership (writes allowed).
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// When the driver should send the next [`Input::Tick`].
    pub fn wake_at(&self) -> Option<Instant> {
        match self.state {
            State::Settling => self.quiet.wake_at(),
            _ => None,
        }
    }

    /// Feed one input; returns the action to start, if any.
    pub fn step(&mut self, input: Input, now: Instant) -> Option<Action> {
        match input {
            Input::SourceChanged | Input::ViewChanged | Input::LiveChanged => {
                self.quiet.changed(now);
                if self.state == State::Busy {
                    self.pending = true;
                } else {
                    self.state = State::Settling;
                }
            }
            Input::Leader(leader) => {
                let gained = leader && !self.leader;
                self.leader = leader;
                // A new leader judges at once: the old one may have died mid-way.
                if gained {
                    if self.state == State::Busy {
                        self.pending = true;
                    } else {
                        self.quiet.changed(now);
                        self.quiet.reset();
                        return self.start();
                    }
                }
            }
            Input::Done => {
                self.state = State::Idle;
                if std::mem::take(&mut self.pending) {
                    self.state = State::Settling;
                }
            }
            Input::Tick => {}
        }
        if self.state == State::Settling && self.quiet.due(now) {
            self.quiet.reset();
            return self.start();
        }
        None
    }

    /// Start a run now, bypassing quiescence (the first sync at start-up).
    pub fn start_now(&mut self) -> Option<Action> {
        if self.state == State::Busy {
            self.pending = true;
            return None;
        }
        self.quiet.reset();
        self.start()
    }

    fn start(&mut self) -> Option<Action> {
        self.state = State::Busy;
        Some(Action::Run {
            promote: self.leader && self.mode == Mode::Promote,
            write_status: self.leader,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn machine() -> Machine {
        Machine::new(Mode::Promote, 300 * MS, 3000 * MS)
    }

    #[test]
    fn edits_are_judged_after_quiescence_and_promoted_only_by_the_leader() {
        let t0 = Instant::now();
        let mut m = machine();
        assert_eq!(m.step(Input::SourceChanged, t0), None);
        assert_eq!(m.state(), State::Settling);
        assert_eq!(m.step(Input::Tick, t0 + 100 * MS), None);
        let a = m.step(Input::Tick, t0 + 300 * MS);
        assert_eq!(
            a,
            Some(Action::Run {
                promote: false,
                write_status: false
            })
        );
        m.step(Input::Done, t0 + 310 * MS);
        assert_eq!(m.state(), State::Idle);
        let a = m.step(Input::Leader(true), t0 + 400 * MS);
        assert_eq!(
            a,
            Some(Action::Run {
                promote: true,
                write_status: true
            })
        );
    }

    #[test]
    fn an_edit_during_a_run_is_judged_after_it() {
        let t0 = Instant::now();
        let mut m = machine();
        m.step(Input::Leader(true), t0);
        assert_eq!(m.state(), State::Busy);
        assert_eq!(m.step(Input::SourceChanged, t0 + 10 * MS), None);
        assert_eq!(m.step(Input::Done, t0 + 20 * MS), None);
        assert_eq!(m.state(), State::Settling);
        let a = m.step(Input::Tick, t0 + 400 * MS);
        assert_eq!(
            a,
            Some(Action::Run {
                promote: true,
                write_status: true
            })
        );
    }

    #[test]
    fn losing_leadership_stops_promotion_at_the_next_run() {
        let t0 = Instant::now();
        let mut m = machine();
        m.step(Input::Leader(true), t0);
        m.step(Input::Done, t0);
        m.step(Input::Leader(false), t0);
        m.step(Input::SourceChanged, t0);
        let a = m.step(Input::Tick, t0 + 300 * MS);
        assert_eq!(
            a,
            Some(Action::Run {
                promote: false,
                write_status: false
            })
        );
    }

    #[test]
    fn audit_mode_never_promotes() {
        let t0 = Instant::now();
        let mut m = Machine::new(Mode::Audit, 300 * MS, 3000 * MS);
        let a = m.step(Input::Leader(true), t0);
        assert_eq!(
            a,
            Some(Action::Run {
                promote: false,
                write_status: true
            })
        );
    }
}
