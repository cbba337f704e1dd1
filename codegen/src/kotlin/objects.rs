//! IR-independent support for the object serializers of `types.rs`: `ObjectShape` (what one object def allows)
//! and the decode/encode functions every object serializer delegates to, in `ObjectSerialization.kt`.

use super::KotlinFile;

pub(crate) fn objects_file() -> KotlinFile {
    let mut file = KotlinFile::default();
    for import in [
        "kotlinx.serialization.KSerializer",
        "kotlinx.serialization.Serializable",
        "kotlinx.serialization.SerializationException",
        "kotlinx.serialization.descriptors.PrimitiveKind",
        "kotlinx.serialization.descriptors.PrimitiveSerialDescriptor",
        "kotlinx.serialization.descriptors.SerialDescriptor",
        "kotlinx.serialization.encoding.Decoder",
        "kotlinx.serialization.encoding.Encoder",
        "kotlinx.serialization.json.JsonDecoder",
        "kotlinx.serialization.json.JsonElement",
        "kotlinx.serialization.json.JsonEncoder",
        "kotlinx.serialization.json.JsonNull",
        "kotlinx.serialization.json.JsonObject",
        "kotlinx.serialization.json.JsonPrimitive",
    ] {
        file.import(import);
    }
    file.body = r#"
/**
 * What one object def of the contract allows, beyond what the plugin's serializer checks: [spellings] maps each
 * member's wire name to every name it may be read under (the wire name first, then legacy aliases), [notNull]
 * lists the members that may be absent but never `null`, [keptNull] the members of any JSON value that may be
 * absent and keep a `null` they are given, and an [open] object keeps unknown members.
 */
public class ObjectShape(
    public val name: String,
    public val open: Boolean,
    public val spellings: Map<String, List<String>>,
    public val notNull: Set<String>,
    public val keptNull: Set<String>,
) {
    /** Every name a declared member may be read under. */
    public val known: Set<String> = spellings.values.flatten().toSet()
}

/**
 * Reads a JSON object as [shape] says, then decodes its declared members with [generated] (the plugin's
 * serializer). [restore] puts back what that serializer cannot hold: the unknown members of an open object
 * (those of a closed one reach [generated], which refuses them unless the [kotlinx.serialization.json.Json]
 * ignores unknown keys) and the [ObjectShape.keptNull] members given as `null`.
 */
public fun <T> decodeObject(
    decoder: Decoder,
    shape: ObjectShape,
    generated: KSerializer<T>,
    restore: (T, Map<String, JsonElement>, Set<String>) -> T,
): T {
    val json = decoder as? JsonDecoder ?: throw SerializationException(shape.name + " can only be read from JSON")
    val element = json.decodeJsonElement()
    val members = element as? JsonObject
        ?: throw SerializationException(shape.name + ": expected a JSON object, found " + element)
    for ((wire, names) in shape.spellings) {
        val present = names.filter { it in members }
        if (present.size > 1) {
            throw SerializationException(
                shape.name + ": member `" + wire + "` is given twice, as `" + present[0] + "` and as `" + present[1] + "`",
            )
        }
        if (wire in shape.notNull && present.isNotEmpty() && members[present[0]] is JsonNull) {
            throw SerializationException(shape.name + ": member `" + wire + "` may be absent but must not be null")
        }
    }
    val nulls = shape.keptNull.filter { wire -> shape.spellings.getValue(wire).any { members[it] is JsonNull } }.toSet()
    val declared = if (shape.open) JsonObject(members.filterKeys { it in shape.known }) else members
    val value = json.json.decodeFromJsonElement(generated, declared)
    val extra = if (shape.open) members.filterKeys { it !in shape.known } else emptyMap()
    return if (extra.isEmpty() && nulls.isEmpty()) value else restore(value, extra, nulls)
}

/** Writes [value] with [generated], then the [extra] members whose names the shape does not declare. */
public fun <T> encodeObject(
    encoder: Encoder,
    shape: ObjectShape,
    generated: KSerializer<T>,
    value: T,
    extra: Map<String, JsonElement>,
) {
    val json = encoder as? JsonEncoder ?: throw SerializationException(shape.name + " can only be written as JSON")
    val written = json.json.encodeToJsonElement(generated, value) as? JsonObject
        ?: throw SerializationException(shape.name + ": the generated serializer did not write an object")
    if (extra.isEmpty()) {
        json.encodeJsonElement(written)
    } else {
        json.encodeJsonElement(JsonObject(written + extra.filterKeys { it !in shape.known && it !in written }))
    }
}

/** A [Long] read only from a JSON integer (kotlinx alone also reads the string `"5"` as 5). */
public typealias StrictLong = @Serializable(with = StrictLongSerializer::class) Long

/** A [Double] read only from a JSON number. */
public typealias StrictDouble = @Serializable(with = StrictDoubleSerializer::class) Double

/** A [Boolean] read only from a JSON boolean (kotlinx alone also reads the string `"true"`). */
public typealias StrictBoolean = @Serializable(with = StrictBooleanSerializer::class) Boolean

/** The JSON primitive a strict serializer reads: a number or boolean literal, never a string or null. */
private fun literal(decoder: Decoder, expected: String): JsonPrimitive {
    val json = decoder as? JsonDecoder ?: throw SerializationException(expected + " can only be read from JSON")
    val element = json.decodeJsonElement()
    if (element !is JsonPrimitive || element.isString || element is JsonNull) {
        throw SerializationException("expected " + expected + ", found " + element)
    }
    return element
}

public object StrictLongSerializer : KSerializer<Long> {
    override val descriptor: SerialDescriptor =
        PrimitiveSerialDescriptor("dev.codex.handoff.contract.StrictLong", PrimitiveKind.LONG)

    override fun serialize(encoder: Encoder, value: Long): Unit = encoder.encodeLong(value)

    override fun deserialize(decoder: Decoder): Long {
        val literal = literal(decoder, "an integer")
        return literal.content.toLongOrNull()
            ?: throw SerializationException("expected a 64-bit integer, found " + literal)
    }
}

public object StrictDoubleSerializer : KSerializer<Double> {
    override val descriptor: SerialDescriptor =
        PrimitiveSerialDescriptor("dev.codex.handoff.contract.StrictDouble", PrimitiveKind.DOUBLE)

    override fun serialize(encoder: Encoder, value: Double): Unit = encoder.encodeDouble(value)

    override fun deserialize(decoder: Decoder): Double {
        val literal = literal(decoder, "a number")
        return literal.content.toDoubleOrNull() ?: throw SerializationException("expected a number, found " + literal)
    }
}

public object StrictBooleanSerializer : KSerializer<Boolean> {
    override val descriptor: SerialDescriptor =
        PrimitiveSerialDescriptor("dev.codex.handoff.contract.StrictBoolean", PrimitiveKind.BOOLEAN)

    override fun serialize(encoder: Encoder, value: Boolean): Unit = encoder.encodeBoolean(value)

    override fun deserialize(decoder: Decoder): Boolean = when (literal(decoder, "a boolean").content) {
        "true" -> true
        "false" -> false
        else -> throw SerializationException("expected a boolean")
    }
}
"#
    .to_owned();
    file
}
