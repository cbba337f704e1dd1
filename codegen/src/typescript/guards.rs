//! IR → `src/guards.ts`: the contract as data (a shape per type) plus one small interpreter, so every type
//! gets a runtime guard without per-type checking code. `isX(value)` checks the canonical form of a decoded
//! value; `decodeArguments` reads a realtime tool's `arguments` string, accepting legacy member spellings.

use std::collections::BTreeMap;

use handoff_schema::{Field, Ir, Presence, Primitive, TypeDef, TypeKind, TypeRef};

use super::text::{doc_comment, property_key, string_literal};
use handoff_schema::Group;

/// The fixed part of guards.ts: shape types and the interpreter. Kept as TypeScript text because it is
/// TypeScript; the generated part is only data.
const INTERPRETER: &str = r#"/** How a member or list item is checked. */
type ValueShape =
  | { readonly kind: "string" }
  | { readonly kind: "integer" }
  | { readonly kind: "number" }
  | { readonly kind: "boolean" }
  | { readonly kind: "any" }
  | { readonly kind: "array"; readonly items: ValueShape }
  | { readonly kind: "map"; readonly values: ValueShape }
  | { readonly kind: "ref"; readonly type: TypeName };

interface FieldShape {
  readonly wire: string;
  readonly value: ValueShape;
  readonly required: boolean;
  readonly nullable: boolean;
  /** Other spellings `decodeArguments` accepts for this member; never part of the canonical form. */
  readonly aliases: readonly string[];
}

/** How a named type is checked. */
type TypeShape =
  | { readonly kind: "struct"; readonly closed: boolean; readonly fields: readonly FieldShape[] }
  | { readonly kind: "enum"; readonly open: boolean; readonly values: readonly string[] }
  | {
      readonly kind: "tagged";
      readonly tag: string;
      readonly variants: readonly { readonly value: string; readonly type: TypeName }[];
      readonly fallback: TypeName | null;
    }
  | { readonly kind: "untagged"; readonly variants: readonly ValueShape[] }
  | {
      readonly kind: "string";
      readonly minLength: number | null;
      readonly maxLength: number | null;
      readonly pattern: RegExp | null;
      readonly excluded: readonly string[];
    }
  | { readonly kind: "integer"; readonly minimum: number | null; readonly maximum: number | null }
  | { readonly kind: "alias"; readonly target: ValueShape };

/** What kind of rule a value breaks; the names match the verdicts in tests/fixtures/realtime/tool_calls.json. */
export type ProblemKind = "wrong_type" | "missing_member" | "unknown_member" | "invalid_value";

