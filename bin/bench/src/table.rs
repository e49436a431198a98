//! The result table: each workload's rate and p99 next to the ceiling it is judged against.

use crate::load::Report;

/// What a workload's rate is compared with.
pub enum Ceiling {
    None,
    /// A rate measured in this run, under this name.
    Named(&'static str, f64),
    /// PostgreSQL's own rate for the statement (pgbench); absent when not measured.
    Pg(&'static str, Option<f64>),
}

impl Ceiling {
    pub fn health(rate: f64) -> Self {
        Ceiling::Named("/health", rate)
    }

    pub fn argon2(rate: f64) -> Self {
        Ceiling::Named("raw argon2id", rate)
    }

    pub fn pg(what: &'static str, rate: Option<f64>) -> Self {
        Ceiling::Pg(what, rate)
    }

    fn describe(&self) -> (String, Option<f64>) {
        match self {
            Ceiling::None => ("-".into(), None),
            Ceiling::Named(name, rate) => ((*name).into(), Some(*rate)),
            Ceiling::Pg(what, Some(rate)) => (format!("pgbench {what}"), Some(*rate)),
            Ceiling::Pg(what, None) => (format!("pgbench {what} (n/a)"), None),
        }
    }
}

pub struct Row {
    name: String,
    connections: usize,
    rate: f64,
    p99_ms: f64,
    ceiling: Ceiling,
    target: Option<f64>,
    p99_target_ms: Option<f64>,
    note: Option<String>,
}

impl Row {
    pub fn new(name: &str, connections: usize, report: &Report, ceiling: Ceiling) -> Self {
        Self {
            name: name.to_owned(),
            connections,
            rate: report.per_second(),
            p99_ms: report.percentile_ms(99.0),
            ceiling,
            target: None,
            p99_target_ms: None,
            note: Some(match report.cpu_per_request() {
                Some(cpu) => format!("{}; {cpu}", report.statuses()),
                None => report.statuses(),
            }),
        }
    }

    /// The ratio to reach.
    pub fn target(mut self, ratio: f64) -> Self {
        self.target = Some(ratio);
        self
    }

    pub fn p99_under(mut self, ms: f64) -> Self {
        self.p99_target_ms = Some(ms);
        self
    }

    /// Adds to the default note (the status counts and CPU per request) when given.
    pub fn note(mut self, note: Option<String>) -> Self {
        if let Some(n) = note {
            let statuses = self.note.take().unwrap_or_default();
            self.note = Some(format!("{statuses}; {n}"));
        }
        self
    }

    fn verdict(&self, ratio: Option<f64>) -> &'static str {
        let ratio_ok = match (self.target, ratio) {
            (Some(t), Some(r)) => Some(r >= t),
            _ => None,
        };
        let p99_ok = self.p99_target_ms.map(|t| self.p99_ms < t);
        match (ratio_ok, p99_ok) {
            (Some(false), _) | (_, Some(false)) => "MISSED",
            (None, None) => "",
            _ => "met",
        }
    }
}

pub struct Table {
    backend: String,
    rows: Vec<Row>,
}

impl Table {
    pub fn new(backend: &str) -> Self {
        Self {
            backend: backend.to_owned(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Row) {
        println!(
            "   done: {} ({:.0}/s, p99 {:.1} ms)",
            row.name, row.rate, row.p99_ms
        );
        self.rows.push(row);
    }

    /// Prints a Markdown table, ready for the README.
    pub fn print(&self) {
        println!();
        println!("Backend: {}", self.backend);
        println!();
        println!(
            "| workload | conns | req/s | p99 ms | ceiling | ceiling/s | ratio | target | verdict | notes |"
        );
        println!("|---|---:|---:|---:|---|---:|---:|---|---|---|");
        for row in &self.rows {
            let (ceiling, ceiling_rate) = row.ceiling.describe();
            let ratio = ceiling_rate.map(|c| row.rate / c.max(1e-9));
            let fmt_opt = |v: Option<f64>, digits: usize| {
                v.map_or("-".to_owned(), |v| format!("{v:.digits$}"))
            };
            let mut target = row.target.map(|t| format!(">= {t}")).unwrap_or_default();
            if let Some(ms) = row.p99_target_ms {
                if !target.is_empty() {
                    target.push_str(", ");
                }
                target.push_str(&format!("p99 < {ms} ms"));
            }
            println!(
                "| {} | {} | {:.0} | {:.1} | {} | {} | {} | {} | {} | {} |",
                row.name,
                row.connections,
                row.rate,
                row.p99_ms,
                ceiling,
                fmt_opt(ceiling_rate, 0),
                fmt_opt(ratio, 2),
                target,
                row.verdict(ratio),
                row.note.as_deref().unwrap_or("")
            );
        }
    }
}
