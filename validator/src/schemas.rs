//! The contract, compiled once: a `jsonschema` validator per def the validator checks frames against, the x-rpc
//! table and the realtime tools. Shared read-only by every file validated in parallel.

use std::collections::HashMap;

use handoff_schema::{Contract, Direction, Ir, RealtimeTool, RpcMethod, TypeKind};
use serde_json::Value;

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
    validators: HashMap<String, jsonschema::Validator>,
    /// The fast path's typed checks still mean what the contract's defs say (see `fast::matches_contract`).
    pub fast_path_ok: bool,
    /// The same for the fast path's requests and responses (see `fast::rpc_matches_contract`).
    pub fast_rpc_ok: bool,
}

/// Longest schema message kept; the instance is quoted in it and may be an 8 KB string.
const MAX_MESSAGE_CHARS: usize = 240;

impl Schemas {
    /// Compiles every def used by the x-rpc table, the realtime tools and the envelopes.
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
            let schema = contract.def_schema(&name).ok_or_else(|| format!("the contract has no def `{name}`"))?;
            let validator =
                jsonschema::validator_for(&schema).map_err(|e| format!("def `{name}` does not compile: {e}"))?;
            validators.insert(name, validator);
        }
        let fast_path_ok = crate::fast::matches_contract(&ir);
        let fast_rpc_ok = fast_path_ok && crate::fast::rpc_matches_contract(&contract.document);
        Ok(Schemas { ir, validators, fast_path_ok, fast_rpc_ok })
    }

    /// Every violation of `value` against def `name`, pointers relative to `value`.
    pub fn check(&self, name: &str, value: &Value) -> Vec<SchemaViolation> {
        let Some(validator) = self.validators.get(name) else {
            return Vec::new();
        };
        if validator.is_valid(value) {
            return Vec::new();
        }
        validator
            .iter_errors(value)
            .map(|error| SchemaViolation {
                pointer: error.instance_path().to_string(),
                message: shorten(&format!("{name}: {error}")),
            })
            .collect()
    }

    pub fn method(&self, name: &str) -> Option<&RpcMethod> {
        self.ir.method(name)
    }

    pub fn tool(&self, name: &str) -> Option<&RealtimeTool> {
        self.ir.realtime_tool(name)
    }

    /// Legacy member names of a struct def and the wire name each stands for (`server_hint` → `server`).
    pub fn member_aliases(&self, def: &str) -> Vec<(String, String)> {
        match self.ir.types.get(def).map(|t| &t.kind) {
            Some(TypeKind::Struct(s)) => {
                s.fields.iter().flat_map(|f| f.aliases.iter().map(|a| (a.clone(), f.wire_name.clone()))).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Whether a method sent in this direction is a request (`true`) or a notification, as the table says.
pub fn sent_by_client(direction: Direction) -> bool {
    matches!(direction, Direction::ClientRequest | Direction::ClientNotification)
}

fn shorten(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let mut out: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    out.push('…');
    out
}
