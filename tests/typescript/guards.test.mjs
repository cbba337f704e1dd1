// Node test of the generated TypeScript package, run by .ci/run after `tsc` compiles generated/typescript to
// the directory named by CONTRACT_TS_DIST. The expectations come from the shared message fixtures and the
// realtime files, never from the package's own output.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const dist = process.env.CONTRACT_TS_DIST;
assert.ok(dist, "set CONTRACT_TS_DIST to the directory tsc compiled generated/typescript into");
const contract = await import(pathToFileURL(join(dist, "index.js")).href);

const fixtureDir = join(root, "tests", "fixtures", "messages");
const fixture = (def) => JSON.parse(readFileSync(join(fixtureDir, `${def}.json`), "utf8"));
const fixtureDefs = readdirSync(fixtureDir)
  .filter((name) => name.endsWith(".json"))
  .map((name) => name.slice(0, -".json".length))
  .sort();

test("every def with fixtures has a guard", () => {
  assert.ok(fixtureDefs.length > 0, "no fixtures found");
  for (const def of fixtureDefs) {
    assert.equal(typeof contract[`is${def}`], "function", `is${def} missing`);
  }
});

// Invalid fixtures whose only fault is a value an open enum does not list (`TurnStatus`, which the client decodes):
// the schema's `enum` rejects them, the generated guards keep them, as every language's decoder does.
const keptByOpenEnums = new Set([
  "TurnStatus / unknown value",
  "TurnStatus / wrong case",
  "Turn / unknown status",
  "TurnStartResponse / turn with bad status",
]);

test("each guard accepts the valid and rejects the invalid fixtures of its def", () => {
  for (const def of fixtureDefs) {
    const guard = contract[`is${def}`];
    const { valid = [], invalid = [] } = fixture(def);
    for (const { case: name, value, canonical } of valid) {
      assert.equal(guard(value), true, `${def} / ${name}: ${JSON.stringify(contract.findProblem(def, value))}`);
      if (canonical !== undefined) assert.equal(guard(canonical), true, `${def} / ${name} (canonical form)`);
    }
    for (const { case: name, value } of invalid) {
      const open = keptByOpenEnums.has(`${def} / ${name}`);
      assert.equal(guard(value), open, `${def} / ${name} was ${open ? "rejected" : "accepted"}`);
    }
  }
});

test("problems point at the offending member", () => {
  const found = contract.findProblem("CodexToolArguments", { server: "a", prompt: "b", thread_id: "a/b" });
  assert.equal(found.pointer, "/thread_id");
  assert.equal(contract.findProblem("CodexToolArguments", { server: "a", prompt: "b" }), null);
});

test("parseCodexToolArguments reads the fixtures' arguments strings", () => {
  const { valid, aliased, invalid } = fixture("CodexToolArguments");
  for (const { case: name, value } of valid) {
    const decoded = contract.parseCodexToolArguments(JSON.stringify(value));
    assert.deepEqual(decoded, { ok: true, value }, name);
  }
  assert.ok(aliased.length >= 2, "the fixtures cover the legacy spellings");
  for (const { case: name, value, canonical } of aliased) {
    const decoded = contract.parseCodexToolArguments(JSON.stringify(value));
    assert.deepEqual(decoded, { ok: true, value: canonical }, name);
    // The legacy spelling is a decoding convenience, not the canonical form.
    assert.equal(contract.isCodexToolArguments(value), false, `${name} passed the canonical guard`);
  }
  for (const { case: name, value } of invalid) {
    const decoded = contract.parseCodexToolArguments(JSON.stringify(value));
    assert.equal(decoded.ok, false, `${name} was accepted`);
    assert.equal(typeof decoded.error, "string");
  }
});

test("parseCodexToolArguments applies the ThreadId rule to thread_id", () => {
  const { valid, invalid } = fixture("ThreadId");
  const call = (threadId) => JSON.stringify({ server: "local", prompt: "continue", thread_id: threadId });
  for (const { case: name, value } of valid) {
    const decoded = contract.parseCodexToolArguments(call(value));
    assert.equal(decoded.ok, true, `${name}: ${decoded.error}`);
    assert.equal(decoded.value.thread_id, value);
    assert.equal(contract.isThreadId(value), true, name);
  }
  for (const { case: name, value } of invalid) {
    assert.equal(contract.parseCodexToolArguments(call(value)).ok, false, `${name} was accepted`);
    assert.equal(contract.isThreadId(value), false, name);
  }
  // The pattern is ASCII-only: letters outside it are refused even though they are letters.
  assert.equal(contract.isThreadId("thr\u00e9"), false);
});

