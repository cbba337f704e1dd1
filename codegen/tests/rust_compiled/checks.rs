//! Decode/encode expectations for the crate generated from `rust_compiled.rs`'s hand-built IR. Run by that
//! test in a scratch workspace; prints `ok <name>` or `FAILED <name>: <why>` per expectation and exits 1 when
//! any failed. The expected values are written here by hand, never taken from the generated code.

use std::fmt::Debug;

use codex_handoff_contract::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

#[derive(Default)]
struct Checks {
    failed: Vec<String>,
}

impl Checks {
    fn that(&mut self, name: &str, ok: bool, detail: impl Debug) {
        if ok {
            println!("ok {name}");
        } else {
            println!("FAILED {name}: {detail:?}");
            self.failed.push(name.to_owned());
        }
    }

    /// `text` decodes (from the text itself, not a `Value`) to a value `expect` accepts.
    fn decodes<T: DeserializeOwned + Debug>(&mut self, name: &str, text: &str, expect: impl Fn(&T) -> bool) {
        match serde_json::from_str::<T>(text) {
            Ok(value) => {
                let ok = expect(&value);
                self.that(name, ok, value);
            }
            Err(error) => self.that(name, false, error.to_string()),
        }
    }

    /// `text` is refused with an error that contains `needle`.
    fn refuses<T: DeserializeOwned + Debug>(&mut self, name: &str, text: &str, needle: &str) {
        match serde_json::from_str::<T>(text) {
            Ok(value) => self.that(name, false, format!("decoded to {value:?}")),
            Err(error) => {
                let message = error.to_string();
                self.that(name, message.contains(needle), format!("{message:?} lacks {needle:?}"));
            }
        }
    }

    /// `text` decodes as `T` and encodes back to `expected`.
    fn round_trips<T: DeserializeOwned + serde::Serialize + Debug>(&mut self, name: &str, text: &str, expected: Value) {
        match serde_json::from_str::<T>(text).map(|v| serde_json::to_value(v)) {
            Ok(Ok(written)) => {
                let ok = written == expected;
                self.that(name, ok, format!("wrote {written}, expected {expected}"));
            }
            other => self.that(name, false, format!("{other:?}")),
        }
    }

    fn encodes<T: serde::Serialize>(&mut self, name: &str, value: &T, expected: Value) {
        let written = serde_json::to_value(value).expect("encodes");
        let ok = written == expected;
        self.that(name, ok, format!("wrote {written}, expected {expected}"));
    }
}

fn main() {
    let mut c = Checks::default();
    presence(&mut c);
    keywords_aliases_and_containers(&mut c);
    enums(&mut c);
    unions(&mut c);
    newtypes(&mut c);
    objects(&mut c);
    constructors(&mut c);
    tool_arguments(&mut c);
    if !c.failed.is_empty() {
        println!("{} check(s) failed: {}", c.failed.len(), c.failed.join(", "));
        std::process::exit(1);
    }
}