/** Why a value is not of a contract type: the first problem found and where (a JSON pointer). */
export interface Problem {
  readonly pointer: string;
  readonly kind: ProblemKind;
  readonly message: string;
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function has(object: { readonly [key: string]: unknown }, key: string): boolean {
  // `undefined` is not JSON: a member set to it is as good as absent (JSON.stringify drops it).
  return Object.prototype.hasOwnProperty.call(object, key) && object[key] !== undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  if (typeof value === "object") return "an object";
  return typeof value;
}

function pointerTo(parent: string, token: string): string {
  return `${parent}/${token.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

function problem(pointer: string, kind: ProblemKind, message: string): Problem {
  return { pointer, kind, message };
}

/** JSON Schema counts characters as Unicode code points, not UTF-16 units. */
function codePoints(text: string): number {
  return Array.from(text).length;
}

function checkValue(shape: ValueShape, value: unknown, pointer: string): Problem | null {
  switch (shape.kind) {
    case "string":
      return typeof value === "string" ? null : problem(pointer, "wrong_type", `expected a string, found ${describe(value)}`);
    case "integer":
      return Number.isInteger(value) ? null : problem(pointer, "wrong_type", `expected an integer, found ${describe(value)}`);
    case "number":
      return typeof value === "number" && Number.isFinite(value)
        ? null
        : problem(pointer, "wrong_type", `expected a number, found ${describe(value)}`);
    case "boolean":
      return typeof value === "boolean" ? null : problem(pointer, "wrong_type", `expected a boolean, found ${describe(value)}`);
    case "any":
      return value === undefined ? problem(pointer, "wrong_type", "expected a JSON value, found undefined") : null;
    case "array": {
      if (!Array.isArray(value)) return problem(pointer, "wrong_type", `expected an array, found ${describe(value)}`);
      for (let index = 0; index < value.length; index += 1) {
        const found = checkValue(shape.items, value[index], `${pointer}/${index}`);
        if (found !== null) return found;
      }
      return null;
    }
    case "map": {
      if (!isObject(value)) return problem(pointer, "wrong_type", `expected an object, found ${describe(value)}`);
      for (const key of Object.keys(value)) {
        const found = checkValue(shape.values, value[key], pointerTo(pointer, key));
        if (found !== null) return found;
      }
      return null;
    }
    case "ref":
      return checkType(shape.type, value, pointer);
  }
}

function checkType(type: TypeName, value: unknown, pointer: string): Problem | null {
  const shape: TypeShape = SHAPES[type];
  switch (shape.kind) {
    case "struct": {
      if (!isObject(value)) return problem(pointer, "wrong_type", `expected an object (${type}), found ${describe(value)}`);
      for (const field of shape.fields) {
        const at = pointerTo(pointer, field.wire);
        if (!has(value, field.wire)) {
          if (field.required) return problem(at, "missing_member", `missing required member \`${field.wire}\``);
          continue;
        }
        const member = value[field.wire];
        // A nullable member may be null whatever its type; otherwise null must be a value of the type (any JSON).
        if (member === null && field.nullable) continue;
        const found = checkValue(field.value, member, at);
        if (found !== null) return found;
      }
      if (shape.closed) {
        for (const key of Object.keys(value)) {
          if (has(value, key) && !shape.fields.some((field) => field.wire === key)) {
            return problem(pointerTo(pointer, key), "unknown_member", `unknown member \`${key}\` (${type} is a closed object)`);
          }
        }
      }
      return null;
    }
    case "enum":
      return typeof value === "string" && (shape.open || shape.values.includes(value))
        ? null
        : problem(pointer, "invalid_value", `expected one of ${shape.values.map((v) => JSON.stringify(v)).join(", ")}`);
    case "tagged": {
      if (!isObject(value)) return problem(pointer, "wrong_type", `expected an object (${type}), found ${describe(value)}`);
      const tag = value[shape.tag];
      if (typeof tag !== "string") {
        const kind = has(value, shape.tag) ? "wrong_type" : "missing_member";
        return problem(pointerTo(pointer, shape.tag), kind, `\`${shape.tag}\` must be a string tag`);
      }
      const variant = shape.variants.find((candidate) => candidate.value === tag);
      const target = variant !== undefined ? variant.type : shape.fallback;
      if (target === null) return problem(pointerTo(pointer, shape.tag), "invalid_value", `unknown \`${shape.tag}\` ${JSON.stringify(tag)}`);
      return checkType(target, value, pointer);
    }
    case "untagged":
      return shape.variants.some((variant) => checkValue(variant, value, pointer) === null)
        ? null
        : problem(pointer, "wrong_type", `${describe(value)} is not a ${type}`);
    case "string": {
      if (typeof value !== "string") return problem(pointer, "wrong_type", `expected a string (${type}), found ${describe(value)}`);
      const length = codePoints(value);
      if (shape.minLength !== null && length < shape.minLength) {
        return problem(pointer, "invalid_value", `${type} must have at least ${shape.minLength} characters`);
      }
      if (shape.maxLength !== null && length > shape.maxLength) {
        return problem(pointer, "invalid_value", `${type} must have at most ${shape.maxLength} characters`);
      }
      if (shape.pattern !== null && !shape.pattern.test(value)) {
        return problem(pointer, "invalid_value", `${type} must match ${shape.pattern.source}`);
      }
      if (shape.excluded.includes(value)) return problem(pointer, "invalid_value", `${type} must not be ${JSON.stringify(value)}`);
      return null;
    }
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        return problem(pointer, "wrong_type", `expected an integer (${type}), found ${describe(value)}`);
      }
      if (shape.minimum !== null && value < shape.minimum) return problem(pointer, "invalid_value", `${type} must be at least ${shape.minimum}`);
      if (shape.maximum !== null && value > shape.maximum) return problem(pointer, "invalid_value", `${type} must be at most ${shape.maximum}`);
      return null;
    }
    case "alias":
      return checkValue(shape.target, value, pointer);
  }
}