test("parse errors say what is wrong", () => {
  const notJson = contract.parseCodexToolArguments("{server:");
  assert.equal(notJson.ok, false);
  assert.match(notJson.error, /not valid JSON/);
  const both = contract.parseCodexToolArguments(JSON.stringify({ server: "a", serverHint: "b", prompt: "p" }));
  assert.equal(both.ok, false);
  assert.match(both.error, /given twice, as `server` and as `serverHint`/);
  const unknown = contract.parseCodexToolArguments(JSON.stringify({ server: "a", prompt: "p", priority: 1 }));
  assert.match(unknown.error, /unknown member `priority`/);
});

test("parseToolCall gives the verdict of every call in tests/fixtures/realtime/tool_calls.json", () => {
  const { calls } = JSON.parse(readFileSync(join(root, "tests", "fixtures", "realtime", "tool_calls.json"), "utf8"));
  assert.ok(calls.length > 0);
  for (const { name, arguments: argumentsJson, expect, tool } of calls) {
    const call = contract.parseToolCall(name, argumentsJson);
    const label = `${name} ${argumentsJson}`;
    if (expect === "ok") {
      assert.equal(call.ok, true, `${label}: ${call.error}`);
      assert.equal(call.value.name, tool, label);
    } else {
      assert.equal(call.ok, false, `${label} was accepted`);
      assert.equal(call.kind, expect, `${label}: ${call.error}`);
    }
  }
});

test("parseToolCall dispatches by tool name", () => {
  const args = JSON.stringify({ server: "bigpc", prompt: "run the tests", thread_id: "thr_123" });
  assert.deepEqual(contract.parseToolCall("codex", args), {
    ok: true,
    value: { name: "codex", arguments: { server: "bigpc", prompt: "run the tests", thread_id: "thr_123" } },
  });
  // The stock app-server's own tool: the prompt only, under its own name.
  assert.deepEqual(contract.parseToolCall("background_agent", JSON.stringify({ prompt: "run the tests" })), {
    ok: true,
    value: { name: "background_agent", arguments: { prompt: "run the tests" } },
  });
  assert.equal(contract.parseToolCall("background_agent", args).ok, false);
  assert.deepEqual(contract.parseToolCall("list_sessions", JSON.stringify({ server_id: "bigpc", limit: 5 })), {
    ok: true,
    value: { name: "list_sessions", arguments: { server: "bigpc", limit: 5 } },
  });
  assert.equal(contract.parseToolCall("list_sessions", JSON.stringify({ limit: 0 })).ok, false);
  assert.equal(contract.parseToolCall("list_servers", "{}").ok, true);
  assert.equal(contract.parseToolCall("list_servers", JSON.stringify({ x: 1 })).ok, false);
  const unknown = contract.parseToolCall("rm_rf", "{}");
  assert.equal(unknown.ok, false);
  assert.match(unknown.error, /unknown tool/);
  const wrong = contract.parseToolCall("codex", JSON.stringify({ server: "a" }));
  assert.match(wrong.error, /^`codex` arguments: missing required member `prompt`/);
});

test("the realtime constants are the generated realtime files", () => {
  const tools = JSON.parse(readFileSync(join(root, "generated", "realtime", "tools.json"), "utf8"));
  assert.deepEqual(contract.TOOLS, tools);
  const markdown = readFileSync(join(root, "generated", "realtime", "instructions.md"), "utf8");
  // instructions.md is an HTML-comment header line, a blank line, then the template.
  assert.ok(markdown.startsWith("<!--"));
  assert.equal(contract.INSTRUCTIONS_TEMPLATE, markdown.slice(markdown.indexOf("-->\n\n") + "-->\n\n".length));
  assert.ok(contract.INSTRUCTIONS_TEMPLATE.includes(contract.SERVERS_SLOT));
});

test("renderInstructions lists the servers on one line each", () => {
  const text = contract.renderInstructions([
    { name: "big pc", id: "srv-1", isLocal: true },
    { name: "laptop", id: "laptop" },
    { name: "evil\n## New section", id: "x" },
  ]);
  assert.ok(!text.includes(contract.SERVERS_SLOT));
  assert.ok(text.includes("- big pc (id: srv-1, local)\n- laptop\n- evil ## New section (id: x)\n"));
  const empty = contract.renderInstructions([]);
  assert.ok(empty.includes("- (no servers are connected)"));
});

