//! IR types → Kotlin declarations for kotlinx.serialization:
//! - structs: `@Serializable data class` with `@SerialName` on every member (`@JsonNames` with its legacy
//!   spellings); optional members are nullable with `= null` (not encoded when null, since `encodeDefaults` is
//!   off); a union tag member defaults to its only value and is always encoded (`@EncodeDefault`). Open objects
//!   keep unknown members in `extra` and write them back; closed ones (tool arguments) reject them. Where kotlinx
//!   alone would be too lenient (open objects, members that may be absent but not `null`, legacy spellings) the
//!   class has its own serializer around the plugin's (`@KeepGeneratedSerializer`), driven by an `ObjectShape`.
//! - string enums: closed ones (every enum today, as in the Rust types) and one-value tag enums are `enum class`es
//!   that refuse other values; an open one is a sealed interface with an object per value and `Unknown(wire)`, so
//!   a newer server's value survives a round trip.
//! - integers, numbers and booleans are `StrictLong`, `StrictDouble`, `StrictBoolean`: the Kotlin types, read only
//!   from JSON numbers and booleans.
//! - tagged unions: a sealed interface the variant classes implement, chosen by the tag member's value; an open
//!   union sends every other value to its fallback variant, a closed one rejects it.
//! - untagged unions: a sealed interface with one wrapper per variant, tried in schema order.
//! - newtypes: `@JvmInline value class` whose `init` checks the constraints, so decoding checks them too.

use std::collections::{BTreeMap, BTreeSet};

use handoff_schema::{
    EnumOrigin, Field, Ir, NewtypeDef, Presence, Primitive, StringEnumDef, StructDef, TaggedUnionDef, TypeDef,
    TypeKind, TypeRef, UntaggedUnionDef,
};

use super::KotlinFile;
use super::names::{case_name, constant, doc_comment, property, serializer_expr, string_literal, type_expr};

/// Renders one type into `file`. `unions` lists, per struct, the tagged unions it is a variant of.
pub(crate) fn render(ir: &Ir, def: &TypeDef, unions: &BTreeMap<String, BTreeSet<String>>, file: &mut KotlinFile) {
    let doc = format!("{}\n\nSchema: `{}`.", def.doc.trim(), def.pointer);
    file.body.push_str(&doc_comment("", doc.trim()));
    match &def.kind {
        TypeKind::Struct(s) => struct_class(ir, def, s, unions.get(&def.name), file),
        TypeKind::StringEnum(e) if enum_is_open(def, e) => open_enum(def, e, file),
        TypeKind::StringEnum(e) => tag_enum(def, e, file),
        TypeKind::TaggedUnion(u) => tagged_union(def, u, file),
        TypeKind::UntaggedUnion(u) => untagged_union(def, u, file),
        TypeKind::Newtype(n) => value_class(def, n, file),
        TypeKind::Alias(ty) => {
            file.note_type(ty);
            file.body.push_str(&format!("public typealias {} = {}\n", def.name, type_expr(ty)));
        }
    }
}

