// Compile-time expectations of the generated declarations, checked by `tsc -p tests/typescript` in .ci/run.
// Each `@ts-expect-error` marks a value the contract's types must refuse; tsc fails if the line compiles.
import {
  METHOD_DIRECTIONS,
  THREAD_RESUME,
  TOOLS,
  isRealtimeHandoffRequested,
  parseToolCall,
} from "../../generated/typescript/src/index.js";
import type {
  CodexToolArguments,
  DynamicToolCallParams,
  ListServersArguments,
  MethodParams,
  MethodResults,
  RealtimeItem,
  RequestId,
  ThreadResumeParams,
  TurnStatus,
} from "../../generated/typescript/src/index.js";

// Optional, not nullable: `thread_id` may be absent but never null.
export const withThread: CodexToolArguments = { server: "bigpc", prompt: "run the tests", thread_id: "thr_123" };
export const withoutThread: CodexToolArguments = { server: "bigpc", prompt: "run the tests" };
// @ts-expect-error thread_id is not nullable
export const nullThread: CodexToolArguments = { server: "bigpc", prompt: "x", thread_id: null };
// @ts-expect-error prompt is required
export const noPrompt: CodexToolArguments = { server: "bigpc" };

// Optional and nullable: absent and null both type-check.
export const noNamespace: DynamicToolCallParams = { threadId: "t", turnId: "u", callId: "c", tool: "x", arguments: {} };
export const nullNamespace: DynamicToolCallParams = {
  threadId: "t",
  turnId: "u",
  callId: "c",
  tool: "x",
  arguments: {},
  namespace: null,
};

// A closed object without members takes only `{}`.
export const noArguments: ListServersArguments = {};
// @ts-expect-error list_servers has no arguments
export const someArguments: ListServersArguments = { server: "bigpc" };

// String-literal unions. `TurnStatus` is open (the client decodes it): a value a newer server sends still fits.
export const status: TurnStatus = "inProgress";
export const newerStatus: TurnStatus = "running";
// @ts-expect-error a turn status is a string
export const badStatus: TurnStatus = 3;
export const ids: RequestId[] = ["req-1", 7];

// The method table ties names to types.
export const resumeMethod: "thread/resume" = THREAD_RESUME;
export const resumeParams: MethodParams[typeof THREAD_RESUME] = { threadId: "thr_1" } satisfies ThreadResumeParams;
export type ResumeResult = MethodResults["thread/resume"];
export const direction: "client_request" = METHOD_DIRECTIONS["thread/resume"];
export const toolCount: number = TOOLS.length;

// Guards narrow an open union; the parsed call is typed by tool name.
export function handoffId(item: RealtimeItem): string | undefined {
  return isRealtimeHandoffRequested(item) ? item.handoff_id : undefined;
}
export function promptOf(name: string, argumentsJson: string): string | undefined {
  const call = parseToolCall(name, argumentsJson);
  if (!call.ok) return undefined;
  return call.value.name === "codex" ? call.value.arguments.prompt : undefined;
}