/** The first way `value` breaks contract type `type`, or `null` when it is a valid value of it. */
export function findProblem(type: TypeName, value: unknown): Problem | null {
  return checkType(type, value, "");
}

/** True when `value` is a valid value of contract type `type` in its canonical form. */
export function conforms(type: TypeName, value: unknown): boolean {
  return findProblem(type, value) === null;
}

/** Why untrusted input was refused: a {@link ProblemKind}, or a fault of the JSON text or the call itself. */
export type DecodeErrorKind = ProblemKind | "invalid_json" | "not_an_object" | "duplicate_member" | "unknown_tool";

/** The outcome of reading untrusted input: the value, or why it was refused. */
export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: DecodeErrorKind; readonly error: string };

/**
 * The member names of the top-level object in valid JSON `text`, in order and with repeats, which JSON.parse
 * hides (it keeps the last). A string directly inside the top-level object and followed by `:` is a name.
 */
function topLevelNames(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") depth -= 1;
    else if (char === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      let next = end + 1;
      while (next < text.length && " \t\n\r".includes(text.charAt(next))) next += 1;
      if (depth === 1 && text[next] === ":") names.push(JSON.parse(text.slice(index, end + 1)) as string);
      index = end;
    }
  }
  return names;
}

/**
 * Reads the `arguments` JSON string of a realtime function call as object type `type`. Legacy spellings of a
 * member (`server_hint`, `serverHint` for `server`) are renamed to the wire name; a member given twice (two
 * spellings, or one name repeated) is refused, as is any member a closed type does not have. The result is
 * checked like {@link conforms}.
 */
export function decodeArguments<T>(type: TypeName, argumentsJson: string): Decoded<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsJson);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, kind: "invalid_json", error: `arguments are not valid JSON: ${reason}` };
  }
  if (!isObject(parsed)) {
    return { ok: false, kind: "not_an_object", error: `arguments must be a JSON object, found ${describe(parsed)}` };
  }
  const shape: TypeShape = SHAPES[type];
  if (shape.kind !== "struct") return { ok: false, kind: "wrong_type", error: `${type} is not an object type` };
  const canonical: { [key: string]: unknown } = {};
  const spelledAs = new Map<string, string>();
  for (const key of topLevelNames(argumentsJson)) {
    const field = shape.fields.find((candidate) => candidate.wire === key || candidate.aliases.includes(key));
    if (field === undefined) {
      if (shape.closed) return { ok: false, kind: "unknown_member", error: `unknown member \`${key}\`` };
      canonical[key] = parsed[key];
      continue;
    }
    const first = spelledAs.get(field.wire);
    if (first !== undefined) {
      const spellings = first === key ? "" : `, as \`${first}\` and as \`${key}\``;
      return { ok: false, kind: "duplicate_member", error: `member \`${field.wire}\` is given twice${spellings}` };
    }
    spelledAs.set(field.wire, key);
    canonical[field.wire] = parsed[key];
  }
  const found = findProblem(type, canonical);
  if (found !== null) {
    const where = found.pointer === "" ? "" : ` (at ${found.pointer})`;
    return { ok: false, kind: found.kind, error: `${found.message}${where}` };
  }
  return { ok: true, value: canonical as T };
}
"#;

/// The whole of guards.ts (without the header).
pub(crate) fn guards_file(ir: &Ir, placement: &BTreeMap<String, Group>) -> String {
    let mut out =
        String::from("// Runtime guards for every contract type, driven by a table generated from the schema.\n\n");
    out.push_str(&super::type_imports(ir.types.keys().map(String::as_str), placement));
    out.push('\n');
    let names: Vec<String> = ir.types.keys().map(|name| string_literal(name)).collect();
    out.push_str("/** The name of every contract type. */\n");
    out.push_str(&format!("export type TypeName =\n  | {};\n\n", names.join("\n  | ")));
    out.push_str(INTERPRETER);
    out.push_str("\n/** Every contract type as data, from the schema. */\nconst SHAPES: { readonly [T in TypeName]: TypeShape } = {\n");
    for def in ir.types.values() {
        out.push_str(&format!("  {}: {},\n", property_key(&def.name), type_shape(def)));
    }
    out.push_str("};\n");
    for def in ir.types.values() {
        let name = &def.name;
        out.push('\n');
        out.push_str(&doc_comment(
            "",
            &format!("True when `value` is a valid {{@link {name}}} (canonical wire form)."),
        ));
        out.push_str(&format!(
            "export function is{name}(value: unknown): value is {name} {{\n  return conforms({}, value);\n}}\n",
            string_literal(name)
        ));
    }
    out
}