fn struct_class(ir: &Ir, def: &TypeDef, s: &StructDef, unions: Option<&BTreeSet<String>>, file: &mut KotlinFile) {
    file.import("kotlinx.serialization.Serializable");
    let supertypes =
        unions.map(|u| format!(" : {}", u.iter().cloned().collect::<Vec<_>>().join(", "))).unwrap_or_default();
    let name = &def.name;
    if !needs_object_serializer(s) {
        if s.fields.is_empty() {
            // A data class needs a member; an object serializes as `{}`.
            file.body.push_str(&format!("@Serializable\npublic data object {name}{supertypes}\n"));
            return;
        }
        file.import("kotlinx.serialization.SerialName");
        file.body.push_str(&format!("@Serializable\npublic data class {name}(\n"));
        for field in &s.fields {
            file.body.push_str(&doc_comment("    ", &field.doc));
            let line = member(ir, field, file);
            file.body.push_str(&format!("    {line},\n"));
        }
        file.body.push_str(&format!("){supertypes}\n"));
        return;
    }
    // The plugin's serializer (kept as `generatedSerializer()`) reads and writes the declared members; the
    // class's own serializer wraps it with what kotlinx cannot say: unknown members kept in `extra`, `null`
    // refused for a member that may only be absent, two spellings of one member refused.
    file.opt_in();
    for import in [
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.KeepGeneratedSerializer",
        "kotlinx.serialization.SerialName",
        "kotlinx.serialization.descriptors.SerialDescriptor",
        "kotlinx.serialization.encoding.Decoder",
        "kotlinx.serialization.encoding.Encoder",
    ] {
        file.import(import);
    }
    file.body.push_str(&format!(
        "@Serializable(with = {name}Serializer::class)\n@KeepGeneratedSerializer\npublic data class {name}(\n"
    ));
    for field in &s.fields {
        file.body.push_str(&doc_comment("    ", &field.doc));
        let line = member(ir, field, file);
        file.body.push_str(&format!("    {line},\n"));
    }
    if !s.closed {
        file.import("kotlinx.serialization.Transient");
        file.import("kotlinx.serialization.json.JsonElement");
        file.body.push_str(
            "    /** Members this contract version does not declare, kept as read and written back after the others. */\n    \
             @Transient public val extra: Map<String, JsonElement> = emptyMap(),\n",
        );
    }
    file.body.push_str(&format!("){supertypes}\n\n"));
    let spellings: Vec<String> = s
        .fields
        .iter()
        .map(|f| {
            let all: Vec<String> = std::iter::once(&f.wire_name).chain(&f.aliases).map(|n| string_literal(n)).collect();
            format!("{} to listOf({})", string_literal(&f.wire_name), all.join(", "))
        })
        .collect();
    let (kept, refused): (Vec<&Field>, Vec<&Field>) =
        s.fields.iter().filter(|f| f.presence == Presence::Optional).partition(|f| accepts_null(ir, &f.ty));
    let not_null: Vec<String> = refused.iter().map(|f| string_literal(&f.wire_name)).collect();
    let kept_null: Vec<String> = kept.iter().map(|f| string_literal(&f.wire_name)).collect();
    // Put back what the plugin's serializer cannot hold: unknown members, and a `null` given for a member of any
    // JSON value that may be absent (the plugin reads it as absent; `JsonNull` keeps it, and writes it back).
    let mut updates = Vec::new();
    if !s.closed {
        updates.push("extra = extra".to_owned());
    }
    for field in &kept {
        let property = property(&field.name);
        updates.push(format!(
            "{property} = if ({} in nulls) JsonNull else value.{property}",
            string_literal(&field.wire_name)
        ));
    }
    if !kept.is_empty() {
        file.import("kotlinx.serialization.json.JsonNull");
    }
    let restore = if updates.is_empty() {
        "{ value, _, _ -> value }".to_owned()
    } else {
        let (extra, nulls) = (if s.closed { "_" } else { "extra" }, if kept.is_empty() { "_" } else { "nulls" });
        format!("{{ value, {extra}, {nulls} -> value.copy({}) }}", updates.join(", "))
    };
    let extra = if s.closed { "emptyMap()" } else { "value.extra" };
    file.body.push_str(&format!(
        "/** Reads and writes [{name}] through its generated serializer; see [ObjectShape]. JSON only. */\n\
         public object {name}Serializer : KSerializer<{name}> {{\n    \
         private val SHAPE: ObjectShape = ObjectShape(\n        {},\n        open = {},\n        \
         spellings = mapOf({}),\n        notNull = setOf({}),\n        keptNull = setOf({}),\n    )\n\n    \
         override val descriptor: SerialDescriptor get() = {name}.generatedSerializer().descriptor\n\n    \
         override fun deserialize(decoder: Decoder): {name} =\n        \
         decodeObject(decoder, SHAPE, {name}.generatedSerializer()) {restore}\n\n    \
         override fun serialize(encoder: Encoder, value: {name}): Unit =\n        \
         encodeObject(encoder, SHAPE, {name}.generatedSerializer(), value, {extra})\n}}\n",
        string_literal(name),
        !s.closed,
        spellings.join(", "),
        not_null.join(", "),
        kept_null.join(", "),
    ));
}

/// Whether a string enum keeps values the contract does not list (an `Unknown(wire)` case) or refuses them: the
/// IR's open/closed policy.
pub(crate) fn enum_is_open(_def: &TypeDef, e: &StringEnumDef) -> bool {
    e.openness.is_open()
}

/// The case of an open enum holding a value the contract does not list.
pub(crate) fn unknown_case(e: &StringEnumDef) -> &'static str {
    if e.values.iter().any(|v| case_name(&v.name) == "Unknown") { "UnknownValue" } else { "Unknown" }
}

/// Whether `null` is one of the values of `ty` (a member of any JSON value), so that a member that may be absent
/// can still be given as `null` and must keep it.
pub(crate) fn accepts_null(ir: &Ir, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Any => true,
        TypeRef::Named(name) => matches!(&ir.type_def(name).kind, TypeKind::Alias(inner) if accepts_null(ir, inner)),
        _ => false,
    }
}

