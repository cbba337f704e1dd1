//! The contract, compiled once: the compiled checker of every def ([`Compiled`]) and the frame pass built on it
//! ([`FramePass`]), a `jsonschema` validator per def the validator checks frames against (it only describes what
//! the compiled checker rejects), the x-rpc table and the realtime tools. Shared read-only by every file validated
//! in parallel.

use std::collections::HashMap;
use std::sync::OnceLock;

use handoff_schema::{Contract, Direction, Ir, RealtimeTool, RpcMethod, TypeKind};
use serde_json::Value;

use crate::compiled::Compiled;
use crate::frame::FramePass;

/// Envelope defs every JSON-RPC frame is checked against.
pub const REQUEST_DEF: &str = "JsonRpcRequest";
pub const NOTIFICATION_DEF: &str = "JsonRpcNotification";
pub const RESPONSE_DEF: &str = "JsonRpcResponse";
pub const ERROR_DEF: &str = "JsonRpcError";
pub const REQUEST_ID_DEF: &str = "RequestId";
pub const FUNCTION_CALL_DEF: &str = "RealtimeFunctionCallItem";

/// One schema violation inside a value: pointer relative to that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    pub pointer: String,
    pub message: String,
}

pub struct Schemas {
    pub ir: Ir,
    /// The schema document the `jsonschema` validators are compiled from.
    contract: Contract,
    validators: HashMap<String, LazyValidator>,
    pub compiled: Compiled,
    /// `None` when the envelope defs are beyond the one-pass frame reader: every frame then takes the `Value` path.
    pub frames: Option<FramePass>,
}

/// A def name the contract does not have: a bug in the caller, reported, never taken as "no violations".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDef(pub String);

impl std::fmt::Display for UnknownDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the contract has no def `{}`", self.0)
    }
}

impl std::error::Error for UnknownDef {}

/// A def's `jsonschema` validator, compiled the first time a frame needs it: clean traffic never reaches the
/// engine (the compiled checker clears it), so compiling (and cloning every def's standalone schema) up front only
/// delayed start-up.
#[derive(Default)]
struct LazyValidator(OnceLock<Result<jsonschema::Validator, String>>);

impl LazyValidator {
    fn get(&self, contract: &Contract, name: &str) -> &Result<jsonschema::Validator, String> {
        self.0.get_or_init(|| {
            let schema = contract.def_schema(name).ok_or_else(|| format!("the contract has no def `{name}`"))?;
            jsonschema::validator_for(&schema).map_err(|e| format!("def `{name}` does not compile: {e}"))
        })
    }
}

/// Longest schema message kept; the instance is quoted in it and may be an 8 KB string.
const MAX_MESSAGE_CHARS: usize = 240;

impl Schemas {
    /// Compiles every def used by the x-rpc table, the realtime tools and the envelopes (the `jsonschema`
    /// validators on first use, see [`Schemas::compile_all`]).
    pub fn compile(contract: &Contract) -> Result<Schemas, String> {
        let ir = contract.ir.clone();
        let mut names: Vec<String> =
            [REQUEST_DEF, NOTIFICATION_DEF, RESPONSE_DEF, ERROR_DEF, REQUEST_ID_DEF, FUNCTION_CALL_DEF]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
        for method in &ir.methods {
            names.extend(method.params.iter().cloned());
            names.extend(method.result.iter().cloned());
        }
        names.extend(ir.realtime_tools.iter().map(|t| t.arguments.clone()));
        let mut validators = HashMap::new();
        for name in names {
            if validators.contains_key(&name) {
                continue;
            }
            if contract.document.get("$defs").and_then(|defs| defs.get(&name)).is_none() {
                return Err(format!("the contract has no def `{name}`"));
            }
            validators.insert(name, LazyValidator::default());
        }
        let compiled = Compiled::new(&ir);
        let frames = FramePass::new(&ir, &compiled);
        Ok(Schemas { ir, contract: contract.clone(), validators, compiled, frames })
    }