fn type_shape(def: &TypeDef) -> String {
    match &def.kind {
        TypeKind::Struct(s) => {
            if s.fields.is_empty() {
                return format!("{{ kind: \"struct\", closed: {}, fields: [] }}", s.closed);
            }
            let fields: Vec<String> = s.fields.iter().map(|f| format!("      {},\n", field_shape(f))).collect();
            format!(
                "{{\n    kind: \"struct\",\n    closed: {},\n    fields: [\n{}    ],\n  }}",
                s.closed,
                fields.concat()
            )
        }
        TypeKind::StringEnum(e) => {
            let values: Vec<String> = e.values.iter().map(|v| string_literal(&v.wire)).collect();
            format!("{{ kind: \"enum\", open: {}, values: [{}] }}", e.openness.is_open(), values.join(", "))
        }
        TypeKind::TaggedUnion(u) => {
            let variants: Vec<String> = u
                .variants
                .iter()
                .map(|v| {
                    format!("{{ value: {}, type: {} }}", string_literal(&v.tag_value), string_literal(&v.type_name))
                })
                .collect();
            let fallback = u.fallback.as_deref().map_or("null".to_owned(), string_literal);
            format!(
                "{{\n    kind: \"tagged\",\n    tag: {},\n    variants: [{}],\n    fallback: {fallback},\n  }}",
                string_literal(&u.tag),
                variants.join(", ")
            )
        }
        TypeKind::UntaggedUnion(u) => {
            let variants: Vec<String> = u.variants.iter().map(|v| value_shape(&v.ty)).collect();
            format!("{{ kind: \"untagged\", variants: [{}] }}", variants.join(", "))
        }
        TypeKind::Newtype(n) => {
            let c = &n.constraints;
            let number = |v: Option<i64>| v.map_or("null".to_owned(), |v| v.to_string());
            match n.base {
                Primitive::String => {
                    // `u` mode: the pattern sees code points, as JSON Schema's ECMA-262 regexes do.
                    let pattern = c
                        .pattern
                        .as_deref()
                        .map_or("null".to_owned(), |p| format!("new RegExp({}, \"u\")", string_literal(p)));
                    let length = |v: Option<u64>| v.map_or("null".to_owned(), |v| v.to_string());
                    let excluded: Vec<String> = c.excluded.iter().map(|v| string_literal(v)).collect();
                    format!(
                        "{{\n    kind: \"string\",\n    minLength: {},\n    maxLength: {},\n    pattern: {pattern},\n    excluded: [{}],\n  }}",
                        length(c.min_length),
                        length(c.max_length),
                        excluded.join(", ")
                    )
                }
                Primitive::Integer => {
                    format!("{{ kind: \"integer\", minimum: {}, maximum: {} }}", number(c.minimum), number(c.maximum))
                }
            }
        }
        TypeKind::Alias(ty) => format!("{{ kind: \"alias\", target: {} }}", value_shape(ty)),
    }
}

fn field_shape(field: &Field) -> String {
    let aliases: Vec<String> = field.aliases.iter().map(|a| string_literal(a)).collect();
    format!(
        "{{ wire: {}, value: {}, required: {}, nullable: {}, aliases: [{}] }}",
        string_literal(&field.wire_name),
        value_shape(&field.ty),
        field.presence.is_required(),
        matches!(field.presence, Presence::RequiredNullable | Presence::OptionalNullable),
        aliases.join(", ")
    )
}

fn value_shape(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => format!("{{ kind: \"ref\", type: {} }}", string_literal(name)),
        TypeRef::String => "{ kind: \"string\" }".to_owned(),
        TypeRef::Integer => "{ kind: \"integer\" }".to_owned(),
        TypeRef::Number => "{ kind: \"number\" }".to_owned(),
        TypeRef::Boolean => "{ kind: \"boolean\" }".to_owned(),
        TypeRef::Any => "{ kind: \"any\" }".to_owned(),
        TypeRef::Array(item) => format!("{{ kind: \"array\", items: {} }}", value_shape(item)),
        TypeRef::Map(value) => format!("{{ kind: \"map\", values: {} }}", value_shape(value)),
    }
}