/// Whether a struct needs more than the plugin's serializer: an open object (unknown members are kept), a member
/// that may be absent but not null (kotlinx reads `null` as absent), or a member with legacy spellings (two of them
/// at once must be refused).
pub(crate) fn needs_object_serializer(s: &StructDef) -> bool {
    !s.closed || s.fields.iter().any(|f| f.presence == Presence::Optional || !f.aliases.is_empty())
}

fn member(ir: &Ir, field: &Field, file: &mut KotlinFile) -> String {
    file.note_type(&field.ty);
    let name = property(&field.name);
    let mut serial = format!("@SerialName({})", string_literal(&field.wire_name));
    if !field.aliases.is_empty() {
        file.import("kotlinx.serialization.json.JsonNames");
        let aliases: Vec<String> = field.aliases.iter().map(|a| string_literal(a)).collect();
        serial.push_str(&format!(" @JsonNames({})", aliases.join(", ")));
    }
    let ty = type_expr(&field.ty);
    if let (Presence::Required, Some(only)) = (field.presence, const_tag_value(ir, &field.ty)) {
        // The tag of a union variant has one value: default it, and encode it although it is the default.
        file.opt_in();
        file.import("kotlinx.serialization.EncodeDefault");
        file.import("kotlinx.serialization.Required");
        // `@Required`: the default is for building values; a message without its tag is refused.
        return format!("@Required @EncodeDefault {serial} public val {name}: {ty} = {ty}.{only}");
    }
    match field.presence {
        Presence::Required => format!("{serial} public val {name}: {ty}"),
        // Must be present, may be null: no default, so decoding requires the member.
        Presence::RequiredNullable => format!("{serial} public val {name}: {ty}?"),
        Presence::Optional | Presence::OptionalNullable => format!("{serial} public val {name}: {ty}? = null"),
    }
}

/// The entry name of a one-value tag enum, when `ty` names one.
fn const_tag_value(ir: &Ir, ty: &TypeRef) -> Option<String> {
    let TypeRef::Named(name) = ty else { return None };
    match &ir.type_def(name).kind {
        TypeKind::StringEnum(e) if e.origin == EnumOrigin::Const && e.values.len() == 1 => {
            Some(constant(&e.values[0].name))
        }
        _ => None,
    }
}

fn tag_enum(def: &TypeDef, e: &StringEnumDef, file: &mut KotlinFile) {
    file.import("kotlinx.serialization.Serializable");
    file.import("kotlinx.serialization.SerialName");
    file.body.push_str(&format!("@Serializable\npublic enum class {} {{\n", def.name));
    for value in &e.values {
        file.body.push_str(&format!("    @SerialName({}) {},\n", string_literal(&value.wire), constant(&value.name)));
    }
    file.body.push_str("}\n");
}

fn open_enum(def: &TypeDef, e: &StringEnumDef, file: &mut KotlinFile) {
    for import in [
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.Serializable",
        "kotlinx.serialization.descriptors.PrimitiveKind",
        "kotlinx.serialization.descriptors.PrimitiveSerialDescriptor",
        "kotlinx.serialization.descriptors.SerialDescriptor",
        "kotlinx.serialization.encoding.Decoder",
        "kotlinx.serialization.encoding.Encoder",
    ] {
        file.import(import);
    }
    let name = &def.name;
    let cases: Vec<String> = e.values.iter().map(|v| case_name(&v.name)).collect();
    let unknown = unknown_case(e);
    let mut out = format!("@Serializable(with = {name}Serializer::class)\npublic sealed interface {name} {{\n");
    // `kotlin.String` throughout: a value named `string` would make `String` mean the nested object here.
    out.push_str("    /** The value on the wire. */\n    public val wire: kotlin.String\n");
    for (value, case) in e.values.iter().zip(&cases) {
        out.push_str(&format!(
            "\n    public data object {case} : {name} {{\n        override val wire: kotlin.String get() = {}\n    }}\n",
            string_literal(&value.wire)
        ));
    }
    out.push_str(&format!(
        "\n    /** A value this contract version does not list; kept so a newer server's value survives a round trip. */\n    \
         public data class {unknown}(override val wire: kotlin.String) : {name}\n"
    ));
    out.push_str(&format!(
        "\n    public companion object {{\n        /** Every value the contract lists. */\n        public val KNOWN: List<{name}> = listOf({})\n\n        \
         /** The case for `wire`, [{unknown}] when the contract does not list it. */\n        \
         public fun of(wire: kotlin.String): {name} = when (wire) {{\n",
        cases.join(", ")
    ));
    for (value, case) in e.values.iter().zip(&cases) {
        out.push_str(&format!("            {} -> {case}\n", string_literal(&value.wire)));
    }
    out.push_str(&format!("            else -> {unknown}(wire)\n        }}\n    }}\n}}\n\n"));
    out.push_str(&format!(
        "/** Reads and writes [{name}] as its wire string. */\npublic object {name}Serializer : KSerializer<{name}> {{\n    \
         override val descriptor: SerialDescriptor =\n        PrimitiveSerialDescriptor({}, PrimitiveKind.STRING)\n\n    \
         override fun serialize(encoder: Encoder, value: {name}): Unit = encoder.encodeString(value.wire)\n\n    \
         override fun deserialize(decoder: Decoder): {name} = {name}.of(decoder.decodeString())\n}}\n",
        string_literal(&format!("{}.{name}", super::PACKAGE))
    ));
    file.body.push_str(&out);
}

