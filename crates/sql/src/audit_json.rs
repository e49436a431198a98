//! How an audit note's field changes are stored: one JSON object,
//! `{"field": {"before": …, "after": …}}`, with instants in RFC 3339 and secrets hidden.

use domain::audit::{AuditNote, AuditValue};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

fn value(v: &AuditValue) -> Value {
    match v {
        AuditValue::Absent => Value::Null,
        AuditValue::Bool(b) => Value::Bool(*b),
        AuditValue::Int(i) => Value::from(*i),
        AuditValue::Text(t) => Value::String(t.clone()),
        AuditValue::Time(t) => t.format(&Rfc3339).map_or(Value::Null, Value::String),
        AuditValue::Hidden => Value::String("(hidden)".into()),
    }
}

pub(crate) fn changes(note: &AuditNote) -> String {
    let fields: Map<String, Value> = note
        .changes
        .iter()
        .map(|c| {
            let mut pair = Map::new();
            pair.insert("before".into(), value(&c.before));
            pair.insert("after".into(), value(&c.after));
            (c.field.to_owned(), Value::Object(pair))
        })
        .collect();
    Value::Object(fields).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::audit::AuditAction;
    use domain::UserId;
    use time::macros::datetime;

    #[test]
    fn writes_each_changed_field_with_before_and_after() {
        let at = datetime!(2026-11-28 12:00 UTC);
        let note = AuditNote::new(at, Some(UserId(1)), AuditAction::ReservationEdited, Some(7))
            .change("seats", 2i64, 3i64)
            .change(
                "starts_at",
                datetime!(2026-12-01 09:00 UTC),
                datetime!(2026-12-01 10:00 UTC),
            )
            .change("password", AuditValue::Hidden, AuditValue::Hidden)
            .set("author", None::<String>);
        let json: Value = serde_json::from_str(&changes(&note)).expect("json");
        assert_eq!(json["seats"]["before"], 2);
        assert_eq!(json["seats"]["after"], 3);
        assert_eq!(json["starts_at"]["after"], "2026-12-01T10:00:00Z");
        assert_eq!(json["password"]["after"], "(hidden)");
        assert!(
            json.get("author").is_none(),
            "nothing to nothing is no change"
        );
    }
}