    /// Every violation of `value` against def `name` found by the `jsonschema` engine, pointers relative to
    /// `value`. A name the contract does not have (or that the validator did not compile) is an error.
    /// A def whose schema the engine cannot compile (a broken contract; `compile_all` finds it up front) is
    /// reported as a violation at the value's root naming the def, never taken as "no violations".
    pub fn check(&self, name: &str, value: &Value) -> Result<Vec<SchemaViolation>, UnknownDef> {
        let lazy = self.validators.get(name).ok_or_else(|| UnknownDef(name.to_owned()))?;
        let validator = match lazy.get(&self.contract, name) {
            Ok(validator) => validator,
            Err(message) => return Ok(vec![SchemaViolation { pointer: String::new(), message: message.clone() }]),
        };
        if validator.is_valid(value) {
            return Ok(Vec::new());
        }
        Ok(validator
            .iter_errors(value)
            .map(|error| SchemaViolation {
                pointer: error.instance_path().to_string(),
                message: shorten(&format!("{name}: {error}")),
            })
            .collect())
    }

    /// Compiles every def's `jsonschema` validator now (they are otherwise compiled on first use): the first
    /// error, if a def's schema does not compile.
    pub fn compile_all(&self) -> Result<(), String> {
        for (name, lazy) in &self.validators {
            lazy.get(&self.contract, name).as_ref().map_err(Clone::clone)?;
        }
        Ok(())
    }

    /// Whether the compiled checker finds `value` clean against def `name` (with `strict`, also free of members
    /// the def does not declare). `false` says nothing yet: [`Schemas::check`] then tells what is wrong.
    pub fn is_clean(&self, name: &str, value: &Value, strict: bool) -> Result<bool, UnknownDef> {
        let def = self.compiled.def(name).ok_or_else(|| UnknownDef(name.to_owned()))?;
        Ok(self.compiled.value_is_clean(def, strict, value))
    }

    /// [`Schemas::is_clean`] for a value given as JSON text, read in one pass without building a `Value`.
    pub fn text_is_clean(&self, name: &str, text: &str, strict: bool) -> Result<bool, UnknownDef> {
        let def = self.compiled.def(name).ok_or_else(|| UnknownDef(name.to_owned()))?;
        Ok(self.compiled.text_is_clean(def, strict, text))
    }

    /// [`Schemas::text_is_clean`] for JSON text given as bytes known to be UTF-8 (a span of a frame read as text).
    pub fn bytes_are_clean(&self, name: &str, bytes: &[u8], strict: bool) -> Result<bool, UnknownDef> {
        let def = self.compiled.def(name).ok_or_else(|| UnknownDef(name.to_owned()))?;
        Ok(self.compiled.bytes_are_clean(def, strict, bytes))
    }

    pub fn method(&self, name: &str) -> Option<&RpcMethod> {
        self.ir.method(name)
    }

    pub fn tool(&self, name: &str) -> Option<&RealtimeTool> {
        self.ir.realtime_tool(name)
    }

    /// Legacy member names of a struct def and the wire name each stands for (`server_hint` → `server`).
    pub fn member_aliases(&self, def: &str) -> Result<Vec<(String, String)>, UnknownDef> {
        match self.ir.types.get(def).map(|t| &t.kind) {
            Some(TypeKind::Struct(s)) => {
                Ok(s.fields.iter().flat_map(|f| f.aliases.iter().map(|a| (a.clone(), f.wire_name.clone()))).collect())
            }
            Some(_) => Ok(Vec::new()),
            None => Err(UnknownDef(def.to_owned())),
        }
    }
}

/// Whether the client sends methods of this direction (the IR's `Direction::sender`).
pub fn sent_by_client(direction: Direction) -> bool {
    direction.sender() == handoff_schema::Peer::Client
}

fn shorten(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let mut out: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    out.push('…');
    out
}