fn tagged_union(def: &TypeDef, u: &TaggedUnionDef, file: &mut KotlinFile) {
    for import in [
        "kotlinx.serialization.DeserializationStrategy",
        "kotlinx.serialization.Serializable",
        "kotlinx.serialization.json.JsonContentPolymorphicSerializer",
        "kotlinx.serialization.json.JsonElement",
        "kotlinx.serialization.json.JsonObject",
        "kotlinx.serialization.json.JsonPrimitive",
    ] {
        file.import(import);
    }
    let name = &def.name;
    let tag = string_literal(&u.tag);
    let mut out = format!(
        "@Serializable(with = {name}Serializer::class)\npublic sealed interface {name}\n\n\
         /** Picks the variant of [{name}] from the `{}` member. */\n\
         public object {name}Serializer : JsonContentPolymorphicSerializer<{name}>({name}::class) {{\n    \
         override fun selectDeserializer(element: JsonElement): DeserializationStrategy<{name}> {{\n        \
         val tag = ((element as? JsonObject)?.get({tag}) as? JsonPrimitive)?.takeIf {{ it.isString }}?.content\n        \
         return when (tag) {{\n",
        u.tag
    );
    for variant in &u.variants {
        out.push_str(&format!(
            "            {} -> {}.serializer()\n",
            string_literal(&variant.tag_value),
            variant.type_name
        ));
    }
    match &u.fallback {
        Some(fallback) => out.push_str(&format!("            else -> {fallback}.serializer()\n")),
        None => {
            file.import("kotlinx.serialization.SerializationException");
            out.push_str(&format!(
                "            else -> throw SerializationException(\"{name}: unknown `{}` value: \" + tag)\n",
                u.tag.replace('$', "\\$").replace('"', "\\\"")
            ));
        }
    }
    out.push_str("        }\n    }\n}\n");
    file.body.push_str(&out);
}

fn untagged_union(def: &TypeDef, u: &UntaggedUnionDef, file: &mut KotlinFile) {
    for import in [
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.Serializable",
        "kotlinx.serialization.SerializationException",
        "kotlinx.serialization.descriptors.SerialDescriptor",
        "kotlinx.serialization.descriptors.buildSerialDescriptor",
        "kotlinx.serialization.descriptors.SerialKind",
        "kotlinx.serialization.encoding.Decoder",
        "kotlinx.serialization.encoding.Encoder",
        "kotlinx.serialization.json.JsonDecoder",
        "kotlinx.serialization.json.JsonEncoder",
        "kotlinx.serialization.serializer",
    ] {
        file.import(import);
    }
    file.opt_in();
    file.import("kotlinx.serialization.InternalSerializationApi");
    let name = &def.name;
    let mut out = format!("@Serializable(with = {name}Serializer::class)\npublic sealed interface {name} {{\n");
    for variant in &u.variants {
        file.note_type(&variant.ty);
        out.push_str(&format!(
            "    public data class {}(public val value: {}) : {name}\n",
            variant_name(&variant.name),
            type_expr(&variant.ty)
        ));
    }
    out.push_str("}\n\n");
    out.push_str(&format!(
        "/** Reads [{name}] as the first variant, in schema order, that the JSON value decodes as. JSON only. */\n\
         @OptIn(InternalSerializationApi::class)\n\
         public object {name}Serializer : KSerializer<{name}> {{\n    \
         override val descriptor: SerialDescriptor = buildSerialDescriptor({}, SerialKind.CONTEXTUAL)\n\n    \
         override fun serialize(encoder: Encoder, value: {name}) {{\n        \
         val json = encoder as? JsonEncoder ?: throw SerializationException(\"{name} is JSON only\")\n        \
         when (value) {{\n",
        string_literal(&format!("{}.{name}", super::PACKAGE))
    ));
    for variant in &u.variants {
        out.push_str(&format!(
            "            is {name}.{} -> json.encodeSerializableValue({}, value.value)\n",
            variant_name(&variant.name),
            serializer_expr(&variant.ty)
        ));
    }
    out.push_str(&format!(
        "        }}\n    }}\n\n    override fun deserialize(decoder: Decoder): {name} {{\n        \
         val json = decoder as? JsonDecoder ?: throw SerializationException(\"{name} is JSON only\")\n        \
         val element = json.decodeJsonElement()\n"
    ));
    for variant in &u.variants {
        out.push_str(&format!(
            "        runCatching {{ json.json.decodeFromJsonElement({}, element) }}.onSuccess {{ return {name}.{}(it) }}\n",
            serializer_expr(&variant.ty),
            variant_name(&variant.name)
        ));
    }
    out.push_str(&format!("        throw SerializationException(\"not a {name}: \" + element)\n    }}\n}}\n"));
    file.body.push_str(&out);
}