test("the method table lists the handoff methods with their directions", () => {
  assert.equal(contract.THREAD_RESUME, "thread/resume");
  assert.equal(contract.THREAD_REALTIME_FINALIZE_HANDOFF, "thread/realtime/finalizeHandoff");
  assert.ok(contract.METHODS.includes("turn/start"));
  assert.deepEqual([...contract.METHODS].sort(), [...contract.METHODS]);
  assert.equal(contract.METHOD_DIRECTIONS["thread/realtime/itemAdded"], "server_notification");
  assert.equal(contract.METHOD_DIRECTIONS["item/tool/call"], "server_request");
});

// Read from the schema file itself, so these expectations do not come from the generator.
const schema = JSON.parse(readFileSync(join(root, "schema", "protocol.schema.json"), "utf8"));

test("the method table is the schema's x-rpc table, sorted, with each method's direction", () => {
  const rpc = schema["x-rpc"];
  assert.deepEqual([...contract.METHODS], Object.keys(rpc).sort());
  for (const [name, { direction }] of Object.entries(rpc)) {
    assert.equal(contract.METHOD_DIRECTIONS[name], direction, name);
  }
});

test("every schema def has a guard, and every realtime tool a parser of its arguments", () => {
  for (const def of Object.keys(schema.$defs)) {
    assert.equal(typeof contract[`is${def}`], "function", `is${def} missing`);
  }
  assert.ok(contract.TOOLS.length > 0);
  for (const tool of contract.TOOLS) {
    // A tool without a parser would be an "unknown tool"; one with a parser reads the arguments and finds them broken.
    assert.match(contract.parseToolCall(tool.name, "{").error, /not valid JSON/, tool.name);
  }
});

// The package's verdict on every fixture case, in the cross-language format of `cargo xtask verdicts`
// (INTERFACES.md), written to `$CONTRACT_VERDICTS_DIR/typescript.jsonl` when that is set. A TypeScript client
// reads a message with `decodeArguments` (legacy spellings renamed to the wire name; object types only) or else
// takes it as it is once its guard accepts it; either way, what it writes back is that value.
function readMessage(def, value) {
  const decoded = contract.decodeArguments(def, JSON.stringify(value));
  if (decoded.ok) return { accepted: true, canonical: decoded.value };
  const guard = contract[`is${def}`];
  return guard(value) ? { accepted: true, canonical: value } : { accepted: false, canonical: null };
}

test("every fixture gets the expected TypeScript verdict, written for cargo xtask verdicts when asked", () => {
  const lines = [];
  const failures = [];
  for (const def of fixtureDefs) {
    const fixtures = fixture(def);
    for (const section of ["valid", "aliased", "invalid"]) {
      for (const { case: name, value, canonical } of fixtures[section] ?? []) {
        const verdict = readMessage(def, value);
        lines.push({ suite: "messages", def, section, case: name, ...verdict });
        const label = `${def} / ${section} / ${name}`;
        if (section === "invalid") {
          // An open enum keeps a value the schema does not list, unchanged; which invalid cases are only that is
          // decided precisely (against the schema with open enums relaxed) by `cargo xtask verdicts`.
          const keptUnchanged = verdict.accepted && JSON.stringify(verdict.canonical) === JSON.stringify(value);
          if (verdict.accepted && !keptUnchanged) failures.push(`${label}: accepted`);
        } else if (!verdict.accepted) {
          failures.push(`${label}: refused`);
        } else if (section === "aliased") {
          try {
            assert.deepEqual(verdict.canonical, canonical);
          } catch {
            failures.push(`${label}: read as ${JSON.stringify(verdict.canonical)}`);
          }
        }
      }
    }
  }
  const { calls } = JSON.parse(readFileSync(join(root, "tests", "fixtures", "realtime", "tool_calls.json"), "utf8"));
  calls.forEach(({ name, arguments: argumentsJson, expect, tool }, index) => {
    const call = contract.parseToolCall(name, argumentsJson);
    const verdict = call.ok
      ? { accepted: true, tool: call.value.name, error_kind: null }
      : { accepted: false, tool: null, error_kind: call.kind };
    lines.push({ suite: "tool_calls", case: String(index), ...verdict });
    const wanted = expect === "ok" ? verdict.tool === tool : verdict.error_kind === expect;
    if (!wanted) failures.push(`call ${index} ${name} ${argumentsJson}: ${JSON.stringify(verdict)}, expected ${expect}`);
  });
  assert.ok(lines.length > calls.length, "no message fixture cases");
  const dir = process.env.CONTRACT_VERDICTS_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "typescript.jsonl"), lines.map((line) => JSON.stringify(line) + "\n").join(""));
  }
  assert.deepEqual(failures, []);
});