fn presence(c: &mut Checks) {
    let minimal = r#"{"type": "alpha", "requiredNullable": null}"#;
    c.decodes::<Record>("required-nullable may be null", minimal, |r| r.required_nullable.is_none());
    c.refuses::<Record>("required-nullable must be present", r#"{"type": "alpha"}"#, "missing field `requiredNullable`");
    c.decodes::<Record>("required-nullable keeps a value", r#"{"type": "alpha", "requiredNullable": "x"}"#, |r| {
        r.required_nullable.as_deref() == Some("x")
    });
    c.round_trips::<Record>("required-nullable null is written back as null", minimal, json!({"type": "alpha", "requiredNullable": null}));
    c.refuses::<Record>("required must be present", r#"{"requiredNullable": null}"#, "missing field `type`");
    c.refuses::<Closed>("required must not be null", r#"{"name": null}"#, "invalid type: null, expected a string");
    c.refuses::<Record>(
        "optional must not be null",
        r#"{"type": "alpha", "requiredNullable": null, "match": null}"#,
        "invalid type: null",
    );
    c.decodes::<Record>("optional may be absent", minimal, |r| r.match_.is_none() && r.flag.is_none());
    c.decodes::<Record>(
        "optional-nullable may be null",
        r#"{"type": "alpha", "requiredNullable": null, "self": null}"#,
        |r| r.self_.is_none(),
    );
    c.round_trips::<Record>(
        "optional-nullable null is written as absent",
        r#"{"type": "alpha", "requiredNullable": null, "self": null}"#,
        json!({"type": "alpha", "requiredNullable": null}),
    );
}

fn keywords_aliases_and_containers(c: &mut Checks) {
    let full = r#"{"type": "beta-gamma", "match": "m", "self": 7, "requiredNullable": "r", "labels": ["ab", "cd"],
        "scores": {"x": 1, "y": 2}, "payload": {"any": [1, "two", null]}, "mood": "happy", "count": 3,
        "idOrName": "n", "flag": true, "later": {"kept": true}}"#;
    c.decodes::<Record>("keyword members decode under their wire names", full, |r| {
        r.type_ == Kind::BetaGamma && r.match_.as_deref() == Some("m") && r.self_ == Some(7)
    });
    c.decodes::<Record>("arrays, maps and any-JSON decode", full, |r| {
        r.labels.as_ref().map(|l| l.iter().map(Label::as_str).collect::<Vec<_>>()) == Some(vec!["ab", "cd"])
            && r.scores.as_ref().and_then(|s| s.get("y")) == Some(&2)
            && r.payload == Some(json!({"any": [1, "two", null]}))
    });
    c.decodes::<Record>("an open object keeps unknown members", full, |r| {
        r.extra.get("later") == Some(&json!({"kept": true})) && r.extra.len() == 1
    });
    let full_value: Value = serde_json::from_str(full).unwrap();
    c.round_trips::<Record>("a full record round-trips unchanged", full, full_value);
    c.decodes::<Record>(
        "an alias is read",
        r#"{"type": "alpha", "requiredNullable": null, "legacy_match": "old"}"#,
        |r| r.match_.as_deref() == Some("old"),
    );
    c.round_trips::<Record>(
        "an alias is written under the wire name",
        r#"{"type": "alpha", "requiredNullable": null, "legacy_match": "old"}"#,
        json!({"type": "alpha", "requiredNullable": null, "match": "old"}),
    );
    c.refuses::<Record>(
        "map values keep their type",
        r#"{"type": "alpha", "requiredNullable": null, "scores": {"x": "one"}}"#,
        "invalid type: string \"one\", expected i64",
    );
    c.decodes::<IdOrName>("untagged: an integer is the first variant", "5", |v| *v == IdOrName::Id(5));
    c.decodes::<IdOrName>("untagged: a string is the second variant", r#""five""#, |v| *v == IdOrName::Name("five".into()));
    c.refuses::<IdOrName>("untagged: other kinds are refused", "true", "did not match any variant");
    c.decodes::<Record>(
        "members named like keywords (`default`, `in`) decode",
        r#"{"type": "alpha", "requiredNullable": null, "default": "d", "in": 3}"#,
        |r| r.default.as_deref() == Some("d") && r.in_ == Some(3),
    );
    c.decodes::<Record>("any-JSON keeps an explicit null", r#"{"type": "alpha", "requiredNullable": null, "payload": null}"#, |r| {
        r.payload == Some(Value::Null)
    });
    c.round_trips::<Record>(
        "an explicit null in any-JSON is written back",
        r#"{"type": "alpha", "requiredNullable": null, "payload": null}"#,
        json!({"type": "alpha", "requiredNullable": null, "payload": null}),
    );
    c.decodes::<Labels>("an alias of an array checks its items", r#"["ab"]"#, |l| l.len() == 1);
    c.refuses::<Labels>("an alias of an array refuses a bad item", r#"["AB"]"#, "must match ^[a-z]+$");
}

fn enums(c: &mut Checks) {
    c.decodes::<Kind>("a closed enum decodes a listed value", r#""beta-gamma""#, |k| *k == Kind::BetaGamma);
    c.refuses::<Kind>("a closed enum refuses an unlisted value", r#""delta""#, "unknown variant `delta`");
    c.decodes::<Mood>("an open enum decodes a listed value", r#""sad""#, |m| *m == Mood::Sad);
    c.decodes::<Mood>("an open enum keeps an unlisted value", r#""ecstatic""#, |m| *m == Mood::Unknown("ecstatic".into()));
    c.round_trips::<Mood>("an unlisted value is written back unchanged", r#""ecstatic""#, json!("ecstatic"));
    c.refuses::<Mood>("an open enum still refuses a non-string", "3", "a Mood string");
    c.refuses::<CircleType>("a variant's tag takes no other value", r#""square""#, "unknown variant `square`");
    c.that("from_wire never puts a listed value in Unknown", Mood::from_wire("happy") == Mood::Happy, Mood::from_wire("happy"));
}

fn unions(c: &mut Checks) {
    c.decodes::<Shape>("a tag selects its variant", r#"{"type": "circle", "radius": 2.5}"#, |s| {
        matches!(s, Shape::Circle(circle) if circle.radius == 2.5)
    });
    c.decodes::<Shape>("the tag may come after other members", r#"{"radius": 1.5, "type": "circle"}"#, |s| {
        matches!(s, Shape::Circle(circle) if circle.radius == 1.5)
    });
    c.round_trips::<Shape>(
        "a variant is written with its tag",
        r#"{"side": 4, "type": "square", "color": "red"}"#,
        json!({"type": "square", "side": 4, "color": "red"}),
    );
    c.decodes::<Shape>("an open union keeps an unknown tag in Unknown", r#"{"type": "hexagon", "sides": 6}"#, |s| {
        matches!(s, Shape::Unknown(other) if other.type_.as_str() == "hexagon" && other.extra.get("sides") == Some(&json!(6)))
    });
    c.round_trips::<Shape>(
        "an unknown variant round-trips unchanged",
        r#"{"type": "hexagon", "sides": 6}"#,
        json!({"type": "hexagon", "sides": 6}),
    );
    c.refuses::<Shape>("a known tag with a bad body names the member", r#"{"type": "circle"}"#, "missing field `radius`");
    c.refuses::<Shape>("a variant's error keeps its position", "{\"type\": \"circle\",\n \"radius\": \"big\"}", "line 2");
    c.refuses::<Shape>("a closed variant refuses unknown members", r#"{"type": "circle", "radius": 1, "x": 0}"#, "unknown field `x`");
    c.refuses::<Shape>("the tag is required", r#"{"radius": 1}"#, "missing string member `type`");
    c.refuses::<Shape>("the tag must be a string", r#"{"type": 1, "radius": 1}"#, "a string in member `type`");
    c.refuses::<Shape>("a union is an object", r#"["circle", 1]"#, "expected a Shape object");
    c.refuses::<Shape>("a duplicated tag is refused", r#"{"type": "circle", "radius": 1, "type": "square"}"#, "duplicate field `type`");
    c.decodes::<Command>("a closed union's tag named like the fallback is an ordinary variant", r#"{"kind": "unknown"}"#, |cmd| {
        matches!(cmd, Command::Unknown(_))
    });
    c.decodes::<Command>("a keyword member inside a union variant", r#"{"kind": "run", "self": "me"}"#, |cmd| {
        matches!(cmd, Command::Run(run) if run.self_ == "me")
    });
    c.refuses::<Command>("a closed union refuses an unknown tag", r#"{"kind": "walk"}"#, "unknown `kind` \"walk\", expected one of `unknown`, `run`");
    c.encodes("a closed union's variant encodes with its tag", &Command::Unknown(UnknownCommand::new()), json!({"kind": "unknown"}));
}

fn newtypes(c: &mut Checks) {
    c.that("a valid string newtype", Label::new("abc").map(|l| l.to_string()) == Ok("abc".to_owned()), Label::new("abc"));
    let reason = |r: Result<Label, ConstraintError>| r.err().map(|e| e.to_string()).unwrap_or_default();
    c.that("a pattern is checked", reason(Label::new("ABC")).contains("must match ^[a-z]+$"), reason(Label::new("ABC")));
    c.that("a minimum length is checked", reason(Label::new("")).contains("must be 1 to 8 characters long"), reason(Label::new("")));
    c.that("a maximum length is checked", reason(Label::new("abcdefghi")).contains("1 to 8"), reason(Label::new("abcdefghi")));
    c.that("an excluded value is refused", reason(Label::new("none")).contains("must not be one of none"), reason(Label::new("none")));
    c.that("the error names the type and value", reason(Label::new("ABC")).contains("invalid Label \"ABC\""), reason(Label::new("ABC")));
    c.refuses::<Label>("decoding checks the constraints", r#""ABC""#, "must match");
    c.decodes::<Count>("an integer newtype in range", "10", |n| n.get() == 10);
    c.refuses::<Count>("an integer newtype below its minimum", "0", "must be between 1 and 10");
    c.refuses::<Count>("an integer newtype above its maximum", "11", "must be between 1 and 10");
    c.refuses::<Shape>("a newtype inside a union variant is checked", r#"{"type": "square", "side": 0}"#, "must be between 1 and 10");
    c.refuses::<Shape>(
        "the fallback's tag refuses the listed tags",
        r#"{"type": "circle", "radius": "x"}"#,
        "invalid type: string \"x\", expected f64",
    );
}

fn objects(c: &mut Checks) {
    c.refuses::<Closed>("a struct is not decoded from an array", r#"["n"]"#, "expected a JSON object");
    c.refuses::<Record>("an open struct is not decoded from an array", r#"["alpha", null]"#, "expected a JSON object");
    c.refuses::<Closed>("a closed struct refuses unknown members", r#"{"name": "n", "x": 1}"#, "unknown field `x`");
    c.decodes::<Closed>("a closed struct decodes its members", r#"{"name": "n"}"#, |v| v.name == "n");
    c.decodes::<Closed>("a closed struct accepts an alias", r#"{"legacy_name": "n"}"#, |v| v.name == "n");
    c.round_trips::<Closed>("an alias is written under the wire name", r#"{"legacy_name": "n"}"#, json!({"name": "n"}));
    c.round_trips::<Empty>("an empty object round-trips", "{}", json!({}));
    c.refuses::<Empty>("an empty closed object refuses members", r#"{"x": 1}"#, "unknown field `x`");
    c.refuses::<Empty>("an empty object is not decoded from an array", "[]", "expected a JSON object");
    c.encodes("an empty object encodes as {}", &Empty::new(), json!({}));
}

fn constructors(c: &mut Checks) {
    c.encodes("new takes the required members", &Record::new(Kind::Alpha), json!({"type": "alpha", "requiredNullable": null}));
    c.encodes("new fills in a variant's tag", &Circle::new(2.0), json!({"type": "circle", "radius": 2.0}));
    let big = Big::builder().a("a".into()).b(2).c(Label::new("c").unwrap()).d(true).e(0.5).build();
    c.that("a builder with every required member builds", big.is_ok(), &big);
    if let Ok(big) = big {
        c.encodes("a built value has its optional members absent", &big, json!({"a": "a", "b": 2, "c": "c", "d": true, "e": 0.5}));
    }
    let missing = Big::builder().a("a".into()).b(2).c(Label::new("c").unwrap()).d(true).build();
    c.that(
        "a builder names the missing member",
        missing.as_ref().err().map(|e| (e.type_name, e.member)) == Some(("Big", "e")),
        &missing,
    );
}

fn tool_arguments(c: &mut Checks) {
    let every = r#"{"text": "t", "count": 3, "ratio": 0.5, "flag": true, "labels": ["a"], "extras": {"k": [1]}, "payload": null}"#;
    let parsed = realtime::parse_tool_call("every_kind", every);
    c.that(
        "a tool call with a member of every JSON kind parses",
        matches!(&parsed, Ok(realtime::ToolCall::EveryKind(args)) if args.count == Some(3) && args.flag == Some(true)),
        &parsed,
    );
    for (member, wrong, expected, found) in [
        ("count", r#""3""#, "an integer", "a string"),
        ("count", "1.5", "an integer", "a number"),
        ("ratio", "true", "a number", "a boolean"),
        ("flag", "1", "a boolean", "an integer"),
        ("labels", r#""a""#, "an array", "a string"),
        ("extras", "[]", "an object", "an array"),
    ] {
        let arguments = format!(r#"{{"text": "t", "{member}": {wrong}}}"#);
        let refused = realtime::parse_tool_call("every_kind", &arguments);
        c.that(
            &format!("a tool member `{member}` given {found} is a wrong type, expecting {expected}"),
            matches!(&refused, Err(realtime::ToolCallError::WrongType { member: m, expected: e, found: f, .. })
                if *m == member && *e == expected && *f == found),
            &refused,
        );
    }
    let any = realtime::parse_tool_call("every_kind", r#"{"text": "t", "payload": [1, {"a": null}]}"#);
    c.that("an any-JSON tool member takes any value", any.is_ok(), &any);
}