fn value_class(def: &TypeDef, n: &NewtypeDef, file: &mut KotlinFile) {
    file.import("kotlinx.serialization.Serializable");
    let name = &def.name;
    let c = &n.constraints;
    let (base, literal_suffix) = match n.base {
        Primitive::String => ("String", ""),
        Primitive::Integer => ("StrictLong", "L"),
    };
    let mut checks = Vec::new();
    // File-private values rather than a companion object: the serialization plugin owns the companion of a
    // `@Serializable` class (it adds `serializer()` there), so a private companion could hide it.
    let mut file_values = Vec::new();
    let prefix = heck::ToShoutySnakeCase::to_shouty_snake_case(name.as_str());
    if c.min_length.is_some() || c.max_length.is_some() {
        // JSON Schema counts code points, not UTF-16 units.
        checks.push("val length = value.codePointCount(0, value.length)".to_owned());
        if let Some(min) = c.min_length {
            checks.push(format!("require(length >= {min}) {{ \"{name} must have at least {}\" }}", characters(min)));
        }
        if let Some(max) = c.max_length {
            checks.push(format!("require(length <= {max}) {{ \"{name} must have at most {}\" }}", characters(max)));
        }
    }
    if let Some(pattern) = &c.pattern {
        file_values.push(format!("private val {prefix}_PATTERN: Regex = Regex({})", string_literal(pattern)));
        checks.push(format!(
            // `matches` spans the whole value: a `$` alone would also match before a trailing line break.
            "require({prefix}_PATTERN.matches(value)) {{ {} }}",
            string_literal(&format!("{name} must match {pattern}"))
        ));
    }
    if let Some(min) = c.minimum {
        checks.push(format!("require(value >= {min}{literal_suffix}) {{ \"{name} must be at least {min}\" }}"));
    }
    if let Some(max) = c.maximum {
        checks.push(format!("require(value <= {max}{literal_suffix}) {{ \"{name} must be at most {max}\" }}"));
    }
    if !c.excluded.is_empty() {
        let values: Vec<String> = c.excluded.iter().map(|v| string_literal(v)).collect();
        file_values.push(format!("private val {prefix}_EXCLUDED: Set<String> = setOf({})", values.join(", ")));
        checks.push(format!("require(value !in {prefix}_EXCLUDED) {{ \"{name} must not be \" + value }}"));
    }
    let mut out = format!("@Serializable\n@JvmInline\npublic value class {name}(public val value: {base}) {{\n");
    if !checks.is_empty() {
        out.push_str("    init {\n");
        for check in &checks {
            out.push_str(&format!("        {check}\n"));
        }
        out.push_str("    }\n\n");
    }
    out.push_str("    override fun toString(): String = value");
    out.push_str(if n.base == Primitive::String { "\n" } else { ".toString()\n" });
    out.push_str("}\n");
    // After the class, so its KDoc stays attached to it; top-level values are ready before `init` reads them.
    for value in &file_values {
        out.push_str(&format!("\n{value}\n"));
    }
    file.body.push_str(&out);
}

/// The wrapper class of an untagged variant: `string` → `StringValue`. The suffix keeps it from shadowing the
/// Kotlin type it wraps (a nested `String` would make `value: String` mean itself).
fn variant_name(name: &str) -> String {
    format!("{}Value", case_name(name))
}

/// `1 character`, `128 characters`.
fn characters(count: u64) -> String {
    if count == 1 { "1 character".to_owned() } else { format!("{count} characters") }
}
